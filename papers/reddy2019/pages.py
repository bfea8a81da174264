"""Extra report pages of Reddy et al. (IJCNN 2019): Tables IV, VI-IX and the saliency maps of Fig. 4.

Each function has the ``Experiment.report_pages`` signature ``f(pdf, result, context)``: ``pdf`` is a
matplotlib ``PdfPages``, ``result`` the experiment's ``common.harness.ExperimentResult`` (its
``summary`` = results.json, its fold ``records`` with their ``extra``, its typed ``config``), ``context``
the ``ReportContext`` whose ``allow_faces`` says whether face images may be embedded. Pages only draw:
the saliency maps are the ``.npz`` each fold wrote during the run (its path in ``extra["saliency"]``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from collections.abc import Mapping

import numpy as np

from common.harness import ExperimentResult, ReportContext
from papers.reddy2019 import reported as rep


def _save(pdf, fig) -> None:
    """Add ``fig`` to the PDF and close it (pyplot keeps open figures alive)."""
    import matplotlib.pyplot as plt

    pdf.savefig(fig)
    plt.close(fig)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def holdout_pages(pdf, result: ExperimentResult, context: ReportContext) -> None:
    """Table IV counts, Table VIII stability, Tables VI/VII confusion and Fig. 4 saliency pages."""
    from common.reporting.figures import confusion_page, table_pages

    results = result.summary  # the experiment's results.json, in memory
    database, model, variant = result.config.data.database, result.config.model.name, result.config.protocol.variant
    records = result.records
    extra = records[0].get("extra", {}) if records else {}

    rows = []
    counts = extra.get("counts", {})
    paper_counts = rep.TABLE4_COUNTS[database]
    for name in list(results.get("class_names", [])) + ["total"]:
        ours = counts.get(name)
        paper = paper_counts.get(name)
        rows.append([name, "-" if paper is None else f"{paper[0]} = {paper[1]} + {paper[2]}",
                     "-" if ours is None else f"{ours[0]} = {ours[1]} + {ours[2]}"])
    table8 = extra.get("table8", {})
    mean, std = rep.TABLE8_MEAN_STD[(database, model)]
    rows.append(["", "", ""])
    measured = (("paper: whole set; ours: " + extra.get("validation", "20% split"))
                if rep.is_whole_set(database, model) else "20% split")
    rows.append(["Table VIII (val. acc. epochs " + "-".join(str(e) for e in (table8.get("epochs") or ["?"]))
                 + f"; {measured})",
                 f"{100 * mean:.2f} +/- {100 * std:.2f}%",
                 "-" if table8.get("mean") is None else f"{100 * table8['mean']:.2f} +/- {100 * table8['std']:.2f}%"])
    rows.extend(table5_rows(database, model, variant, results, extra))
    if "best_epoch" in extra:  # the paper's "validation" data: under its protocol, the test split itself
        picked_on = extra.get("validation", "validation data")
        # the 20% split is the test split; the whole set holds it
        split = "includes the test split" if "whole" in str(picked_on) else "the test split"
        rows.append([f"best epoch on the {picked_on}" + (f" ({split}: selected on the test data)"
                                                         if results.get("selected_on_test") else ""), "-",
                     str(extra["best_epoch"])])
    rows.extend(overlap_rows(extra.get("window_overlap")))
    rows.extend(literature_rows(database))
    for fig in table_pages(f"Reddy et al.: {results.get('experiment', '')}", ["quantity", "paper", "ours"], rows,
                           subtitle=_marks(results) + f"Table IV: total = training + validation. Protocol variant: "
                                    f"{variant}. "
                                    f"{_casme_sq_selection(result.config)}"
                                    "Table V: MicroExpSTCNN on the 20% split, MicroExpFuseNets on the WHOLE set."):
        _save(pdf, fig)

    confusion = results.get("metrics", {}).get("pooled", {}).get("all", {}).get("confusion")
    paper_matrix = {"casme_sq": rep.TABLE6_CONFUSION, "smic": rep.TABLE7_CONFUSION}[database]
    if confusion is not None and model == "microexpstcnn":
        table = "VI" if database == "casme_sq" else "VII"
        _save(pdf, confusion_page(f"Confusion matrices (paper Table {table} vs ours)",
                                   {f"paper Table {table}": paper_matrix["matrix"], "ours": confusion},
                                   list(paper_matrix["classes"])))
    for record in records:
        saliency = record.get("extra", {}).get("saliency", {})
        if saliency.get("path") and Path(saliency["path"]).exists():  # written by run_fold (write_saliency)
            _save(pdf, saliency_figure(Path(saliency["path"]), context.allow_faces, list(result.selection.class_names)))


def _marks(results: Mapping[str, Any]) -> str:
    """The run's marks leading a page's subtitle: the synthetic corpus, a partial run, folds left out
    (``tables.score_marks``) and an epoch picked on the test data (``tables.selection_mark``: the paper protocol's
    best epoch on the 20% split that is also its test split)."""
    from common.reporting.tables import score_marks, selection_mark  # the reporting package loads matplotlib

    marks = score_marks(results) + [mark for mark in [selection_mark(results)] if mark]
    return "".join(f"{mark}. " for mark in marks)


def _casme_sq_selection(config) -> str:
    """What the CAS(ME)^2 clips are (README 'Selection', ledgers 5 and 24); nothing for SMIC."""
    if config.data.database != "casme_sq":
        return ""
    types = config.data.casme_sq_types
    kinds = "micro-expressions (Sec. IV-A)" if tuple(types) == ("micro",) else " and ".join(types) + "-expressions"
    return (f"Our CAS(ME)^2 clips: one apex-centred window per coded {kinds} (README 'Selection'); the real "
            "code file has 57 micro-expressions, so Table IV's 206 cannot be reached. ")


def table5_rows(database: str, model: str, variant: str, results: Mapping[str, Any],
                extra: Mapping[str, Any]) -> list[list[str]]:
    """Table V's row for this model, labelled with what each side measured (README ledger 11)."""
    paper = rep.TABLE5_ACCURACY[(database, model)]
    split = _pct(results.get("metrics", {}).get("pooled", {}).get("all", {}).get("accuracy"))
    if not rep.is_whole_set(database, model):
        return [["Table V accuracy (20% split; ours: 20% split)", _pct(paper), split]]
    k, n = rep.TABLE5_WHOLE_SET_FRACTIONS[(database, model)]
    whole = extra.get("whole_set", {})
    if variant == "whole_set":
        ours = "-" if not whole else f"{_pct(whole.get('accuracy'))} = {whole.get('correct')}/{whole.get('n')}"
        return [["Table V accuracy (WHOLE SET, as published; ours: whole set)", f"{_pct(paper)} = {k}/{n}", ours],
                ["  ours on the 20% split (same model)", "-", split]]
    return [["Table V accuracy (paper: WHOLE SET; ours: 20% split, NOT comparable)", f"{_pct(paper)} = {k}/{n}",
             split]]


def overlap_rows(overlap: Mapping[str, Any] | None) -> list[list[str]]:
    """CAS(ME)^2: frames shared by test windows and training windows of the same long video."""
    if not overlap:
        return []

    def text(o: Mapping[str, Any]) -> str:
        if not o.get("sharing"):
            return f"0 of {o.get('test_windows')} test windows"
        return (f"{o['sharing']} of {o['test_windows']} test windows share "
                f"{100 * o['min_share']:.0f}-{100 * o['max_share']:.0f}% of their frames, {o['identical']} identical")
    return [["test windows overlapping a training window (as-published split)", "-", text(overlap["as_published"])],
            [f"  this split (training windows dropped: {overlap.get('dropped_training_windows', 0)})", "-",
             text(overlap["this_split"])]]


def literature_rows(database: str) -> list[list[str]]:
    """Table V's other methods (as published, "taken from its source papers"; their protocols differ)."""
    column: Literal[4, 5] = 4 if database == "casme_sq" else 5
    return [[f"Table V (as published): {method} {ref}, {year}, {kind}", _pct(row[column]), "-"]
            for row in rep.TABLE5_LITERATURE for method, ref, year, kind in [row[:4]] if row[column] is not None]


def saliency_figure(path: Path, allow_faces: bool, class_names: list[str]):
    """Fig. 4: per clip a row of frames (only with ``allow_faces``) and a row of binarised saliency.

    Binarisation (the paper: "binarized for better visualization", rule not given): a pixel is on
    when its saliency is in the top 10% of its frame.
    """
    import matplotlib.pyplot as plt

    from common.reporting.arrays import load_fold_arrays
    from common.reporting.figures import A4

    data = load_fold_arrays(path)
    if data is None:
        raise ValueError(f"{path}: the saliency arrays cannot be read")
    saliency, frames = data["saliency"].astype(np.float32), data["frames"]
    predicted, true, keys = data["predicted"], data["true"], data["keys"]
    clips, n_frames = saliency.shape[0], saliency.shape[-1]
    rows_per_clip = 2 if allow_faces else 1
    fig, axes = plt.subplots(clips * rows_per_clip, n_frames, figsize=A4, squeeze=False)
    note = "" if allow_faces else " (faces hidden: licensed data; rerun the report with faces allowed to show them)"
    fig.suptitle("Fig. 4: saliency of the predicted class score" + note, fontsize=10, x=0.05, ha="left")
    for c in range(clips):
        threshold = np.quantile(saliency[c], 0.9, axis=(0, 1), keepdims=True)
        binary = saliency[c] >= np.maximum(threshold, 1e-12)
        for f in range(n_frames):
            if allow_faces:
                axes[c * 2, f].imshow(frames[c, ..., f], cmap="gray")
            axes[c * rows_per_clip + rows_per_clip - 1, f].imshow(binary[..., f], cmap="gray")
        label = f"{keys[c]}\ntrue {class_names[int(true[c])] if class_names else true[c]}, " \
                f"pred {class_names[int(predicted[c])] if class_names else predicted[c]}"
        axes[c * rows_per_clip, 0].set_ylabel(label, fontsize=5, rotation=0, ha="right", va="center")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def kernel_study_pages(pdf, result: ExperimentResult, context: ReportContext) -> None:
    """Table IX: accuracy per kernel size, paper vs ours (best epoch and last epoch on the 20% split)."""
    from common.reporting.figures import table_pages

    records = result.records
    kernels = records[0].get("extra", {}).get("kernels", {}) if records else {}
    rows = []
    for (a, b, c), paper in rep.TABLE9_KERNEL_ACCURACY.items():
        ours = kernels.get(f"{a}x{b}x{c}", {})
        rows.append([f"{a} x {b} x {c}", _pct(paper), _pct(ours.get("best_epoch_accuracy")),
                     _pct(ours.get("last_epoch_accuracy")), _pct(ours.get("accuracy"))])
    for fig in table_pages("Table IX: MicroExpSTCNN kernel sizes on CAS(ME)^2",
                           ["kernel (rows x cols x frames)", "paper", "ours best epoch", "ours last epoch",
                            "ours (protocol)"], rows,
                           subtitle=_marks(result.summary) + "'-': kernel not in this profile's grid. 'ours "
                                    "(protocol)' is the trial objective: best epoch under the paper protocol (picked "
                                    "on the 20% split it is scored on), last epoch under leakage_free."):
        _save(pdf, fig)
