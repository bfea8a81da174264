"""Our numbers beside the papers': one row per ``Reported`` value (results.json ``comparison``)."""
from __future__ import annotations

import math
from typing import Any
from collections.abc import Mapping


def _fold_extra_metric(records: list[dict], reported: Any) -> float | None:
    """A metric a single-fold experiment's ``run_fold`` computed under its own aggregation name:
    ``extra["aggregations"][aggregation][scope][metric]`` (e.g. Reddy's whole-set accuracy, which is
    not a score of the fold's test predictions). None unless exactly one fold is ok."""
    ok = [r for r in records if r.get("status") == "ok"]
    if len(ok) != 1:
        return None
    value = (ok[0].get("extra", {}).get("aggregations", {}).get(reported.aggregation, {})
             .get(reported.scope, {}).get(reported.metric))
    return None if value is None else float(value)


def comparison_rows(reported_values, aggregated: Mapping[str, Any], records: list[dict], *,
                    synthetic: bool = False) -> list[dict]:
    """One row per ``Reported``: the paper's number, ours and ours - paper. A number marked not
    comparable (``Reported.comparable=False``) gets no difference, so no summary of differences counts it;
    nor does any number of a run on the ``synthetic`` corpus, whose scores test the code, never the method (the
    paper's number stays beside ours as context, as the report's first page shows it).

    A published number the authors' own artefact does not reproduce (``Reported.recomputed``) keeps its
    place in ``reported``; the row also carries ``recomputed`` and ``recomputed_note``, and its difference
    is ours - recomputed (``compared_with``: "recomputed"; "published" otherwise)."""
    rows = []
    for reported in reported_values:
        ours = aggregated.get(reported.aggregation, {}).get(reported.scope, {}).get(reported.metric)
        if ours is None and reported.aggregation not in ("pooled", "fold_mean"):
            ours = _fold_extra_metric(records, reported)
        ours = None if ours is None or not math.isfinite(ours) else float(ours)
        rows.append({"metric": reported.metric, "scope": reported.scope, "aggregation": reported.aggregation,
                     "reported": reported.value, "ours": ours,
                     "difference": (None if ours is None or not reported.comparable or synthetic
                                    else ours - reported.reference_value),
                     "source": reported.source, "note": reported.note, "comparable": bool(reported.comparable),
                     "recomputed": reported.recomputed, "recomputed_note": reported.recomputed_note,
                     "compared_with": reported.compared_with})
    return rows


def released_weights_record(folder: str, records: list[dict], stated: Any = ()) -> dict[str, Any]:
    """``results.json``'s ``"released_weights"`` of a run that evaluated the authors' released weights
    (``--weights``) instead of training: the folder, the source of the numbers the artefact states
    (``Experiment.weights_reported``), and the per-clip agreement with the artefact's own log where each fold
    counted it (``extra["released_log"]``: ``log``, ``clips``, ``agree``, ``note``), summed over the folds.
    ``log`` is None when no fold found a log; ``notes`` says each reason a fold was not compared, once."""
    found = [(r.get("extra") or {}).get("released_log") for r in records if r.get("status") == "ok"]
    logs: list[Mapping[str, Any]] = [entry for entry in found if isinstance(entry, Mapping)]
    compared = [entry for entry in logs if entry.get("clips")]
    files = list(dict.fromkeys(str(entry["log"]) for entry in compared))
    log = None
    if compared:
        log = {"file": files[0] if len(files) == 1 else ", ".join(files), "folds": len(compared),
               "folds_total": len(logs), "clips": int(sum(entry["clips"] for entry in compared)),
               "agree": int(sum(entry.get("agree", 0) for entry in compared))}
    return {"folder": str(folder), "trained": False,
            "stated_source": "; ".join(dict.fromkeys(r.source for r in stated)) or None, "log": log,
            "notes": list(dict.fromkeys(str(entry["note"]) for entry in logs if entry.get("note")))}

