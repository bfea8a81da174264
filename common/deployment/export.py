"""Export: train an experiment's final model(s) on all of its selected data and write a folder
that ``--predict`` loads without guessing anything.

The export run IS the paper's own ``run_fold``, on one "export fold" whose training and test
samples are the whole selection (after the run's own checks: ``common.running.screening``),
with an :class:`common.predict_types.ExportSink` in the context that keeps the trained models and
the fold-level state the test inputs need. The fold's own test probabilities (the training run's
predict step) are written as ``training_predictions.csv``: ``--predict`` on one of those clips, given its
onset, apex, offset and fps as that file records them, must give the same numbers from the saved folder (within
1e-5; without them the recording's defaults choose other frames). The manifest records this code's source digest
(``common.preprocessing.cache.source_digest``): ``--predict`` by other code says so.

Everything that could stop the write is checked before the training (:func:`_check_destination`: the
destination a new folder, an empty one or an earlier export holding nothing it did not write (a file, folder or
link of the user's in it is refused, never deleted with it); its parent writable; an existing one not a
mount point and renamable). The folder is written to a temporary sibling, then renamed (never half
written), the destination checked again first (what was put there during the training is never deleted); a
write that fails after the training keeps the temporary folder and names it::

    <model>.keras ...            one per model the fold kept, each carrying mersuite.json: the manifest's
                                 fields that change a prediction (common.deployment.manifest.MODEL_RECORD)
    manifest.json                what the models are and how their inputs are made (FORMAT_VERSION), with
                                 the sha256 of every file and its own (common.deployment.manifest)
    training_predictions.csv     index, key, dataset, subject, clip, onset, apex, offset, fps, label,
                                 predicted, one probability column per class
    training/                    the fold's work dir (training history CSV); an export holds no empty folder
"""
from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Mapping
import csv

import numpy as np

from common.config import to_dict
from common.deployment.manifest import (HASH_FIELD, MODEL_NAME, DeployError, manifest_digest, model_record,
                                        SOURCE_FIELD, write_model_record)
from common.errors import first_few, WorkSavedError
from common.deployment.rates import check_corpus_rates
from common.files import csv_text, csv_writer, file_sha256, open_regular, read_json, write_probe
from common.running.corpus import load_datasets
from common.running.profiles import RunSpec, config_hash
from common.evaluation.records import jsonable
from common.running.screening import screen_selection
from common.experiment import Experiment, Fold, FoldContext, Selection
from common.predict_types import ExportSink
from common.datasets.invariants import content_fingerprint
from common.datasets.released import corpus_inputs
from common.preprocessing.cache import default_root as stages_root, source_digest
from common.running.fold import training_class_problem

logger = logging.getLogger(__name__)

# Bump when the folder's layout or the manifest's meaning changes. 2: the manifest carries its own hash
# (manifest_sha256, common.deployment.manifest); a format-1 folder is refused and exported again. 3: each model
# file carries the record of the export that wrote it (manifest.MODEL_RECORD). 4: the manifest and each model's
# record carry the source digest of the code that trained (manifest.SOURCE_FIELD); a format-3 folder is still read,
# its prediction saying that digest is not recorded (manifest.source_note).
FORMAT_VERSION = 4
READ_FORMATS = (3, FORMAT_VERSION)  # the folder formats --predict reads
MANIFEST = "manifest.json"
TRAINING_PREDICTIONS = "training_predictions.csv"
TRAINING_FOLDER = "training"  # the export fold's work dir (FoldContext.work_dir)


def mersuite_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mersuite")
    except PackageNotFoundError:
        return "unknown"


def corpus_fingerprint(selection: Selection) -> str:
    """A digest of the training clips: each key and the bytes of its first, middle and last frame files
    (``common.datasets.invariants.content_fingerprint``), so a regenerated identical corpus matches."""
    digest = hashlib.sha256()
    for sample in selection.samples:
        digest.update(sample.key.encode())
        digest.update((content_fingerprint(sample) if sample.frames else "no frames").encode())
    return digest.hexdigest()[:16]


def model_shapes(model: Any) -> tuple[list[list[int | None]], list[int | None]]:
    """``(input shapes, first output's shape)`` of a Keras model, as the manifest records them (None: the batch)."""
    inputs = [[None if d is None else int(d) for d in tensor.shape] for tensor in model.inputs]
    return inputs, [None if d is None else int(d) for d in model.outputs[0].shape]


def training_predictions_text(selection: Selection, indices: np.ndarray, probabilities: np.ndarray) -> str:
    """``training_predictions.csv``'s text; its names written safe from spreadsheets (``common.files.csv_writer``)."""
    names = list(selection.class_names)
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow(["index", "key", "dataset", "subject", "clip", "onset", "apex", "offset", "fps", "label",
                     "predicted", *names])
    for i, row in zip(indices, probabilities):
        s = selection.samples[int(i)]
        writer.writerow([int(i), s.key, s.dataset, s.subject, s.clip, s.onset, "" if s.apex is None else s.apex,
                         "" if s.offset is None else s.offset, repr(float(s.fps)), names[int(selection.labels[int(i)])],
                         names[int(np.argmax(row))], *(repr(float(p)) for p in row)])
    return buffer.getvalue()


def read_training_predictions(folder: str | Path) -> list[dict[str, Any]]:
    """The rows of ``training_predictions.csv``: strings (as written, ``common.files.csv_text``), with
    ``probabilities`` as a float array."""
    with open_regular(Path(folder) / TRAINING_PREDICTIONS, newline="", encoding="utf-8") as handle:
        lines = [[csv_text(cell) for cell in line] for line in csv.reader(handle) if line]
    if not lines:  # an empty file
        raise ValueError(f"{Path(folder) / TRAINING_PREDICTIONS}: empty file; expected a header row")
    header = lines[0]
    classes = header[header.index("predicted") + 1:]
    rows = [dict(zip(header, line)) for line in lines[1:]]
    return [{**row, "probabilities": np.array([float(row[c]) for c in classes])} for row in rows]


def _earlier_export_problem(out_dir: Path) -> str:
    """Why the non-empty folder ``out_dir`` is not an earlier export that may be replaced ("" when it is):
    its ``manifest.json`` must be an export's (an object with ``format_version`` and a ``files`` table, of
    any format), every file in the folder one that manifest lists, every folder one on the way to such a file (or
    the training folder), and no symbolic link, so that nothing of the user's is deleted with it."""
    try:
        manifest = read_json(out_dir / MANIFEST)  # bounded: common.files.JSON_BYTES, JSON_DEPTH
    except FileNotFoundError:
        return f"the folder is not empty and holds no earlier export ({MANIFEST})"
    except (OSError, ValueError) as exc:
        return f"its {MANIFEST} cannot be read as an export's ({' '.join(str(exc).split())[:120]})"
    if not isinstance(manifest, dict) or "format_version" not in manifest or not isinstance(manifest.get("files"),
                                                                                             dict):
        return f"its {MANIFEST} is not an export's (no format_version and files table)"
    listed = {str(name) for name in manifest["files"]} | {MANIFEST}
    # the folders the export wrote: those on the way to a file it lists (it leaves no empty folder,
    # _remove_empty_folders), and its training folder, which an export from before that may have left empty
    written = {TRAINING_FOLDER} | {parent.as_posix() for name in listed if ".." not in Path(name).parts
                                   for parent in Path(name).parents}
    links, files, folders = [], [], []

    def unreadable(error: OSError) -> None:  # a folder that cannot be listed may hold anything: not replaced
        raise error

    for top, subfolders, names in os.walk(out_dir, onerror=unreadable):  # a link to a folder is not followed
        for name in subfolders + names:
            path = os.path.join(top, name)
            relative = Path(path).relative_to(out_dir).as_posix()
            if os.path.islink(path):
                links.append(relative)
            elif os.path.isdir(path) and relative not in written:
                folders.append(relative)
            elif not os.path.isdir(path) and relative not in listed:
                files.append(relative)
    # an export writes no link, and nothing its manifest does not account for: each such entry is the user's, which
    # replacing the earlier export would delete
    for found, what in ((links, "symbolic link(s)"), (files, "file(s)"), (folders, "folder(s)")):
        if found:
            return (f"it holds {len(found)} {what} the earlier export did not write ({first_few(sorted(found), 3)}), "
                    f"which replacing it would delete; move them out")
    return ""


def _remove_empty_folders(folder: Path) -> None:
    """Every empty folder under ``folder`` removed, deepest first (a folder emptied so is removed too): an export
    holds only folders on the way to the files its manifest lists, so that any other folder in an earlier export
    is known to be the user's (:func:`_earlier_export_problem`)."""
    for top, _, _ in os.walk(folder, topdown=False):
        if top != str(folder) and not os.listdir(top):
            os.rmdir(top)


def _destination_problem(out_dir: Path) -> str:
    """Why the export may not replace what is at ``out_dir`` now, or ``""``: nothing there, an empty folder, or an
    earlier export holding nothing it did not write (:func:`_earlier_export_problem`). Checked before the training
    (:func:`_check_destination`) and again right before the finished export is put in place (:func:`_put_in_place`):
    what the user put there meanwhile is never deleted. ``OSError`` for a destination that cannot be read."""
    if out_dir.is_symlink():  # replacing it would replace the user's link, not the folder it names
        return f"is a symbolic link (to {os.path.realpath(out_dir)}); give the folder it points to, or a new folder"
    if not out_dir.exists():
        return ""
    if not out_dir.is_dir():
        return "exists and is not a folder"
    if os.path.ismount(out_dir):
        return (f"is a mount point, which an export cannot replace (it writes a new folder beside it and renames it "
                f"into place); give a folder inside it, e.g. {out_dir / 'model'}")
    if not any(out_dir.iterdir()):
        return ""
    problem = _earlier_export_problem(out_dir)
    return f"{problem}; give a new or empty folder, or an earlier export" if problem else ""


def _check_destination(out_dir: Path) -> Path:
    """Everything that could stop the write, checked before any training; returns the destination as an
    absolute path. A new folder, an empty one or an earlier export (replaced) are accepted. The export
    writes a temporary sibling and renames it into place, so the parent must be writable and an existing
    destination renamable: a mount point (a volume, a bind mount) is not, and is refused; so is a folder
    the rename probe cannot move and move back. Anything else is one :class:`DeployError` line."""
    out_dir = Path(os.path.abspath(out_dir))
    where = f"--export {out_dir}"
    if out_dir.parent == out_dir:
        raise DeployError(f"{where}: the root folder cannot be replaced; give a folder inside it")
    try:
        problem = _destination_problem(out_dir)
    except OSError as exc:
        raise DeployError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    if problem:
        raise DeployError(f"{where}: {problem}")
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DeployError(f"{where}: cannot create {parent} ({exc.strerror or exc})") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DeployError(f"{where}: cannot write into {parent} (not a writable folder)")
    try:
        write_probe(parent)  # a full disk or a read-only file system, found before the training
    except OSError as exc:
        raise DeployError(f"{where}: cannot write into {parent} ({exc.strerror or exc})") from None
    if out_dir.exists():
        _probe_rename(out_dir)
    return out_dir


def _probe_rename(out_dir: Path) -> None:
    """Rename the existing destination to a sibling name and back: the operation the export ends with,
    tried before the training (a folder some file system or lock keeps in place fails here, in one line)."""
    probe = out_dir.with_name(f".{out_dir.name}.probe-{os.getpid()}")
    try:
        os.rename(out_dir, probe)
    except OSError as exc:
        raise DeployError(f"--export {out_dir}: cannot be renamed ({exc.strerror or exc}), and an export replaces "
                          f"its folder by renaming; give a new folder, e.g. {out_dir / 'model'}") from None
    try:
        os.rename(probe, out_dir)
    except OSError as exc:
        raise DeployError(f"--export {out_dir}: moved to {probe} to check that it can be renamed, and it cannot "
                          f"be moved back ({exc.strerror or exc}); move it back yourself") from None


def _put_in_place(tmp: Path, out_dir: Path) -> None:
    """The finished export ``tmp`` renamed to ``out_dir``; an earlier export there is moved aside first and
    removed after. The destination is checked again first, as before the training (:func:`_destination_problem`):
    the training took hours, and a file or folder put there meanwhile is never deleted (another export finished
    there meanwhile is an earlier export, replaced; the moved-aside folder is checked once more before it is
    removed). A destination that no longer passes or a rename that fails keeps the finished export in ``tmp`` and
    says so (``WorkSavedError``, exit 3); a failed rename puts the earlier export back. No lock file is left beside
    the user's folders."""
    kept = f"the finished export is kept in {tmp}: move it to {out_dir}"
    try:
        problem = _destination_problem(out_dir)
    except OSError as exc:
        problem = f"cannot read it ({exc.strerror or exc})"
    if problem:
        # exit 3, not 2: the training is done and its result kept (common.errors.WorkSavedError)
        raise WorkSavedError(f"--export {out_dir}: changed during the training and is left as it is: "
                             f"{problem}; {kept} once it may be replaced, or elsewhere")
    _swap(tmp, out_dir, kept)


def _swap(tmp: Path, out_dir: Path, kept: str) -> None:
    """:func:`_put_in_place`'s renames, its destination checked: ``tmp`` to ``out_dir``, what is there (an earlier
    export or an empty folder) moved aside first and removed after, once it is checked again (nothing of the user's
    in it); a failure puts it back. ``kept``: where the finished export is, as the refusal says it."""
    old = None
    try:
        if out_dir.exists() or out_dir.is_symlink():  # an earlier export (checked) or an empty folder
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
    except OSError as exc:
        restored = ""
        if old is not None and old.exists() and not out_dir.exists():
            try:
                os.replace(old, out_dir)
            except OSError:
                restored = f"; the earlier export is in {old}"
        # exit 3, not 2: the training is done and its result kept (common.errors.WorkSavedError)
        raise WorkSavedError(f"--export {out_dir}: the export trained but cannot be put in place "
                             f"({exc.strerror or exc}){restored}; {kept}") from None
    if old is None:
        return
    try:
        problem = _destination_problem(old)  # something written into it between the check and the rename
    except OSError as exc:
        problem = f"cannot read it ({exc.strerror or exc})"
    if problem:
        logger.warning(f"--export {out_dir}: the earlier export moved aside to {old} is kept, not removed: {problem}")
        return
    shutil.rmtree(old, ignore_errors=True)


def check_exportable(paper_id: str, experiment: Experiment, out_dir: str | Path) -> Path:
    """What refuses an export before any work (the CLI asks before it resolves the corpus): an experiment
    without ``predict_clips``, a destination that cannot be written (:func:`_check_destination`); returns the
    destination as an absolute path."""
    if experiment.predict_clips is None:
        raise DeployError(f"{paper_id}/{experiment.name} cannot be exported yet: its Experiment has no "
                          f"predict_clips (the function --predict needs)")
    return _check_destination(Path(out_dir))


def export_experiment(paper_id: str, experiment: Experiment, run: RunSpec, *, out_dir: str | Path,
                      source: Mapping[str, Any] | None = None) -> Path:
    """Train ``experiment``'s final model(s) on all of its selected data under ``run`` (the settings resolved
    once: the profile's recipe, ``--set``, the seed, the corpus; the paper's own ``run_fold`` on the export
    fold) and write the export folder ``out_dir``; returns it.

    ``source`` says how ``--predict`` finds the experiment again (default: an experiment of the paper's
    ``EXPERIMENTS``; a benchmark entry passes ``{"kind": "track", "track": ..., "model": ...}``).
    Raises :class:`DeployError` (and the runner's ``RunError``/``ConfigError``) with one line.
    """
    from common.running.fold_jobs import check_outcome, nan_reason
    from common.training import set_seed

    import keras

    tag = f"[{paper_id}/{experiment.name}]"
    out_dir = check_exportable(paper_id, experiment, out_dir)
    profile, seed, overrides, faces_policy = run.profile, run.seed, run.overrides, run.faces_policy
    config = run.config(experiment)
    root, synthetic = run.root, run.synthetic
    logger.info(f"{tag} export: {experiment.title}; profile {profile}, seed {seed}, "
                f"corpus {'synthetic' if synthetic else 'real'} at {root}")
    data = load_datasets(experiment, root, loader=run.loader)
    selection = experiment.select(data, config)
    if len(selection) == 0:
        raise DeployError(f"{paper_id}/{experiment.name}: the selection from {root} is empty; nothing to train on")
    check_corpus_rates(f"{paper_id}/{experiment.name}", experiment, config, selection.samples)
    selection, screening, _ = screen_selection(paper_id, experiment, selection, root, faces_policy=faces_policy,
                                               tag=tag)
    if len(selection) == 0:
        raise DeployError(f"{paper_id}/{experiment.name}: no sample of {root} is left after the checks; nothing to "
                          f"train on")
    everything = np.arange(len(selection))
    one_class = training_class_problem(selection, everything)  # the runner's rule for every fold, before training
    if one_class:
        raise DeployError(f"{paper_id}/{experiment.name}: nothing to export: {one_class}")
    fold = Fold(name="export", train=everything, test=everything)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise DeployError(f"--export {out_dir}: cannot create a folder in {out_dir.parent} "
                          f"({exc.strerror or exc})") from None
    try:  # the training: any failure removes the temporary folder
        sink = ExportSink()
        ctx = FoldContext(selection=selection, fold=fold, config=config, profile=profile, seed=int(seed),
                          work_dir=tmp / TRAINING_FOLDER, cache_dir=stages_root(), export=sink)
        logger.info(f"{tag} export: training on all {len(selection)} samples, {len(selection.class_names)} classes")
        set_seed(int(seed))
        outcome = experiment.run_fold(ctx)
        problem = check_outcome(outcome, fold, len(selection.class_names))
        if not problem and outcome.status != "ok":
            problem = f"the export fold ended with status {outcome.status!r} ({outcome.reason})"
        if not problem and outcome.probabilities is None:
            problem = "run_fold returned no probabilities"
        if not problem:
            problem = nan_reason(outcome.history, outcome.probabilities)
        if not problem and not sink.models:
            problem = "run_fold kept no model (ctx.export.keep)"
        if problem:
            raise DeployError(f"{paper_id}/{experiment.name}: export failed: {problem}")
        bad = [name for name in sink.models if not MODEL_NAME.match(name)]
        if bad:
            raise DeployError(f"{paper_id}/{experiment.name}: model name(s) {bad} are not file-safe")
        try:
            state = json.loads(json.dumps(jsonable(dict(sink.state)), allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise DeployError(f"{paper_id}/{experiment.name}: the recorded export state is not JSON: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:  # the write into the temporary folder: a failure keeps what was written, and says where
        config_dict = to_dict(config)
        # what changes a prediction (manifest.RECORDED), as --predict parses it (JSON types): in the manifest and
        # in each model file, which --predict compares
        method = json.loads(json.dumps(jsonable({
            "paper": paper_id, "experiment": experiment.name, "source": dict(source or {"kind": "experiment"}),
            "profile": profile, "overrides": dict(overrides or {}), "seed": int(seed),
            "config": config_dict, "config_hash": config_hash(config),
            "preprocessing": {k: v for k, v in config_dict.items() if k != "train"},
            "class_names": list(selection.class_names), "state": state,
            "min_frames": int(experiment.min_frames),
            # the code that made the training inputs: --predict by other code says its inputs may differ
            SOURCE_FIELD: source_digest()}), allow_nan=False))
        models = {}
        for name, model in sink.models.items():
            model.save(tmp / f"{name}.keras")
            write_model_record(tmp / f"{name}.keras", model_record(method, name))
            inputs, outputs = model_shapes(model)
            models[name] = {"file": f"{name}.keras", "inputs": inputs, "outputs": outputs}
        order = np.asarray(outcome.test_indices, dtype=int)
        text = training_predictions_text(selection, order, np.asarray(outcome.probabilities))
        (tmp / TRAINING_PREDICTIONS).write_text(text, encoding="utf-8")
        fps = sorted({float(s.fps) for s in selection.samples})
        _remove_empty_folders(tmp)
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "format_version": FORMAT_VERSION, "mersuite_version": mersuite_version(),
            **method, "title": experiment.title, "models": models, "faces_policy": faces_policy,
            "training_corpus": {"kind": "synthetic" if synthetic else "real", "root": str(root.resolve()),
                                "datasets": {d: int(n) for d, n in
                                             zip(*np.unique(selection.datasets, return_counts=True))},
                                "samples": len(selection), "fps": fps, "fingerprint": corpus_fingerprint(selection),
                                "dropped": len(screening["dropped"]),
                                # what the model's inputs were made from: the clips' frames by this suite's own
                                # chain, or the authors' released images (the prediction page compares them)
                                "inputs": corpus_inputs(selection.samples)},
            "keras": {"backend": keras.backend.backend(), "version": keras.__version__},
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "files": {p.relative_to(tmp).as_posix(): file_sha256(p) for p in files},
        }
        # the manifest as --predict parses it (JSON types), then covered by its own hash
        manifest = json.loads(json.dumps(jsonable(manifest), allow_nan=False))
        manifest[HASH_FIELD] = manifest_digest(manifest)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise WorkSavedError(f"--export {out_dir}: the export trained but cannot be written ({exc.strerror or exc}); "
                          f"what was written is kept in {tmp}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _put_in_place(tmp, out_dir)
    logger.info(f"{tag} export: {', '.join(models)} and {MANIFEST} in {out_dir}")
    return out_dir


def find_experiment(module: Any, paper_id: str, name: str | None) -> tuple[Experiment, dict[str, Any]]:
    """``(experiment, source)`` of the paper's experiment ``name`` (default: its first), or of its benchmark
    entry ``<track>`` / ``<track>_<model>`` (``benchmark_experiment``); ``source`` is how --predict finds
    it again (the manifest's ``source``)."""
    experiments = list(module.EXPERIMENTS)
    if name is None:
        if not experiments:
            raise DeployError(f"paper {paper_id!r} has no experiment to export")
        return experiments[0], {"kind": "experiment"}
    for experiment in experiments:
        if experiment.name == name:
            return experiment, {"kind": "experiment"}
    entry = getattr(module, "benchmark_experiment", None)
    if callable(entry):
        from common.leaderboard.tracks import TRACKS

        for track in TRACKS:
            if name == track.name or name.startswith(track.name + "_"):
                model = name[len(track.name) + 1:] or None
                try:
                    experiment = entry(track, model)
                except ValueError:
                    continue
                if experiment.name == name:
                    return experiment, {"kind": "track", "track": track.name, "model": model}
    listing = ", ".join(e.name for e in experiments) or "none"
    raise DeployError(f"paper {paper_id!r} has no experiment {name!r}; experiments: {listing}"
                      + ("; or a benchmark entry <track>[_<model>]" if callable(entry) else ""))
