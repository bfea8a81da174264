"""Folds over processes and machines: ``run_all.py --workers N`` and ``--cluster ADDRESS``.

Folds are independent and each is written atomically (``common.running.runner``). The runner
works out which folds are still to run (fingerprints and stored fold files, exactly as in a
sequential run) and hands them, as :class:`fold_jobs.FoldJob`, to one of the fold runners here:

* :func:`run_folds_in_workers` / :class:`LocalWorkers`: N local processes
  (``concurrent.futures.ProcessPoolExecutor``, ``spawn``), kept for the whole run; the GPUs listed
  in ``CUDA_VISIBLE_DEVICES`` are dealt out round-robin (worker ``i`` sees only GPU ``i mod G``), so
  N may exceed the number of GPUs and several workers then share a card, each with the memory
  settings of :func:`worker_memory_env` set before its backend is imported;
* :func:`run_folds_on_cluster`: an existing Dask cluster (``dask.distributed.Client(address)``).

Each worker runs ONE fold at a time with :func:`fold_jobs.compute_fold`, the body of the sequential
loop (same fingerprint, seed, config, selection and fold), and writes its fold file; the parent
stores every record it receives (again, should the worker write to another file system), then
runs its normal loop, which takes those records, and aggregates. The results are the
sequential run's by construction: ``predictions.csv`` and the metrics are identical for the same
seed (``tests/test_parallel.py``). A fold that raises is recorded ``failed`` as in a sequential
run; a worker process that dies (killed, out of memory) costs only its own fold, recorded
``failed`` with that reason, and the next run retries it like any failed fold.

Experiments hold callables (often lambdas) that do not pickle, so a worker receives an
:class:`ExperimentRef` (paper id + experiment name, or paper id + benchmark track + model) and
finds the experiment itself through the paper registry (:func:`resolve`). The parent checks
first (:func:`check_ref`) that the reference names the very experiment it would run.

Why Dask rather than Ray: ``dask[distributed]`` is a pure-Python wheel on every platform
(Ray ships large binary wheels that lag new Python versions), it runs a real multi-process
cluster in a test (``distributed.LocalCluster(processes=True)``), and a cluster is one
``dask scheduler`` plus ``dask worker ADDRESS`` per machine, or any cluster manager
(dask-jobqueue for SLURM/PBS, dask-kubernetes); Ray needs its own head node and runtime. Install
with ``pip install -e ".[cluster]"``. Every cluster worker must have this project installed and
see the data root and the output folder at the same paths as the machine that starts the run.
"""
from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import functools
import importlib
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import time
import types
import uuid
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, MutableMapping, Sequence

from common.errors import RunError
from common.running import fold_jobs
from common.running.profiles import config_hash
from common.evaluation.records import jsonable, load_fold_record
from common.running.fold_jobs import FoldJob
from common.experiment import Experiment
from common.files import NotRegularFile, open_in_place, write_json_atomic, write_text_atomic
from common.orchestration.logs import Lines, lines_to, quiet_tensorflow_log

logger = logging.getLogger(__name__)

WORKER_OUTPUT = "worker-output.log"  # the worker processes' stdout and stderr: in <out>/ for a run's LocalWorkers
# (common.orchestration.paper_runs), beside folds/ where run_folds_in_workers starts its own


@dataclasses.dataclass(frozen=True)
class ExperimentRef:
    """A picklable name of an experiment, which a worker resolves through the paper registry.

    Either ``experiment`` (a name in ``module.EXPERIMENTS``) or ``track`` and ``model`` (the
    benchmark: ``module.benchmark_experiment(common.leaderboard.tracks.get_track(track), model)``;
    ``model=None`` is the paper's default model).
    ``registry``: an importable module name (``"papers"``), ``"module:attribute"``, or a picklable
    object with ``get_paper(paper_id)`` (the tests' ``dummy_paper.REGISTRY``).
    """

    paper_id: str
    experiment: str | None = None
    track: str | None = None
    model: str | None = None
    registry: Any = "papers"

    def __post_init__(self) -> None:
        if (self.experiment is None) == (self.track is None) or (self.track is None and self.model is not None):
            raise ValueError("ExperimentRef: give either experiment, or track (and model)")

    def __str__(self) -> str:
        what = (self.experiment if self.experiment is not None
                else f"benchmark {self.track}/{self.model or 'default model'}")
        return f"{self.paper_id}/{what}"


@dataclasses.dataclass(frozen=True)
class FoldTask:
    """What a worker receives: the experiment's reference and the fold to compute."""

    ref: ExperimentRef
    job: FoldJob


@dataclasses.dataclass(frozen=True)
class WorkerReport:
    """What a worker returns: the fold record (already written) and where it was computed."""

    record: dict
    host: str
    pid: int


def registry_reference(registry: Any) -> Any:
    """What an :class:`ExperimentRef` holds for ``registry``: a module's name, else the object itself."""
    return registry.__name__ if isinstance(registry, types.ModuleType) else registry


def _registry(ref: ExperimentRef) -> Any:
    if not isinstance(ref.registry, str):
        return ref.registry
    module_name, _, attribute = ref.registry.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def resolve(ref: ExperimentRef) -> Experiment:
    """The experiment ``ref`` names, found through the registry (``LookupError`` when there is none)."""
    module = _registry(ref).get_paper(ref.paper_id)
    if ref.track is not None:
        from common.leaderboard.tracks import get_track

        build = getattr(module, "benchmark_experiment", None)
        if build is None:
            raise LookupError(f"paper {ref.paper_id!r} has no benchmark_experiment(track, model)")
        return build(get_track(ref.track), ref.model)
    for experiment in module.EXPERIMENTS:
        if experiment.name == ref.experiment:
            return experiment
    raise LookupError(f"paper {ref.paper_id!r} has no experiment {ref.experiment!r}")


def _callable_name(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def check_ref(ref: ExperimentRef, experiment: Experiment) -> None:
    """One :class:`RunError` line, before any work, unless a worker resolving ``ref`` gets ``experiment``:
    the same name, ``run_fold`` and config (an experiment changed in memory cannot be sent to workers,
    which would silently run the registry's), and a reference that pickles."""
    try:
        pickle.dumps(ref)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # what pickle raises for what it cannot send
        raise RunError(f"{ref}: the paper registry cannot be sent to worker processes ({exc})") from None
    try:
        resolved = resolve(ref)
    # resolve's LookupError, a registry or paper that does not import, a "module:attribute" with no such
    # attribute, a benchmark model the paper does not have (ValueError)
    except (LookupError, ImportError, AttributeError, ValueError) as exc:
        raise RunError(f"{ref}: worker processes could not find this experiment "
                       f"({type(exc).__name__}: {exc})") from None
    differences = [what for what, same in (
        ("name", resolved.name == experiment.name),
        ("run_fold", _callable_name(resolved.run_fold) == _callable_name(experiment.run_fold)),
        ("config", config_hash(resolved.config) == config_hash(experiment.config))) if not same]
    if differences:
        raise RunError(f"{ref}: the registry's experiment differs from the one to run ({', '.join(differences)}); "
                       f"run it without --workers/--cluster")


def run_one_fold(task: FoldTask) -> WorkerReport:
    """A worker's entry point: resolve the experiment, compute the one fold (:func:`fold_jobs.compute_fold`,
    which writes its fold file), and return its record. The fold's log lines (``common.orchestration.logs``)
    go to ``folds/<fold>/worker.log``."""
    experiment = resolve(task.ref)
    if experiment.name != task.job.base["experiment"]:
        raise LookupError(f"{task.ref} resolves to experiment {experiment.name!r}, not {task.job.base['experiment']!r}")
    lines = [f"fold {task.job.fold.name} of {task.ref} on {socket.gethostname()}, process {os.getpid()}"]
    quiet_tensorflow_log()  # as the CLI's process: one fold's predict function traced once is not news
    try:
        with lines_to(Lines(lines)):  # the fold's log lines, for its worker.log
            record = fold_jobs.compute_fold(experiment, task.job)
    finally:
        try:
            write_text_atomic(task.job.work_dir / "worker.log", "\n".join(lines) + "\n")
        except OSError:
            pass  # a log only: the fold record says everything that matters
    return WorkerReport(record=record, host=socket.gethostname(), pid=os.getpid())


def _store(job: FoldJob, record: dict) -> dict:
    """Write ``record`` to the fold's file unless the worker already wrote exactly it there."""
    if load_fold_record(job.path)[0] != record:
        try:
            write_json_atomic(job.path, jsonable(record))
        except OSError as exc:
            raise RunError(f"cannot write {job.path}: {exc.strerror or exc}") from None
    return record


def _check_picklable(task: FoldTask) -> None:
    try:
        pickle.dumps(task)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # what pickle raises for what it cannot send
        raise RunError(f"{task.ref}: the fold cannot be sent to a worker process "
                       f"({type(exc).__name__}: {exc})") from None


# ---------------------------------------------------------------------------------------------
# Local worker processes


def _start_worker(env: Mapping[str, str], output: str | None) -> None:
    """Initialiser of a worker process (before any task, so before Keras and its backend are imported):
    its GPU and memory settings (:meth:`LocalWorkers.env`), its stdout/stderr appended to ``output`` (None: the
    null device), and Ctrl-C left to the parent, which stops it."""
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # a regular file only (checked by the parent before any fold, and again here): a link put there since is
        # not followed out of the folder, a named pipe not waited on (the worker then writes where it inherited)
        fd = os.open(os.devnull, os.O_WRONLY) if output is None else open_in_place(output, os.O_WRONLY | os.O_APPEND)
    except OSError:
        return
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def gpus_from_environment() -> tuple[str, ...]:
    """The GPUs listed in ``CUDA_VISIBLE_DEVICES`` (``()`` when it is unset or empty: then every worker
    sees what this process sees, and is assumed to share one card with all the others)."""
    return tuple(g.strip() for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if g.strip())


def keras_backend() -> str:
    """The Keras backend the workers will import (``KERAS_BACKEND``, else Keras' configured one): they
    inherit this process's environment and configuration."""
    backend = os.environ.get("KERAS_BACKEND")
    if backend:
        return backend
    import keras  # importing Keras does not touch a GPU; only the first computation does

    return keras.backend.backend()


# Environment variables that let several processes share one GPU, per Keras backend, read by the backend
# when it first uses the card (so they are set in the worker before its first import of Keras):
# - jax: XLA preallocates 75 % of the card in each process by default, so a second process on the card
#   fails with CUDA_ERROR_OUT_OF_MEMORY (measured on an H100 with 2 and with 4 processes); without
#   preallocation each process takes what its arrays need (8 processes of model.fit ran side by side
#   there). No XLA_PYTHON_CLIENT_MEM_FRACTION cap: a share set too small fails a fold that would fit,
#   and none was needed where it was measured.
# - tensorflow: TensorFlow maps nearly all of a card's memory in the first process that uses it;
#   TF_FORCE_GPU_ALLOW_GROWTH makes it grow on demand instead (the environment form of
#   tf.config.experimental.set_memory_growth, which needs TensorFlow imported in the worker first).
# - torch: nothing. PyTorch's caching allocator reserves memory only as tensors need it (no
#   preallocation), so processes share a card with its defaults; each costs its CUDA context.
SHARED_CARD_ENV: dict[str, dict[str, str]] = {
    "jax": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"},
    "tensorflow": {"TF_FORCE_GPU_ALLOW_GROWTH": "true"},
    "torch": {},
}


def workers_per_card(workers: int, gpus: Sequence[str]) -> list[int]:
    """How many of ``workers`` processes share the card of each worker slot, with the GPUs dealt out
    round-robin (slot ``i`` on ``gpus[i % len(gpus)]``); with no GPU listed, all share one card."""
    if not gpus:
        return [workers] * workers
    return [len(range(slot % len(gpus), workers, len(gpus))) for slot in range(workers)]


def worker_memory_env(backend: str, sharing: int, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The memory settings of a worker whose card ``sharing`` processes use (:data:`SHARED_CARD_ENV`
    when ``sharing`` > 1, none for a card of its own: the backend's defaults are its fastest). A
    variable already set in ``environ`` (default ``os.environ``; the workers inherit it) is the
    user's choice and is left to it."""
    environ = os.environ if environ is None else environ
    if sharing <= 1:
        return {}
    return {name: value for name, value in SHARED_CARD_ENV.get(backend, {}).items() if name not in environ}


def share_cards_with_workers(workers: int, environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Give this (the parent) process the memory settings of a shared card (:data:`SHARED_CARD_ENV`) when
    ``workers`` > 1 local processes compute the folds: it builds each model once before the first fold (the
    preflight, ``common.running.preflight.check_models``) on the cards the workers use, and with JAX's defaults
    that first build preallocates 75 % of every card it sees, for the whole run. Measured on one H200 (JAX
    0.11.2, wang2024 ``paper`` with ``--workers 12``): 108 GB of the card's 141 held by the parent before any
    fold trained, and all 12 workers ran out of memory; with 4 workers they fitted in what was left. Called
    before this process computes anything (the backend reads them when it first uses a card); a variable the
    user set is left alone. Returns what it set."""
    environ = os.environ if environ is None else environ
    if workers <= 1:
        return {}
    settings = worker_memory_env(keras_backend(), workers + 1, environ)
    environ.update(settings)
    return settings


def check_worker_output(output: Path) -> None:
    """Create ``output``, the workers' log, before any fold (its folder too), or one :class:`RunError` line: a
    regular file only (``common.files.open_in_place``): a link there would append the workers' output to the file
    it points to, outside the folder, and a named pipe would stop each worker at its start, waiting for a reader."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        os.close(open_in_place(output, os.O_WRONLY | os.O_APPEND))
    except NotRegularFile as exc:
        raise RunError(f"{output}: {exc}; expected the workers' log (a regular file) or nothing there: "
                       "remove it") from None
    except OSError as exc:
        raise RunError(f"{output}: cannot write the workers' log ({exc.strerror or exc})") from None


class LocalWorkers:
    """``workers`` local processes (``spawn``) that compute folds; kept for a whole run, so each
    process imports TensorFlow once and keeps its compiled models across experiments, as the
    sequential process does. ``with LocalWorkers(4, output=path) as pool: pool.run(ref, jobs)``.

    ``gpus``: device ids; worker ``i`` gets ``CUDA_VISIBLE_DEVICES=gpus[i % len(gpus)]``, so more
    workers than GPUs share the cards round-robin (no GPU listed: all share what the parent sees).
    A worker sharing its card gets the memory settings of ``backend`` (default: :func:`keras_backend`)
    from :func:`worker_memory_env`. The workers' stdout and stderr are appended to ``output``. Each
    worker is a single-process ``ProcessPoolExecutor``: a process that dies breaks its own executor
    only (one shared pool would mark every pending fold broken and terminate the other processes),
    and a fresh one takes its place for the next fold.
    """

    def __init__(self, workers: int, gpus: Sequence[str] = (), output: str | Path | None = None,
                 backend: str | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers, self.gpus = int(workers), tuple(gpus)
        self.backend = backend if backend is not None else keras_backend()
        self.output = Path(output) if output is not None else None
        if self.output is not None:
            check_worker_output(self.output)
        self._executors: list[concurrent.futures.ProcessPoolExecutor | None] = [None] * self.workers
        self._sharing = workers_per_card(self.workers, self.gpus)

    def env(self, slot: int) -> dict[str, str]:
        """What worker ``slot`` sets in its environment before anything is imported: its GPU, and the
        memory settings of a card shared with other workers."""
        env = {"CUDA_VISIBLE_DEVICES": self.gpus[slot % len(self.gpus)]} if self.gpus else {}
        env.update(worker_memory_env(self.backend, self._sharing[slot]))
        return env

    def placement(self, slots: int) -> str:
        """A log line's account of where the first ``slots`` workers run and their memory settings."""
        parts = []
        if self.gpus:
            parts.append(f"GPUs {', '.join(self.gpus[slot % len(self.gpus)] for slot in range(slots))}")
        memory = sorted({f"{k}={v}" for slot in range(slots) for k, v in worker_memory_env(
            self.backend, self._sharing[slot]).items()})
        if memory:
            parts.append(f"sharing a card with {' '.join(memory)}")
        return "".join(f", {part}" for part in parts)

    def _executor(self, slot: int) -> concurrent.futures.ProcessPoolExecutor:
        executor = self._executors[slot]
        if executor is None:
            output = str(self.output) if self.output is not None else None
            executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                initargs=(self.env(slot), output))
            self._executors[slot] = executor
        return executor

    def _drop(self, slot: int, kill: bool = False) -> None:
        executor, self._executors[slot] = self._executors[slot], None
        if executor is None:
            return
        if kill:  # Ctrl-C: the running folds are abandoned (the next run computes them)
            # ProcessPoolExecutor has no public way to stop a running task before Python 3.14
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.terminate()
        executor.shutdown(wait=not kill, cancel_futures=True)

    def close(self, kill: bool = False) -> None:
        for slot in range(self.workers):
            self._drop(slot, kill)

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close(kill=exc_info[0] is not None)

    def run(self, ref: ExperimentRef, jobs: Sequence[FoldJob]) -> dict[str, dict]:
        """Compute ``jobs`` in the workers; ``{fold name: record}``, every record stored. A worker that
        dies costs its fold only (recorded ``failed``); Ctrl-C stops the workers (finished folds are saved)."""
        jobs = list(jobs)
        if not jobs:
            return {}
        _check_picklable(FoldTask(ref, jobs[0]))
        slots = min(self.workers, len(jobs))
        tag = jobs[0].tag
        logger.info(f"{tag} {len(jobs)} fold(s) to compute in {slots} worker process(es)"
                    + self.placement(slots)
                    + (f"; their output goes to {self.output}" if self.output is not None else ""))
        waiting = collections.deque(jobs)
        running: dict[concurrent.futures.Future, tuple[int, FoldJob, float]] = {}
        done: dict[str, dict] = {}

        def submit(slot: int) -> None:
            job = waiting.popleft()
            running[self._executor(slot).submit(run_one_fold, FoldTask(ref, job))] = (slot, job, time.perf_counter())

        try:
            for slot in range(slots):
                submit(slot)
            while running:
                finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in finished:
                    slot, job, started = running.pop(future)
                    try:
                        report = future.result()
                        record, where = report.record, f"worker {slot + 1}, process {report.pid}"
                    except BrokenProcessPool:
                        record = fold_jobs.failed_fold_record(
                            job, "the worker process computing this fold ended abruptly (killed, or out of memory); "
                            "the other folds went on", time.perf_counter() - started)
                        where = f"worker {slot + 1} died"
                        self._drop(slot)
                    except Exception as exc:  # boundary: a worker process; whatever stopped it is the fold's failure
                        record = fold_jobs.failed_fold_record(job, f"the worker could not run this fold: "
                                                           f"{type(exc).__name__}: {exc}",
                                                           time.perf_counter() - started)
                        where = f"worker {slot + 1}"
                    done[job.fold.name] = _store(job, record)
                    logger.info(fold_jobs.fold_line(job, record, f" ({where}; {len(done)}/{len(jobs)} done)"))
                    if waiting:
                        submit(slot)
        except KeyboardInterrupt:
            logger.warning(f"{tag} interrupted; the {len(done)} fold(s) finished in this run are saved in "
                           f"{jobs[0].folds_dir}; run the same command again to resume")
            self.close(kill=True)
            raise
        return done


def run_folds_in_workers(ref: ExperimentRef, jobs: Sequence[FoldJob], *,
                         workers: int | LocalWorkers, gpus: Sequence[str] = ()) -> dict[str, dict]:
    """Compute ``jobs`` in local worker processes: a :class:`LocalWorkers` kept for the run, or ``workers``
    processes started for these jobs (their output in ``<experiment>/worker-output.log``)."""
    if isinstance(workers, LocalWorkers):
        return workers.run(ref, jobs)
    jobs = list(jobs)
    output = jobs[0].folds_dir.parent / WORKER_OUTPUT if jobs else None
    with LocalWorkers(workers, gpus, output) as pool:
        return pool.run(ref, jobs)


# ---------------------------------------------------------------------------------------------
# A Dask cluster


def _distributed():
    try:
        import distributed
    except ImportError:
        raise RunError("--cluster needs dask.distributed: pip install -e '.[cluster]'") from None
    return distributed


def connect(address: str, timeout: float = 20.0):
    """A ``dask.distributed.Client`` on the scheduler at ``address``, or one :class:`RunError` line."""
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RunError(f"--cluster {address}: cannot reach a Dask scheduler there ({type(exc).__name__}: "
                       f"{' '.join(str(exc).split())})") from None


def cluster_workers(client) -> int:
    """How many workers the client's cluster has now."""
    return len(client.scheduler_info().get("workers", {}))


def run_folds_on_cluster(ref: ExperimentRef, jobs: Sequence[FoldJob], *,
                         cluster: Any) -> dict[str, dict]:
    """Compute ``jobs`` on a Dask cluster (``cluster``: an address or a ``distributed.Client``);
    ``{fold name: record}``, every record stored by the worker and again here.

    Dask reschedules the fold of a worker that dies on another worker; a fold whose workers died
    ``distributed.scheduler.allowed-failures`` times (3) is recorded ``failed`` (``KilledWorker``).
    """
    jobs = list(jobs)
    if not jobs:
        return {}
    distributed = _distributed()
    _check_picklable(FoldTask(ref, jobs[0]))
    client = cluster if isinstance(cluster, distributed.Client) else connect(str(cluster))
    tag = jobs[0].tag
    futures: dict[Any, tuple[FoldJob, float]] = {}
    done: dict[str, dict] = {}
    try:
        logger.info(f"{tag} {len(jobs)} fold(s) to compute on the Dask cluster at {client.scheduler.address} "
                    f"({cluster_workers(client)} worker(s))")
        for job in jobs:
            key = f"mersuite-{job.base['paper']}-{job.base['experiment']}-{job.fold.name}-{uuid.uuid4().hex[:8]}"
            futures[client.submit(run_one_fold, FoldTask(ref, job), key=key)] = (job, time.perf_counter())
        for future in distributed.as_completed(list(futures), loop=client.loop):
            job, started = futures[future]
            try:
                report = future.result()
                record, where = report.record, f"{report.host}, process {report.pid}"
            except distributed.KilledWorker as exc:
                record = fold_jobs.failed_fold_record(job, f"the Dask workers computing this fold died ({exc})",
                                                   time.perf_counter() - started)
                where = "workers died"
            except Exception as exc:  # boundary: a Dask worker; whatever stopped it is the fold's failure
                record = fold_jobs.failed_fold_record(job, f"the worker could not run this fold: "
                                                   f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
                where = "cluster"
            done[job.fold.name] = _store(job, record)
            logger.info(fold_jobs.fold_line(job, record, f" ({where}; {len(done)}/{len(jobs)} done)"))
    except KeyboardInterrupt:
        logger.warning(f"{tag} interrupted; the {len(done)} fold(s) finished in this run are saved in "
                       f"{jobs[0].folds_dir}; run the same command again to resume")
        client.cancel(list(futures))
        raise
    finally:
        if client is not cluster:
            client.close()
    return done


def fold_runner(ref: ExperimentRef, *, workers: int | LocalWorkers = 1, cluster: Any = None,
                gpus: Sequence[str] = ()) -> fold_jobs.FoldRunner | None:
    """The ``fold_runner`` for :func:`runner.run_experiment`: on ``cluster`` (an address or a Client),
    else in ``workers`` (a :class:`LocalWorkers` kept for the run, or a number of processes greater
    than 1), else None (sequential, in this process)."""
    if cluster is not None:
        return functools.partial(run_folds_on_cluster, ref, cluster=cluster)
    if isinstance(workers, LocalWorkers) or workers > 1:
        return functools.partial(run_folds_in_workers, ref, workers=workers, gpus=tuple(gpus))
    return None
