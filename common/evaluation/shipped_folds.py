"""The shipped-fold format: a fold record of a real run as ``docs/predictions/<run>.folds/<fold>.json`` holds it
(:func:`ship_fold`: no weights, no machine paths; its per-epoch test classes one digit string a clip; probabilities
and histories at :data:`DIGITS` significant digits), its checks, and its reading back (:func:`read_shipped_fold`,
bounded like every JSON the suite reads: ``common.files.read_json``; :func:`unship_fold`, the fold record again).

One format, read by the results site (``common.leaderboard.site``) and written and resumed by
``benchmarks/shipped_folds.py`` (``benchmarks/reproduce.py`` on the CPU, ``benchmarks/gpu_check.py`` on a card).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from common import files
from common.datasets.released import list_key
from common.datasets.tables import ascii_digits
from common.evaluation.records import FOLD_SCHEMA, fold_record_problem

SHIPPED_SCHEMA = "mersuite.shipped-fold/1"
# A fold record's fields a shipped fold keeps as they are; it drops the machine's (the data root, the
# preprocessing cache's and the process's figures) and the fingerprint, which hashes the data root: a resume
# rebuilds both for the machine it runs on (seed_folds). It keeps the device and backend that trained the fold
# (``trained_on``; a fold shipped before records carried them has none).
SHIPPED_FIELDS = ("paper", "experiment", "profile", "seed", "config_hash", "fold", "status", "reason", "seconds",
                  "seconds_by_fold", "finished", "n_train", "n_test", "test_indices", "keys", "datasets", "subjects",
                  "y_true", "y_pred", "parameters", "trained_on")
# What a run's identity is made of besides the data root (the fold record's ``base``): a shipped fold is reused only
# by a run that agrees on every one, on the fold's training keys (``train_sha256``) and on its test keys.
BASE_FIELDS = ("paper", "experiment", "profile", "seed", "config_hash")
DIGITS = 6  # significant digits of the shipped probabilities and histories (predictions.csv writes 6)
MAX_SHIPPED_BYTES = 4 * 2**20  # a fold of the composite is about 30 kB
MAX_EPOCHS = 100_000  # a bound on an epoch string read back: no recipe of the suite trains more epochs

def _rounded(values: Any) -> Any:
    """``values`` (nested lists of floats, None kept) at :data:`DIGITS` significant digits."""
    if isinstance(values, list):
        return [_rounded(v) for v in values]
    return None if values is None else float(f"{values:.{DIGITS}g}")


def ship_fold(record: dict, train_digest: str) -> dict:
    """A fold record (``common.evaluation.records``) as a shipped fold: no weights, no machine paths.

    ``list_keys``: each test clip as the MEGC 2019 composite's public list names it (``released.list_key``; SMIC
    ``smic/s01/s01_ne_01`` where ``keys`` has the loaders' ``smic/s1/s1_ne_01``), the name to join on, as
    predictions.csv's ``list_key``. The per-epoch test predictions (the epoch gauge's
    ``extra["epoch_predictions"]``) become one string per test clip, one class digit an epoch (epoch 1 first), as
    docs/predictions' per-epoch records write them; the probabilities and histories keep :data:`DIGITS`
    significant digits; ``extra["flagged"]`` (one entry per clip, each with its reason) is grouped by stage and
    reason. :func:`unship_fold` is the inverse (``list_keys`` follow from ``keys``)."""
    from common.evaluation.epoch_selection import EPOCH_PREDICTIONS, epoch_rows

    extra = dict(record.get("extra") or {})
    epochs = epoch_rows(record)
    model = (extra.pop(EPOCH_PREDICTIONS, None) or {}).get("model", "")
    groups: dict[tuple[str, str], list[str]] = {}
    for entry in extra.pop("flagged", None) or []:
        groups.setdefault((entry["stage"], entry["reason"]), []).append(entry["key"])
    shipped = {"schema": SHIPPED_SCHEMA, **{k: record[k] for k in SHIPPED_FIELDS if k in record},
               "list_keys": [list_key(key) for key in record["keys"]], "train_sha256": train_digest,
               "probabilities": _rounded(record.get("probabilities")),
               "history": {name: _rounded(list(values)) for name, values in record["history"].items()},
               "epoch_model": None, "epoch_classes": None,
               "flagged": [{"stage": stage, "reason": reason, "keys": keys}
                           for (stage, reason), keys in groups.items()],
               "extra": extra}
    if epochs is not None:
        if epochs.size and (epochs.min() < 0 or epochs.max() > 9):
            raise ValueError(f"fold {record['fold']}: a class outside 0..9 cannot be written one digit an epoch")
        shipped["epoch_model"] = model
        shipped["epoch_classes"] = ["".join(str(int(c)) for c in column) for column in epochs.T]
    return shipped


def unship_fold(shipped: dict, data_root: str, fingerprint: str) -> dict:
    """The fold record of a shipped fold (:func:`ship_fold`) for a run at ``data_root`` whose runner gives the fold
    ``fingerprint``: what the runner reuses, the epoch gauge reads and predictions.csv is written from."""
    from common.evaluation.epoch_selection import EPOCH_PREDICTIONS

    record = {"schema": FOLD_SCHEMA, **{k: shipped[k] for k in SHIPPED_FIELDS if k in shipped},
              "data_root": data_root, "fingerprint": fingerprint, "probabilities": shipped["probabilities"],
              "history": shipped["history"], "extra": dict(shipped["extra"])}
    if shipped["epoch_classes"] is not None:
        rows = [[int(c) for c in epoch] for epoch in zip(*shipped["epoch_classes"])]  # (epochs, clips)
        record["extra"][EPOCH_PREDICTIONS] = {"model": shipped["epoch_model"], "y_pred": rows}
    flagged = [{"key": key, "reason": group["reason"], "stage": group["stage"]}
               for group in shipped["flagged"] for key in group["keys"]]
    if flagged:
        record["extra"]["flagged"] = flagged
    return record


def shipped_fold_problem(shipped: Any) -> str:
    """Why a parsed shipped fold file is not one (:func:`ship_fold`'s layout, the fold record's checks), or ``""``."""
    if not isinstance(shipped, dict) or shipped.get("schema") != SHIPPED_SCHEMA:
        return f"is not a shipped fold (schema {SHIPPED_SCHEMA!r} expected)"
    kinds: tuple[tuple[str, type | tuple[type, ...]], ...] = (
        ("train_sha256", str), ("history", dict), ("extra", dict), ("flagged", list),
        ("probabilities", (list, type(None))), ("epoch_classes", (list, type(None))),
        ("epoch_model", (str, type(None))), *((name, (str, int)) for name in BASE_FIELDS))
    for key, kind in kinds:
        if key not in shipped or not isinstance(shipped[key], kind) or isinstance(shipped[key], bool):
            return f"key {key!r} is missing or of another type"
    for group in shipped["flagged"]:
        if (not isinstance(group, dict) or not isinstance(group.get("stage"), str)
                or not isinstance(group.get("reason"), str) or not isinstance(group.get("keys"), list)
                or not all(isinstance(k, str) for k in group["keys"])):
            return "'flagged' holds an entry that is not {stage, reason, keys}"
    where = shipped.get("trained_on", {})
    if not isinstance(where, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in where.items()):
        return "'trained_on' is not a mapping of text to text (device, backend)"
    classes = shipped["epoch_classes"]
    if classes is not None:
        if len(classes) != len(shipped.get("y_pred") or []):
            return "'epoch_classes' does not hold one string per test clip"
        if not all(isinstance(c, str) and ascii_digits(c) and len(c) <= MAX_EPOCHS for c in classes):
            return f"'epoch_classes' holds a string that is not class digits (at most {MAX_EPOCHS} epochs)"
        if len({len(c) for c in classes}) > 1:
            return "'epoch_classes' holds clips with different numbers of epochs"
    problem = fold_record_problem(unship_fold(shipped, "", ""))
    # list_keys: a fold shipped before ship_fold wrote them has none (its keys name the clips all the same)
    if not problem and "list_keys" in shipped and shipped["list_keys"] != [list_key(k) for k in shipped["keys"]]:
        return "'list_keys' are not the public list's names of its 'keys'"
    return problem


UNNAMED_MACHINE = "a machine its fold records do not name (shipped before fold records named their device)"


def machine_words(record: dict, unnamed: str = UNNAMED_MACHINE) -> str:
    """The device and backend that trained a fold (its record's ``trained_on``) in words, ``"<device> (<backend>)"``;
    ``unnamed`` for a fold shipped before fold records named them."""
    where = record.get("trained_on") or {}
    if not where:
        return unnamed
    return f"{where.get('device', 'an unnamed device')} ({where.get('backend', 'an unnamed backend')})"


def machine_counts(records: list[dict], unnamed: str = UNNAMED_MACHINE) -> dict[str, int]:
    """How many of a run's folds each machine trained (:func:`machine_words`), in the order first met."""
    counts: dict[str, int] = {}
    for record in records:
        words = machine_words(record, unnamed)
        counts[words] = counts.get(words, 0) + 1
    return counts


def machines_text(records: list[dict], unnamed: str = UNNAMED_MACHINE) -> str:
    """``"Trained on N folds on <machine>; M folds on <machine>."``: :func:`machine_counts` in a sentence."""
    return "Trained on " + "; ".join(f"{n} fold{'s' if n > 1 else ''} on {m}"
                                     for m, n in machine_counts(records, unnamed).items()) + "."


def read_shipped_fold(path: Path) -> tuple[dict | None, str]:
    """``(shipped fold, "")`` of a file :func:`ship_fold` wrote, or ``(None, why not)``: a file over
    :data:`MAX_SHIPPED_BYTES`, not JSON, or not a shipped fold."""
    if path.is_symlink():
        return None, "is not a regular file"
    try:
        shipped = files.read_json(path, max_bytes=MAX_SHIPPED_BYTES)
    except OSError as exc:
        return None, f"cannot be read ({type(exc).__name__})"
    except ValueError as exc:
        return None, f"is not a JSON shipped fold of at most {MAX_SHIPPED_BYTES} bytes ({exc})"
    problem = shipped_fold_problem(shipped)
    return (None, problem) if problem else (shipped, "")


def load_shipped_folds(folder: Path) -> list[dict]:
    """The reader of a shipped run (``docs/predictions/<run>.folds/``): its folds' records, in the order of their
    file names, as the metrics (``common.evaluation.metrics.aggregate``), the epoch gauge
    (``common.evaluation.epoch_selection``) and ``write_predictions_csv`` read them (no data root, no
    fingerprint). A file that is not a shipped fold, or a fold twice, is a ``ValueError`` naming it."""
    records, seen = [], set()
    for path in sorted(Path(folder).glob("*.json")):
        shipped, problem = read_shipped_fold(path)
        if problem:
            raise ValueError(f"{path}: {problem}")
        assert shipped is not None
        if shipped["fold"] in seen or path.stem != shipped["fold"]:
            raise ValueError(f"{path}: holds fold {shipped['fold']!r}, which is not its file's or is shipped twice")
        seen.add(shipped["fold"])
        records.append(unship_fold(shipped, "", ""))
    return records
