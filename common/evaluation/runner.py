"""One resumable fold loop for every paper (contract: ``common/experiment.py``).

:func:`run_experiment` applies the profile and ``--set`` overrides to the experiment's config,
loads the databases it names, lets the paper select samples and make folds, calls
``experiment.run_fold`` for every fold not finished before, writes each fold's outcome
atomically, and aggregates the stored predictions into ``results.json`` and ``predictions.csv``.

Outputs, under ``<out>/<paper>/<experiment>/``:

Every file is written with ``common.files.atomic_write`` (a temporary file, then ``os.replace``),
so a crash, Ctrl-C or a second run never leaves half a file; the folder is locked for the run
(``common.files.folder_lock``: a second run on it stops at once with one line).

``folds/<fold>.json`` (one per fold)::

    {"schema": "mersuite.fold/1", "paper", "experiment", "fold", "fingerprint", "config_hash",
     "profile", "seed", "data_root", "status": "ok"|"nan"|"empty"|"failed", "reason",
     "seconds" (wall time of run_fold), "seconds_by_fold" (FoldOutcome.seconds, when run),
     "finished", "n_train", "n_test",
     "test_indices": [int], "keys": [str], "datasets": [str], "subjects": [str],
     "y_true": [int], "y_pred": [int], "probabilities": [[float]] | null,
     "history": {name: [float|null]}, "parameters": {model: int}, "extra": {...},
     "cache": {stage: {"hits", "misses", "compute_seconds", "read_seconds"}} (this fold's preprocessing
     cache activity, ``common.preprocessing.cache.STATS`` before/after), "max_rss_mb" (the process's peak
     resident memory after the fold, :func:`peak_rss_mb`; monotonic over the process)}

The fingerprint hashes paper, experiment, profile, seed, the effective config, the data root
and the fold's train/test sample keys. A rerun reuses a fold file only when it is well-formed
(``fold_record_problem``: every key above that the runner reads, with its type), its fingerprint
matches, the fold did not fail and its samples are the fold's; otherwise it says so and
recomputes that fold (so a run with another config, seed or corpus never silently reuses old
folds, a failed fold is retried, and a truncated or edited file is rebuilt, never a KeyError).
Status ``nan``: the training loss (or the predicted probabilities) became NaN/inf; such a fold
keeps its predictions but is left out of the metrics by default (``metrics.aggregate``).
The fingerprint cannot see code changes: ``fresh=True`` (``run_all.py --fresh``) recomputes all. ``folds/<fold>/`` is the fold's work dir (CSV
histories, ``error.txt`` with the traceback of a failed fold, ``worker.log`` when a worker
process or a Dask worker computed it: ``common.evaluation.parallel``).

``results.json``::

    {"schema": "mersuite.results/1", "paper", "experiment", "title", "profile", "seed",
     "corpus": {"kind": "synthetic"|"real", "root", "datasets": {db: n_samples}},
     "config": {...}, "config_hash", "overrides": {...}, "class_names": [...], "n_samples",
     "scopes": [...], "metrics_reported": [...],
     "metrics": {"pooled": {scope: {uf1, uar, accuracy, n, confusion}},
                 "fold_mean": {scope: {uf1, uar, accuracy, *_std, n_folds}},
                 "per_fold": {fold: {scope: {uf1, uar, accuracy, n}}},
                 "not_scored": [fold], "nan_folds": [fold], "nan_policy": "exclude", "absent": "exclude"},
     "comparison": [{"metric", "scope", "aggregation", "reported", "ours", "difference",
                     "source", "note", "comparable"}],  (difference None where not comparable)
     "folds": [{"name", "status", "reason", "seconds", "n_train", "n_test", "parameters",
                "history", "reused"}],
     "parameters": {model: int}, "status_counts": {status: n},
     "warnings": [sentence per kind of fold left out of the metrics: nan, failed, empty],
     "seconds": {"folds_total", "this_run"}, "environment": {...}, "finished",
     "outputs": {"dir", "results", "predictions", "folds"},
     "selection": {"selected", "kept", "min_frames", "by_class": {"selected": {class: n}, "kept": {...}},
                   "dropped_by_stage": {stage: n}, "dropped": [{"key", "reason", "stage"}],
                   "flagged": [{"key", "reason", "stage"}]},
     "face_quality": {"policy", "sampled_frames", "params", "counts": {verdict: n},
                      "flagged": [{"key", "verdict", "reason", "positions", "found", "box_shift",
                                   "box_scale", "landmark_shift", "frames"}], "verdicts": {key: verdict}}}

``selection``: every sample dropped or merged on the way from the databases to the
folds, with its reason and stage (loader / selection / frames / faces), and the kept samples
flagged (frame-number gaps; faces ``fallback``/``face_lost``). ``face_quality``: the verdict of
every selected clip (``common.preprocessing.face_quality``) and the policy applied to no-face clips.

``predictions.csv``: one row per test sample per fold holding predictions (nan folds included): ``fold, index, key, dataset,
subject, y_true, y_pred, true_class, predicted_class, status`` and ``p_<class>`` columns when the
fold stored probabilities. Anyone can recompute every metric from it.

Metric definitions and the pooled / fold-mean aggregations: ``common.evaluation.metrics``. A
``Reported`` with another aggregation name (a single-fold experiment only) is compared with the value
its ``run_fold`` stored in ``extra["aggregations"][aggregation][scope][metric]`` (Reddy's "whole_set").
Non-finite floats (a NaN loss) are written as ``null`` so every file is strict JSON.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import json
import math
import os
import platform
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from common.config import apply_overrides, to_dict, validate
from common.datasets.tables import DatabaseNotFound
from common.errors import MersuiteError
from common.evaluation import metrics as metrics_module
from common.evaluation.fold import class_counts
from common.evaluation.splits import check_folds
from common.experiment import PROFILES, Experiment, ExperimentResult, Fold, FoldContext, FoldOutcome, Selection
from common.files import OutputError, atomic_write, folder_lock, write_text_atomic
from common.files import write_json_atomic as _write_strict_json
from common.paths import cache_root, reports_root
from common.preprocessing.cache import STATS as CACHE_STATS
from common.preprocessing.cache import default_root as stages_root
from common.preprocessing.cache import stats_delta

FOLD_SCHEMA = "mersuite.fold/1"
RESULTS_SCHEMA = "mersuite.results/1"
# The synthetic writer (common.datasets.synthetic) leaves this manifest at the corpus root; a
# root without it is treated as licensed (real) data, whose faces reports do not show.
SYNTHETIC_MANIFEST = "corpus.json"


class RunError(MersuiteError, RuntimeError):
    """A run cannot start (bad profile, missing database, empty selection): one clear line."""


# ---------------------------------------------------------------------------------------------
# Configuration, corpus, data


def resolve_profile(profile: str | None, data_root: str | Path | None) -> str:
    """The profile to use: the one given, else ``paper`` on real data and ``quick`` on a synthetic corpus
    (the default one when ``data_root`` is None, or a root holding the synthetic writer's manifest)."""
    if profile is None:
        return "quick" if data_root is None or is_synthetic(data_root) else "paper"
    if profile not in PROFILES:
        raise RunError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    return profile


def effective_config(experiment: Experiment, profile: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """The experiment's config after its profile's dotted overrides, then ``--set`` overrides.

    Raises ``common.config.ConfigError`` for a name or value that does not fit, and for any
    numeric field out of its declared range (``common.config.validate``: e.g. 0 epochs).
    """
    config = experiment.config
    if profile != "paper":
        config = apply_overrides(config, dict(experiment.profiles.get(profile, {})))
    return validate(apply_overrides(config, dict(overrides or {})))


def config_hash(config: Any) -> str:
    text = json.dumps(to_dict(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_data_root(profile: str) -> Path:
    """The synthetic corpus in the cache (``smoke`` size for the smoke profile), generated once."""
    from common.datasets.synthetic import default_corpus

    return Path(default_corpus("smoke" if profile == "smoke" else "default"))


def is_synthetic(root: str | Path) -> bool:
    """True for a synthetic corpus: one in the cache, or a root holding the writer's ``corpus.json``."""
    root = Path(root).resolve()
    synthetic_cache = (cache_root() / "synthetic").resolve()
    if root == synthetic_cache or synthetic_cache in root.parents:
        return True
    try:
        manifest = json.loads((root / SYNTHETIC_MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"size", "seed", "mirror"} <= set(manifest)


def load_dataset(name: str, root: Path, **options: Any) -> list:
    """``common.datasets.load`` (a module-level name so tests can stand in a fake loader)."""
    from common.datasets import load

    return load(name, root, **options)


def loader_key(experiment: Experiment, name: str) -> tuple[str, str]:
    """The key of database ``name`` loaded with ``experiment``'s loader options (for :func:`load_all`)."""
    return name, json.dumps(dict(experiment.loader_options.get(name, {})), sort_keys=True, default=str)


def load_all(experiments: list[Experiment], root: Path) -> dict[tuple[str, str], list]:
    """Every database the experiments name, each loaded once per loader options (:func:`loader_key`),
    or one :class:`RunError` listing every one that is missing, empty or refused (a clip under two
    labels, an unreadable root...), each with its cause, before any work."""
    loaded: dict[tuple[str, str], list] = {}
    missing: dict[str, str] = {}
    unusable: dict[str, str] = {}
    for experiment in experiments:
        for name in experiment.datasets:
            key = loader_key(experiment, name)
            if key in loaded or name in missing or name in unusable:
                continue
            try:
                samples = load_dataset(name, root, **dict(experiment.loader_options.get(name, {})))
            except DatabaseNotFound as exc:
                missing[name] = " ".join(str(exc).split())
                continue
            except Exception as exc:  # DatasetError (refused data), OSError...: one line each, joined below
                unusable[name] = " ".join(str(exc).split())
                continue
            if not samples:
                missing[name] = "no sample found"
                continue
            loaded[key] = list(samples)
    problems = []
    if missing:
        problems.append(f"missing database(s) under {root}: " + "; ".join(f"{n} ({why})" for n, why in missing.items()))
    if unusable:
        problems.append(f"database(s) under {root} refused: " + "; ".join(f"{n}: {why}" for n, why in unusable.items()))
    if problems:
        raise RunError(" | ".join(problems))
    return loaded


def load_datasets(experiment: Experiment, root: Path,
                  loaded: Mapping[tuple[str, str], list] | None = None) -> dict[str, list]:
    """``{name: samples}`` of every database the experiment names, taken from ``loaded``
    (:func:`load_all`'s result) or loaded now; one :class:`RunError` naming what is missing."""
    if loaded is None:
        try:
            loaded = load_all([experiment], root)
        except RunError as exc:
            raise RunError(f"experiment {experiment.name!r} needs database(s) it cannot load: {exc}") from None
    return {name: loaded[loader_key(experiment, name)] for name in experiment.datasets}


def peak_rss_mb() -> float | None:
    """The peak resident memory of this process so far, in MiB (``resource.getrusage(RUSAGE_SELF).ru_maxrss``:
    KiB on Linux, bytes on macOS); None where ``resource`` does not exist (Windows). It never goes down:
    after several experiments in one process it is the largest so far."""
    try:
        import resource
        import sys
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def environment() -> dict[str, Any]:
    """Versions and devices, for results.json and the report's first page."""
    import importlib.metadata as md

    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "machine": platform.machine(), "cpu_count": os.cpu_count()}
    for package in ("numpy", "scikit-learn", "tensorflow", "keras", "opencv-python-headless", "matplotlib"):
        try:
            env[package] = md.version(package)
        except md.PackageNotFoundError:
            env[package] = None
    try:
        import keras

        env["keras_backend"] = keras.backend.backend()
        import tensorflow as tf

        env["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception:  # a backend without TensorFlow: no device list
        env.setdefault("gpus", [])
    return env


# ---------------------------------------------------------------------------------------------
# Selection checks: what is dropped or flagged, and the faces


FACES_POLICIES = ("exclude", "keep", "refuse")  # what a run does with a clip without a face
SHOWN = 8  # problems listed per kind in log lines and refusals


def loader_drops(experiment: Experiment, root: Path) -> list:
    """The ``Dropped`` records of the loads of the experiment's databases (``common.datasets.dropped``)."""
    from common.datasets import dropped

    found, seen = [], set()
    for name in experiment.datasets:
        for d in dropped(name, root, **dict(experiment.loader_options.get(name, {}))):
            if (d.key, d.reason) not in seen:
                seen.add((d.key, d.reason))
                found.append(d)
    return found


def _frame_gaps(sample) -> str:
    """Why the clip's frame numbers are not contiguous, or ``""``."""
    missing = int(sample.meta.get("missing_frames", 0) or 0)
    if missing <= 0:
        return ""
    numbers = sample.frame_numbers
    holes = [f"{a + 1}-{b - 1}" if b - a > 2 else str(a + 1) for a, b in zip(numbers, numbers[1:]) if b - a > 1]
    where = f" (number(s) {', '.join(holes[:SHOWN])})" if holes else " (at the ends of onset..offset)"
    return f"{missing} frame(s) missing from the clip's frame numbers{where}; the clip is used with the frames present"


def screen_selection(paper_id: str, experiment: Experiment, selection: Selection, root: Path, *,
                     faces_policy: str = "exclude", log: Callable[[str], None] = print,
                     tag: str = "") -> tuple[Selection, dict, dict]:
    """The selection a run trains on, and what was dropped or flagged on the way.

    In order: the loaders' drops (clips listed but missing, duplicate csv rows merged) and the
    paper's own (``selection.dropped``) are recorded; clips with fewer frames than
    ``experiment.min_frames`` are dropped; every frame file of the remaining clips must be
    a valid image of one size per clip and no clip's frames the copy of another's
    (``common.datasets.invariants.screen_frames``: a ``RunError`` naming the file or clips);
    each clip gets a face-quality verdict (``common.preprocessing.face_quality``, cached) and a
    ``no_face`` clip is dropped (``exclude``), kept and flagged (``keep``), or refused
    (``refuse``); ``fallback``/``face_lost`` clips and frame-number gaps are flagged, kept.

    Returns ``(selection, selection_record, face_quality_record)``; the records go to
    ``results.json`` under ``"selection"`` and ``"face_quality"`` (schema in the module docstring).
    """
    from common.datasets.invariants import screen_frames
    from common.datasets.sample import Dropped
    from common.preprocessing import face_quality as fq
    from common.preprocessing.io import FrameReadError

    if faces_policy not in FACES_POLICIES:
        raise RunError(f"faces policy {faces_policy!r}: expected one of {', '.join(FACES_POLICIES)}")
    dropped = loader_drops(experiment, root) + list(selection.dropped)
    flagged: list[dict] = []
    keep: list[int] = []
    min_frames = int(getattr(experiment, "min_frames", 2))
    for i, sample in enumerate(selection.samples):
        if len(sample.frames) < min_frames:
            dropped.append(Dropped(sample.key, f"{len(sample.frames)} frame(s); {paper_id}/{experiment.name} needs "
                                   f"at least {min_frames} (Experiment.min_frames)", "frames"))
        else:
            keep.append(i)
    # What a valid sample is (common.datasets.invariants): frame files and content identity.
    frames_screen = screen_frames([selection.samples[i] for i in keep], [int(selection.labels[i]) for i in keep])
    if frames_screen.refused:
        raise RunError(frames_screen.refusal())
    dropped += [v.dropped() for v in frames_screen.dropped]
    keep = [keep[j] for j in frames_screen.kept]
    verdicts: dict[str, str] = {}
    face_flagged: list[dict] = []
    counts = dict.fromkeys(fq.VERDICTS, 0)
    kept: list[int] = []
    for i in keep:
        sample = selection.samples[i]
        if not sample.frames:  # in-memory samples of tests (min_frames=0): nothing to look at
            verdicts[sample.key] = "unchecked"
            counts["unchecked"] = counts.get("unchecked", 0) + 1
            kept.append(i)
            continue
        try:
            quality = fq.sample_face_quality(sample)
        except FrameReadError as exc:
            raise RunError(f"{exc} (clip {sample.key})") from None
        verdicts[sample.key] = quality.verdict
        counts[quality.verdict] += 1
        if quality.verdict != "ok":
            entry = {"key": sample.key, **quality.as_dict(), "frames": [str(sample.frames[p]) for p in quality.positions]}
            face_flagged.append(entry)
        if quality.verdict == "no_face":
            if faces_policy == "refuse":
                raise RunError(f"{sample.frames[0].parent}: clip {sample.key} has no face ({quality.reason}); "
                               f"refused under --faces-policy refuse (exclude drops such clips, keep trains on them)")
            if faces_policy == "exclude":
                dropped.append(Dropped(sample.key, f"face check no_face: {quality.reason} (--faces-policy exclude)", "faces"))
                continue
        kept.append(i)
    for i in kept:
        gap = _frame_gaps(selection.samples[i])
        if gap:
            flagged.append({"key": selection.samples[i].key, "reason": gap, "stage": "frames"})
    flagged += [{"key": f["key"], "reason": f"face check {f['verdict']}: {f['reason']}", "stage": "faces"}
                for f in face_flagged if not (f["verdict"] == "no_face" and faces_policy == "exclude")]
    index = np.asarray(kept, dtype=int)
    screened = Selection(samples=tuple(selection.samples[i] for i in kept),
                         labels=np.asarray(selection.labels, dtype=int)[index] if len(index) else
                         np.zeros(0, dtype=int), class_names=selection.class_names, dropped=tuple(dropped))
    by_stage: dict[str, int] = {}
    for d in dropped:
        by_stage[d.stage] = by_stage.get(d.stage, 0) + 1
    record = {"selected": len(selection), "kept": len(screened), "min_frames": min_frames,
              "by_class": {"selected": class_counts(selection), "kept": class_counts(screened)},
              "dropped_by_stage": by_stage, "dropped": [d.as_dict() for d in dropped], "flagged": flagged}
    faces = {"policy": faces_policy, "sampled_frames": fq.SAMPLED_FRAMES, "params": fq.params(),
             "counts": counts, "flagged": face_flagged, "verdicts": verdicts}
    if dropped or flagged:
        stages = ", ".join(f"{n} by {stage}" for stage, n in by_stage.items())
        log(f"{tag} checks: {len(selection)} selected, {len(screened)} kept; {len(dropped)} dropped"
            + (f" ({stages})" if stages else "") + f", {len(flagged)} flagged (listed in results.json and the report)")
        for d in dropped[:SHOWN]:
            log(f"{tag}   dropped {d.key}: {d.reason}")
        for f in flagged[:SHOWN]:
            log(f"{tag}   flagged {f['key']}: {f['reason']}")
        if len(dropped) + len(flagged) > 2 * SHOWN:
            log(f"{tag}   ...")
    return screened, record, faces


# ---------------------------------------------------------------------------------------------
# Files


def jsonable(obj: Any) -> Any:
    """Plain JSON types; NumPy scalars/arrays converted, non-finite floats -> None, Paths -> str."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(to_dict(obj))
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Strict JSON of ``jsonable(obj)``, written atomically (``common.files.atomic_write``)."""
    _write_strict_json(path, jsonable(obj))


FOLD_STATUSES = ("ok", "nan", "empty", "failed")
# The keys of a fold record the runner reads back (resume, metrics, predictions.csv) and their types.
_FOLD_FIELDS = {"schema": str, "fold": str, "fingerprint": str, "status": str, "reason": str, "seconds": (int, float),
                "n_train": int, "n_test": int, "test_indices": list, "keys": list, "datasets": list,
                "subjects": list, "y_true": list, "y_pred": list, "history": dict, "parameters": dict}
_PER_SAMPLE = ("test_indices", "keys", "datasets", "subjects", "y_true", "y_pred")


def fold_record_problem(record: Any) -> str:
    """Why a parsed fold file cannot be reused (a missing key, a wrong type, lists of different
    lengths...), or ``""`` when it is a well-formed record (never a KeyError on resume)."""
    if not isinstance(record, dict):
        return f"holds a JSON {type(record).__name__}, not a fold record"
    if record.get("schema") != FOLD_SCHEMA:
        return f"schema {record.get('schema')!r} is not {FOLD_SCHEMA!r}"
    for key, kind in _FOLD_FIELDS.items():
        if key not in record:
            return f"key {key!r} is missing"
        if not isinstance(record[key], kind) or isinstance(record[key], bool):
            return f"key {key!r} is a {type(record[key]).__name__}"
    if record["status"] not in FOLD_STATUSES:
        return f"status {record['status']!r} is not one of {FOLD_STATUSES}"
    lengths = {key: len(record[key]) for key in _PER_SAMPLE}
    if len(set(lengths.values())) != 1:
        return "per-sample lists of different lengths (" + ", ".join(f"{k} {n}" for k, n in lengths.items()) + ")"
    for key in ("test_indices", "y_true", "y_pred"):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in record[key]):
            return f"{key!r} holds a value that is not an integer"
    probabilities = record.get("probabilities")
    if probabilities is not None and (not isinstance(probabilities, list) or len(probabilities) != len(record["y_pred"])):
        return "'probabilities' does not hold one row per prediction"
    return ""


def load_fold_record(path: Path) -> tuple[dict | None, str]:
    """``(record, "")`` for a well-formed fold file; ``(None, "")`` when there is none; ``(None, why)``
    when it is damaged (truncated, not JSON, a key missing...), so the runner recomputes it and says why."""
    path = Path(path)
    if not path.exists():
        return None, ""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read ({exc})"
    except ValueError as exc:
        return None, f"is not valid JSON ({exc})"
    problem = fold_record_problem(record)
    return (None, problem) if problem else (record, "")


def read_fold_record(path: Path) -> dict | None:
    """A stored, well-formed fold record, or None when the file is missing or damaged."""
    return load_fold_record(path)[0]


def _stored_fold_problem(record: dict, selection: Selection, fold, n_classes: int) -> str:
    """Why a well-formed stored record does not fit this fold of this selection, or ``""``."""
    if record["fold"] != fold.name:
        return f"it is the record of fold {record['fold']!r}"
    if not record["y_pred"]:
        return ""
    test = record["test_indices"]
    if sorted(test) != sorted(np.asarray(fold.test).tolist()):
        return "its test samples are not the fold's"
    if record["keys"] != [selection.samples[i].key for i in test]:
        return "its sample keys are not the selection's"
    if any(not 0 <= v < n_classes for v in record["y_true"] + record["y_pred"]):
        return f"it holds a class outside 0..{n_classes - 1}"
    return ""


def write_predictions_csv(path: Path, records: list[dict], class_names: tuple[str, ...]) -> None:
    """One row per test sample of every fold that holds predictions (atomic, like the JSON).

    The ``status`` column marks the rows of a diverged fold (``nan``), kept here although the
    metrics leave them out by default.
    """
    with atomic_write(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["fold", "index", "key", "dataset", "subject", "y_true", "y_pred", "true_class",
                         "predicted_class", "status"] + [f"p_{name}" for name in class_names])
        for r in records:
            if not r.get("y_pred"):
                continue
            probabilities = r.get("probabilities") or [[None] * len(class_names)] * len(r["y_pred"])
            for i, (idx, key, ds, subj, yt, yp) in enumerate(zip(r["test_indices"], r["keys"], r["datasets"],
                                                                 r["subjects"], r["y_true"], r["y_pred"])):
                probs = ["" if p is None else f"{p:.6g}" for p in probabilities[i]]
                writer.writerow([r["fold"], idx, key, ds, subj, yt, yp, class_names[yt], class_names[yp],
                                 r["status"]] + probs)


# ---------------------------------------------------------------------------------------------
# One fold


def _fingerprint(base: Mapping[str, Any], selection: Selection, fold) -> str:
    payload = dict(base)
    payload["train"] = [selection.samples[i].key for i in fold.train]
    payload["test"] = [selection.samples[i].key for i in fold.test]
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_outcome(outcome: Any, fold, n_classes: int) -> str:
    """Why ``outcome`` cannot be stored, or ``""`` when it is fine."""
    if not isinstance(outcome, FoldOutcome):
        return f"run_fold returned {type(outcome).__name__}, expected FoldOutcome"
    if outcome.status not in FOLD_STATUSES:
        return f"run_fold returned status {outcome.status!r}, expected one of {FOLD_STATUSES}"
    if outcome.status in ("empty", "failed") and len(outcome.y_pred) == 0:
        return ""
    test = np.asarray(outcome.test_indices, dtype=int)
    if sorted(test.tolist()) != sorted(np.asarray(fold.test).tolist()):
        return "run_fold's test_indices are not the fold's test samples"
    y_pred = np.asarray(outcome.y_pred)
    if y_pred.shape != (len(test),):
        return f"run_fold returned {y_pred.shape} predictions for {len(test)} test samples"
    if len(y_pred) and (y_pred.min() < 0 or y_pred.max() >= n_classes):
        return f"run_fold predicted a class outside 0..{n_classes - 1}"
    if outcome.probabilities is not None and np.shape(outcome.probabilities) != (len(test), n_classes):
        return f"run_fold's probabilities have shape {np.shape(outcome.probabilities)}, expected {(len(test), n_classes)}"
    return ""


def _nan_reason(history: Mapping[str, Any], probabilities: Any = None) -> str:
    """Why a fold's training diverged (a NaN/inf loss in its history, NaN/inf predicted probabilities), or ""."""
    for name, values in history.items():
        if "loss" not in name:
            continue
        values = np.asarray([np.nan if v is None else v for v in values], dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            return f"training loss {name!r} became NaN/inf at epoch {bad[0] + 1} (TerminateOnNaN stopped training)"
    if probabilities is not None and not np.all(np.isfinite(np.asarray(probabilities, dtype=float))):
        return "the model predicted NaN/inf probabilities (its weights diverged)"
    return ""


def _record(base: Mapping[str, Any], selection: Selection, fold, fingerprint: str, status: str, reason: str,
            seconds: float, outcome: FoldOutcome | None) -> dict:
    record = {"schema": FOLD_SCHEMA, **base, "fold": fold.name, "fingerprint": fingerprint, "status": status,
              "reason": reason, "seconds": round(float(seconds), 3),
              "finished": datetime.datetime.now().isoformat(timespec="seconds"),
              "n_train": int(len(fold.train)), "n_test": int(len(fold.test)),
              "test_indices": [], "keys": [], "datasets": [], "subjects": [], "y_true": [], "y_pred": [],
              "probabilities": None, "history": {}, "parameters": {}, "extra": {}}
    if outcome is not None:
        record.update(history=dict(outcome.history), parameters=dict(outcome.parameters), extra=dict(outcome.extra),
                      seconds_by_fold=float(outcome.seconds))
        if len(outcome.y_pred):
            test = np.asarray(outcome.test_indices, dtype=int)
            record.update(test_indices=test.tolist(), y_pred=np.asarray(outcome.y_pred, dtype=int).tolist(),
                          y_true=np.asarray(selection.labels)[test].astype(int).tolist(),
                          keys=[selection.samples[i].key for i in test],
                          datasets=[selection.samples[i].dataset for i in test],
                          subjects=[selection.samples[i].subject for i in test],
                          probabilities=None if outcome.probabilities is None
                          else np.asarray(outcome.probabilities, dtype=float).tolist())
    return jsonable(record)


def _run_one_fold(experiment: Experiment, ctx: FoldContext, n_classes: int) -> tuple[str, str, FoldOutcome | None]:
    """(status, reason, outcome) of one fold; exceptions become status "failed" (not Ctrl-C)."""
    from common.training import set_seed

    fold = ctx.fold
    if len(fold.test) == 0 or len(fold.train) == 0:
        return "empty", f"fold has {len(fold.train)} training and {len(fold.test)} test samples", None
    set_seed(ctx.seed)
    try:
        outcome = experiment.run_fold(ctx)
    except Exception as exc:  # recorded, the run goes on; KeyboardInterrupt is not an Exception
        reason = f"{type(exc).__name__}: {exc}"
        try:
            write_text_atomic(ctx.work_dir / "error.txt", traceback.format_exc())
        except OSError as write_error:  # the handler must not fail in turn: the reason is in the fold record
            reason += f" (error.txt not written: {write_error.strerror or write_error})"
        return "failed", reason, None
    problem = _check_outcome(outcome, fold, n_classes)
    if problem:
        return "failed", problem, None
    status, reason = outcome.status, outcome.reason
    if status == "ok":
        nan = _nan_reason(outcome.history, outcome.probabilities)
        if nan:
            status, reason = "nan", nan
    return status, reason, outcome


@dataclasses.dataclass(frozen=True)
class FoldJob:
    """One fold to compute, with everything :func:`compute_fold` needs besides the experiment.

    Plain data (picklable): ``common.evaluation.parallel`` hands it to a worker process or a Dask
    worker, which computes the same fold as the sequential loop (same fingerprint, seed, config,
    selection and fold) and writes the same fold file.
    """

    tag: str  # "[paper/experiment]", for log lines
    selection: Selection  # after the checks (screen_selection)
    fold: Fold
    config: Any  # the effective config
    profile: str
    seed: int
    base: Mapping[str, Any]  # the fold record's run-wide keys (paper, experiment, profile, seed, config_hash, data_root)
    fingerprint: str
    folds_dir: Path
    position: int  # 1-based, among ``total`` folds (log lines)
    total: int

    @property
    def path(self) -> Path:
        return self.folds_dir / f"{self.fold.name}.json"

    @property
    def work_dir(self) -> Path:
        return self.folds_dir / self.fold.name

    @property
    def label(self) -> str:
        return f"{self.tag} fold {self.position}/{self.total} {self.fold.name}"


# ``fold_runner(jobs, log) -> {fold name: record}``: computes folds elsewhere (common.evaluation.parallel)
FoldRunner = Callable[[Sequence[FoldJob], Callable[[str], None]], Mapping[str, dict]]


def compute_fold(experiment: Experiment, job: FoldJob, log: Callable[[str], None] = print) -> dict:
    """Run one fold and write its fold file atomically; returns the record (module docstring's schema).

    The body of the runner's loop, and what a worker process or Dask worker runs
    (``common.evaluation.parallel.run_one_fold``): one code path, so a fold computed elsewhere is
    the fold the sequential run computes. A fold that raises is recorded ``failed`` (its traceback
    in ``folds/<fold>/error.txt``); Ctrl-C propagates with nothing written.
    """
    ctx = FoldContext(selection=job.selection, fold=job.fold, config=job.config, profile=job.profile, seed=job.seed,
                      work_dir=job.work_dir, cache_dir=stages_root(), log=log)
    t0 = time.perf_counter()
    cache_before = CACHE_STATS.snapshot()
    status, reason, outcome = _run_one_fold(experiment, ctx, len(job.selection.class_names))
    record = _record(job.base, job.selection, job.fold, job.fingerprint, status, reason, time.perf_counter() - t0,
                     outcome)
    # the benchmark's cost columns: this fold's preprocessing cache activity, the process's peak memory
    record.update(cache=stats_delta(cache_before, CACHE_STATS.snapshot()), max_rss_mb=peak_rss_mb())
    _write_output(write_json_atomic, job.path, record)
    return record


def failed_fold_record(job: FoldJob, reason: str, seconds: float) -> dict:
    """The ``failed`` record of a fold whose computation never returned (a worker process that died),
    as the loop records a fold that raised: the reason in the record and in ``folds/<fold>/error.txt``.
    Not written here (the caller stores it); a rerun retries it like any failed fold."""
    try:
        write_text_atomic(job.work_dir / "error.txt", reason + "\n")
    except OSError as exc:
        reason += f" (error.txt not written: {exc.strerror or exc})"
    return _record(job.base, job.selection, job.fold, job.fingerprint, "failed", reason, seconds, None)


def fold_line(job: FoldJob, record: Mapping[str, Any], after: str = "") -> str:
    """The log line of a finished fold: status, its UF1 and accuracy, its time, then ``after`` and the reason."""
    score = ""
    if record["y_pred"]:
        s = metrics_module.scores(record["y_true"], record["y_pred"], len(job.selection.class_names))
        score = f" uf1={s['uf1']:.3f} acc={s['accuracy']:.3f}"
    excluded = "; not in the metrics" if record["status"] == "nan" else ""
    reason = f" ({record['reason']}{excluded})" if record["reason"] else ""
    return f"{job.label}: {record['status']}{score} in {_duration(record['seconds'])}{after}{reason}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


# ---------------------------------------------------------------------------------------------
# The experiment


def experiment_dir(paper_id: str, experiment_name: str, out_dir: str | Path | None = None) -> Path:
    """``<out>/<paper>/<experiment>/`` (``out`` defaults to ``common.paths.reports_root()``)."""
    return Path(out_dir if out_dir is not None else reports_root()) / paper_id / experiment_name


def run_experiment(paper_id: str, experiment: Experiment, *, data_root: str | Path | None = None,
                   profile: str | None = None, seed: int = 0, overrides: Mapping[str, Any] | None = None,
                   out_dir: str | Path | None = None, log: Callable[[str], None] = print,
                   loaded: Mapping[str, list] | None = None, fresh: bool = False,
                   faces_policy: str = "exclude", folder: str | Path | None = None,
                   fold_runner: FoldRunner | None = None,
                   prepare_clips: Callable[[Experiment, Sequence[FoldJob], Callable[[str], None]], None] | None = None
                   ) -> ExperimentResult:
    """Run (or resume) every fold of ``experiment`` and return its :class:`ExperimentResult`
    (``summary`` is ``results.json``, schema above; ``records`` the fold records, ``extra`` included).

    ``data_root=None`` uses the synthetic corpus (generated on first use). ``profile=None``:
    ``paper`` on real data, ``quick`` on a synthetic corpus. ``loaded`` may pass databases
    already loaded from ``data_root`` (``{name: [Sample]}``), as ``run_all.py`` does after its
    preflight check. ``fresh=True`` recomputes every fold (after a change to a paper's code,
    which the fingerprint cannot see). Ctrl-C stops the run after the folds finished so far
    are safely on disk. ``faces_policy`` (``exclude``/``keep``/``refuse``) decides what happens
    to a clip without a face (:func:`screen_selection`, which also drops clips shorter than
    ``experiment.min_frames`` and refuses incomplete frame files).

    ``fold_runner`` (``common.evaluation.parallel``: worker processes or a Dask cluster) computes
    the folds still to run elsewhere, each with :func:`compute_fold` as here, and returns their
    records; the loop then takes them as computed in this run. None (default): in this process.
    ``prepare_clips(experiment, jobs, log)`` (``common.evaluation.first_pass.FirstPass.run``) caches the
    preprocessing those folds read before they start, in several processes; None (default): each fold
    computes what the cache lacks.

    The experiment's output folder is checked (a folder, writable) and locked
    (``common.files.folder_lock``) before anything else: an unusable folder, or one another run
    is writing into, is a :class:`RunError` with one line, before any work. ``folder`` replaces
    the output folder ``<out>/<paper>/<experiment>/`` (the benchmark's ``<track>/<method>/seed<k>/``).
    """
    folder = Path(folder) if folder is not None else experiment_dir(paper_id, experiment.name, out_dir)
    try:
        with folder_lock(folder, "output folder"):
            return _run_experiment(paper_id, experiment, data_root=data_root, profile=profile, seed=seed,
                                   overrides=overrides, out_dir=out_dir, log=log, loaded=loaded, fresh=fresh,
                                   faces_policy=faces_policy, folder=folder, fold_runner=fold_runner,
                                   prepare_clips=prepare_clips)
    except OutputError as exc:
        raise RunError(str(exc)) from None


def _write_output(write: Callable[..., Any], path: Path, *args: Any) -> None:
    """``write(path, *args)``; a failure (disk full, folder made read-only mid-run) is one RunError line."""
    try:
        write(path, *args)
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}") from None


def _stored_state(path: Path, fold, fingerprint: str, selection: Selection, n_classes: int,
                  fresh: bool) -> tuple[dict | None, str]:
    """``(record to reuse, "")``, or ``(None, why it is recomputed)`` (``""``: nothing stored yet).

    A stored fold is reused only when it is well-formed, has this fold's fingerprint, did not
    fail, and its samples are this fold's; a damaged file is recomputed with a notice.
    """
    stored, damage = load_fold_record(path)
    if damage:
        return None, f"stored {path.name} is damaged ({damage}); recomputing"
    if stored is None:
        return None, ""
    if fresh:
        return None, "recomputing (fresh run requested)"
    if stored["fingerprint"] != fingerprint:
        return None, (f"stored result was made with another profile, seed, config or corpus (fingerprint "
                      f"{stored['fingerprint']} != {fingerprint}); recomputing")
    if stored["status"] == "failed":
        return None, f"failed earlier ({stored['reason']}); retrying"
    mismatch = _stored_fold_problem(stored, selection, fold, n_classes)
    if mismatch:
        return None, f"stored {path.name} does not fit this fold ({mismatch}); recomputing"
    return stored, ""


def _run_experiment(paper_id: str, experiment: Experiment, *, data_root: str | Path | None = None,
                    profile: str | None = None, seed: int = 0, overrides: Mapping[str, Any] | None = None,
                    out_dir: str | Path | None = None, log: Callable[[str], None] = print,
                    loaded: Mapping[str, list] | None = None, fresh: bool = False,
                    faces_policy: str = "exclude", folder: Path | None = None,
                    fold_runner: FoldRunner | None = None, prepare_clips: Callable | None = None) -> ExperimentResult:
    """:func:`run_experiment` once its output folder is locked."""
    started = time.perf_counter()
    profile = resolve_profile(profile, data_root)
    config = effective_config(experiment, profile, overrides)
    root = Path(data_root) if data_root is not None else default_data_root(profile)
    synthetic = data_root is None or is_synthetic(root)
    exp_dir = folder if folder is not None else experiment_dir(paper_id, experiment.name, out_dir)
    folds_dir = exp_dir / "folds"
    tag = f"[{paper_id}/{experiment.name}]"
    log(f"{tag} {experiment.title}")
    log(f"{tag} profile {profile}, seed {seed}, corpus {'synthetic' if synthetic else 'real'} at {root}")

    data = dict(loaded) if loaded is not None else load_datasets(experiment, root)
    selection = experiment.select(data, config)
    if len(selection) == 0:
        raise RunError(f"experiment {experiment.name!r}: the selection from {root} is empty")
    selection, screening, face_record = screen_selection(paper_id, experiment, selection, root,
                                                         faces_policy=faces_policy, log=log, tag=tag)
    if len(selection) == 0:
        raise RunError(f"experiment {experiment.name!r}: no sample of {root} is left after the checks "
                       f"({len(screening['dropped'])} dropped; first: {screening['dropped'][0]['key']}: "
                       f"{screening['dropped'][0]['reason']})")
    n_classes = len(selection.class_names)
    from common.evaluation.preflight import split  # a fold count that does not fit: one line

    folds = check_folds(split(paper_id, experiment, config, selection, seed), len(selection), partition=False)
    base = {"paper": paper_id, "experiment": experiment.name, "profile": profile, "seed": int(seed),
            "config_hash": config_hash(config), "data_root": str(root.resolve())}
    log(f"{tag} {len(selection)} samples, {n_classes} classes {list(selection.class_names)}, {len(folds)} folds")

    records: list[dict] = []
    reused: set[str] = set()
    computed_seconds: list[float] = []
    jobs = {fold.name: FoldJob(tag=tag, selection=selection, fold=fold, config=config, profile=profile, seed=int(seed),
                               base=base, fingerprint=_fingerprint(base, selection, fold), folds_dir=folds_dir,
                               position=i, total=len(folds)) for i, fold in enumerate(folds, 1)}
    states = {name: _stored_state(job.path, job.fold, job.fingerprint, selection, n_classes, fresh)
              for name, job in jobs.items()}
    to_compute = sum(stored is None for stored, _ in states.values())
    done: Mapping[str, dict] = {}
    if prepare_clips is not None and to_compute:  # the first pass of preprocessing, in several processes
        prepare_clips(experiment, [job for name, job in jobs.items() if states[name][0] is None], log)
    if fold_runner is not None and to_compute:
        pending = [job for name, job in jobs.items() if states[name][0] is None]
        for job in pending:
            if states[job.fold.name][1]:
                log(f"{job.label}: {states[job.fold.name][1]}")
        done = fold_runner(pending, log)  # each fold's record, its file written (common.evaluation.parallel)
    for fold in folds:
        job = jobs[fold.name]
        stored, notice = states[fold.name]
        if stored is not None:
            records.append(stored)
            reused.add(fold.name)
            log(f"{job.label}: finished earlier ({stored['status']}), reusing {job.path.name}")
            continue
        if fold.name in done:  # computed in this run by a worker process or a cluster (logged as it finished)
            records.append(done[fold.name])
            continue
        if notice:
            log(f"{job.label}: {notice}")
        log(f"{job.label}: {len(fold.train)} train / {len(fold.test)} test")
        try:
            record = compute_fold(experiment, job, log)
        except KeyboardInterrupt:
            log(f"{tag} interrupted in fold {job.position}/{job.total}; the {len(records)} folds before it are saved in "
                f"{folds_dir}; run the same command again to resume")
            raise
        records.append(record)
        computed_seconds.append(record["seconds"])
        left = to_compute - len(computed_seconds)
        eta = f", ETA {_duration(left * float(np.mean(computed_seconds)))}" if left else ""
        log(fold_line(job, record, eta))

    results = _results(paper_id, experiment, selection, config, profile, seed, overrides, root, synthetic,
                       records, reused, exp_dir, time.perf_counter() - started)
    results.update(jsonable({"selection": screening, "face_quality": face_record}))
    _write_output(write_json_atomic, exp_dir / "results.json", results)
    _write_output(write_predictions_csv, exp_dir / "predictions.csv", records, selection.class_names)
    pooled = results["metrics"]["pooled"].get("all", {})
    if pooled.get("uf1") is not None:
        log(f"{tag} pooled UF1 {pooled['uf1']:.4f}, UAR {pooled['uar']:.4f}, accuracy {pooled['accuracy']:.4f} "
            f"on {pooled['n']} samples")
    for warning in results["warnings"]:
        log(f"{tag} WARNING: {warning}")
    log(f"{tag} results in {exp_dir / 'results.json'} and {exp_dir / 'predictions.csv'}")
    return ExperimentResult(paper=paper_id, experiment=experiment, config=config, selection=selection,
                            records=tuple(records), summary=results)


def fold_warnings(records: list[dict], aggregated: Mapping[str, Any]) -> list[str]:
    """One sentence per kind of fold that is not in the metrics (results.json ``warnings``, the report, the log)."""
    def names(status: str) -> str:
        found = [r["fold"] for r in records if r["status"] == status]
        return f"{len(found)} of {len(records)} folds ({', '.join(found[:8])}{', ...' if len(found) > 8 else ''})"

    warnings = []
    counts = {status: sum(r["status"] == status for r in records) for status in FOLD_STATUSES}
    if counts["nan"]:
        policy = aggregated.get("nan_policy", "exclude")
        warnings.append(f"{names('nan')} diverged (NaN/inf loss); their predictions are kept in predictions.csv "
                        + ("but are NOT in the pooled and fold-mean scores" if policy == "exclude"
                           else "and ARE in the pooled and fold-mean scores (nan_folds='include')"))
    if counts["failed"]:
        warnings.append(f"{names('failed')} failed (see folds/<fold>/error.txt) and are not in the scores")
    if counts["empty"]:
        warnings.append(f"{names('empty')} had no training or no test sample and are not in the scores")
    return warnings


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


def comparison_rows(reported_values, aggregated: Mapping[str, Any], records: list[dict]) -> list[dict]:
    """One row per ``Reported``: the paper's number, ours and ours - paper. A number marked not
    comparable (``Reported.comparable=False``) gets no difference, so no summary of differences counts it."""
    rows = []
    for reported in reported_values:
        ours = aggregated.get(reported.aggregation, {}).get(reported.scope, {}).get(reported.metric)
        if ours is None and reported.aggregation not in ("pooled", "fold_mean"):
            ours = _fold_extra_metric(records, reported)
        ours = None if ours is None or not math.isfinite(ours) else float(ours)
        rows.append({"metric": reported.metric, "scope": reported.scope, "aggregation": reported.aggregation,
                     "reported": reported.value, "ours": ours,
                     "difference": None if ours is None or not reported.comparable else ours - reported.value,
                     "source": reported.source, "note": reported.note, "comparable": bool(reported.comparable)})
    return rows


def _results(paper_id, experiment, selection, config, profile, seed, overrides, root, synthetic, records, reused,
             exp_dir, seconds_this_run) -> dict:
    scopes = tuple(experiment.scopes) or ("all",)
    aggregated = metrics_module.aggregate(records, len(selection.class_names), scopes)
    comparison = comparison_rows(experiment.reported, aggregated, records)
    status_counts: dict[str, int] = {}
    for r in records:
        status_counts[r["status"]] = status_counts.get(r["status"], 0) + 1
    parameters = next((r["parameters"] for r in records if r.get("parameters")), {})
    datasets = {}
    for name in selection.datasets.tolist():
        datasets[name] = datasets.get(name, 0) + 1
    return jsonable({
        "schema": RESULTS_SCHEMA, "paper": paper_id, "experiment": experiment.name, "title": experiment.title,
        "profile": profile, "seed": int(seed),
        "corpus": {"kind": "synthetic" if synthetic else "real", "root": str(root.resolve()), "datasets": datasets},
        "config": to_dict(config), "config_hash": config_hash(config), "overrides": dict(overrides or {}),
        "class_names": list(selection.class_names), "n_samples": len(selection), "scopes": list(scopes),
        "metrics_reported": list(experiment.metrics), "metrics": aggregated, "comparison": comparison,
        "folds": [{"name": r["fold"], "status": r["status"], "reason": r["reason"], "seconds": r["seconds"],
                   "n_train": r["n_train"], "n_test": r["n_test"], "parameters": r["parameters"],
                   "history": r["history"], "reused": r["fold"] in reused} for r in records],
        "parameters": parameters, "status_counts": status_counts, "warnings": fold_warnings(records, aggregated),
        "seconds": {"folds_total": sum(r["seconds"] for r in records), "this_run": seconds_this_run},
        "environment": environment(), "finished": datetime.datetime.now().isoformat(timespec="seconds"),
        "outputs": {"dir": exp_dir, "results": exp_dir / "results.json", "predictions": exp_dir / "predictions.csv",
                    "folds": exp_dir / "folds"},
    })
