"""Extra report pages of Kumar et al. 2019 (``Experiment.report_pages``; common.reporting.pdf).

* ``megc2019_loso``: Table 2 and Table 3 beside ours, the consistency of Tables 3-6 as our metric
  code computes it, Tables 4-6 beside our confusion matrices, and example EAIs (plain and
  magnified) per class (faces only for a synthetic corpus or with ``--allow-faces``).
* the cross-dataset experiments: Table 7 beside ours, on the page of the last one run.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from papers.kumar2019 import reported

EXAMPLE_ALPHAS = (0.0, 5.0, 10.0, 15.0)  # plain EAI, then the three magnifications of Sec. 3.1.1


def _fmt(value: Any) -> str:
    return "   -  " if value is None or (isinstance(value, float) and not np.isfinite(value)) else f"{value:.4f}"


def config_from_results(results: Mapping[str, Any]):
    """The effective :class:`Kumar2019Config` of a finished run, rebuilt from results.json."""
    from common.config import apply_overrides
    from papers.kumar2019.config import Kumar2019Config

    def flatten(tree, prefix=""):
        out = {}
        for key, value in tree.items():
            if isinstance(value, Mapping):
                out.update(flatten(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = list(value) if isinstance(value, (list, tuple)) else value
        return out

    return apply_overrides(Kumar2019Config(), flatten(results.get("config", {})))


def tables_2_3_lines(results: Mapping[str, Any]) -> list[str]:
    """Table 2 (counts) and Table 3 (UAR, UF1) beside ours, and the tables' own consistency."""
    pooled = results["metrics"]["pooled"]
    per_fold = results["metrics"].get("per_fold", {})
    scopes = ("all",) + reported.DATABASES
    lines = ["Table 2 (samples per class) and subjects: paper / ours", ""]
    lines.append(f"{'':10s}" + "".join(f"{c:>16s}" for c in reported.CLASSES) + f"{'subjects':>16s}")
    for scope in scopes:
        matrix = np.asarray(pooled.get(scope, {}).get("confusion", np.zeros((3, 3))), dtype=int)
        ours = matrix.sum(axis=1)
        subjects = len(per_fold) if scope == "all" else sum(1 for f in per_fold.values() if scope in f)
        cells = "".join(f"{reported.TABLE_2[scope][c]:>9d} / {n:<4d}" for c, n in zip(reported.CLASSES, ours))
        lines.append(f"{reported.DATABASE_TITLES[scope]:10s}{cells}{reported.SUBJECTS[scope]:>9d} / {subjects:<4d}")
    lines += ["", "Table 3 (our approach): paper / ours, pooled over the LOSO folds (MEGC 2019 UF1 and UAR)", ""]
    lines.append(f"{'':10s}{'UAR paper':>11s}{'ours':>9s}{'UF1 paper':>11s}{'ours':>9s}")
    for scope in scopes:
        ours = pooled.get(scope, {})
        lines.append(f"{reported.DATABASE_TITLES[scope]:10s}{reported.TABLE_3[scope]['uar']:>11.4f}"
                     f"{_fmt(ours.get('uar')):>9s}{reported.TABLE_3[scope]['uf1']:>11.4f}{_fmt(ours.get('uf1')):>9s}")
    lines += ["", "Consistency of the paper's tables, computed by common.evaluation.metrics.scores_from_confusion",
              "from the confusion matrices of Tables 4-6 (and their sum for 'Combined'):", ""]
    lines.append(f"{'':10s}{'UF1 from matrix':>17s}{'Table 3 UF1':>13s}{'UAR from matrix':>17s}{'Table 3 UAR':>13s}")
    check = reported.confusion_consistency()
    for scope in reported.DATABASES + ("all",):
        c = check[scope]
        lines.append(f"{reported.DATABASE_TITLES[scope]:10s}{c['uf1']:>17.4f}{c['table3_uf1']:>13.4f}"
                     f"{c['uar']:>17.4f}{c['table3_uar']:>13.4f}")
    lines += ["", "CASME II (Table 5) and SAMM (Table 6) reproduce Table 3 exactly. For SMIC, Table 4 gives",
              "UF1 0.7621 and UAR 0.7452, which are Table 3's SMIC UAR (0.7621) and UF1 (0.7451): the two",
              "values appear swapped in Table 3. The sum of Tables 4-6 (the composite's matrix) gives UF1",
              "0.7785 and UAR 0.7512, which match neither of Table 3's combined values (0.7603 / 0.7355)."]
    return lines


def confusion_matrices(results: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """{panel title: matrix}: Tables 4-6 beside our pooled matrices, per database."""
    pooled = results["metrics"]["pooled"]
    panels = {}
    for db in reported.DATABASES:
        title = reported.DATABASE_TITLES[db]
        panels[f"{title}, paper ({reported.CONFUSION_TABLES[db]})"] = reported.CONFUSION[db]
        panels[f"{title}, ours"] = np.asarray(pooled.get(db, {}).get("confusion", np.zeros((3, 3))), dtype=int)
    return panels


def loso_pages(pdf, results: Mapping[str, Any], context: Mapping[str, Any]) -> None:
    """Tables 2-3 beside ours, Tables 4-6 beside our confusion matrices, example EAIs per class."""
    import matplotlib.pyplot as plt

    from common.reporting import figures

    fig = figures.text_page("kumar2019: Tables 2 and 3 beside ours", tables_2_3_lines(results))
    pdf.savefig(fig)
    plt.close(fig)
    fig = figures.confusion_page("kumar2019: Tables 4-6 (paper) beside our confusion matrices",
                                 confusion_matrices(results), reported.CLASSES,
                                 subtitle="rows: true class, columns: predicted; ours pooled over the LOSO folds")
    pdf.savefig(fig)
    plt.close(fig)
    example_page(pdf, results, context)


def example_page(pdf, results: Mapping[str, Any], context: Mapping[str, Any]) -> None:
    """One clip per class: its first face frame, the plain EAI and the EAIs at alpha 5, 10, 15 (and, with
    ``model.eai_reference="first_frame"``, the network's input: the test EAI minus the first registered frame)."""
    import matplotlib.pyplot as plt

    from common.datasets import load
    from common.reporting import figures
    from papers.kumar2019 import protocol

    synthetic = results.get("corpus", {}).get("kind") == "synthetic"
    if not (bool(context.get("allow_faces")) or synthetic):
        fig = figures.text_page("kumar2019: example EAIs", [
            "Example Emotion Avatar Images are omitted: they show faces of a licensed database.",
            "Run with --allow-faces to include them (private use only)."])
        pdf.savefig(fig)
        plt.close(fig)
        return
    config = config_from_results(results)
    selection = protocol.make_selection({"megc2019": load("megc2019", Path(results["corpus"]["root"]))}, config)
    chosen = [int(np.flatnonzero(selection.labels == c)[0]) for c in range(len(selection.class_names))
              if np.any(selection.labels == c)]
    difference = config.model.eai_reference == "first_frame"  # the network input of the quick profile
    columns = 1 + len(EXAMPLE_ALPHAS) + int(difference)
    fig, axes = plt.subplots(len(chosen), columns, figsize=figures.A4, squeeze=False)
    fig.suptitle("kumar2019: first face frame, plain EAI, EAIs at alpha 5 / 10 / 15 (Sec. 3.1-3.4; "
                 f"band {config.magnification.low_hz:g}-{config.magnification.high_hz:g} Hz)"
                 + ("\nlast: test EAI minus first registered frame (x4 + 128)" if difference else ""), fontsize=9)
    for row, index in zip(axes, chosen):
        sample = selection.samples[index]
        eais = protocol.sample_eais(sample, EXAMPLE_ALPHAS, config)
        frames, _, _ = protocol.face_clip(sample, config.face)
        panels = [(frames[0], f"{sample.key}\n{selection.class_names[selection.labels[index]]}")]
        for alpha in EXAMPLE_ALPHAS:
            kept = eais[alpha]["kept"]
            label = "plain EAI" if alpha == 0 else f"alpha {alpha:g}"
            panels.append((eais[alpha]["eai"], f"{label}\n{int(kept.sum())}/{len(kept)} frames kept"))
        if difference:  # model.eai_reference="first_frame" (README ledger 21), shown amplified around grey
            first = protocol.sample_first_frame(sample, config).astype(np.float32)
            test_alpha = float(config.magnification.test_alpha)
            delta = protocol.sample_eais(sample, (test_alpha,), config)[test_alpha]["eai"].astype(np.float32) - first
            panels.append((np.clip(128.0 + 4.0 * delta, 0, 255).astype(np.uint8), f"alpha {test_alpha:g} - first frame"))
        for ax, (image, label) in zip(row, panels):
            ax.imshow(image)
            ax.set_title(label, fontsize=6)
            ax.axis("off")
    pdf.savefig(fig)
    plt.close(fig)


def _cross_name(train: str, test: str) -> str:
    return f"cross_{train}_to_{test}"


def table_7_lines(cells: Mapping[tuple[str, str], Mapping[str, Any] | None]) -> list[str]:
    """Table 7 beside ours: one line per (train, test) pair with the paper's and our UAR and UF1."""
    lines = ["Table 7: cross-dataset evaluation (train on one database, test on another)", "",
             f"{'train':10s}{'test':10s}{'UAR paper':>11s}{'ours':>9s}{'UF1 paper':>11s}{'ours':>9s}"]
    for (train, test), paper in reported.TABLE_7.items():
        ours = cells.get((train, test)) or {}
        lines.append(f"{reported.DATABASE_TITLES[train]:10s}{reported.DATABASE_TITLES[test]:10s}"
                     f"{paper['uar']:>11.4f}{_fmt(ours.get('uar')):>9s}{paper['uf1']:>11.4f}{_fmt(ours.get('uf1')):>9s}")
    lines += ["", "Ours: pooled scores of the one cross-dataset fold; '-' = not run (yet) in this output folder."]
    return lines


def cross_pages(pdf, results: Mapping[str, Any], context: Mapping[str, Any]) -> None:
    """Table 7 beside ours, drawn once: on the pages of the last cross-dataset experiment of the run;
    the other cells come from their results.json in the same output folder (this run or an earlier one)."""
    import matplotlib.pyplot as plt

    from common.reporting import figures

    names = [n for n in (context.get("experiments") or {}) if n.startswith("cross_")]
    if names and results.get("experiment") != names[-1]:
        return
    here = Path(results["outputs"]["dir"]) if results.get("outputs") else None
    cells: dict[tuple[str, str], Mapping[str, Any] | None] = {}
    for train, test in reported.CROSS_PAIRS:
        name = _cross_name(train, test)
        res = results if results.get("experiment") == name else None
        if res is None and here is not None:
            try:
                res = json.loads((here.parent / name / "results.json").read_text())
            except (OSError, ValueError):
                res = None
        cells[(train, test)] = (res or {}).get("metrics", {}).get("pooled", {}).get("all")
    fig = figures.text_page("kumar2019: Table 7 beside ours", table_7_lines(cells))
    pdf.savefig(fig)
    plt.close(fig)


__all__ = ["EXAMPLE_ALPHAS", "config_from_results", "tables_2_3_lines", "confusion_matrices", "loso_pages",
           "example_page", "table_7_lines", "cross_pages"]
