"""The first pass of preprocessing over the clips, in several processes (``run_all.py --preprocess-workers N``).

A fold reads each clip's preprocessing through the stage cache (``common.preprocessing.cache``), so
the first fold of a run computes, one clip after the other in one process, what every later fold
reads. An experiment's ``Experiment.first_pass(selection, folds, config)`` hook lists that work: one
``(clip key, step)`` per clip, ``step(stages_root)`` computing and caching exactly the entries the
folds' ``run_fold`` reads (same stage, inputs and parameters, so the same keys). Before its folds,
the runner (:func:`runner.run_experiment` ``prepare_clips=``) hands the steps of the folds still to
compute to a :class:`FirstPass` pool, which runs them in N ``spawn`` processes; the folds then read
every entry from the cache.

The cache is the sequential run's, byte for byte: each entry is a function of its inputs and
parameters, written by ``np.savez`` (fixed member dates) atomically, whichever process writes it
(``tests/test_first_pass.py`` compares every file). The predictions are therefore those of a run
without the pass. A step that raises (a clip without a face, an unreadable frame) is noted in the
log and left to the folds, which meet the same error and record it as a sequential run does; a
worker that dies leaves its clips to the folds too. The processes see no GPU (``CUDA_VISIBLE_DEVICES``
empty): this is CPU work, and a fold worker on the card keeps its memory.
"""
from __future__ import annotations

import concurrent.futures
import functools
import logging
import multiprocessing
import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

from common.experiment import Experiment
from common.preprocessing.cache import default_root as stages_root
from common.progress import Ticker, duration
from common.running.corpus import load_datasets
from common.running.profiles import effective_config
from common.running.screening import screen_selection

logger = logging.getLogger(__name__)

Step = Callable[[Path], Any]  # computes and caches one clip's entries under the stages root it is given


def _start_process() -> None:
    """Initialiser of a first-pass process: no GPU (CPU work), Ctrl-C left to the parent."""
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_steps(steps: Sequence[tuple[str, Step]], root: Path) -> list[tuple[str, str]]:
    """Run ``steps`` here, in order; ``[(clip key, error)]`` of those that raised (what a process runs)."""
    errors = []
    for key, step in steps:
        try:
            step(root)
        except Exception as exc:  # the fold that reads this clip meets it again and records it
            errors.append((key, f"{type(exc).__name__}: {' '.join(str(exc).split())}"))
    return errors


def gather(futures: Mapping[concurrent.futures.Future, int], total: int, prefix: str = "",
           every: float | None = None, clock: Callable[[], float] = time.perf_counter) -> list[tuple[str, str]]:
    """The errors of ``futures`` (each :func:`run_steps` of that many clips), as they finish; while some run, a
    line at least every ``every`` seconds (``common.progress.PROGRESS_EVERY``): the clips done of ``total``, the
    time elapsed and an ETA (the clips left at the mean pace so far)."""
    ticker = Ticker(every, clock)
    errors: list[tuple[str, str]] = []
    pending, done = set(futures), 0
    while pending:
        wait = max(0.01, ticker.every - (clock() - ticker.last))
        finished, pending = concurrent.futures.wait(pending, timeout=wait,
                                                    return_when=concurrent.futures.FIRST_COMPLETED)
        for future in finished:
            errors += future.result()
            done += futures[future]
        elapsed = ticker.due() if pending else None
        if elapsed is not None:
            eta = f", ETA {duration(elapsed / done * (total - done))}" if done else ""
            logger.info(f"{prefix}first pass: {done} of {total} clip(s) done, {duration(elapsed)} elapsed{eta}")
    return errors


class FirstPass:
    """``processes`` ``spawn`` processes that run first-pass steps; kept for a whole run (each process
    imports the papers once), started on first use. ``with FirstPass(4) as pool: pool.run(experiment,
    jobs)`` is :func:`runner.run_experiment`'s ``prepare_clips``."""

    def __init__(self, processes: int, root: Path | None = None) -> None:
        if processes < 1:
            raise ValueError(f"processes must be >= 1, got {processes}")
        self.processes = int(processes)
        self.root = root
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_process)
        return self._executor

    def close(self, kill: bool = False) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if kill:  # Ctrl-C: what is cached stays cached; the next run computes the rest
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.terminate()
        executor.shutdown(wait=not kill, cancel_futures=True)

    def __enter__(self) -> FirstPass:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close(kill=exc_info[0] is not None)

    def run(self, experiment: Experiment, jobs: Sequence[Any]) -> None:
        """Cache the preprocessing of every clip the folds of ``jobs`` (``runner.FoldJob``, one experiment)
        read, in the processes; nothing when the experiment has no ``first_pass`` hook."""
        if experiment.first_pass is None or not jobs:
            return
        steps = list(experiment.first_pass(jobs[0].selection, [job.fold for job in jobs], jobs[0].config))
        self.map(steps, jobs[0].tag)

    def map(self, steps: Sequence[tuple[str, Step]], tag: str = "") -> None:
        """Run ``steps`` (``(clip key, step)``) in the processes, under ``self.root`` (default: the stages root)."""
        if not steps:
            return
        root = self.root if self.root is not None else stages_root()
        started, prefix = time.perf_counter(), f"{tag} " if tag else ""
        # contiguous chunks, about 4 per process: few round trips, and a slow clip delays little
        size = max(1, -(-len(steps) // (4 * self.processes)))
        chunks = [list(steps[i:i + size]) for i in range(0, len(steps), size)]
        logger.info(f"{prefix}first pass of preprocessing: {len(steps)} clip(s) in {min(self.processes, len(chunks))} "
                    f"process(es)")
        errors: list[tuple[str, str]] = []
        try:
            futures = {self._pool().submit(run_steps, chunk, root): len(chunk) for chunk in chunks}
            errors += gather(futures, len(steps), prefix)
        except BrokenProcessPool:
            self.close()
            logger.info(f"{prefix}first pass: a process ended abruptly (killed, or out of memory); the folds compute "
                        f"what it left")
        except KeyboardInterrupt:
            self.close(kill=True)
            raise
        for key, error in errors[:5]:
            logger.info(f"{prefix}first pass: {key}: {error} (left to its folds)")
        if len(errors) > 5:
            logger.info(f"{prefix}first pass: {len(errors) - 5} more clip(s) raised (left to their folds)")
        logger.info(f"{prefix}first pass done in {duration(time.perf_counter() - started)}")


def experiment_folds(paper_id: str, experiment: Experiment, data_root: Path, profile: str,
                     seed: int = 0) -> tuple[Any, list, Any]:
    """``(selection, folds, config)`` of an experiment as its run makes them (the same loading,
    selection, checks and folds; nothing trained): what ``first_pass`` is given."""
    from common.evaluation.splits import check_folds

    config = effective_config(experiment, profile)
    root = Path(data_root)
    selection = experiment.select(load_datasets(experiment, root), config)
    selection, _, _ = screen_selection(paper_id, experiment, selection, root,
                                       tag=f"[{paper_id}/{experiment.name}]")
    return selection, check_folds(experiment.folds(selection, config, seed), len(selection), partition=False), config


def clips_read(folds: Sequence[Any]) -> list[int]:
    """The indices of every clip the ``folds`` train or test on, in order."""
    return sorted({int(i) for fold in folds for part in (fold.train, fold.test) for i in part})


def per_clip(cache_clip: Callable[[Any, Any, Path], Any]) -> Callable[..., list[tuple[str, Step]]]:
    """The ``Experiment.first_pass`` hook of a paper whose folds read one cached function per clip,
    ``cache_clip(sample, config, stages_root)`` (module-level, so that its steps pickle), for every clip
    they train or test on."""
    def first_pass(selection: Any, folds: Sequence[Any], config: Any) -> list[tuple[str, Step]]:
        return [(selection.samples[i].key, functools.partial(cache_clip, selection.samples[i], config))
                for i in clips_read(folds)]

    first_pass.__qualname__ = f"per_clip({getattr(cache_clip, '__qualname__', cache_clip)})"
    return first_pass
