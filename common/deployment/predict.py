"""Predict: load an export folder, check each clip, run the method's own test pipeline, report.

:func:`load_export` checks the folder as a whole before anything runs (:func:`read_manifest`): the
manifest's format (this one, or format 3, which records no source digest) and mersuite version, every field
with its type (``common.deployment.manifest``),
its own hash, every file it lists (present, same sha256); then against the code: the experiment rebuilt
from the registry by (paper, experiment or track source) and its config by (profile, overrides), whose
``config_hash`` must be the manifest's (the code that makes the inputs is the code that trained the
models), the class names and their order, ``min_frames``; then each model loaded, with the input and
output shapes the manifest records. An export trained by other code (its ``source_digest`` not this code's, or
not recorded) is predicted, and every output says so (:attr:`Exported.source_warning`): its inputs are made by
this code's preprocessing. Then, per clip
(:func:`predict_command`, :func:`predict_samples`): the frame rate against the method's need
(``common.deployment.rates``), ``min_frames``, the face check (``common.preprocessing.face_quality``:
``no_face`` and ``face_lost`` follow ``--faces-policy``: ``exclude`` (default) leaves the clip out
and says why, ``refuse`` stops, ``keep`` predicts it, flagged), then ``Experiment.predict_clips``, and
the apex the method's input was built from (``Experiment.predict_apex``, else the recording's), which
every output records. The scores must be one distribution per clip (:func:`scores_problem`); a model or state key
the method reads and the manifest lacks is one line naming the field (:class:`Recorded`). In a folder or CSV of
clips, an entry that is not a clip or cannot be predicted is
a :class:`~common.deployment.recording.Skipped` with its reason, written with the predictions; one clip
given alone is refused instead. Every refusal is one :class:`DeployError` line before anything is
written (the ``--out`` folder, locked before the models load, is removed again if the prediction made it); the
outputs (``predictions.csv``, ``predict.pdf``, ``predict.png``: page 1) are each written atomically.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import io
import json
import logging
import math
import os
import time
import zipfile
from pathlib import Path
from typing import Any
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from common.datasets.sample import Sample
from common.deployment.export import (DeployError, find_experiment, FORMAT_VERSION, MANIFEST, mersuite_version,
                                      model_shapes, READ_FORMATS)
from common.deployment.recording import (apex_text, chain_warning, ClipList, clip_requests, clip_sample,
                                         ClipRequest, frames_text, Skipped)
from common.experiment import Experiment, PROFILES
from common.predict_types import PredictContext, PredictViews
from common.files import (csv_writer, file_sha256, folder_lock, LOCK_NAME, OutputError, prepare_output_folder,
                          read_json, write_text_atomic)
from common.config import ConfigError, profile_label
from common.datasets.invariants import motion_verdict
from common.deployment.manifest import (check_manifest, check_versions, HASH_FIELD, manifest_digest, ManifestProblem,
                                        read_model_record, record_difference, SOURCE_FIELD, source_note,
                                        weights_problem)
from common.deployment.rates import check_fps_option, method_need, rate_note, rate_problem, valid_rate
from common.paths import cache_root, reports_root
from common.preprocessing import face_quality as fq
from common.preprocessing.cache import default_root as stages_root, source_digest
from common.preprocessing.io import FrameReadError
from common.running.profiles import config_hash, effective_config
from common.running.screening import FACES_POLICIES

logger = logging.getLogger(__name__)

# An export's manifest holds the config, the class names and the fold's small recorded state: a few kilobytes.
MANIFEST_BYTES = 16 << 20
# How far a method's per-clip scores may stray from a distribution (each in [0, 1], each clip's summing to 1): every
# method's are one (a softmax in float32, within 1e-6 of it; the SVMs' vote shares, exact), so this only allows
# rounding; a damaged model (NaN weights: NaN scores, or an SVM's rows of no vote) is far outside it.
SCORE_TOLERANCE = 1e-3
FACE_REFUSED = ("no_face", "face_lost")  # verdicts --faces-policy decides on; "fallback" is flagged, predicted


@dataclasses.dataclass(frozen=True)
class Exported:
    """A checked export folder with its models loaded."""

    folder: Path
    manifest: Mapping[str, Any]
    paper_id: str
    experiment: Experiment
    config: Any
    class_names: tuple[str, ...]
    models: Mapping[str, Any]
    state: Mapping[str, Any]

    @property
    def scores(self) -> str:
        """What the per-class numbers are: "class probabilities", unless the export fold recorded another
        kind in its state (``"scores"``; the linear SVMs' vote shares, ``common.classifiers``)."""
        return str(self.state.get("scores") or "class probabilities")

    @property
    def label(self) -> str:
        """What model this is: paper/experiment, the profile with its ``--set`` overrides, the seed and the training
        data by database (``kumar2019/megc2019_loso, profile paper + --set train.epochs=1, seed 0, trained on the
        real corpus (442 clips: casme2 145, samm 133, smic 164)``)."""
        m = self.manifest
        corpus = m["training_corpus"]
        databases = ", ".join(f"{name} {count}" for name, count in corpus["datasets"].items())
        return (f"{m['paper']}/{m['experiment']}, profile {profile_label(m['profile'], m['overrides'])}, seed "
                f"{m['seed']}, trained on the {corpus['kind']} corpus ({corpus['samples']} clips"
                + (f": {databases})" if databases else ")"))

    @property
    def source_warning(self) -> str:
        """"" when this code trained the export (its manifest's source digest is this code's); else that it was
        trained by other code, or that the digest is not recorded (``manifest.source_note``): its inputs are made by
        this code's preprocessing, and may differ from its training's."""
        return source_note(self.manifest, source_digest())

    @property
    def method(self) -> str:
        """:attr:`label`, the model folder and :attr:`source_warning` where there is one: what the ``method``
        column of ``predictions.csv`` says of every row."""
        return f"{self.label}; model folder {self.folder}" + (f"; {self.source_warning}" if self.source_warning
                                                              else "")


@dataclasses.dataclass(frozen=True)
class ClipResult:
    """One clip's outcome: ``status`` ``ok`` (``probabilities`` set) or ``excluded`` (``reason``)."""

    sample: Sample
    status: str
    probabilities: np.ndarray | None
    face_verdict: str
    face_reason: str
    reason: str = ""
    views: PredictViews | None = None


def _read_json(path: Path) -> Any:
    """JSON as the export writes it: no NaN or Infinity (written so, or as a number beyond a float), no key given
    twice (the later would win unseen); bounded (``common.files.read_json``: at most :data:`MANIFEST_BYTES`, nested
    at most ``JSON_DEPTH`` levels)."""
    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def finite(text: str) -> float:  # 1e999 is valid JSON that Python reads as infinity, which no export writes
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"the number {text[:40]} is beyond a float's range")
        return value

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        # counted once, not a count per key: a manifest of a million keys is read in a second, not hours
        counts = collections.Counter(key for key, _ in items)
        repeated = sorted(key for key, count in counts.items() if count > 1)
        if repeated:
            raise ValueError(f"key {repeated[0]!r} appears twice in one object")
        return dict(items)

    return read_json(path, max_bytes=MANIFEST_BYTES, parse_constant=constant, parse_float=finite,
                     object_pairs_hook=pairs)


def _listed(names: Sequence[str], most: int = 10) -> str:
    """Names as an error line lists them: the first ``most``, each cut at 40 characters, and how many in all."""
    shown = ", ".join(name if len(name) <= 40 else name[:37] + "..." for name in names[:most])
    return shown if len(names) <= most else f"{shown}, ... ({len(names)} in all)"


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of an export folder, checked as a whole before anything of it is used: JSON; format
    and mersuite versions; every field the export writes, with its type (``common.deployment.manifest``);
    its own hash (``manifest_sha256``: a hand edit is refused); every listed file present with its sha256.
    One :class:`DeployError` line naming the field or file for anything else."""
    folder = Path(folder)
    path = folder / MANIFEST
    where = f"--model {folder}: {MANIFEST}"
    try:  # a name too long for the file system (ENAMETOOLONG) or a folder that cannot be searched: one line
        if not folder.is_dir():
            raise DeployError(f"--model {folder}: no such folder (expected a folder written by --export)")
        if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):  # as a listed file's link is
            raise DeployError(f"{where} leads outside the folder (a link); export the model again")
        if path.exists() and not path.is_file():  # a folder, a pipe or a device would be read forever or not at all
            raise DeployError(f"{where} is not a file; expected a folder written by --export")
        if path.is_file() and path.stat().st_size > MANIFEST_BYTES:
            raise DeployError(f"{where} holds {path.stat().st_size:,} bytes, more than an export's manifest "
                              f"({MANIFEST_BYTES:,} at most); expected a folder written by --export")
    except OSError as exc:
        raise DeployError(f"--model {folder}: cannot be read ({exc.strerror or exc}); expected a folder written by "
                          "--export") from None
    try:
        manifest = _read_json(path)
    except FileNotFoundError:
        raise DeployError(f"--model {folder}: no {MANIFEST}; expected a folder written by --export") from None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise DeployError(f"{where} cannot be read ({' '.join(str(exc).split())[:200]})") from None
    try:
        check_versions(manifest)
    except ManifestProblem as exc:
        raise DeployError(f"{where} {exc}; expected a folder written by --export") from None
    if manifest["format_version"] not in READ_FORMATS or manifest["mersuite_version"] != mersuite_version():
        raise DeployError(f"--model {folder}: exported by mersuite {manifest['mersuite_version']} (folder format "
                          f"{manifest['format_version']}); this is mersuite {mersuite_version()} (format "
                          f"{FORMAT_VERSION}, reads formats {', '.join(map(str, READ_FORMATS))}): export the model "
                          "again with this version")
    try:
        check_manifest(manifest, profiles=PROFILES, faces_policies=FACES_POLICIES, manifest_name=MANIFEST)
    except ManifestProblem as exc:
        raise DeployError(f"{where}: {exc}; export the model again") from None
    if manifest[HASH_FIELD] != manifest_digest(manifest):
        raise DeployError(f"{where} was changed after the export: its content no longer has the sha256 recorded "
                          f"in its field '{HASH_FIELD}'; export the model again")
    try:  # a listed name too long for the file system, a file that cannot be opened: one line
        missing = [name for name in manifest["files"] if not (folder / name).is_file()]
        if missing:
            raise DeployError(f"--model {folder}: missing file(s) {', '.join(missing)} listed in {MANIFEST}; "
                              f"export the model again")
        inside = folder.resolve()
        leaving = [name for name in manifest["files"] if not (folder / name).resolve().is_relative_to(inside)]
        if leaving:  # a link to a file elsewhere: what is read must be the folder's own
            raise DeployError(f"--model {folder}: file(s) {', '.join(leaving)} listed in {MANIFEST} lead outside the "
                              f"folder (a link); export the model again")
        changed = [name for name, digest in manifest["files"].items() if file_sha256(folder / name) != digest]
        if changed:
            raise DeployError(f"--model {folder}: file(s) {', '.join(changed)} differ from the sha256 in {MANIFEST} "
                              f"(changed after the export); export the model again")
    except OSError as exc:
        raise DeployError(f"--model {folder}: a file listed in {MANIFEST} cannot be read ({exc.strerror or exc}"
                          f"{': ' + str(exc.filename) if exc.filename else ''}); export the model again") from None
    return manifest


def _experiment_of(folder: Path, module: Any, manifest: Mapping[str, Any]) -> Experiment:
    """The exported experiment rebuilt from the code: a paper's experiment, or its benchmark entry."""
    paper_id, source = manifest["paper"], manifest["source"]
    if source["kind"] != "track":
        experiment, _ = find_experiment(module, paper_id, manifest["experiment"])
        return experiment
    from common.leaderboard.tracks import get_track

    entry = getattr(module, "benchmark_experiment", None)
    if not callable(entry):
        raise DeployError(f"--model {folder}: paper {paper_id!r} has no benchmark entry in this code (the "
                          f"{MANIFEST} source is track {source['track']!r})")
    try:
        experiment = entry(get_track(source["track"]), source["model"])
    except (KeyError, ValueError) as exc:  # an unknown track or model
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise DeployError(f"--model {folder}: {MANIFEST} source: {message}") from None
    if experiment.name != manifest["experiment"]:
        raise DeployError(f"--model {folder}: {MANIFEST} names experiment {manifest['experiment']!r}, but its "
                          f"source (track {source['track']!r}, model {source['model']!r}) is {experiment.name!r} "
                          f"in this code")
    return experiment


def code_class_names(experiment: Experiment, config: Any) -> tuple[str, ...]:
    """The experiment's classes as the code defines them, in order: its ``select`` on no data (every
    selection of the registry names its classes without reading a sample)."""
    try:
        return tuple(experiment.select({name: [] for name in experiment.datasets}, config).class_names)
    except Exception as exc:  # a select that needs samples to name its classes: said, not a traceback
        raise DeployError(f"{experiment.name}: the code cannot name its classes without data, so the exported "
                          f"class names cannot be checked ({' '.join(str(exc).split())[:160]})") from None


def _check_model(folder: Path, name: str, entry: Mapping[str, Any], model: Any) -> None:
    """The loaded model takes the input shapes and gives the output shape the manifest records for it."""
    try:
        inputs, outputs = model_shapes(model)
    except (AttributeError, IndexError, TypeError, ValueError):  # not a functional model with inputs and outputs
        raise DeployError(f"--model {folder}: {entry['file']} is not a model with inputs and outputs (model "
                          f"{name!r} of {MANIFEST}); export the model again") from None
    if inputs != entry["inputs"] or outputs != entry["outputs"]:
        raise DeployError(f"--model {folder}: {entry['file']} takes inputs {inputs} and gives {outputs}, but "
                          f"{MANIFEST} records inputs {entry['inputs']} and outputs {entry['outputs']} for model "
                          f"{name!r} (a swapped or changed model file); export the model again")


def _check_record(folder: Path, name: str, entry: Mapping[str, Any], manifest: Mapping[str, Any]) -> None:
    """The model file records (``manifest.MODEL_RECORD``) what the manifest says of the export that trained it:
    the config, the class names, the fitted state... (``manifest.RECORDED``). The manifest's own hash cannot tell
    a deliberate edit whose hashes were recomputed (it has no key); the model file's record can, unless it
    was edited too."""
    try:
        record = read_model_record(folder / entry["file"])
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DeployError(f"--model {folder}: {entry['file']}: {' '.join(str(exc).split())[:200]}; export the "
                          "model again") from None
    differs = record_difference(manifest, name, record)
    if differs:
        raise DeployError(f"--model {folder}: {MANIFEST} {differs} is not what {entry['file']} records of the "
                          f"export that trained it (the manifest was edited after the export and its hashes "
                          f"recomputed, or the model file is another export's); export the model again")


def _built_size_problem(path: Path) -> str:
    """Why the model a ``.keras`` archive's ``config.json`` describes is refused before Keras builds it, or ``""``:
    its variables would take more bytes than its ``model.weights.h5`` holds. Keras builds the model from the config,
    allocating and initialising every variable, before it reads the weights and compares their shapes, so a config
    declaring a layer of a billion units took gigabytes before any refusal. Here the model is built in a
    ``keras.StatelessScope`` that defers every variable (its shape known, nothing allocated), and those deferred
    variables are dropped from Keras's list afterwards, so that no later scope allocates them. Keras writes the
    weights uncompressed and ``weights_problem`` holds the HDF5's arrays within its bytes, so a model of ours fits.
    Call it after ``weights_problem`` (the JSON member's size checked)."""
    import keras
    # private: the list of variables a StatelessScope deferred, which no public function empties without
    # allocating them
    from keras.src.backend.common import global_state

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if not {"config.json", "model.weights.h5"} <= names:
            return "it holds no config.json and model.weights.h5 (Keras writes both)"
        weights_bytes = archive.getinfo("model.weights.h5").file_size
        text = archive.read("config.json")  # within manifest.JSON_MEMBER_BYTES: weights_problem
    try:
        config = json.loads(text)
        if not isinstance(config, dict):
            return "its config.json is not a JSON object"
        config.pop("compile_config", None)  # as load_model(compile=False)
        deferred = list(global_state.get_global_attribute("uninitialized_variables", []) or [])
        try:
            with keras.StatelessScope(initialize_variables=False):
                model = keras.saving.deserialize_keras_object(config, safe_mode=True)
            claimed = sum(math.prod(v.shape) * _itemsize(str(v.dtype)) for v in model.weights)
        finally:
            global_state.set_global_attribute("uninitialized_variables", deferred)
    except Exception as exc:  # a config Keras cannot build is a bad file, not a crash
        return f"Keras cannot build its config.json ({' '.join(str(exc).split())[:200]})"
    if claimed > weights_bytes:
        return (f"its config.json describes a model of {claimed:,} bytes of weights, more than its model.weights.h5 "
                f"holds ({weights_bytes:,})")
    return ""


def _itemsize(dtype: str) -> int:
    """Bytes per element of a Keras dtype name (``float32``: 4, ``bfloat16``: 2, ``bool``: 1)."""
    bits = "".join(c for c in dtype if c.isdigit())
    return max(1, int(bits) // 8) if bits else 1


def load_export(folder: str | Path, registry: Any) -> Exported:
    """The checked export folder (:func:`read_manifest`), its experiment and config rebuilt from the code
    (``config_hash`` must match), its class names and ``min_frames`` the code's, its models loaded with Keras
    (no compile: inference only), each with the input and output shapes the manifest records. ``registry``
    (``papers``, or anything with ``get_paper``) is handed over by the caller: common imports no paper."""
    import keras

    folder = Path(folder)
    manifest = read_manifest(folder)
    paper_id = manifest["paper"]
    try:
        module = registry.get_paper(paper_id)
    except (KeyError, ImportError) as exc:
        raise DeployError(f"--model {folder}: paper {paper_id!r} is not available here ({exc})") from None
    experiment = _experiment_of(folder, module, manifest)
    if experiment.predict_clips is None:
        raise DeployError(f"--model {folder}: {paper_id}/{experiment.name} has no predict_clips in this code")
    try:
        config = effective_config(experiment, manifest["profile"], manifest["overrides"])
    except ConfigError as exc:
        raise DeployError(f"--model {folder}: the exported overrides do not fit this code's config ({exc})") from None
    if config_hash(config) != manifest["config_hash"]:
        raise DeployError(f"--model {folder}: {paper_id}/{experiment.name}'s config in this code (hash "
                          f"{config_hash(config)}) is not the exported one ({manifest['config_hash']}); "
                          f"export the model again")
    classes = code_class_names(experiment, config)
    if tuple(manifest["class_names"]) != classes:
        raise DeployError(f"--model {folder}: {MANIFEST} field 'class_names' is {_listed(manifest['class_names'])}; "
                          f"{paper_id}/{experiment.name}'s classes in this code are {', '.join(classes)} (in this "
                          f"order: each score is printed under its class); export the model again")
    if manifest["min_frames"] != experiment.min_frames:
        raise DeployError(f"--model {folder}: {MANIFEST} field 'min_frames' is {manifest['min_frames']}; "
                          f"{paper_id}/{experiment.name} needs {experiment.min_frames} in this code; export the "
                          f"model again")
    models = {}
    for name, entry in manifest["models"].items():
        try:
            problem = weights_problem(folder / entry["file"]) or _built_size_problem(folder / entry["file"])
        except (OSError, ValueError, zipfile.BadZipFile) as exc:  # not a zip archive: BadZipFile is no ValueError
            problem = " ".join(str(exc).split())[:200]
        if problem:
            raise DeployError(f"--model {folder}: {entry['file']}: {problem}; export the model again")
        try:
            models[name] = keras.saving.load_model(folder / entry["file"], compile=False)
        except Exception as exc:  # a file Keras cannot read is a bad folder, not a crash
            raise DeployError(f"--model {folder}: Keras cannot load {entry['file']} "
                              f"({' '.join(str(exc).split())[:200]})") from None
        _check_model(folder, name, entry, models[name])
        _check_record(folder, name, entry, manifest)
    return Exported(folder=folder, manifest=manifest, paper_id=paper_id, experiment=experiment, config=config,
                    class_names=classes, models=models, state=dict(manifest["state"]))


@dataclasses.dataclass(frozen=True)
class Recorded(Mapping[str, Any]):
    """The export's models or state as a method's hooks read them (``PredictContext.models`` / ``.state``): a name
    the manifest's ``field`` does not hold is one :class:`DeployError` line naming the field and the name, not a
    ``KeyError`` traceback. ``get`` of such a name is refused too: every name a method reads, its export fold
    records (a state of None is recorded as null), so a name missing is an export this code did not write."""

    held: Mapping[str, Any]  # name -> model, or state key -> value
    field: str  # "models" or "state"
    folder: Path
    method: str  # paper/experiment, as the refusal names it

    def __getitem__(self, key: str) -> Any:
        if key not in self.held:
            names = ", ".join(sorted(self.held)) or "nothing"
            raise DeployError(f"--model {self.folder}: {MANIFEST} field '{self.field}' has no {key!r}, which "
                              f"{self.method} reads (it holds {names[:200]}); export the model again")
        return self.held[key]

    def __contains__(self, key: object) -> bool:
        return key in self.held

    def __iter__(self) -> Iterator[str]:
        return iter(self.held)

    def __len__(self) -> int:
        return len(self.held)


def predict_context(exported: Exported, samples: Sequence[Sample], cache_dir: Path | None = None) -> PredictContext:
    method = f"{exported.paper_id}/{exported.experiment.name}"
    return PredictContext(samples=tuple(samples), config=exported.config,
                          models=Recorded(exported.models, "models", exported.folder, method),
                          state=Recorded(exported.state, "state", exported.folder, method),
                          class_names=exported.class_names,
                          cache_dir=cache_dir if cache_dir is not None else stages_root())


def scores_problem(scores: np.ndarray, expected: tuple[int, int]) -> str:
    """Why ``scores`` (a method's ``predict_clips``) are not one distribution per clip over the classes, "": every
    method's scores are one (softmax probabilities, the SVMs' vote shares): of shape ``expected``, finite, each
    in [0, 1] and each clip's summing to 1, within :data:`SCORE_TOLERANCE`."""
    if scores.shape != expected:
        return f"an array of shape {scores.shape}, not {expected} (clips, classes)"
    for k, row in enumerate(scores):
        shown = ", ".join(f"{v:.4g}" for v in row[:8]) + (", ..." if len(row) > 8 else "")
        if not np.all(np.isfinite(row)):
            return f"clip {k + 1}'s are not all finite: {shown}"
        if np.any(row < -SCORE_TOLERANCE) or np.any(row > 1 + SCORE_TOLERANCE):
            return f"clip {k + 1}'s are not all in [0, 1]: {shown}"
        if abs(float(row.sum()) - 1.0) > SCORE_TOLERANCE:
            return f"clip {k + 1}'s sum to {float(row.sum()):.4g}, not 1: {shown}"
    return ""


def min_frames_problem(exported: Exported, sample: Sample) -> str:
    """Why ``sample`` has too few frames for the exported method (the manifest's ``min_frames``); "" when not."""
    needed = int(exported.manifest["min_frames"])
    if len(sample.frames) >= needed:
        return ""
    return (f"{len(sample.frames)} frame(s) from onset {sample.onset} to offset {sample.offset}; "
            f"{exported.paper_id}/{exported.experiment.name} needs at least {needed}")


def check_samples(exported: Exported, samples: Sequence[Sample],
                  faces_policy: str = "exclude") -> list[tuple[Sample, str, str, str]]:
    """``(sample, face verdict, face reason, exclusion reason or "")`` per clip, after the clip checks
    (``min_frames``, then the face check under ``faces_policy``; a clip with a frame that cannot be read is excluded,
    its verdict ""); a refusal is one DeployError line."""
    if faces_policy not in FACES_POLICIES:
        raise DeployError(f"faces policy {faces_policy!r}: expected one of {', '.join(FACES_POLICIES)}")
    checked = []
    for sample in samples:
        where = sample.meta.get("source", sample.key)
        too_short = min_frames_problem(exported, sample)
        if too_short:
            raise DeployError(f"{where}: {too_short}")
        try:
            quality = fq.sample_face_quality(sample)
        except FrameReadError as exc:  # excluded with its reason: the other clips of a list are predicted
            checked.append((sample, "", "", f"{exc}; not predicted"))
            continue
        excluded = ""
        if quality.verdict in FACE_REFUSED:
            what = "no face" if quality.verdict == "no_face" else "the face is lost mid-clip"
            if faces_policy == "refuse":
                raise DeployError(f"{where}: {what} ({quality.reason}); refused under --faces-policy refuse")
            if faces_policy == "exclude":
                excluded = (f"{what} ({quality.reason}); not predicted under --faces-policy exclude "
                            f"(--faces-policy keep predicts it anyway)")
        checked.append((sample, quality.verdict, quality.reason, excluded))
    refuse_all_excluded(checked)
    for sample, _, _, excluded in checked:
        if excluded:
            logger.info(f"{sample.meta.get('source', sample.key)}: {excluded}")
    return checked


def refuse_all_excluded(checked: Sequence[tuple[Sample, str, str, str]]) -> None:
    """One DeployError line when every clip of :func:`check_samples`' list is excluded: nothing to predict."""
    if checked and all(excluded for *_, excluded in checked):
        first = checked[0]
        raise DeployError(f"{first[0].meta.get('source', first[0].key)}: {first[3]}"
                          + (f" (and the {len(checked) - 1} other clip(s) too)" if len(checked) > 1 else ""))


def predict_kept(exported: Exported, checked: list[tuple[Sample, str, str, str]],
                 cache_dir: Path | None) -> tuple[PredictContext, np.ndarray]:
    """The method's ``predict_clips`` on the clips ``checked`` keeps. A frame the checks passed that the method's
    pipeline cannot read (its ends whole but its data not an image, not among the face check's eight frames; or of
    another size than its clip's first) excludes its clip with the reason, in ``checked``, and the others are
    predicted again (the stages they computed are cached): one clip's broken frame never stops a list."""
    predict_clips = exported.experiment.predict_clips
    if predict_clips is None:  # load_export refuses such an experiment; an Exported built by hand may not
        raise DeployError(f"{exported.paper_id}/{exported.experiment.name} has no predict_clips in this code")
    while True:
        ctx = predict_context(exported, [sample for sample, _, _, excluded in checked if not excluded], cache_dir)
        try:
            return ctx, np.asarray(predict_clips(ctx), dtype=float)
        except FrameReadError as exc:
            at = next((i for i, (sample, _, _, excluded) in enumerate(checked)
                       if not excluded and exc.path and exc.path in {str(frame) for frame in sample.frames}), None)
            if at is None:  # no kept clip's frame: not one clip's to exclude
                raise
            sample, verdict, face_reason, _ = checked[at]
            checked[at] = (sample, verdict, face_reason, f"{exc}; not predicted")
            refuse_all_excluded(checked)
            logger.info(f"{sample.meta.get('source', sample.key)}: {exc}; not predicted")


def predict_samples(exported: Exported, samples: Sequence[Sample], *, faces_policy: str = "exclude",
                    views: bool = True, cache_dir: Path | None = None) -> list[ClipResult]:
    """Every clip checked (:func:`check_samples`), then the method's ``predict_clips`` on those kept, and
    its ``predict_views`` (when ``views`` and the method has them) for the page."""
    checked = check_samples(exported, samples, faces_policy)
    ctx, probabilities = predict_kept(exported, checked, cache_dir)
    problem = scores_problem(probabilities, (len(ctx.samples), len(exported.class_names)))
    if problem:  # never a row of zeros or NaN printed as a prediction: the model folder is at fault, not the clip
        raise DeployError(f"--model {exported.folder}: {exported.paper_id}/{exported.experiment.name} gave scores that "
                          f"are not one distribution per clip ({problem}); expected {exported.scores}, each in "
                          f"[0, 1], each clip's summing to 1 (its weights or state are damaged?); export the model "
                          f"again")
    results, k = [], 0
    for sample, verdict, face_reason, excluded in checked:
        if excluded:
            results.append(ClipResult(sample, "excluded", None, verdict, face_reason, excluded))
            continue
        shown = None
        if views and exported.experiment.predict_views is not None:
            shown = exported.experiment.predict_views(ctx, k)
        used = used_apex(exported, ctx, k)
        motionless = motion_problem(used)
        k += 1
        if motionless and exported.experiment.needs_motion:  # a run refuses such a clip (screening, rule 6)
            results.append(ClipResult(used, "excluded", None, verdict, face_reason,
                                      f"{motionless}; {exported.paper_id}/{exported.experiment.name} reads the "
                                      "motion from onset to apex (Experiment.needs_motion), so it is not "
                                      "predicted: give an --apex after the onset where the face moves", views=shown))
            continue
        if motionless:
            used = dataclasses.replace(used, meta={**used.meta, "motion": motionless})
        results.append(ClipResult(used, "ok", probabilities[k - 1], verdict, face_reason, views=shown))
    if results and all(r.status == "excluded" for r in results):
        first = next(r for r in results if r.status == "excluded")
        raise DeployError(f"{first.sample.meta.get('source', first.sample.key)}: {first.reason}"
                          + (f" (and the {len(results) - 1} other clip(s) are excluded too)" if len(results) > 1
                             else ""))
    return results


def motion_problem(sample: Sample) -> str:
    """Rule 6 of a run (``common.datasets.invariants.motion_verdict``) on the clip as its input was built
    (onset = its first frame, the apex the method used): why it has no motion between them, or "". The verdict
    names the frames' folder first, which the caller names as the clip's source (for a video, the video, not its
    decoded frames' folder in the cache): that prefix is left out."""
    try:
        verdict = motion_verdict(sample)
    except FrameReadError as exc:
        raise DeployError(f"{exc} (clip {sample.meta.get('source', sample.key)})") from None
    if verdict is None:
        return ""
    return verdict.reason.removeprefix(f"{sample.frames[0].parent}: ") if sample.frames else verdict.reason


def fallbacks(r: ClipResult) -> list[str]:
    """What the prediction of one clip fell back on, each in words: the apex rule where the apex was not
    given, the face box where no face was found, the method's own (``PredictViews.fallbacks``: fixed points),
    and a clip without motion between onset and apex (a method that does not need it predicts it, flagged)."""
    s = r.sample
    out = []
    if s.meta.get("apex_rule", "given") != "given":
        out.append(f"apex rule: {s.meta.get('apex_rule')} (apex {s.apex})")
    if r.face_verdict in ("fallback", "no_face", "face_lost"):
        out.append(f"face box: {r.face_reason}")
    if r.views is not None:
        out.extend(r.views.fallbacks)
    if s.meta.get("motion"):
        out.append(f"no motion: {s.meta['motion']}")
    return out


def used_apex(exported: Exported, ctx: PredictContext, index: int) -> Sample:
    """``ctx.samples[index]`` with the apex its input was built from and the rule that chose it
    (``Experiment.predict_apex``: e.g. the flow baselines' own rule in place of the recording's generic
    one); unchanged where the method takes the recording's apex as it is."""
    sample = ctx.samples[index]
    predict_apex = exported.experiment.predict_apex
    if predict_apex is None:
        return sample
    position, rule = predict_apex(ctx, index)
    if not 0 <= int(position) < len(sample.frames) or not rule:
        raise DeployError(f"{exported.paper_id}/{exported.experiment.name}: predict_apex gave position {position} "
                          f"({rule!r}) for a clip of {len(sample.frames)} frames")
    apex = sample.frame_numbers[int(position)]
    if apex == sample.apex and rule == sample.meta.get("apex_rule"):
        return sample
    return dataclasses.replace(sample, apex=apex, meta={**sample.meta, "apex_rule": rule})


def entry_counts(results: Sequence[ClipResult | Skipped]) -> dict[str, int]:
    """How many entries were listed, predicted, excluded by a check, skipped."""
    return {"entries": len(results), "predicted": sum(r.status == "ok" for r in results),
            "excluded": sum(r.status == "excluded" for r in results),
            "skipped": sum(r.status == "skipped" for r in results)}


def counts_text(results: Sequence[ClipResult | Skipped]) -> str:
    """``2 predicted, 1 skipped of 3`` (the excluded and skipped parts where there are any)."""
    counts = entry_counts(results)
    parts = [f"{counts['predicted']} predicted"]
    parts += [f"{counts[what]} {what}" for what in ("excluded", "skipped") if counts[what]]
    return f"{', '.join(parts)} of {counts['entries']}"


def _declared(sample: Sample) -> int:
    """The frame count a video's container declares, 0 for a folder of frames or a container that gives none (the
    ``declared_frames`` column beside ``frames``: the decoded count is the video's own ``frames`` when the clip is
    the whole video)."""
    return int(sample.meta.get("declared_frames", 0) or 0)


def _clip_json(exported: Exported, r: ClipResult | Skipped) -> dict[str, Any]:
    if isinstance(r, Skipped):
        return {"clip": r.entry, "source": r.source, "onset": None, "apex": None, "offset": None, "apex_rule": "",
                "fps": None, "fps_source": "", "frames": 0, "missing_frames": 0, "declared_frames": None,
                "face": "", "face_reason": "", "status": r.status,
                "reason": r.reason, "rate_note": "", "clock": "", "variable_rate": False, "positions": "",
                "fallbacks": [], "predicted": None, "probabilities": None}
    s = r.sample
    return {"clip": s.clip, "source": s.meta.get("source", ""), "onset": s.onset, "apex": s.apex, "offset": s.offset,
            "apex_rule": s.meta.get("apex_rule", ""), "fps": s.fps, "fps_source": s.meta.get("fps_source", ""),
            "frames": len(s.frames), "missing_frames": int(s.meta.get("missing_frames", 0) or 0),
            "declared_frames": _declared(s) or None,
            "face": r.face_verdict, "face_reason": r.face_reason, "status": r.status,
            "reason": r.reason, "rate_note": s.meta.get("rate_note", ""), "clock": s.meta.get("clock", ""),
            "variable_rate": bool(s.meta.get("variable_rate", False)), "positions": s.meta.get("positions", ""),
            "fallbacks": fallbacks(r),
            "predicted": None if r.probabilities is None else exported.class_names[int(np.argmax(r.probabilities))],
            "probabilities": None if r.probabilities is None
            else {c: float(p) for c, p in zip(exported.class_names, r.probabilities)}}


def results_json(exported: Exported, results: Sequence[ClipResult | Skipped],
                 outputs: Mapping[str, Any] | None = None) -> dict:
    """``--json``: the method, then every entry in the list's order (``status`` ok, excluded or skipped, with
    its reason), and the counts."""
    m = exported.manifest
    return {
        "method": {"paper": m["paper"], "experiment": m["experiment"], "title": m.get("title", ""),
                   "profile": m["profile"], "overrides": m["overrides"], "seed": m["seed"],
                   "label": exported.label,  # the profile with its --set overrides, the seed, the training data
                   "training_corpus": m["training_corpus"]["kind"],
                   "training_samples": m["training_corpus"]["samples"],
                   "training_datasets": m["training_corpus"]["datasets"], "model_dir": str(exported.folder),
                   "config_hash": m["config_hash"],
                   "source_digest": m.get(SOURCE_FIELD),  # null: an export of folder format 3 records none
                   "code_source_digest": source_digest(),
                   "source_warning": exported.source_warning,  # "" unless other code (or unknown code) trained it
                   "input_warning": chain_warning(m)},  # "" unless the model learnt from another chain's inputs
        "class_names": list(exported.class_names),
        "scores": exported.scores,  # what "probabilities" holds: class probabilities, or an SVM's vote shares
        "clips": [_clip_json(exported, r) for r in results],
        "counts": entry_counts(results),
        "outputs": {k: str(v) for k, v in (outputs or {}).items()},
    }


def predictions_csv(exported: Exported, results: Sequence[ClipResult | Skipped]) -> str:
    """One row per entry, in the list's order; a skipped entry has its name, source, status and reason only, and the
    method. After the class columns: ``input_warning`` (:func:`chain_warning` on every predicted row, empty where it
    is ""), ``fps_source`` (where the clip's rate came from), ``method`` (:attr:`Exported.method`: which model, and
    whether this code trained it) and ``scores`` (what the class columns hold), the last two on every row."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow(["clip", "source", "onset", "apex", "offset", "apex_rule", "fps", "frames", "missing_frames",
                     "declared_frames", "face", "status", "reason", "predicted", *exported.class_names,
                     "input_warning", "fps_source", "method", "scores"])
    warning = chain_warning(exported.manifest)
    method, scores = exported.method, exported.scores
    for r in results:
        if isinstance(r, Skipped):
            writer.writerow([r.entry, r.source, "", "", "", "", "", "", "", "", "", r.status, r.reason, "",
                             *[""] * len(exported.class_names), "", "", method, scores])
            continue
        s = r.sample
        probabilities = [] if r.probabilities is None else [repr(float(p)) for p in r.probabilities]
        writer.writerow([s.clip, s.meta.get("source", ""), s.onset, s.apex, s.offset, s.meta.get("apex_rule", ""),
                         s.fps, len(s.frames), int(s.meta.get("missing_frames", 0) or 0), _declared(s) or "",
                         r.face_verdict, r.status, r.reason,
                         "" if r.probabilities is None else exported.class_names[int(np.argmax(r.probabilities))],
                         *(probabilities or [""] * len(exported.class_names)),
                         warning if r.probabilities is not None else "", s.meta.get("fps_source", ""), method, scores])
    return buffer.getvalue()


def summary_lines(exported: Exported, results: Sequence[ClipResult | Skipped]) -> list[str]:
    """The stdout lines: the method once, then per entry its top class and every probability (or why it was
    not predicted), then the counts."""
    lines = [f"method {exported.label}; scores: {exported.scores}"]
    if chain_warning(exported.manifest):
        lines.append(chain_warning(exported.manifest))
    if exported.source_warning:
        lines.append(f"WARNING: {exported.source_warning}")
    for r in results:
        if isinstance(r, Skipped):
            lines.append(f"{r.entry}: skipped: {r.reason}")
            continue
        s = r.sample
        head = f"{s.clip}: {frames_text(s)}, {apex_text(s)}, face {r.face_verdict}"
        if r.probabilities is None:
            lines.append(f"{head}: excluded: {r.reason}")
            continue
        top = int(np.argmax(r.probabilities))
        lines.append(f"{head}: {exported.class_names[top]} ({r.probabilities[top]:.3f})")
        lines.append("  " + "  ".join(f"{c} {p:.4f}" for c, p in zip(exported.class_names, r.probabilities)))
        fell_back = [f for f in fallbacks(r) if not f.startswith("apex rule:")]  # the head names the apex rule
        if fell_back:
            lines.append("  fallbacks: " + "; ".join(fell_back))
    lines.append(counts_text(results))
    return lines


OUTPUT_FILES = ("predictions.csv", "predict.pdf", "predict.png")  # what write_outputs writes into --out


def write_outputs(exported: Exported, results: Sequence[ClipResult | Skipped], out_dir: Path) -> dict[str, Path]:
    """:data:`OUTPUT_FILES`: ``predictions.csv`` (every entry), ``predict.pdf`` (one page per clip read; a skipped
    entry has none) and ``predict.png`` (page 1), each atomically."""
    from common.deployment.page import write_pages  # matplotlib: only when pages are written

    try:
        prepare_output_folder(out_dir, "--out folder")
        table, pdf, png = (out_dir / name for name in OUTPUT_FILES)
        outputs = {"csv": write_text_atomic(table, predictions_csv(exported, results))}
        pages = [r for r in results if isinstance(r, ClipResult)]
        outputs.update(write_pages(exported, pages, pdf, png))
    except OutputError as exc:
        raise DeployError(str(exc)) from None
    except OSError as exc:
        raise DeployError(f"--out {out_dir}: cannot write ({exc.strerror or exc})") from None
    return outputs


def predict_command(clip: str | Path, model_dir: str | Path, *, onset: str | None = None, apex: str | None = None,
                    offset: str | None = None, fps: float | None = None, faces_policy: str = "exclude",
                    out: str | Path | None = None,
                    registry: Any) -> tuple[Exported, list[ClipResult | Skipped], dict[str, Path]]:
    """``run_all.py --predict CLIP --model DIR``: every check, then the prediction, then the files. The
    results are every entry of CLIP in its order: a :class:`ClipResult` per clip read, a ``Skipped`` per
    entry that is not predicted (a folder or CSV of clips; one clip given alone is refused instead).

    The output folder (``out``, default ``reports/predict``) is checked and locked (:func:`_lock_out`) before the
    models load, and held until the files are written: a second prediction into it is refused at once, and one that
    finds an earlier prediction's files there (written meanwhile) is refused rather than replace them."""
    started = time.perf_counter()
    fps = check_fps_option(fps)
    listing = clip_requests(clip, onset, apex, offset)  # a bad path or CSV: refused before the models load
    out_dir = Path(out) if out is not None else reports_root() / "predict"
    with _lock_out(out_dir):
        exported = load_export(model_dir, registry)
        if exported.source_warning:  # never silent: predicted, and said on stderr before anything else
            logger.warning(f"--model {exported.folder}: {exported.source_warning}")
        results = _predict_listing(exported, listing, clip, fps, faces_policy)
        outputs = write_outputs(exported, results, out_dir)
    logger.info(f"{counts_text(results)} in {time.perf_counter() - started:.1f} s; "
                f"{', '.join(str(p) for p in outputs.values())}")
    return exported, results, outputs


@contextlib.contextmanager
def _lock_out(out_dir: Path) -> Iterator[Path]:
    """Hold ``out_dir`` for one prediction: created and proved writable, its lock taken (``common.files.folder_lock``:
    another prediction writing there is refused at once), and none of :data:`OUTPUT_FILES` there (an earlier
    prediction is never replaced; ``run_all.py`` picks ``<out>-2``... for it). One :class:`DeployError` line
    otherwise, before anything is loaded. A refused prediction leaves no folder it made: the folder it created,
    holding nothing but its lock file, is removed before the lock is let go (anything else in it is kept)."""
    created = not os.path.lexists(out_dir)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(folder_lock(out_dir, "--out folder"))
        except OutputError as exc:
            raise DeployError(str(exc)) from None
        try:
            earlier = [name for name in OUTPUT_FILES if os.path.lexists(out_dir / name)]
            if earlier:
                raise DeployError(f"--out {out_dir}: holds an earlier prediction ({', '.join(earlier)}), which this "
                                  "one would replace; give another --out, or move those files")
            yield out_dir
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    if os.listdir(out_dir) == [LOCK_NAME]:
                        (out_dir / LOCK_NAME).unlink()
                        out_dir.rmdir()
            raise


def _predict_listing(exported: Exported, listing: ClipList, clip: str | Path, fps: float | None,
                     faces_policy: str) -> list[ClipResult | Skipped]:
    """Every entry of ``listing`` (``clip``, as the user gave it) in its order: a :class:`ClipResult` per clip read
    and predicted, a ``Skipped`` per entry that is not (:func:`predict_command`)."""
    method = f"{exported.paper_id}/{exported.experiment.name}"
    trained = [float(r) for r in exported.manifest["training_corpus"].get("fps") or [] if valid_rate(r)]
    default_fps = trained[0] if len(trained) == 1 else None
    need = method_need(exported.experiment, exported.config)
    names: dict[str, int] = {}
    entries: list[Sample | Skipped] = []
    noted: set[float] = set()
    pending: list[str] = []  # what was left out and why: shown once something is predicted (a refusal is one line)
    for entry in listing.entries:
        if isinstance(entry, Skipped):
            entries.append(entry)
            pending.append(f"{entry.entry}: skipped: {entry.reason}")
            continue
        request: ClipRequest = entry
        name = request.path.stem if request.path.is_file() else request.path.name
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:
            name = f"{name}_{names[name]}"
        try:
            sample = clip_sample(request, cache_root=cache_root(), fps=fps, default_fps=default_fps, name=name,
                                 notes=pending)
            where = sample.meta.get("source", sample.key)
            problem = rate_problem(sample.fps, need, method)
            if problem:
                source = sample.meta.get("fps_source")
                raise DeployError(f"{where}: {problem} (" + ("given by --fps)" if source == "--fps" else
                                                            f"{source} rate; give --fps if the clip's is another)"))
            too_short = min_frames_problem(exported, sample)
            if too_short:
                raise DeployError(f"{where}: {too_short}")
        except (DeployError, FrameReadError) as exc:  # a frame that cannot be read: that clip skipped, with why
            if listing.single:
                raise
            reason = str(exc)
            for prefix in (f"--predict {request.path}: ", f"{request.path}: "):  # the source column names it
                reason = reason.removeprefix(prefix)
            skipped = Skipped(request.entry or request.path.name, str(request.path), reason)
            entries.append(skipped)
            pending.append(f"{skipped.entry}: skipped: {reason}")
            continue
        note = rate_note(sample.fps, need, trained)
        if note:
            sample = dataclasses.replace(sample, meta={**sample.meta, "rate_note": note})
            if sample.fps not in noted:
                noted.add(sample.fps)
                pending.append(f"{method}: {note}")
        entries.append(sample)
    samples = [e for e in entries if isinstance(e, Sample)]
    if not samples:
        first = next(e for e in entries if isinstance(e, Skipped))
        raise DeployError(f"--predict {clip}: no clip to predict among its {len(entries)} entr"
                          f"{'y' if len(entries) == 1 else 'ies'}: {first.entry}: {first.reason}"
                          + (f" (and {len(entries) - 1} more skipped)" if len(entries) > 1 else ""))
    predicted = iter(predict_samples(exported, samples, faces_policy=faces_policy))
    for line in pending:
        logger.info(line)
    return [e if isinstance(e, Skipped) else next(predicted) for e in entries]
