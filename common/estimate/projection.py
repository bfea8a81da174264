"""How long will it take? ``run_all.py --paper ID --estimate``.

For each planned experiment (its effective config: profile and ``--set`` applied) :func:`estimate`
loads the data, lets the paper select and make its folds (cheap: no face check, no training),
counts the work (clips, frames, folds; per model: training samples, epochs, optimiser steps), then
times what costs on this device and backend:

* training: each distinct model of the experiment's ``training_stages`` hook
  (:class:`common.experiment.TrainingStage`) is built, and ``train_on_batch`` runs on random
  inputs of the model's input shapes and the stage's batch size; the first two steps (tracing,
  warm-up) are excluded from the step time, which is the median of the timed steps. The first
  model of the process is built and stepped once untimed before (:func:`warm_up`): the framework's
  start-up is paid once per run, not per fold. Identical models
  (layers, shapes, parameters and batch size; names aside) are timed once, across experiments too.
  Where a step is short, Keras' per-epoch ``fit`` overhead is measured too (two 3-epoch ``fit``
  calls on one batch); ``predict_on_batch`` is timed for the test pass.
* preprocessing: the experiment's ``preprocess_clip`` hook on a few clips (those at the 25th,
  50th and 75th percentile of clip length, after one untimed clip that loads what is loaded once)
  with the preprocessing cache pointed at an empty temporary folder, so the timing is a first pass;
  ``time = a * clips + b * frames`` fitted to them (least squares, coefficients kept >= 0). Cached
  reads, on every later run, are much cheaper (``common.preprocessing.cache``: about 0.6 ms per clip).
* work: each timed model's training FLOPs per sample (``common.flops.training_flops``, analytic), so
  the table states the training work of every experiment in FLOPs and the rate each model's timed
  steps reached beside this device's float32 matmul rate (``common.flops.matmul_rate``, measured just
  before each model: on a shared machine the load changes within a minute). The work
  does not depend on the device: divided by another device's sustained rate it projects the run there.
* memory: the process's peak resident size (``ru_maxrss``, measured: it includes the framework
  runtime and every model timed so far) plus the training inputs of the largest stage as float32
  arrays (estimated: samples x input size x 4 B), which a fold holds beside the model.

Projection per fold = sum over its models of ``steps x step time + epochs x epoch overhead +
build time + (test batches + epochs x validation batches + gauge batches) x predict time + tracing``
(validation: ``TrainingStage.validation_samples``, evaluated after every epoch; the test pass covers
``TrainingStage.predict_samples`` where set; gauge: the epoch-selection gauge's test pass of the final
network after every epoch, the run's default; the first training and predict steps beyond a timed one); a
stage with ``traced_once`` (its ``run_fold`` keeps the compiled model across folds: ``common.training.compiled_like``,
``compiled_like``) pays the tracing in its first fold only. An experiment without the hooks is listed with its
counts and "not estimated". A gauge pass includes the forward pass a fold runs before it where it sets state
(``TrainingStage.gauge_refit_samples``: STSTNet's MATLAB recipe, its batch-normalisation statistics over the
training clips), timed as a prediction of that many inputs.

Written by hand: no library projects a Keras training's cost from a few timed steps.

Here: the counts and the projection. The timing of one model or of preprocessing is
``common.estimate.timing``, the device label ``common.environment``, the printed table
``common.estimate.table``.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from common.errors import RunError
from common.running.corpus import Loader, default_data_root, is_synthetic, load, load_all, load_datasets
from common.environment import device_label, peak_rss_bytes
from common.estimate.units import shapes
from common.running.profiles import data_root_problem, effective_config, resolve_profile
from common.estimate.timing import ModelTiming, PreprocessTiming, fixed_shape, time_model, time_preprocessing, warm_up
from common.experiment import Experiment, Fold, Selection, TrainingStage
from common.flops import matmul_rate
from common.running.preflight import split
from common.running.screening import check_released

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class StageWork:
    """One model of an experiment, over all its folds."""

    model: str
    folds: int  # folds that train it
    samples: int  # training samples summed over the folds (after augmentation)
    epochs: int
    batch_size: int
    steps: int  # optimiser steps summed over the folds
    test_samples: int  # test samples summed over the folds (the predict pass)
    timing: ModelTiming | None
    seconds: float | None  # projected training time over all folds

    @property
    def cpu_seconds(self) -> float:
        """Projected process CPU time (user + sys): the wall projection x the model's CPU per wall second."""
        return (self.seconds or 0.0) * (self.timing.cpu_per_wall if self.timing else 1.0)

    @property
    def samples_per_fold(self) -> float:
        return self.samples / self.folds if self.folds else 0.0

    @property
    def flops(self) -> float:
        """Training FLOPs over all folds: samples x epochs x one sample's training step (analytic)."""
        return float(self.samples) * self.epochs * (self.timing.train_flops if self.timing else 0)


@dataclasses.dataclass(frozen=True)
class ExperimentEstimate:
    paper: str
    experiment: str
    title: str
    profile: str
    clips: int
    frames: int
    folds: int
    dropped_short: int  # clips shorter than Experiment.min_frames (a run drops them too)
    stages: tuple[StageWork, ...] = ()
    preprocess: PreprocessTiming | None = None
    fold_seconds: tuple[float, ...] = ()  # projected training time of each fold
    peak_rss_bytes: int = 0  # measured process peak after timing this experiment's models
    arrays_bytes: int = 0  # largest stage's training inputs as float32 (estimate)
    note: str = ""  # why it is not (fully) estimated
    # The epoch-selection gauge's test pass after every epoch of each fold's final network (docs/methods.md
    # §9.4), counted in fold_seconds: "" when the run records no epochs (--no-epoch-gauge)
    gauge: str = ""

    @property
    def estimated(self) -> bool:
        return bool(self.fold_seconds)

    @property
    def training_seconds(self) -> float:
        return float(sum(self.fold_seconds))

    @property
    def cpu_seconds(self) -> float:
        """Projected process CPU time (user + sys) of training and first-pass preprocessing."""
        return sum(w.cpu_seconds for w in self.stages) + (
            self.preprocess.seconds * self.preprocess.cpu_per_wall if self.preprocess else 0.0)

    @property
    def total_seconds(self) -> float:
        return self.training_seconds + (self.preprocess.seconds if self.preprocess else 0.0)

    @property
    def training_flops(self) -> float:
        return sum(w.flops for w in self.stages)


@dataclasses.dataclass(frozen=True)
class Estimate:
    device: str
    backend: str
    profile: str
    corpus: str  # "synthetic at ROOT" | "real at ROOT"
    experiments: tuple[ExperimentEstimate, ...]
    seconds: float  # how long the estimate itself took (wall)
    matmul_flops_per_s: float = 0.0  # this device's float32 matmul rate (common.flops.matmul_rate), measured

    @property
    def training_flops(self) -> float:
        return sum(e.training_flops for e in self.experiments)

    @property
    def training_seconds(self) -> float:
        return sum(e.training_seconds for e in self.experiments)

    @property
    def preprocess_seconds(self) -> float:
        return sum(e.preprocess.seconds for e in self.experiments if e.preprocess)

    @property
    def cpu_seconds(self) -> float:
        return sum(e.cpu_seconds for e in self.experiments)

    @property
    def cpu_per_wall(self) -> float:
        """Median CPU seconds per wall second of the timed models: below the cores' count, other load or
        a framework that does not use every core."""
        ratios = [w.timing.cpu_per_wall for e in self.experiments for w in e.stages if w.timing]
        return float(np.median(ratios)) if ratios else float("nan")

    @property
    def peak_bytes(self) -> int:
        return max((e.peak_rss_bytes + e.arrays_bytes for e in self.experiments), default=0)


# ---------------------------------------------------------------------------------------------
# One experiment, all experiments


def _output_shape(layer: Any) -> str:
    try:
        return str(layer.output.shape)
    except (AttributeError, ValueError):  # Keras: a layer never called, or asked for a node it lacks; a list
        return "?"


def _timing_key(model: Any, batch_size: int) -> tuple:
    """What makes two models cost the same: input and output shapes, batch size, parameters, every
    layer's class and output shape (not the names: grid trials that differ in a rate are timed once),
    and how it computes (dtype policy and XLA: ``TrainConfig.mixed_precision``, ``jit_compile``)."""
    layers = tuple((type(layer).__name__, _output_shape(layer)) for layer in model.layers)
    how = (getattr(getattr(model, "dtype_policy", None), "name", None), getattr(model, "jit_compile", None))
    return (tuple(fixed_shape(t) for t in model.inputs), tuple(fixed_shape(t) for t in model.outputs), int(batch_size),
            int(model.count_params()), layers, how)


def _time_stages(per_fold: list[list[TrainingStage]], timings: dict, tag: str) -> dict[tuple[str, int], ModelTiming]:
    """The timing of every distinct (model name, batch size) of the folds' stages; each built once
    here to read its shapes, timed once overall (``timings``, shared across experiments)."""
    stage_timing: dict[tuple[str, int], ModelTiming] = {}
    for stages in per_fold:
        for stage in stages:
            if (stage.model, stage.batch_size) in stage_timing:
                continue
            warm_up(stage)
            t0 = time.perf_counter()
            model = stage.build()
            build_s = time.perf_counter() - t0
            key = _timing_key(model, stage.batch_size)
            if key not in timings:
                timings[key] = time_model(stage, model=model, build_s=build_s, tag=tag)
            else:
                logger.info(f"{tag}   {stage.model}: the same model as {timings[key].model}, timed before "
                            f"({shapes(key[0])} x batch {stage.batch_size})")
            stage_timing[(stage.model, stage.batch_size)] = timings[key]
            del model
    return stage_timing


def estimate_experiment(paper_id: str, experiment: Experiment, data: Mapping[str, list], *, profile: str,
                        overrides: Mapping[str, Any] | None = None, seed: int = 0,
                        timings: dict | None = None, epoch_gauge: bool = True) -> ExperimentEstimate:
    """Count and time one experiment (``data``: ``{database: [Sample]}``); ``timings`` is the cache of
    :class:`ModelTiming` shared across experiments (by model name, shapes and batch size); ``epoch_gauge``:
    the run records every epoch's test predictions (its default; ``--no-epoch-gauge``: False)."""
    from common.evaluation.splits import check_folds

    timings = {} if timings is None else timings
    tag = f"[{paper_id}/{experiment.name}]"
    config = effective_config(experiment, profile, overrides)
    selection = experiment.select(data, config)

    check_released(paper_id, experiment, selection, "the data root")  # a frame method on released inputs: one line
    # As the runner: a clip of the authors' released inputs has no frames, only their flow image and apex crop
    # (common.datasets.released), and is kept for a method that reads them; a clip with frames needs min_frames.
    keep = [i for i, s in enumerate(selection.samples)
            if s.meta.get("released") or len(s.frames) >= experiment.min_frames]
    dropped = len(selection) - len(keep)
    if dropped:
        index = np.asarray(keep, dtype=int)
        selection = Selection(tuple(selection.samples[i] for i in keep), np.asarray(selection.labels)[index],
                              selection.class_names, selection.dropped)
    if len(selection) == 0:
        raise RunError(f"experiment {paper_id}/{experiment.name}: the selection is empty")
    folds = check_folds(split(paper_id, experiment, config, selection, seed), len(selection), partition=False)
    counts: dict[str, Any] = dict(
        paper=paper_id, experiment=experiment.name, title=experiment.title, profile=profile,
        clips=len(selection), frames=int(sum(len(s.frames) for s in selection.samples)), folds=len(folds),
        dropped_short=dropped)
    logger.info(f"{tag} {counts['clips']} clips, {counts['frames']:,} frames, {len(folds)} folds")
    if experiment.training_stages is None:
        return ExperimentEstimate(**counts, note="not estimated: the experiment has no training_stages hook")

    try:
        per_fold = [list(experiment.training_stages(config, selection, fold)) for fold in folds]
        stage_timing = _time_stages(per_fold, timings, tag)
    except Exception as exc:  # boundary: a paper's builder and Keras (e.g. weights not fetched offline); noted
        reason = " ".join(str(exc).split()) or type(exc).__name__
        logger.warning(f"{tag} not estimated: building or timing a model failed: {reason}")
        return ExperimentEstimate(**counts, note=f"not estimated: building or timing a model failed: {reason}")
    peak = peak_rss_bytes() or 0  # 0: unknown (Windows has no getrusage)

    fold_seconds = []
    arrays = 0
    traced: set[tuple[str, int]] = set()
    totals: dict[tuple[str, int], dict[str, Any]] = {}
    for fold, stages in zip(folds, per_fold):
        seconds = 0.0
        for stage in stages:
            t = stage_timing[(stage.model, stage.batch_size)]
            steps = math.ceil(stage.samples / stage.batch_size) * stage.epochs
            predicted = len(fold.test) if stage.predict_samples is None else stage.predict_samples
            test_batches = math.ceil(predicted / stage.batch_size)
            validation_batches = stage.epochs * math.ceil(stage.validation_samples / stage.batch_size)
            cost = (steps * t.step_s + stage.epochs * t.epoch_overhead_s + t.build_s
                    + (test_batches + validation_batches) * t.predict_s
                    + _gauge_seconds(fold, stage, stages, epoch_gauge, t))
            if not stage.traced_once or (stage.model, stage.batch_size) not in traced:
                cost += t.trace_s + t.predict_trace_s
                traced.add((stage.model, stage.batch_size))
            seconds += cost
            arrays = max(arrays, stage.samples * t.input_bytes)
            row = totals.setdefault((stage.model, stage.batch_size),
                                    {"folds": 0, "samples": 0, "steps": 0, "test": 0, "seconds": 0.0, "epochs": set()})
            row["folds"] += 1
            row["samples"] += stage.samples
            row["steps"] += steps
            row["test"] += len(fold.test)
            row["seconds"] += cost
            row["epochs"].add(stage.epochs)
        fold_seconds.append(seconds)
    works = tuple(StageWork(model=name, folds=r["folds"], samples=r["samples"], epochs=max(r["epochs"]),
                            batch_size=bs, steps=r["steps"], test_samples=r["test"],
                            timing=stage_timing[(name, bs)], seconds=r["seconds"])
                  for (name, bs), r in totals.items())
    note = ""
    together = int(getattr(getattr(config, "train", None), "fold_parallel", 1) or 1)
    if together > 1:  # --fold-parallel N: the training steps of a group, timed as one
        fold_seconds, arrays, note = _fold_parallel(tag, folds, per_fold, stage_timing, config.train, fold_seconds,
                                                    arrays, epoch_gauge)
        works = tuple(dataclasses.replace(w, seconds=sum(fold_seconds) * w.samples / max(
            sum(x.samples for x in works), 1)) for w in works)
    preprocess = None
    if experiment.preprocess_clip is not None:
        preprocess = time_preprocessing(experiment, config, selection, tag=tag)
    else:
        note = "preprocessing not estimated: the experiment has no preprocess_clip hook"
    gauge = ""
    if epoch_gauge:
        gauge = ("epoch gauge: a test pass of each fold's network after every epoch, counted (docs/methods.md "
                 "§9.4; --no-epoch-gauge leaves it out)")
    return ExperimentEstimate(**counts, stages=works, preprocess=preprocess, fold_seconds=tuple(fold_seconds),
                              peak_rss_bytes=peak, arrays_bytes=int(arrays), note=note, gauge=gauge)


def _gauge_seconds(fold: Fold, stage: TrainingStage, stages: Sequence[TrainingStage], epoch_gauge: bool,
                   t: Any) -> float:
    """The epoch gauge's passes in ``fold``: the fold's test clips predicted after every epoch of its final
    network (the last stage, ``common.running.fold.epoch_recorder``), each after the state the fold sets first
    (``gauge_set_state``, timed whole: ``ModelTiming.gauge_state_s``; a stage that declares only
    ``gauge_refit_samples`` counts a forward pass of them); 0 for the other stages or without the gauge."""
    if not epoch_gauge or stage is not stages[-1]:
        return 0.0
    state = (t.gauge_state_s if stage.gauge_set_state is not None
             else math.ceil(stage.gauge_refit_samples / stage.batch_size) * t.predict_s)
    return stage.epochs * (math.ceil(len(fold.test) / stage.batch_size) * t.predict_s + state)


def _fold_parallel(tag: str, folds: Sequence[Fold], per_fold: list[list[TrainingStage]], stage_timing: Mapping,
                   train: Any, fold_seconds: list[float], arrays: int,
                   epoch_gauge: bool) -> tuple[list[float], int, str]:
    """``--fold-parallel N``: each fold's projected seconds with its training steps (and the gauge's test
    passes) replaced by its share of a group's (``common.fold_parallel.time_group``: N networks trained
    together on random inputs, each recording a test pass of the largest fold's size after every epoch with
    the gauge, timed here), the memory of N folds (``fold_bytes``) in place of one fold's inputs, and the note
    saying so."""
    from common import fold_parallel

    if any(len(stages) != 1 for stages in per_fold):
        return fold_seconds, arrays, "fold-parallel not estimated: a fold trains more than one network"
    stage = max((stages[0] for stages in per_fold), key=lambda s: s.samples)
    together = train.fold_parallel
    n = min(together, len(per_fold))
    per_group = fold_parallel.fold_bytes(stage.build(), stage.samples, stage.batch_size) * n
    logger.info(f"{tag} timing {n} networks of {stage.model} trained together (--fold-parallel {together})")
    test = max(len(fold.test) for fold in folds) if epoch_gauge else 0
    group = fold_parallel.time_group(stage.build, train, stage.samples, n, test_samples=test,
                                     refit_samples=stage.gauge_refit_samples if epoch_gauge else 0,
                                     set_state=stage.gauge_set_state)
    seconds = []
    for fold, stages, before in zip(folds, per_fold, fold_seconds):
        one = stages[0]
        t = stage_timing[(one.model, one.batch_size)]
        steps = math.ceil(one.samples / one.batch_size) * one.epochs
        # what the group replaces: the steps, Keras' per-epoch costs, the trace and the gauge's test passes
        alone = (steps * t.step_s + one.epochs * t.epoch_overhead_s + t.trace_s
                 + _gauge_seconds(fold, one, stages, epoch_gauge, t))
        seconds.append(max(before - alone, 0.0) + (one.epochs * group.epoch_s + group.trace_s) / n)
    note = (f"fold-parallel {together}: groups of {n} folds, an epoch of a group {group.epoch_s:.3f} s "
            f"(timed); memory of a group {fold_parallel.memory(per_group)}")
    return seconds, max(arrays, per_group), note


def estimate(entries: Sequence[tuple[str, Experiment]], *, data_root: str | Path | None = None,
             profile: str | None = None, seed: int = 0, overrides: Mapping[str, Any] | None = None,
             loader: Loader = load, epoch_gauge: bool = True) -> Estimate:
    """Estimate every ``(paper_id, experiment)`` of ``entries`` (a paper's experiments, or a benchmark
    track's entries) on ``data_root`` (None: the synthetic corpus) under ``profile`` (None: paper on
    real data, quick on a synthetic corpus), its databases read by ``loader``; ``epoch_gauge``: the run
    records every epoch's test predictions (``--no-epoch-gauge``: False). Raises ``ConfigError``/``RunError``
    (one line)."""
    started = time.perf_counter()
    profile = resolve_profile(profile, data_root, [e for _, e in entries])
    for _, experiment in entries:  # every --set checked before any work
        effective_config(experiment, profile, overrides)
    if data_root is not None and not Path(data_root).is_dir():
        raise RunError(data_root_problem(data_root))
    root = Path(data_root) if data_root is not None else default_data_root(profile)
    synthetic = data_root is None or is_synthetic(root)
    loaded = load_all([e for _, e in entries], root, loader)

    device, backend = device_label()
    matmul = matmul_rate()
    logger.info(f"estimating on {device}; backend {backend}; profile {profile}; float32 matmul "
                f"{matmul / 1e9:.0f} GFLOP/s")
    timings: dict = {}
    results = []
    for paper_id, experiment in entries:
        results.append(estimate_experiment(paper_id, experiment, load_datasets(experiment, root, loaded),
                                           profile=profile, overrides=overrides, seed=seed, timings=timings,
                                           epoch_gauge=epoch_gauge))
    return Estimate(device=device, backend=backend, profile=profile,
                    corpus=f"{'synthetic' if synthetic else 'real'} at {root}", experiments=tuple(results),
                    seconds=time.perf_counter() - started, matmul_flops_per_s=matmul)


