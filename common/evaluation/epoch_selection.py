"""The epoch-selection gauge: what reading the test fold to pick an epoch adds to a score.

docs/methods.md §9.4 defines the three selections. (a) the protocol's own is the run's score. From the
test part's predicted classes after every epoch (``FoldContext.record_epochs``; each fold record's
``extra["epoch_predictions"]``, written by ``common.running.fold.epoch_extra``) this module computes

- (b) ``best_epoch_per_fold``: each fold at the epoch of its best test accuracy (under LOSO a fold is one
  subject: HTNet's and CausalNet's published selection);
- (c) ``best_single_epoch``: one epoch for every fold, the epoch whose pooled score over all folds is
  best, chosen per metric on scope "all" (the per-database scopes are read at that epoch), over the
  epochs every fold recorded.

Ties go to the earliest epoch (CausalNet's ``<``; ``ties="latest"`` for (b) keeps the last of the tied epochs,
as ``main_HTNet.py``'s ``<=`` does: a method's ``Experiment.best_epoch_ties``, which its runs pass). Each comes
with the subject-bootstrap interval of its pooled score and its inflation over (a) with a paired subject-bootstrap
interval (``statistics.compare``: the same subjects drawn for both; the chosen epochs stay as chosen on the full
data). The same folds and clips as (a): the folds ``metrics.aggregate`` scores. Results are ``results.json``'s
``"epoch_selection"``::

    {"status": "measured" | "n/a", "reason" (why n/a), "how", "ties" (one of TIES), "cite" (CITE_HONEST),
     "protocol" (the label of (a)), "protocol_selects_on_test" (the run's own epoch was picked on the test
     data), "model", "folds", "epochs": {"min", "max"},
     "selections": {name (in SELECTIONS' order): {"label", "epochs": {fold: e} | {metric: e},
                           "scopes": {scope: {metric: {"estimate", "low", "high", "honest", "inflation",
                                                       "inflation_low", "inflation_high", "p_value"}}}}}}

Methods without epochs (the linear SVMs) are "n/a".
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from common.datasets.released import list_key
from common.datasets.tables import ascii_digits
from common.evaluation import metrics
from common.files import atomic_write, bounded_lines, LineTooLong, open_regular, csv_writer, csv_text
from common.evaluation import statistics as st
from common.experiment import TIES

EPOCH_PREDICTIONS = "epoch_predictions"  # the fold record's extra key
SELECTIONS = ("best_epoch_per_fold", "best_single_epoch")
LABELS = {"protocol": "the protocol's own epoch (honest)",
          "best_epoch_per_fold": "best test epoch per fold (per subject under LOSO)",
          "best_single_epoch": "best single epoch across all folds"}
SHORT = {"best_epoch_per_fold": "best epoch per subject", "best_single_epoch": "best single epoch"}
HOW = ("(b) each fold's predictions at the epoch of its best test accuracy; (c) every fold at the one epoch "
       "whose pooled score is best (per metric, on all clips); {ties}; intervals: "
       f"{int(100 * st.REPORT_LEVEL)}% {st.REPORT_METHOD} bootstrap over subjects ({st.DEFAULT_RESAMPLES} "
       "resamples, seed 0), the inflation's paired (docs/methods.md §9.4)")
HOW_TIES = {"earliest": "ties to the earliest epoch",  # a sentence for each of TIES (common.experiment's)
            "latest": "ties: (b) to the latest of a fold's tied epochs, (c) to the earliest"}
# One sentence, wherever the gauge is shown: why (a) is the number to cite.
CITE_HONEST = ("Cite the protocol's own score: (b) and (c) choose the epoch with the test labels, so they "
               "measure the luck of the selection, not how the method does on a subject it has not seen.")
# The same place, where the protocol itself picks its epoch on the test data (``selected_on_test``).
CITE_SELECTED = ("No score here is held out: the protocol's own epoch is itself chosen with the test labels, as (b) "
                 "and (c) are, so none of them says how the method does on data it has not seen.")
SELECTED_KEY = "selected_on_test"  # the fold record's extra key (common.experiment.FoldOutcome)


def selected_on_test(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """What each scored fold's predictions were selected by on its test data, in words (``extra``'s
    :data:`SELECTED_KEY`), for the folds of ``records`` whose run says so; [] for a held-out run. A record written
    before runs said so, which names the ``best_epoch`` it restored (reddy2019's paper protocol restored the best
    epoch on its test split), counts as selected too: reused by a later run, it would otherwise read as held out."""
    chosen = []
    for record in records:
        extra = record.get("extra") or {}
        if record.get("status") != "ok":
            continue
        if extra.get(SELECTED_KEY):
            chosen.append(str(extra[SELECTED_KEY]))
        elif extra.get("best_epoch") is not None:
            chosen.append(f"its best validation epoch ({extra['best_epoch']}), restored after training (a fold "
                          "record older than the note of what that validation data was: taken as the test data)")
    return chosen


def epoch_rows(record: Mapping[str, Any]) -> np.ndarray | None:
    """(E, n_test) recorded classes of one fold, or None when the fold has no usable record."""
    entry = (record.get("extra") or {}).get(EPOCH_PREDICTIONS)
    if not isinstance(entry, Mapping) or not entry.get("y_pred"):
        return None
    rows = np.asarray(entry["y_pred"], dtype=int)
    return rows if rows.ndim == 2 and rows.shape[1] == len(record["y_pred"]) else None


def unavailable(records: Sequence[Mapping[str, Any]], scored: Sequence[Mapping[str, Any]],
                rows: Sequence[np.ndarray | None]) -> str:
    """Why there is no gauge (one sentence), or ``""``."""
    if not scored:
        return "no fold was scored"
    missing = [r["fold"] for r, e in zip(scored, rows) if e is None]
    if not missing:
        return ""
    if len(missing) == len(scored) and not any(r.get("history") for r in records):
        return "the method trains no epochs (a fitted classifier)"
    return (f"{len(missing)} of {len(scored)} scored folds hold no per-epoch test predictions (first: "
            f"{missing[0]}): a run with --no-epoch-gauge, or folds reused from one; --fresh records them")


def best_epoch_per_fold(y_true: np.ndarray, rows: np.ndarray, ties: str = "earliest") -> int:
    """(b): the 0-based epoch of the best test accuracy of one fold, the earliest among ties, or the latest with
    ``ties="latest"`` (an authors' loop that keeps an epoch whose accuracy equals the best so far)."""
    if ties not in TIES:
        raise ValueError(f"ties={ties!r}: expected one of {', '.join(TIES)}")
    accuracy = (rows == y_true[None, :]).mean(axis=1)
    if ties == "latest":
        return len(accuracy) - 1 - int(np.argmax(accuracy[::-1]))
    return int(np.argmax(accuracy))


def best_single_epoch(y_true: np.ndarray, rows: np.ndarray, k: int, metric: str, absent: str) -> int:
    """(c): the 0-based epoch whose pooled ``metric`` over all folds' samples is best (rows (E, N): every
    fold's classes at each epoch, concatenated), the earliest among ties."""
    scores = [metrics.scores(y_true, row, k, absent)[metric] for row in rows]
    return int(np.nanargmax(np.where(np.isfinite(scores), scores, -np.inf)))


def _at(scored: Sequence[Mapping[str, Any]], chosen: Sequence[np.ndarray]) -> list[dict[str, Any]]:
    """The scored records with their predictions replaced by ``chosen`` (one array per record)."""
    return [{**r, "y_pred": [int(v) for v in c]} for r, c in zip(scored, chosen)]


def at_best_epoch_per_fold(records: Sequence[Mapping[str, Any]], nan_policy: str = "exclude",
                           ties: str = "earliest") -> list[dict[str, Any]]:
    """(b)'s fold records: each scored fold's predictions at the epoch of its best test accuracy (the
    selection HTNet's and CausalNet's published numbers make; ``ties``: :func:`best_epoch_per_fold`'s);
    ``ValueError`` when a scored fold has no per-epoch record."""
    scored = st.scored_records(records, nan_policy)
    rows = [epoch_rows(r) for r in scored]
    missing = [r["fold"] for r, e in zip(scored, rows) if e is None]
    if missing:
        raise ValueError(f"{len(missing)} scored folds hold no per-epoch test predictions (first: {missing[0]})")
    chosen = [e[best_epoch_per_fold(np.asarray(r["y_true"], dtype=int), e, ties)] for r, e in zip(scored, rows)
              if e is not None]
    return _at(scored, chosen)


def _entries(honest: st.Predictions, selected: st.Predictions, k: int, scopes: Sequence[str],
             metric_list: Sequence[str], absent: str) -> dict[str, dict[str, Any]]:
    """{scope: {metric: estimate, interval, inflation and its paired interval}} for scopes of 2+ subjects."""
    out: dict[str, dict[str, Any]] = {}
    for scope in scopes:
        try:
            a, b = st.select(honest, scope), st.select(selected, scope)
        except ValueError:  # no sample of this scope among the scored folds
            continue
        if len(st.subject_units(a)[1]) < 2:
            continue
        out[scope] = {}
        for metric in metric_list:
            interval = st.bootstrap_interval(b, k, metric, n_resamples=st.DEFAULT_RESAMPLES, level=st.REPORT_LEVEL,
                                             method=st.REPORT_METHOD, seed=st.REPORT_SEED, absent=absent)
            paired = st.compare(b, a, k, metric, names=("selected", "honest"), n_resamples=st.DEFAULT_RESAMPLES,
                                level=st.REPORT_LEVEL, method=st.REPORT_METHOD, seed=st.REPORT_SEED, absent=absent)
            out[scope][metric] = {"estimate": interval.estimate, "low": interval.low, "high": interval.high,
                                  "honest": paired.b_score, "inflation": paired.difference,
                                  "inflation_low": paired.low, "inflation_high": paired.high,
                                  "p_value": paired.p_value}
    return out


def epoch_selection(records: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], *,
                    ties: str = "earliest") -> dict[str, Any]:
    """``results.json``'s ``"epoch_selection"`` (module docstring) from an experiment's fold records and
    its summary so far (``metrics``, ``class_names``, ``metrics_reported``, ``scopes``); ``ties``: (b)'s rule
    among a fold's epochs of equal test accuracy (:func:`best_epoch_per_fold`)."""
    aggregated = summary.get("metrics", {})
    nan_policy, absent = aggregated.get("nan_policy", "exclude"), aggregated.get("absent", "exclude")
    scored = st.scored_records(records, nan_policy)
    rows = [epoch_rows(r) for r in scored]
    reason = unavailable(records, scored, rows)
    if reason:
        return {"status": "n/a", "reason": reason}
    k = len(summary.get("class_names") or ()) or 1 + max(max(max(r["y_true"]), max(r["y_pred"])) for r in scored)
    metric_list = [m for m in summary.get("metrics_reported", st.METRICS) if m in st.METRICS]
    scopes = [s for s in summary.get("scopes") or ("all",)]
    honest = st.from_records(scored, nan_folds=nan_policy, source="protocol's own epoch")
    present = [np.asarray(e) for e in rows if e is not None]
    counts = [len(e) for e in present]
    y_true = [np.asarray(r["y_true"], dtype=int) for r in scored]

    per_fold = [best_epoch_per_fold(t, e, ties) for t, e in zip(y_true, present)]
    selected = st.from_records(_at(scored, [e[i] for e, i in zip(present, per_fold)]), nan_folds=nan_policy,
                               source=LABELS["best_epoch_per_fold"])
    selections: dict[str, Any] = {"best_epoch_per_fold": {
        "label": LABELS["best_epoch_per_fold"],
        "epochs": {r["fold"]: i + 1 for r, i in zip(scored, per_fold)},
        "scopes": _entries(honest, selected, k, scopes, metric_list, absent)}}

    common = min(counts)
    stacked = np.concatenate([e[:common] for e in present], axis=1)  # (E, N) in the scored records' order
    single: dict[str, Any] = {"label": LABELS["best_single_epoch"], "epochs": {}, "scopes": {}}
    for metric in metric_list:
        epoch = best_single_epoch(np.concatenate(y_true), stacked, k, metric, absent)
        at_epoch = st.from_records(_at(scored, [e[epoch] for e in present]), nan_folds=nan_policy,
                                   source=LABELS["best_single_epoch"])
        single["epochs"][metric] = epoch + 1
        for scope, values in _entries(honest, at_epoch, k, scopes, [metric], absent).items():
            single["scopes"].setdefault(scope, {}).update(values)
    selections["best_single_epoch"] = single
    models = sorted({str((r.get("extra") or {})[EPOCH_PREDICTIONS].get("model", "")) for r in scored})
    chosen = selected_on_test(scored)
    protocol = (f"the protocol's own epoch, itself SELECTED ON THE TEST DATA ({chosen[0]})" if chosen
                else LABELS["protocol"])
    return {"status": "measured", "reason": "", "how": HOW.format(ties=HOW_TIES[ties]), "ties": ties,
            "cite": CITE_SELECTED if chosen else CITE_HONEST, "protocol": protocol,
            "protocol_selects_on_test": bool(chosen), "model": ", ".join(models), "folds": len(scored),
            "epochs": {"min": common, "max": max(counts)}, "selections": selections}



# The per-epoch record shipped beside a predictions.csv (docs/predictions/<run>.epochs.csv): one row per test
# clip of every fold that recorded epochs, its fold, key and list_key as predictions.csv writes them (list_key:
# the clip as the MEGC 2019 composite's public list names it, ``common.datasets.released.list_key``) and the
# class the fold's network predicted after each epoch, one digit an epoch (epoch 1 first). With the
# predictions.csv it is everything the gauge reads, so anyone can recompute the last-epoch and the test-selected
# numbers. A record written before list_key was added (the header without it) is read as well.
EPOCH_CSV_COLUMNS = ("fold", "key", "list_key", "classes")
EPOCH_CSV_COLUMNS_BEFORE_LIST_KEY = ("fold", "key", "classes")
MAX_EPOCHS = 100_000  # a bound on a row read back (under the csv module's own field limit, 131,072)
MAX_EPOCH_CSV_BYTES = 64 * 2**20  # 442 clips x 500 epochs is 0.25 MB


def write_epoch_csv(path: str | Path, records: Sequence[Mapping[str, Any]]) -> int:
    """Write the per-epoch record of ``records`` (fold records, in their order) to ``path``; returns the rows
    written. Folds without a per-epoch record are left out (the reader then says the gauge is n/a)."""
    rows = []
    for record in records:
        epochs = epoch_rows(record)
        if epochs is None:
            continue
        if epochs.size and (epochs.min() < 0 or epochs.max() > 9):
            raise ValueError(f"fold {record['fold']}: a class index outside 0..9 cannot be written one digit an epoch")
        for j, key in enumerate(record["keys"]):
            rows.append((record["fold"], key, list_key(key), "".join(str(int(c)) for c in epochs[:, j])))
    with atomic_write(path, newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(EPOCH_CSV_COLUMNS)
        writer.writerows(rows)
    return len(rows)


def read_epoch_csv(path: str | Path) -> dict[tuple[str, str], str]:
    """``{(fold, key): classes}`` of a per-epoch record (:func:`write_epoch_csv`); ``ValueError`` naming the file
    and line for anything else (a missing column, a class that is not a digit, a row longer than
    :data:`MAX_EPOCHS`, a clip twice)."""
    path = Path(path)
    try:
        if not path.is_file():
            raise ValueError(f"{path}: no such file; expected a per-epoch record ({','.join(EPOCH_CSV_COLUMNS)})")
        if path.stat().st_size > MAX_EPOCH_CSV_BYTES:
            raise ValueError(f"{path}: {path.stat().st_size} bytes; a per-epoch record is at most "
                             f"{MAX_EPOCH_CSV_BYTES} bytes")
        out: dict[tuple[str, str], str] = {}
        with open_regular(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
            reader = csv.reader(bounded_lines(handle))
            header = tuple(next(reader, ()))
            if header not in (EPOCH_CSV_COLUMNS, EPOCH_CSV_COLUMNS_BEFORE_LIST_KEY):
                raise ValueError(f"{path}: expected the header {','.join(EPOCH_CSV_COLUMNS)}")
            for line, cells in enumerate(reader, start=2):
                row = [csv_text(cell) for cell in cells]  # as written (common.files.csv_cell)
                if len(row) != len(header):
                    raise ValueError(f"{path}, line {line}: expected {len(header)} cells ({','.join(header)})")
                fold, key, classes = row[0], row[1], row[-1]
                if not ascii_digits(classes) or len(classes) > MAX_EPOCHS:
                    raise ValueError(f"{path}, line {line}: expected fold, key and one class digit an epoch "
                                     f"(at most {MAX_EPOCHS} epochs)")
                if header == EPOCH_CSV_COLUMNS and row[2] != list_key(key):
                    raise ValueError(f"{path}, line {line}: list_key {row[2][:80]!r} is not the public list's name "
                                     f"of clip {key[:80]!r} ({list_key(key)[:80]!r})")
                if (fold, key) in out:
                    raise ValueError(f"{path}, line {line}: clip {key[:80]!r} of fold {fold[:80]!r} again")
                out[(fold, key)] = classes
        return out
    except LineTooLong as exc:
        raise ValueError(f"{path}: cannot be read as a per-epoch record ({exc})") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot be read as a per-epoch record ({type(exc).__name__})") from None


def records_of_files(predictions: str | Path, epochs: str | Path) -> list[dict[str, Any]]:
    """Fold records, as :func:`epoch_selection` reads them, from a shipped ``predictions.csv`` and its per-epoch
    record: each fold's clips in the csv's order, its last-epoch predictions and its per-epoch classes. A clip
    of the csv that the record lacks, or one epoch count differing within a fold, is a ``ValueError``."""
    by_clip = read_epoch_csv(epochs)
    rows = st.read_prediction_rows(predictions)
    folds: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(rows, start=1):
        if any(row[c] is None for c in st.PREDICTION_COLUMNS):  # a row of fewer cells than the header
            raise ValueError(f"{predictions}, row {n}: expected a cell in each of "
                             f"{', '.join(st.PREDICTION_COLUMNS)}")
        # at most 6 digits: int() refuses over 4,300, and a class index has one
        if not all(ascii_digits(row[c]) and len(row[c]) <= 6 for c in ("y_true", "y_pred")):
            raise ValueError(f"{predictions}, row {n}: y_true/y_pred hold a value that is not a class index")
        record = folds.setdefault(row["fold"], {"fold": row["fold"], "status": row["status"], "y_true": [],
                                                "y_pred": [], "subjects": [], "datasets": [], "keys": [],
                                                "classes": []})
        classes = by_clip.get((row["fold"], row["key"]))
        if classes is None:
            raise ValueError(f"{epochs}: no row for clip {row['key'][:80]!r} of fold {row['fold'][:80]!r} "
                             f"({predictions} has it)")
        for column, value in (("y_true", int(row["y_true"])), ("y_pred", int(row["y_pred"])),
                              ("subjects", row["subject"]), ("datasets", row["dataset"]), ("keys", row["key"]),
                              ("classes", classes)):
            record[column].append(value)
    out = []
    for name, record in folds.items():
        lengths = {len(c) for c in record["classes"]}
        if len(lengths) != 1:
            raise ValueError(f"{epochs}: fold {name}'s clips hold different numbers of epochs ({sorted(lengths)})")
        matrix = [[int(c) for c in column] for column in zip(*record.pop("classes"))]  # (E, n_test)
        record["extra"] = {EPOCH_PREDICTIONS: {"model": "", "y_pred": matrix}}
        out.append(record)
    if len(by_clip) != sum(len(r["keys"]) for r in out):
        raise ValueError(f"{epochs}: {len(by_clip)} clips, {predictions}: {sum(len(r['keys']) for r in out)}")
    return out
