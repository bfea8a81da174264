"""Extra report pages of Talluri et al. (Appl. Sci. 2022): Table 1 counts, per-fold accuracies,
the five random splits of Sec. 8.1 (Fig. 4) and the Model-C tuning choices.

Signature ``f(pdf, results, context)`` as ``Experiment.report_pages``.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from papers.reddy2019.report import _save, fold_records
from papers.talluri2022 import reported as rep


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _selection_counts(records: list[dict], class_names: list[str]) -> dict[str, int]:
    """Per-class counts of the selection, from the first fold's train + test counts."""
    if not records:
        return {}
    counts = records[0].get("extra", {}).get("counts", {})
    return {name: int(sum(counts.get(name, [0, 0]))) for name in class_names}


def scenario_pages(pdf, results: Mapping[str, Any], context: Any = None) -> None:
    """Selection counts beside Table 1 and the accuracy of each fold."""
    from common.reporting.figures import table_pages

    records = fold_records(results)
    classes = list(results.get("class_names", []))
    datasets = results.get("corpus", {}).get("datasets", {})
    rows = []
    for database, count in datasets.items():
        paper = rep.TABLE1_COUNTS.get(database, {})
        rows.append([f"{database} (whole selection)", str(paper.get("total", "-")), str(count)])
        for name in classes:
            rows.append([f"  {name}", str(paper.get(name, "-")), ""])
    ours = _selection_counts(records, classes)
    for name in classes:
        rows.append([f"selection {name} (all databases)", "", str(ours.get(name, "-"))])
    rows.append(["", "", ""])
    for record in records:
        y_true, y_pred = np.asarray(record.get("y_true", [])), np.asarray(record.get("y_pred", []))
        accuracy = float(np.mean(y_true == y_pred)) if len(y_true) else None
        rows.append([f"fold {record['fold']} accuracy", "", _pct(accuracy)])
    for fig in table_pages(f"Talluri et al.: {results.get('experiment', '')}", ["quantity", "paper", "ours"], rows,
                           subtitle="Table 1 counts per database (SMIC: positive -> happy, negative -> disgust, "
                                    "assumed); Table 1 lists SAMM disgust 15 / surprise 9, the release has 9 / 15."):
        _save(pdf, fig)


def split_run_pages(pdf, results: Mapping[str, Any], context: Any = None) -> None:
    """Sec. 8.1: accuracy of each random split (paper: Run-1 85.2%, Run-3 45%) and the Fig. 4 curves."""
    from common.reporting.figures import curves_page, table_pages

    records = fold_records(results)
    rows = []
    for record in records:
        y_true, y_pred = np.asarray(record.get("y_true", [])), np.asarray(record.get("y_pred", []))
        accuracy = float(np.mean(y_true == y_pred)) if len(y_true) else None
        paper = {"run1": rep.SPLIT_RUNS["best"], "run3": rep.SPLIT_RUNS["worst"]}.get(record["fold"])
        rows.append([record["fold"], _pct(paper), _pct(accuracy)])
    for fig in table_pages("Sec. 8.1: five random train-test splits (Split Model, CASME II)",
                           ["run", "paper", "ours"], rows,
                           subtitle="The paper gives Run-1 (85.2%) and Run-3 (45%); the other three lie between."):
        _save(pdf, fig)
    histories = {r["fold"]: {k: v for k, v in r.get("history", {}).items() if k.startswith("val_accuracy")}
                 for r in records}
    _save(pdf, curves_page("Fig. 4: accuracy on the test split per epoch (monitoring only)", histories))


def tuning_pages(pdf, results: Mapping[str, Any], context: Any = None) -> None:
    """The Model-C configuration keras-tuner chose on each training fold."""
    from common.reporting.figures import table_pages

    rows = []
    for record in fold_records(results):
        chosen = record.get("extra", {}).get("chosen", {})
        rows.append([record["fold"]] + [str(chosen.get(k, "-")) for k in
                                        ("filters", "dense_units", "dropout", "learning_rate")]
                    + [_pct(chosen.get("inner_accuracy"))])
    for fig in table_pages("Model-C: configuration chosen on each training fold (keras-tuner grid)",
                           ["fold", "filters", "dense units", "dropout", "learning rate", "inner val. accuracy"], rows,
                           subtitle="Sec. 5.4 assumes 32 filters, 128 units, dropout 0.5; Sec. 6.3 lr 0.001. "
                                    "Trials are scored on a stratified hold-out of the training fold only."):
        _save(pdf, fig)
