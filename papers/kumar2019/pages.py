"""Report pages of Kumar et al. 2019 (``Experiment.report_pages``; common.reporting.pdf).

Pages only draw: from the experiment's ``result`` (summary, fold records with their ``extra``, typed config)
and the other experiments of this report (``context.results``); nothing is read back from disk but the
example inputs the folds saved (``examples.npz``), nothing recomputed.

* ``megc2019_loso``: Table 2 and Table 3 (with its published baseline rows) beside ours, the
  consistency of Tables 3-6 as our metric code computes it, Tables 4-6 beside the per-database runs
  and the composite's slices, Figs. 3-4 from the run's own preprocessing, and example EAIs (plain
  and magnified) per class saved by the folds (faces only with ``context.allow_faces``: a synthetic corpus or
  ``--allow-faces``).
* ``<db>_loso``: Table 3's column of the database and its matrix (Tables 4-6) beside ours; Figs. 3-4.
* the cross-dataset experiments: Table 7 beside ours, on the pages of the last one in this report.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

import numpy as np

from common.datasets import DATABASE_TITLES
from common.reporting.arrays import load_fold_arrays
from papers.kumar2019 import reported
from common.reporting import figures
from common.reporting.tables import score_marks
import matplotlib.pyplot as plt

NOT_RUN = "not run in this report"


def _fmt(value: Any) -> str:
    return "   -  " if value is None or (isinstance(value, float) and not np.isfinite(value)) else f"{value:.4f}"


def _pooled(summary: Mapping[str, Any] | None, scope: str = "all") -> dict:
    return dict(((summary or {}).get("metrics", {}).get("pooled", {}).get(scope)) or {})


def sibling_summary(context, name: str) -> Mapping[str, Any] | None:
    """The results (``summary``) of experiment ``name`` of this report (``context.results``), or None."""
    result = context.results.get(name)
    return None if result is None else result.summary


def _title(dataset: str) -> str:
    return DATABASE_TITLES.get(dataset, dataset)


def baseline_lines(scopes: tuple[str, ...]) -> list[str]:
    """Table 3's other rows (LBP-TOP, Bi-WOOF, OFF-ApexNet), as published (not run here)."""
    lines = [f"{'published (Table 3)':22s}" + "".join(f"{reported.TABLE_COLUMNS[s] + ' UAR':>14s}"
                                                     f"{'UF1':>8s}" for s in scopes)]
    for method, cells in reported.TABLE_3_BASELINES.items():
        lines.append(f"{method:22s}" + "".join(f"{_fmt(cells[s]['uar']):>14s}{_fmt(cells[s]['uf1']):>8s}"
                                               for s in scopes))
    lines.append(f"{'Our Approach (paper)':22s}" + "".join(
        f"{reported.TABLE_3[s]['uar']:>14.4f}{reported.TABLE_3[s]['uf1']:>8.4f}" for s in scopes))
    return lines


def _marks(runs: list[tuple[str, Mapping[str, Any] | None]]) -> list[str]:
    """Each shown run's marks beside the paper's numbers (``tables.score_marks``: the synthetic corpus, partial,
    folds left out), named, then a blank line; [] when no run shown carries one."""
    marks = [f"{name}: {mark}" for name, run in runs if run is not None for mark in score_marks(run)]
    return marks + [""] * bool(marks)


def tables_2_3_lines(results: Mapping[str, Any], database_runs: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
    """Table 2 (counts) and Table 3 (UAR, UF1) beside ours, and the tables' own consistency.

    Table 3's combined column is compared with this (composite) run's ``results``; its per-database columns with
    each database's own LOSO run (``database_runs[db]``: the results of ``<db>_loso`` in this report, or None:
    "not run in this report"), the composite's per-database slices shown beside them for information (Sec. 4:
    the paper ran each database separately)."""
    pooled = results["metrics"]["pooled"]
    per_fold = results["metrics"].get("per_fold", {})
    scopes = ("all",) + reported.DATABASES
    columns = reported.TABLE_COLUMNS  # the paper's headings
    runs = [("megc2019_loso", results), *((f"{db}_loso", database_runs.get(db)) for db in reported.DATABASES)]
    lines = _marks(runs) + ["Table 2 (samples per class) and subjects: paper / ours", ""]
    lines.append(f"{'':10s}" + "".join(f"{c:>16s}" for c in reported.CLASSES) + f"{'subjects':>16s}")
    for scope in scopes:
        matrix = np.asarray(pooled.get(scope, {}).get("confusion", np.zeros((3, 3))), dtype=int)
        ours = matrix.sum(axis=1)
        subjects = len(per_fold) if scope == "all" else sum(1 for f in per_fold.values() if scope in f)
        cells = "".join(f"{reported.TABLE_2[scope][c]:>9d} / {n:<4d}" for c, n in zip(reported.CLASSES, ours))
        lines.append(f"{columns[scope]:10s}{cells}{reported.SUBJECTS[scope]:>9d} / {subjects:<4d}")
    lines += ["", "Table 3 (our approach): paper / ours, pooled over the LOSO folds (MEGC 2019 UF1 and UAR).",
              "Combined: this composite run. Per database: the database's own LOSO run (<db>_loso, as Sec. 4);",
              "'slice': the composite run's predictions on that database (not what the paper reports).", ""]
    lines.append(f"{'':10s}{'UAR paper':>11s}{'ours':>9s}{'slice':>8s}{'UF1 paper':>11s}{'ours':>9s}{'slice':>8s}")
    for scope in scopes:
        slice_ = pooled.get(scope, {})
        run = results if scope == "all" else database_runs.get(scope)
        own = _pooled(run)
        slice_ = {} if scope == "all" else slice_
        lines.append(f"{columns[scope]:10s}{reported.TABLE_3[scope]['uar']:>11.4f}"
                     f"{_fmt(own.get('uar')):>9s}{_fmt(slice_.get('uar')):>8s}{reported.TABLE_3[scope]['uf1']:>11.4f}"
                     f"{_fmt(own.get('uf1')):>9s}{_fmt(slice_.get('uf1')):>8s}"
                     + ("" if run is not None else f"  ({scope}_loso {NOT_RUN})"))
    lines += ["", "Table 3's other rows, as published (the suite does not run these methods):", ""]
    lines += baseline_lines(scopes)
    lines += ["", "Consistency of the paper's tables, computed by common.evaluation.metrics.scores_from_confusion",
              "from the confusion matrices of Tables 4-6 (and their sum for 'Combined'):", ""]
    lines.append(f"{'':10s}{'UF1 from matrix':>17s}{'Table 3 UF1':>13s}{'UAR from matrix':>17s}{'Table 3 UAR':>13s}")
    check = reported.confusion_consistency()
    for scope in reported.DATABASES + ("all",):
        c = check[scope]
        lines.append(f"{columns[scope]:10s}{c['uf1']:>17.4f}{c['table3_uf1']:>13.4f}"
                     f"{c['uar']:>17.4f}{c['table3_uar']:>13.4f}")
    lines += ["", "CASME II (Table 5) and SAMM (Table 6) reproduce Table 3 exactly. For SMIC, Table 4 gives",
              "UF1 0.7621 and UAR 0.7452, which are Table 3's SMIC UAR (0.7621) and UF1 (0.7451): the two",
              "values appear swapped in Table 3. The sum of Tables 4-6 (the composite's matrix) gives UF1",
              "0.7785 and UAR 0.7512, which match neither of Table 3's combined values (0.7603 / 0.7355):",
              "the composite was a separate run, so Tables 4-6 are compared with the per-database runs."]
    return lines


def confusion_matrices(results: Mapping[str, Any], database_runs: Mapping[str, Mapping[str, Any] | None]
                       ) -> dict[str, np.ndarray]:
    """{panel title: matrix}: per database, Tables 4-6, the database's own LOSO run (``database_runs[db]``,
    when in this report) and the composite run's slice."""
    pooled = results["metrics"]["pooled"]
    panels = {}
    for db in reported.DATABASES:
        panels[f"{reported.TABLE_COLUMNS[db]}, paper ({reported.CONFUSION_TABLES[db]})"] = reported.CONFUSION[db]
        own = _pooled(database_runs.get(db)).get("confusion")
        if own is not None:
            panels[f"{_title(db)}, ours ({db}_loso)"] = np.asarray(own, dtype=int)
        panels[f"{_title(db)}, ours (slice of the composite run)"] = np.asarray(
            pooled.get(db, {}).get("confusion", np.zeros((3, 3))), dtype=int)
    return panels


def loso_pages(pdf, result, context) -> None:
    """Tables 2-3 beside ours, Tables 4-6 beside our confusion matrices, Figs. 3-4 from this run's
    preprocessing, example EAIs per class (all from ``result`` and ``context.results``)."""
    results = result.summary
    database_runs = {db: sibling_summary(context, f"{db}_loso") for db in reported.DATABASES}
    fig = figures.text_page("kumar2019: Tables 2 and 3 beside ours", tables_2_3_lines(results, database_runs))
    pdf.savefig(fig)
    plt.close(fig)
    fig = figures.confusion_page("kumar2019: Tables 4-6 (paper) beside our confusion matrices",
                                 confusion_matrices(results, database_runs),
                                 reported.CLASSES,
                                 subtitle="rows: true class, columns: predicted; ours pooled over the LOSO folds")
    pdf.savefig(fig)
    plt.close(fig)
    figure_pages(pdf, result)
    example_page(pdf, result, context)


def database_lines(results: Mapping[str, Any], database: str, composite: Mapping[str, Any] | None) -> list[str]:
    """Table 3's column of ``database`` beside this run (the database's own LOSO) and the slice of the composite
    run ``composite`` (the results of ``megc2019_loso`` in this report, or None: not run in this report)."""
    ours = _pooled(results)
    slice_ = _pooled(composite, database)
    column = reported.TABLE_COLUMNS[database]
    paper = reported.TABLE_3[database]
    lines = _marks([(f"{database}_loso", results), ("megc2019_loso", composite)])
    lines += [f"Table 3, {column} column: paper / ours, pooled over this run's LOSO folds ({_title(database)} alone, "
             "Sec. 4)", "",
             f"{'':26s}{'UAR':>9s}{'UF1':>9s}{'accuracy':>10s}",
             f"{'paper (Our Approach)':26s}{paper['uar']:>9.4f}{paper['uf1']:>9.4f}{'':>10s}",
             f"{'ours, ' + database + '_loso':26s}{_fmt(ours.get('uar')):>9s}{_fmt(ours.get('uf1')):>9s}"
             f"{_fmt(ours.get('accuracy')):>10s}",
             f"{'ours, composite slice':26s}{_fmt(slice_.get('uar')):>9s}{_fmt(slice_.get('uf1')):>9s}"
             f"{_fmt(slice_.get('accuracy')):>10s}" + ("" if composite is not None else f"  (megc2019_loso {NOT_RUN})"),
             "", "'composite slice': the megc2019_loso run's predictions on this database; the paper's",
             "per-database numbers come from a separate run per database.", ""]
    if database == "smic":
        lines += ["Table 4's matrix gives UF1 0.7621 / UAR 0.7452: Table 3's SMIC UF1 and UAR appear swapped.", ""]
    lines += ["Table 3's other rows, as published (the suite does not run these methods):", ""]
    lines += baseline_lines((database,))
    return lines


def database_pages(pdf, result, context) -> None:
    """A per-database LOSO experiment: Table 3's column and the Table 4/5/6 matrix beside ours; Figs. 3-4."""
    results = result.summary
    database = result.config.protocol.dataset
    fig = figures.text_page(f"kumar2019: {_title(database)} alone, Table 3 beside ours",
                            database_lines(results, database, sibling_summary(context, "megc2019_loso")))
    pdf.savefig(fig)
    plt.close(fig)
    table = reported.CONFUSION_TABLES[database]
    panels = {f"{reported.TABLE_COLUMNS[database]}, paper ({table})": reported.CONFUSION[database],
              f"{_title(database)}, ours ({result.name})": np.asarray(
                  _pooled(results).get("confusion", np.zeros((3, 3))), dtype=int)}
    fig = figures.confusion_page(f"kumar2019: {table} (paper) beside ours", panels,
                                 reported.CLASSES, subtitle="rows: true class, columns: predicted; ours pooled over "
                                                            "the LOSO folds of this database alone")
    pdf.savefig(fig)
    plt.close(fig)
    figure_pages(pdf, result)


def figure_data(records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Figs. 3-4 data merged over the folds' ``extra`` (each clip once): {"psnr": {dataset: {alpha: [dB]}},
    "texture": {key: curve}, "removed": {dataset: (frames removed, frames)}, "windows": {dataset: [N]},
    "class_alphas": [{class: alphas}] per fold, "images": [{class: n}] per fold}."""
    psnr_by_clip: dict[str, dict[str, float | None]] = {}
    dataset_of: dict[str, str] = {}
    texture: dict[str, dict[str, Any]] = {}
    class_alphas, images = [], []
    for record in records:
        extra = record.get("extra", {}) or {}
        for key, values in (extra.get("psnr") or {}).items():
            psnr_by_clip.setdefault(key, {}).update(values)
        for key, curve in (extra.get("texture") or {}).items():
            texture[key] = curve
            dataset_of[key] = curve.get("dataset", "")
        for key, dataset in zip(record.get("keys", []), record.get("datasets", [])):
            dataset_of.setdefault(key, dataset)
        if extra.get("class_alphas"):
            class_alphas.append(extra["class_alphas"])
            images.append(extra.get("train_images_per_class", {}))
    psnr: dict[str, dict[float, list[float]]] = {}
    for key, values in psnr_by_clip.items():
        dataset = dataset_of.get(key) or key.split("/")[0]
        for alpha, value in values.items():
            if value is not None:
                psnr.setdefault(dataset, {}).setdefault(float(alpha), []).append(float(value))
    removed: dict[str, list[int]] = {}
    windows: dict[str, list[int]] = {}
    for curve in texture.values():
        kept = curve.get("kept", [])
        cell = removed.setdefault(curve.get("dataset", ""), [0, 0])
        cell[0] += len(kept) - int(sum(kept))
        cell[1] += len(kept)
        windows.setdefault(curve.get("dataset", ""), []).append(int(curve.get("window", 0)))
    return {"psnr": psnr, "texture": texture, "removed": {d: tuple(v) for d, v in removed.items()},
            "windows": windows, "class_alphas": class_alphas, "images": images}


def figure_pages(pdf, result, max_curves: int = 6) -> None:
    """Figs. 3 and 4 from this run's own preprocessing (the folds' ``extra``; nothing is reloaded or recomputed):
    Fig. 3, PSNR of the magnified clips against the clips per alpha and database (mean and spread over clips);
    Fig. 4, texture intensity A_t per frame of a few test clips at the test alpha, the frames Sec. 3.2 removed
    marked; and what the texture step and the class-balanced augmentation did."""
    results = result.summary
    data = figure_data(list(result.records))
    fig = plt.figure(figsize=figures.A4)
    fig.suptitle(f"kumar2019 {results.get('experiment', '')}: Figs. 3 and 4 from this run's preprocessing "
                 f"({results.get('profile', '')} profile, {results.get('corpus', {}).get('kind', '')} corpus)",
                 fontsize=9, weight="bold")
    ax = fig.add_axes((0.1, 0.66, 0.8, 0.25))
    for dataset, by_alpha in sorted(data["psnr"].items()):
        alphas = sorted(by_alpha)
        means = [float(np.mean(by_alpha[a])) for a in alphas]
        spread = [float(np.std(by_alpha[a])) for a in alphas]
        ax.errorbar(alphas, means, yerr=spread, marker="o", capsize=3,
                    label=f"{_title(dataset)} ({max(len(v) for v in by_alpha.values())} clips)")
    ax.set_xlabel("amplification factor alpha", fontsize=8)
    ax.set_ylabel("PSNR (dB) vs the unmagnified clip", fontsize=8)
    ax.set_title("Fig. 3 (ours): PSNR vs alpha, mean +- sd over clips, at the alphas this run magnified", fontsize=8)
    if data["psnr"]:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no PSNR in the fold records", ha="center", transform=ax.transAxes)
    ax.tick_params(labelsize=7)
    keys = _example_keys(data["texture"], max_curves)
    for n, key in enumerate(keys):
        curve = data["texture"][key]
        ax = fig.add_axes((0.1 + (n % 2) * 0.45, 0.45 - (n // 2) * 0.13, 0.37, 0.08))
        intensity = np.array([np.nan if v is None else v for v in curve["intensity"]], dtype=float)
        kept = np.asarray(curve["kept"], dtype=bool)
        frames = np.arange(1, len(intensity) + 1)
        ax.plot(frames, intensity, color="0.3", lw=1)
        ax.scatter(frames[~kept], intensity[~kept], color="red", s=8, label="removed", zorder=3)
        ax.set_title(f"{key} ({curve.get('class', '')}), N = {curve.get('window', '?')}, "
                     f"{int((~kept).sum())}/{len(kept)} removed", fontsize=6)
        ax.tick_params(labelsize=6)
        ax.yaxis.get_offset_text().set_fontsize(5)
        if n == 0:
            ax.legend(fontsize=6)
    lines = ["Fig. 4 (ours), above: texture intensity A_t (Eq. 9) per frame of test clips at the test alpha;",
             "red = frames removed (probability < 0.5, Sec. 3.2). Frames removed over the test clips:"]
    for dataset, (gone, total) in sorted(data["removed"].items()):
        windows = data["windows"].get(dataset, [])
        lines.append(f"  {_title(dataset)}: {gone} of {total} frames "
                     f"({100.0 * gone / max(total, 1):.0f} %), window N {min(windows)}-{max(windows)}")
    if data["class_alphas"]:
        first = data["class_alphas"][0]
        same = all(c == first for c in data["class_alphas"])
        lines.append("Training alphas per class (Sec. 2.1 balancing)" + (" in every fold: " if same else
                                                                         " in the first fold: ")
                     + "; ".join(f"{c} {', '.join(f'{a:g}' for a in al)}" for c, al in first.items()))
        totals = {c: sum(int(i.get(c, 0)) for i in data["images"]) for c in first}
        lines.append("Training images per class, summed over the folds: "
                     + ", ".join(f"{c} {n}" for c, n in totals.items()))
    fig.text(0.08, 0.02, "\n".join(lines), fontsize=7, va="bottom", family="monospace")
    pdf.savefig(fig)
    plt.close(fig)


def _example_keys(texture: Mapping[str, Mapping[str, Any]], limit: int) -> list[str]:
    """Up to ``limit`` test clips for Fig. 4: round-robin over (database, class), longest clip first."""
    groups: dict[tuple[str, str], list[str]] = {}
    for key, curve in texture.items():
        groups.setdefault((curve.get("dataset", ""), curve.get("class", "")), []).append(key)
    for keys in groups.values():
        keys.sort(key=lambda k: -len(texture[k].get("kept", [])))
    chosen: list[str] = []
    while len(chosen) < limit and any(groups.values()):
        for group in sorted(groups):
            if groups[group] and len(chosen) < limit:
                chosen.append(groups[group].pop(0))
    return chosen


def example_records(records) -> list[tuple[Mapping[str, Any], Mapping[str, Any], int]]:
    """(clip, the fold's ``extra["examples"]``, row in its npz) of every example input the folds saved
    (:func:`papers.kumar2019.preprocessing.save_examples`), ordered by class, then database."""
    found = []
    for record in records:
        examples = (record.get("extra") or {}).get("examples") or {}
        for row, clip in enumerate(examples.get("clips", [])):
            found.append((clip, examples, row))
    order = {name: k for k, name in enumerate(reported.CLASSES)}
    return sorted(found, key=lambda item: (order.get(item[0]["class"], len(order)), item[0]["dataset"]))


def example_page(pdf, result, context, max_rows: int = 9) -> None:
    """The example inputs the folds saved (a test clip per class and database): its first face frame, the plain
    EAI and the EAIs at alpha 5, 10, 15 (and, with ``data.motion_input="minus_first_frame"``, the network's
    input: the test EAI minus the first registered frame). Faces only with ``context.allow_faces``."""
    config = result.config
    examples = example_records(result.records)[:max_rows]
    message = None
    if not context.allow_faces:
        message = ["Example Emotion Avatar Images are omitted: they show faces of a licensed database.",
                   "Run with --allow-faces to include them (private use only)."]
    elif not examples:
        message = ["No example inputs in this run's fold records (the folds that test the example clips",
                   "save them in their work folder, examples.npz)."]
    if message:
        fig = figures.text_page("kumar2019: example EAIs", message)
        pdf.savefig(fig)
        plt.close(fig)
        return
    difference = config.data.motion_input == "minus_first_frame"  # the network input of the quick profile
    test_alpha = float(config.magnification.test_alpha)
    columns = 1 + max(len(saved["alphas"]) for _, saved, _ in examples) + int(difference)
    fig, axes = plt.subplots(len(examples), columns, figsize=figures.A4, squeeze=False)
    fig.subplots_adjust(left=0.04, right=0.96, top=0.92, bottom=0.02, hspace=0.6, wspace=0.15)
    arrays_of: dict[str, dict[str, np.ndarray] | None] = {}
    for row, (clip, saved, index) in zip(axes, examples):
        for ax in row:
            ax.axis("off")
        if saved["path"] not in arrays_of:
            arrays_of[saved["path"]] = load_fold_arrays(saved["path"])
        arrays = arrays_of[saved["path"]]
        if arrays is None:
            row[0].text(0, 0.5, f"{clip['key']}: {saved['path']} is missing", fontsize=6)
            continue
        panels = [(arrays["face"][index], f"{clip['key']}\n{clip['class']}")]
        for k, (alpha, (kept, total)) in enumerate(zip(saved["alphas"], clip["kept"])):
            label = "plain EAI" if alpha == 0 else f"alpha {alpha:g}"
            panels.append((arrays["eai"][index][k], f"{label}\n{kept}/{total} frames kept"))
        if difference and "first" in arrays and test_alpha in saved["alphas"]:
            # data.motion_input="minus_first_frame" (README ledger 21), shown amplified around grey
            delta = (arrays["eai"][index][saved["alphas"].index(test_alpha)].astype(np.float32)
                     - arrays["first"][index].astype(np.float32))
            panels.append((np.clip(128.0 + 4.0 * delta, 0, 255).astype(np.uint8),
                           f"alpha {test_alpha:g} - first frame"))
        for ax, (image, label) in zip(row, panels):
            ax.imshow(image)
            ax.set_title(label, fontsize=5)
    fig.suptitle("kumar2019: first face frame, plain EAI, EAIs at alpha 5 / 10 / 15 (Sec. 3.1-3.4; "
                 f"band {config.magnification.low_hz:g}-{config.magnification.high_hz:g} Hz), test clips of this run"
                 + ("\nlast: test EAI minus first registered frame (x4 + 128)" if difference else ""), fontsize=9)
    pdf.savefig(fig)
    plt.close(fig)


def _cross_name(train: str, test: str) -> str:
    return f"cross_{train}_to_{test}"


def table_7_lines(cells: Mapping[tuple[str, str], Mapping[str, Any] | None]) -> list[str]:
    """Table 7 beside ours: one line per (train, test) pair with the paper's and our UAR and UF1."""
    lines = ["Table 7: cross-dataset evaluation (train on one database, test on another)", "",
             f"{'train':10s}{'test':10s}{'UAR paper':>11s}{'ours':>9s}{'UF1 paper':>11s}{'ours':>9s}"]
    for (train, test), paper in reported.TABLE_7.items():
        ours = cells.get((train, test))
        lines.append(f"{reported.TABLE_COLUMNS[train]:10s}{reported.TABLE_COLUMNS[test]:10s}"
                     f"{paper['uar']:>11.4f}{_fmt((ours or {}).get('uar')):>9s}{paper['uf1']:>11.4f}"
                     f"{_fmt((ours or {}).get('uf1')):>9s}" + ("" if ours is not None else f"  ({NOT_RUN})"))
    lines += ["", "Ours: pooled scores of the one cross-dataset fold."]
    return lines


def cross_pages(pdf, result, context) -> None:
    """Table 7 beside ours, drawn once: on the pages of the last cross-dataset experiment of this report;
    the other cells from ``context.results`` ('-', not run in this report, where absent)."""
    names = [n for n in context.results if n.startswith("cross_")]
    if names and result.name != names[-1]:
        return
    cells: dict[tuple[str, str], Mapping[str, Any] | None] = {}
    runs: list[tuple[str, Mapping[str, Any] | None]] = []
    for train, test in reported.CROSS_PAIRS:
        name = _cross_name(train, test)
        summary = result.summary if result.name == name else sibling_summary(context, name)
        cells[(train, test)] = None if summary is None else _pooled(summary)
        runs.append((name, summary))
    fig = figures.text_page("kumar2019: Table 7 beside ours", _marks(runs) + table_7_lines(cells))
    pdf.savefig(fig)
    plt.close(fig)


__all__ = ["NOT_RUN", "sibling_summary", "baseline_lines", "tables_2_3_lines", "confusion_matrices", "loso_pages",
           "database_lines", "database_pages", "figure_data", "figure_pages", "example_records", "example_page",
           "table_7_lines", "cross_pages"]
