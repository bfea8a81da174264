"""One resumable fold loop for every paper (contract: ``common/experiment.py``).

:func:`run_experiment` applies the profile and ``--set`` overrides to the experiment's config,
loads the databases it names, lets the paper select samples and make folds, calls
``experiment.run_fold`` for every fold not finished before, writes each fold's outcome
atomically, and aggregates the stored predictions into ``results.json`` and ``predictions.csv``.

Outputs, under ``<out>/<paper>/<experiment>/``: ``folds/<fold>.json`` (one per fold), ``results.json``
and ``predictions.csv``. Every file is written with ``common.files.atomic_write`` (a temporary file,
then ``os.replace``), so a crash, Ctrl-C or a second run never leaves half a file; the folder is
locked for the run (``common.files.folder_lock``: a second run on it stops at once with one line).

Each file's schema (``folds/<fold>.json``, ``results.json``, ``predictions.csv``):
``common.evaluation.records``.

The fingerprint hashes paper, experiment, profile, seed, the effective config, the data root,
the fold's train/test sample keys and what the fold reads of each of those samples besides its key
(:func:`selection_inputs`: its class, onset, apex, offset and frame rate, and the names, sizes and mtimes of its
frame files and of the other files it is read from, which the sample lists in ``meta["input_files"]``: a released
clip's flow image and apex crop, ``common.datasets.released``; reddy2019's window of a CAS(ME)^2 long video), so
that a label or an annotation edited in a spreadsheet, or a frame file or flow image replaced, between two
runs recomputes every fold that trains or tests on that clip. A rerun reuses a fold file only when it is well-formed
(``fold_record_problem``: every key above that the runner reads, with its type, its numbers finite),
its fingerprint matches, the fold did not fail, and what the selection and the fold decide is theirs:
the samples, their true classes, databases and subjects, the training and test counts, a class for
each prediction and a probability for each class, predictions for an ``ok`` or ``nan`` fold, and
``empty`` only for a fold without training or test samples (``stored_fold_problem``); otherwise it
says so and recomputes that fold (so a run with another config, seed or corpus never silently reuses
old folds, a failed fold is retried, and a truncated or edited file is rebuilt, never a KeyError or a
changed score; only the predictions themselves cannot be checked without training again).
Status ``nan``: the training loss (or the predicted probabilities) became NaN/inf; such a fold
keeps its predictions but is left out of the metrics by default (``metrics.aggregate``).
Status ``refused``: the fold's training part holds fewer than two classes
(``common.running.fold.training_class_problem``), checked by ``common.running.fold_jobs`` for every
method before ``run_fold``; nothing is trained, the fold is not scored and the command exits 3, as for a
failed fold. Like ``empty``, it is a property of the fold's samples, so a rerun reuses it.
The fingerprint cannot see code changes: ``fresh=True`` (``run_all.py --fresh``) recomputes all.
``folds/<fold>/`` is the fold's work dir (CSV histories, ``error.txt`` with the traceback of a
failed fold, ``worker.log`` when a worker process or a Dask worker computed it:
``common.orchestration.parallel``).

Around the loop: the effective config (``common.running.profiles``), the databases
(``common.running.corpus``), the selection checks (``common.running.screening``), the
comparison with the papers (``common.evaluation.comparison``) and the machine
(``common.environment``).
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import itertools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common.config import profile_label, to_dict
from common.datasets.tables import sheets_under
from common.errors import RunError, WorkSavedError
from common.evaluation import metrics as metrics_module
from common.evaluation.comparison import comparison_rows, released_weights_record
from common.evaluation.epoch_selection import epoch_selection, selected_on_test
from common.running.corpus import load_datasets
from common.preprocessing.cache import frames_fingerprint
from common.environment import environment
from common.progress import duration
from common.running.fold_jobs import (FoldJob, FoldRunner, compute_fold, compute_folds_together, fold_line,
                                      released_folder,
                                       write_output)
from common.datasets.released import corpus_inputs, corpus_label
from common.running.profiles import RunSpec, config_hash
from common.evaluation.records import (FOLD_STATUSES, RESULTS_SCHEMA, jsonable, load_fold_record,
                                       write_predictions_csv)
from common.running.screening import screen_selection, with_fold_flags
from common.evaluation.splits import check_folds
from common.experiment import Experiment, Selection
from common.harness import ExperimentResult
from common.files import OutputError, folder_lock, write_json_atomic
from common.paths import reports_root
from common.running.preflight import split

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# One fold


def selection_inputs(selection: Selection) -> list[list]:
    """What a fold reads of each sample of ``selection`` besides its key, in the selection's order: its class, its
    annotations (onset, apex, offset, fps) and its files (name, size, mtime, as the stage cache keys them:
    ``cache.frames_fingerprint``): its frames, then the files it is read from besides them, as the sample lists them
    in ``meta["input_files"]`` (a released clip's flow image and apex crop: ``common.datasets.released``; the
    frames of a CAS(ME)^2 long video reddy2019's window takes, outside the coded clip). A key names a clip, not
    these: without them a label or an annotation edited between two runs (the runner checks only the test part's
    classes) or a frame file or flow image replaced left the folds reading that clip reused, with the numbers of
    the old inputs. A sample without ``input_files`` (a database's clip) hashes as before they were listed."""
    return [[int(label), sample.onset, sample.apex, sample.offset, float(sample.fps),
             frames_fingerprint((*sample.frames, *sample.meta.get("input_files", ())))]
            for sample, label in zip(selection.samples, selection.labels)]


def fold_fingerprint(base: Mapping[str, Any], selection: Selection, fold, inputs: Sequence[list] | None = None) -> str:
    """The fingerprint of ``fold`` (module docstring): ``base`` (paper, experiment, profile, seed, config hash, data
    root), the fold's training and test keys and what the fold reads of those samples (``inputs``:
    :func:`selection_inputs` of ``selection``, computed here when None; a run computes it once for all its folds),
    hashed; a stored record is reused only under the same one."""
    if inputs is None:
        inputs = selection_inputs(selection)
    payload = dict(base)
    payload["train"] = [selection.samples[i].key for i in fold.train]
    payload["test"] = [selection.samples[i].key for i in fold.test]
    payload["inputs"] = [inputs[i] for i in (*fold.train, *fold.test)]
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# The experiment


def experiment_dir(paper_id: str, experiment_name: str, out_dir: str | Path | None = None) -> Path:
    """``<out>/<paper>/<experiment>/`` (``out`` defaults to ``common.paths.reports_root()``)."""
    return Path(out_dir if out_dir is not None else reports_root()) / paper_id / experiment_name


def run_experiment(paper_id: str, experiment: Experiment, run: RunSpec, *, loaded: Mapping[str, list] | None = None,
                   folder: str | Path | None = None, fold_runner: FoldRunner | None = None,
                   prepare_clips: Callable[[Experiment, Sequence[FoldJob]], None] | None = None) -> ExperimentResult:
    """Run (or resume) every fold of ``experiment`` under ``run`` (the settings resolved once:
    ``common.running.profiles.resolve_run``) and return its :class:`ExperimentResult` (``summary`` is
    ``results.json``, schema above; ``records`` the fold records, ``extra`` included).

    ``loaded`` may pass databases already loaded from ``run.root`` (``{name: [Sample]}``), as ``run_all.py``
    does after its preflight check; otherwise ``run.loader`` reads them. ``run.fresh`` recomputes every fold.
    ``run.record_epochs=False`` (``--no-epoch-gauge``) records no per-epoch test predictions
    (``FoldContext.record_epochs``); the fingerprint does not include it, since the fold's own predictions are
    the same either way, so a fold reused from such a run has no record. ``run.faces_policy``
    (``exclude``/``keep``/``refuse``) decides what happens to a clip without a face (:func:`screen_selection`,
    which also drops clips shorter than ``experiment.min_frames`` and refuses incomplete frame files). Ctrl-C
    stops the run after the folds finished so far are safely on disk.

    ``fold_runner`` (``common.orchestration.parallel``: worker processes or a Dask cluster) computes
    the folds still to run elsewhere, each with :func:`compute_fold` as here, and returns their
    records; the loop then takes them as computed in this run. None (default): in this process.
    ``prepare_clips(experiment, jobs)`` (``common.running.first_pass.FirstPass.run``) caches the
    preprocessing those folds read before they start, in several processes; None (default): each fold
    computes what the cache lacks.

    The experiment's output folder is checked (a folder, writable) and locked
    (``common.files.folder_lock``) before anything else: an unusable folder, or one another run
    is writing into, is a :class:`RunError` with one line, before any work. ``folder`` replaces
    the output folder ``<run.out>/<paper>/<experiment>/`` (the benchmark's ``<track>/<method>/seed<k>/``).
    """
    folder = Path(folder) if folder is not None else experiment_dir(paper_id, experiment.name, run.out)
    try:
        with folder_lock(folder, "output folder"):
            return _run_experiment(paper_id, experiment, run, loaded=loaded, folder=folder, fold_runner=fold_runner,
                                   prepare_clips=prepare_clips)
    except OutputError as exc:
        raise RunError(str(exc)) from None


def _saved(records: Sequence[Mapping[str, Any]], folds_dir: Path) -> str:
    """What a write failing mid-run leaves: the fold records on disk, and how to finish."""
    return (f"{len(records)} finished fold record(s) are saved in {folds_dir}; then run the same command again: it "
            "reuses them")


def fold_facts(selection: Selection, fold) -> dict:
    """What ``selection`` and ``fold`` decide of the fold's record, as plain data (a run's plan stores it as JSON:
    ``benchmarks/shipped_folds.fold_plan``): its name, training and test counts, and its test samples (indices, in
    the fold's order) with their keys, databases, subjects and true classes."""
    test = [int(i) for i in fold.test]
    samples = [selection.samples[i] for i in test]
    return {"fold": fold.name, "n_train": len(fold.train), "n_test": len(test), "test_indices": test,
            "keys": [s.key for s in samples], "datasets": [s.dataset for s in samples],
            "subjects": [s.subject for s in samples],
            "y_true": [int(selection.labels[i]) for i in test]}


def stored_fold_problem(record: Mapping[str, Any], facts: Mapping[str, Any], n_classes: int) -> str:
    """Why a well-formed stored record (or a shipped fold: ``common.evaluation.shipped_folds``) does not fit the
    fold of :func:`fold_facts`, or ``""``: the runner's check before it reuses a record, and a resume's before it
    takes a shipped fold."""
    if record["fold"] != facts["fold"]:
        return f"it is the record of fold {str(record['fold'])[:40]!r}"
    if (record["n_train"], record["n_test"]) != (facts["n_train"], facts["n_test"]):
        return (f"it counts {str(record['n_train'])[:20]} training and {str(record['n_test'])[:20]} test samples, "
                f"the fold {facts['n_train']} and {facts['n_test']}")
    if record["status"] == "empty" and facts["n_train"] and facts["n_test"]:
        return "it is marked empty, but the fold has training and test samples"
    if not record["y_pred"]:
        return f"it is marked {record['status']} but holds no predictions" if record["status"] in ("ok", "nan") else ""
    if sorted(record["test_indices"]) != sorted(facts["test_indices"]):
        return "its test samples are not the fold's"
    # every per-sample column but the predictions is the selection's (fold_jobs.fold_record writes them from it),
    # in the record's order of its test samples
    position = {index: p for p, index in enumerate(facts["test_indices"])}
    order = [position[index] for index in record["test_indices"]]
    if record["keys"] != [facts["keys"][p] for p in order]:
        return "its sample keys are not the selection's"
    if (record["datasets"] != [facts["datasets"][p] for p in order]
            or record["subjects"] != [facts["subjects"][p] for p in order]):
        return "its databases or subjects are not the selection's"
    if record["y_true"] != [facts["y_true"][p] for p in order]:
        return "its true classes are not the selection's labels"
    if any(not 0 <= v < n_classes for v in record["y_pred"]):
        return f"it predicts a class outside 0..{n_classes - 1}"
    if record.get("probabilities") and len(record["probabilities"][0]) != n_classes:
        return f"its probabilities are not one per class ({n_classes})"
    return ""


def _stored_state(path: Path, fold, fingerprint: str, selection: Selection, n_classes: int,
                  fresh: bool) -> tuple[dict | None, str]:
    """``(record to reuse, "")``, or ``(None, why it is recomputed)`` (``""``: nothing stored yet).

    A stored fold is reused only when it is well-formed, has this fold's fingerprint, did not
    fail, and its samples are this fold's; a damaged file is recomputed with a notice. A folder where the record
    belongs is a :class:`RunError` before any fold trains: the record's atomic write can never replace a folder,
    and a folder is no damaged record to write over (a named pipe is: it is replaced like one).
    """
    if path.is_dir():
        raise RunError(f"{path}: a folder, not a regular file; expected the fold's record (a file) or nothing there: "
                       "move the folder away and run the same command again")
    stored, damage = load_fold_record(path)
    if damage:
        return None, f"stored {path.name} is damaged ({damage}); recomputing"
    if stored is None:
        return None, ""
    if fresh:
        return None, "recomputing (fresh run requested)"
    if stored["fingerprint"] != fingerprint:
        return None, (f"stored result was made with another profile, seed, config, corpus, or clip label, annotation "
                      f"or frame file (fingerprint {stored['fingerprint']} != {fingerprint}); recomputing")
    if stored["status"] == "failed":
        return None, f"failed earlier ({stored['reason']}); retrying"
    mismatch = stored_fold_problem(stored, fold_facts(selection, fold), n_classes)
    if mismatch:
        return None, f"stored {path.name} does not fit this fold ({mismatch}); recomputing"
    return stored, ""


def _run_experiment(paper_id: str, experiment: Experiment, run: RunSpec, *, loaded: Mapping[str, list] | None,
                    folder: Path, fold_runner: FoldRunner | None, prepare_clips: Callable | None) -> ExperimentResult:
    """:func:`run_experiment` once its output folder is locked."""
    started = time.perf_counter()
    profile, seed, root, synthetic, exp_dir = run.profile, run.seed, run.root, run.synthetic, folder
    config = run.config(experiment)
    folds_dir = exp_dir / "folds"
    tag = f"[{paper_id}/{experiment.name}]"
    logger.info(f"{tag} {experiment.title}")
    logger.info(f"{tag} profile {profile}, seed {seed}, corpus {'synthetic' if synthetic else 'real'} at {root}")

    data = dict(loaded) if loaded is not None else load_datasets(experiment, root, loader=run.loader)
    for spreadsheet, sheet in sheets_under(root).items():  # a label table found past another sheet
        if sheet.skipped:
            logger.info(f"{tag} labels: {spreadsheet}: read from {sheet.describe()}")
    selection = experiment.select(data, config)
    if len(selection) == 0:
        raise RunError(f"experiment {experiment.name!r}: the selection from {root} is empty")
    selection, screening, face_record = screen_selection(paper_id, experiment, selection, root,
                                                         faces_policy=run.faces_policy, tag=tag)
    if len(selection) == 0:
        raise RunError(f"experiment {experiment.name!r}: no sample of {root} is left after the checks "
                       f"({len(screening['dropped'])} dropped; first: {screening['dropped'][0]['key']}: "
                       f"{screening['dropped'][0]['reason']})")
    n_classes = len(selection.class_names)

    folds = check_folds(split(paper_id, experiment, config, selection, seed), len(selection), partition=False)
    folds_protocol = protocol_folds(paper_id, experiment, config, selection, seed, len(folds))
    base = {"paper": paper_id, "experiment": experiment.name, "profile": profile, "seed": int(seed),
            "config_hash": config_hash(config), "data_root": str(root.resolve())}
    logger.info(f"{tag} {len(selection)} samples, {n_classes} classes {list(selection.class_names)}, "
                f"{len(folds)} folds")

    records: list[dict] = []
    reused: set[str] = set()
    computed_seconds: list[float] = []
    inputs = selection_inputs(selection)  # every frame file stat'ed once, not once a fold
    # a --weights run's folds read their files from the folder: replaced files are another run (not in the record)
    weights_folder = released_folder(config)
    fingerprinted = {**base, "weights_files": weights_fingerprint(weights_folder)} if weights_folder else base
    jobs = {fold.name: FoldJob(tag=tag, selection=selection, fold=fold, config=config, profile=profile, seed=int(seed),
                               base=base, fingerprint=fold_fingerprint(fingerprinted, selection, fold, inputs),
                               folds_dir=folds_dir,
                               position=i, total=len(folds), record_epochs=run.record_epochs, synthetic=synthetic)
            for i, fold in enumerate(folds, 1)}
    states = {name: _stored_state(job.path, job.fold, job.fingerprint, selection, n_classes, run.fresh)
              for name, job in jobs.items()}
    to_compute = sum(stored is None for stored, _ in states.values())
    done: Mapping[str, dict] = {}
    if prepare_clips is not None and to_compute:  # the first pass of preprocessing, in several processes
        prepare_clips(experiment, [job for name, job in jobs.items() if states[name][0] is None])
    together = int(getattr(getattr(config, "train", None), "fold_parallel", 1) or 1)
    if together > 1:  # --fold-parallel N: the folds still to run, N at a time, each group as one computation
        if fold_runner is not None:
            raise RunError("--fold-parallel trains folds together in this process; give it or --workers/--cluster, "
                           "not both")
        from common.fold_parallel import refusal

        refused = refusal(has_fold_fit=experiment.fold_fit is not None, train=config.train)
        if refused:
            raise RunError(f"--fold-parallel {together}: {tag[1:-1]}: {refused}")
        fold_runner = functools.partial(compute_folds_together, experiment, group=together)
    if fold_runner is not None and to_compute:
        pending = [job for name, job in jobs.items() if states[name][0] is None]
        for job in pending:
            if states[job.fold.name][1]:
                logger.info(f"{job.label}: {states[job.fold.name][1]}")
        done = fold_runner(pending)  # each fold's record, its file written (common.orchestration.parallel)
    for fold in folds:
        job = jobs[fold.name]
        stored, notice = states[fold.name]
        if stored is not None:
            records.append(stored)
            reused.add(fold.name)
            logger.info(f"{job.label}: finished earlier ({stored['status']}), reusing {job.path.name}")
            continue
        if fold.name in done:  # computed in this run by a worker process or a cluster (logged as it finished)
            records.append(done[fold.name])
            continue
        if notice:
            logger.info(f"{job.label}: {notice}")
        logger.info(f"{job.label}: the authors' weights on its {len(fold.test)} test clips (nothing trained)"
                    if released_folder(job.config) else f"{job.label}: {len(fold.train)} train / {len(fold.test)} test")
        try:
            record = compute_fold(experiment, job)
        except WorkSavedError:
            raise
        except RunError as exc:  # compute_fold raises it for one thing only: its record could not be written
            raise WorkSavedError(f"{exc}; {_saved(records, folds_dir)}") from None
        except KeyboardInterrupt:
            logger.warning(f"{tag} interrupted in fold {job.position}/{job.total}; the {len(records)} folds before it "
                           f"are saved in {folds_dir}; run the same command again to resume")
            raise
        records.append(record)
        computed_seconds.append(record["seconds"])
        left = to_compute - len(computed_seconds)
        eta = f", ETA {duration(left * float(np.mean(computed_seconds)))}" if left else ""
        logger.info(fold_line(job, record, eta))

    results = _results(paper_id, experiment, selection, config, profile, seed, run.overrides, root, synthetic,
                       records, reused, exp_dir, time.perf_counter() - started)
    flagged_before = len(screening["flagged"])
    screening = with_fold_flags(screening, records)
    if len(screening["flagged"]) > flagged_before:
        stages = sorted({f["stage"] for f in screening["flagged"][flagged_before:]})
        logger.info(f"{tag} {len(screening['flagged']) - flagged_before} clip(s) flagged by the folds' inputs "
                    f"(stage {', '.join(stages)}; listed in results.json's selection.flagged and the report)")
    results.update(jsonable({"selection": screening, "face_quality": face_record, "folds_protocol": folds_protocol}))
    weights = released_folder(config)
    if weights:  # the authors' weights, evaluated: said on every page and summary line (reporting, below)
        results["released_weights"] = jsonable(released_weights_record(weights, records, experiment.weights_reported))
    # the epoch-selection gauge (docs/methods.md §9.4): read from the fold records, never fed back
    results["epoch_selection"] = jsonable(epoch_selection(records, results, ties=experiment.best_epoch_ties))
    try:
        write_output(write_json_atomic, exp_dir / "results.json", jsonable(results))
        write_output(write_predictions_csv, exp_dir / "predictions.csv", records, selection.class_names)
    except RunError as exc:  # the folds are done and on disk: a rerun rewrites these from them
        raise WorkSavedError(f"{exc}; {_saved(records, folds_dir)}") from None
    pooled = results["metrics"]["pooled"].get("all", {})
    if weights:
        from common.reporting.tables import weights_line  # the reporting package loads matplotlib

        logger.info(f"{tag} the scores below are of {weights_line(results['released_weights'])}")
    if pooled.get("uf1") is not None:
        logger.info(f"{tag} pooled UF1 {pooled['uf1']:.4f}, UAR {pooled['uar']:.4f}, accuracy {pooled['accuracy']:.4f} "
                    f"on {pooled['n']} samples over {len(folds)} folds (profile "
                    f"{profile_label(profile, run.overrides)}, corpus {corpus_label(results['corpus'])}; the "
                    "intervals are in the report)"
                    + ("; the authors' released weights, not trained here" if weights
                       else "; selected on the test data (WARNING below)" if selected_on_test(records)
                       else "; nothing chosen on the test data"))
    if folds_protocol > len(folds):
        logger.warning(f"{tag} partial run: {len(folds)} of {folds_protocol} folds, not comparable with published "
                       "numbers")
    for warning in results["warnings"]:
        logger.warning(f"{tag} WARNING: {warning}")
    logger.info(f"{tag} results in {exp_dir / 'results.json'} and {exp_dir / 'predictions.csv'}")
    return ExperimentResult(paper=paper_id, experiment=experiment, config=config, selection=selection,
                            records=tuple(records), summary=results)


MAX_WEIGHTS_FILES = 10_000  # the files of a --weights folder the fold fingerprint stats (STSTNet's: 68 and a log)


def weights_fingerprint(folder: str) -> list[list]:
    """[name, size, mtime_ns] of each regular file directly in the ``--weights`` folder, by name (at most
    :data:`MAX_WEIGHTS_FILES`): its folds read their weights there, so replacing one of them (another release,
    another seed) recomputes the folds instead of reusing the old weights' numbers under the same path."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in itertools.islice(entries, MAX_WEIGHTS_FILES + 1)
                           if entry.is_file())
    except OSError as error:
        raise RunError(f"--weights {folder}: cannot list this folder ({error.strerror or error})") from None
    if len(names) > MAX_WEIGHTS_FILES:
        raise RunError(f"--weights {folder}: more than {MAX_WEIGHTS_FILES:,} entries; expected the authors' weights "
                       "folder")
    return frames_fingerprint(Path(folder) / name for name in names)


def protocol_folds(paper_id: str, experiment: Experiment, config: Any, selection: Selection, seed: int,
                   run: int) -> int:
    """How many folds the experiment's protocol has: ``run`` unless the config's ``evaluation.max_folds`` (a
    smoke profile, ``--set``) cut them, then the uncut count, so every output can say "N of M folds"."""
    evaluation = getattr(config, "evaluation", None)
    if (not getattr(evaluation, "max_folds", 0) or not dataclasses.is_dataclass(config) or isinstance(config, type)
            or not dataclasses.is_dataclass(evaluation) or isinstance(evaluation, type)):
        return run
    uncut = dataclasses.replace(config, evaluation=dataclasses.replace(evaluation, max_folds=0))
    return max(run, len(split(paper_id, experiment, uncut, selection, seed)))


def fold_warnings(records: list[dict], aggregated: Mapping[str, Any]) -> list[str]:
    """One sentence per kind of fold that is not in the metrics (results.json ``warnings``, the report, the log),
    one for folds that predict with an epoch picked on their test clips, and one for folds whose test sets overlap
    (Talluri's random splits, a cross-database model per fold on the whole target database): their pooled scores
    are over predictions, a clip counted once a fold that tests it, not over the clips once each."""
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
    if counts["refused"]:
        warnings.append(f"{names('refused')} were refused before training (a training part with fewer than two "
                        f"classes; each fold's reason says which) and are not in the scores")
    selected = selected_on_test(records)
    if selected:
        warnings.append(f"{len(selected)} of {len(records)} folds predict with {selected[0]}: SELECTED ON THE TEST "
                        "DATA (the paper's protocol), so these scores are not held-out ones")
    tested = [int(i) for r in records if r["status"] == "ok" for i in r.get("test_indices") or []]
    if len(tested) > len(set(tested)):
        warnings.append(f"the folds' test sets overlap: {len(tested)} predictions of {len(set(tested))} distinct "
                        "clips, a clip counted once a fold that tests it, so the pooled scores and their interval "
                        "are over those predictions, not one a clip (the protocol's per-fold numbers are its own)")
    return warnings


def _results(paper_id, experiment, selection, config, profile, seed, overrides, root, synthetic, records, reused,
             exp_dir, seconds_this_run) -> dict:
    scopes = tuple(experiment.scopes) or ("all",)
    aggregated = metrics_module.aggregate(records, len(selection.class_names), scopes)
    # a run of the authors' released weights is compared with what their artefact states, not with the paper
    comparison = comparison_rows(experiment.weights_reported if released_folder(config) else experiment.reported,
                                 aggregated, records, synthetic=synthetic)
    status_counts: dict[str, int] = {}
    for r in records:
        status_counts[r["status"]] = status_counts.get(r["status"], 0) + 1
    parameters: dict[str, Any] = next((r["parameters"] for r in records if r.get("parameters")), {})
    datasets: dict[str, int] = {}
    for name in selection.datasets.tolist():
        datasets[name] = datasets.get(name, 0) + 1
    return jsonable({
        "schema": RESULTS_SCHEMA, "paper": paper_id, "experiment": experiment.name, "title": experiment.title,
        "profile": profile, "seed": int(seed),
        "corpus": {"kind": "synthetic" if synthetic else "real", "root": str(root.resolve()), "datasets": datasets,
                   "inputs": corpus_inputs(selection.samples),
                   "label_sheets": {path: sheet.describe() for path, sheet in sheets_under(root).items()}},
        "config": to_dict(config), "config_hash": config_hash(config), "overrides": dict(overrides or {}),
        "class_names": list(selection.class_names), "n_samples": len(selection), "scopes": list(scopes),
        "metrics_reported": list(experiment.metrics), "metrics": aggregated, "comparison": comparison,
        "folds": [{"name": r["fold"], "status": r["status"], "reason": r["reason"], "seconds": r["seconds"],
                   "n_train": r["n_train"], "n_test": r["n_test"], "parameters": r["parameters"],
                   "history": r["history"], "reused": r["fold"] in reused} for r in records],
        "parameters": parameters, "status_counts": status_counts, "warnings": fold_warnings(records, aggregated),
        "selected_on_test": next(iter(selected_on_test(records)), ""),
        "seconds": {"folds_total": sum(r["seconds"] for r in records), "this_run": seconds_this_run},
        "environment": environment(), "finished": datetime.datetime.now().isoformat(timespec="seconds"),
        "outputs": {"dir": exp_dir, "results": exp_dir / "results.json", "predictions": exp_dir / "predictions.csv",
                    "folds": exp_dir / "folds"},
    })
