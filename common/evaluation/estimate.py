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
  50th and 75th percentile of clip length, after one untimed clip that loads what is loaded once) with the preprocessing cache pointed at an empty
  temporary folder, so the timing is a first pass; ``time = a * clips + b * frames`` fitted to
  them (least squares, coefficients kept >= 0). Cached reads, on every later run, are much cheaper
  (``common.preprocessing.cache``: about 0.6 ms per clip).
* work: each timed model's training FLOPs per sample (``common.flops.training_flops``, analytic), so
  the table states the training work of every experiment in FLOPs and the rate each model's timed
  steps reached beside this device's float32 matmul rate (``common.flops.matmul_rate``, measured just
  before each model: on a shared machine the load changes within a minute). The work
  does not depend on the device: divided by another device's sustained rate it projects the run there.
* memory: the process's peak resident size (``ru_maxrss``, measured: it includes the framework
  runtime and every model timed so far) plus the training inputs of the largest stage as float32
  arrays (estimated: samples x input size x 4 B), which a fold holds beside the model.

Projection per fold = sum over its models of ``steps x step time + epochs x epoch overhead +
build time + (test batches + epochs x validation batches) x predict time + tracing`` (validation:
``TrainingStage.validation_samples``, evaluated after every epoch; the test pass covers
``TrainingStage.predict_samples`` where set; the first training and predict steps beyond
a timed one); a stage with ``traced_once`` (its ``run_fold`` keeps the compiled model across folds:
``common.training.fold_model``, ``compiled_like``) pays the tracing in its first fold only. An experiment without the hooks is listed with its counts and "not estimated".

Written by hand: no library projects a Keras training's cost from a few timed steps.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from common.errors import RunError
from common.evaluation.corpus import Loader, default_data_root, is_synthetic, load, load_all, load_datasets
from common.evaluation.profiles import effective_config, resolve_profile
from common.evaluation.records import jsonable
from common.experiment import Experiment, Selection, TrainingStage

MIN_TIMED_STEPS = 3  # training steps timed per model after the two warm-up steps
STEP_BUDGET_S = 2.0  # more steps are timed (up to MAX_TIMED_STEPS) while their sum stays under this
MAX_TIMED_STEPS = 10
EPOCH_OVERHEAD_BELOW_S = 0.5  # measure fit's per-epoch overhead only for steps shorter than this
PREPROCESS_CLIPS = 3


@dataclasses.dataclass(frozen=True)
class ModelTiming:
    """One model timed at one batch size on this device and backend (seconds are wall time)."""

    model: str
    inputs: tuple[tuple[int, ...], ...]  # per-sample input shapes
    outputs: tuple[tuple[int, ...], ...]
    batch_size: int
    parameters: int
    build_s: float  # build() (and compile) once
    trace_s: float  # the first training step (tracing/compilation) beyond a timed step
    predict_trace_s: float  # the first predict_on_batch beyond a timed one
    step_s: float  # median training step after the warm-up
    step_cpu_s: float  # process CPU time (user + sys, all threads) of that step
    cpu_per_wall: float  # process CPU seconds per wall second over the whole timing (load indicator)
    steps_timed: int
    epoch_overhead_s: float  # Keras fit's per-epoch cost beyond its steps (0 when not measured)
    predict_s: float  # one predict_on_batch of batch_size samples
    input_bytes: int  # one sample's inputs as float32
    state_bytes: int  # weights + gradients + optimiser slots, float32 (estimate)
    rss_growth_bytes: int  # growth of the process peak resident size while timing it (measured)
    train_flops: int = 0  # FLOPs of one sample's training step (common.flops.training_flops, analytic)
    matmul_flops_per_s: float = 0.0  # the device's float32 matmul rate measured just before (the load changes)
    matmul_flops_per_cpu_s: float = 0.0  # the same per second of process CPU time (common.flops.matmul_rates)

    @property
    def flops_per_s(self) -> float:
        """Training FLOP/s the timed steps achieved (analytic FLOPs / median step time)."""
        return self.train_flops * self.batch_size / self.step_s if self.step_s > 0 else 0.0

    @property
    def cpu_share(self) -> float:
        """Training FLOPs per CPU second over the matmul's: how well the model uses the cores it gets."""
        if self.step_cpu_s <= 0 or self.matmul_flops_per_cpu_s <= 0:
            return 0.0
        return self.train_flops * self.batch_size / self.step_cpu_s / self.matmul_flops_per_cpu_s


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
class PreprocessTiming:
    clips_timed: tuple[tuple[str, int, float], ...]  # (key, frames, seconds) of each timed clip
    per_clip_s: float  # fitted a
    per_frame_s: float  # fitted b
    seconds: float  # projected first pass over the experiment's clips
    cpu_per_wall: float = 1.0  # process CPU seconds per wall second while timing the clips


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
# Device, memory


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_label() -> tuple[str, str]:
    """``(device, backend)``: e.g. ``("CPU: AMD EPYC 7B13, 2 cores", "tensorflow 2.21.0, keras 3.15.1")``."""
    import keras

    backend = keras.backend.backend()
    version = ""
    gpus: list[str] = []
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            version = tf.__version__
            gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        elif backend == "jax":
            import jax

            version = jax.__version__
            gpus = [str(d) for d in jax.devices() if d.platform != "cpu"]
        elif backend == "torch":
            import torch

            version = torch.__version__
            if torch.cuda.is_available():
                gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # a device query that fails is not a reason to stop an estimate
        pass
    device = f"GPU: {', '.join(gpus)}" if gpus else f"CPU: {_cpu_name()}, {os.cpu_count()} cores"
    return device, f"{backend} {version}, keras {keras.__version__}".replace("  ", " ")


def peak_rss_bytes() -> int:
    """The process's peak resident set size so far (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


# ---------------------------------------------------------------------------------------------
# Timing one model


def _shape(tensor: Any) -> tuple[int, ...]:
    shape = tuple(tensor.shape)[1:]
    if any(d is None for d in shape):
        raise ValueError(f"input {getattr(tensor, 'name', '?')} has an unknown dimension {tuple(tensor.shape)}; "
                         "--estimate needs fixed input shapes")
    return tuple(int(d) for d in shape)


def _is_sparse(loss: Any, i: int) -> bool:
    if isinstance(loss, (list, tuple)):
        loss = loss[i] if i < len(loss) else loss[-1]
    elif isinstance(loss, Mapping):
        loss = list(loss.values())[i] if i < len(loss) else None
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or str(loss)
    return "sparse" in str(name).lower()


def random_batch(model: Any, batch_size: int, seed: int = 0) -> tuple[list, list]:
    """Random inputs of the model's input shapes, and targets its loss accepts: one-hot classes for
    a (batch, classes) output, integer classes for a sparse loss, uniform [0, 1) otherwise."""
    rng = np.random.default_rng(seed)
    xs = [rng.random((batch_size, *_shape(t)), dtype=np.float32) for t in model.inputs]
    ys = []
    for i, t in enumerate(model.outputs):
        shape = _shape(t)
        if _is_sparse(getattr(model, "loss", None), i):
            ys.append(rng.integers(0, shape[-1] if shape else 2, batch_size))
        elif len(shape) == 1 and shape[0] > 1:
            ys.append(np.eye(shape[0], dtype=np.float32)[rng.integers(0, shape[0], batch_size)])
        else:
            ys.append(rng.random((batch_size, *shape), dtype=np.float32))
    return xs, ys


def _one(values: list) -> Any:
    return values[0] if len(values) == 1 else values


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


_WARMED: list[bool] = []  # the framework's one-time start-up paid in this process


def warm_up(stage: TrainingStage) -> None:
    """Build, train one step and predict once with ``stage``'s model, untimed: the framework's one-time
    start-up (thread pools, kernels, the compiler; about 3 s of a first model's tracing on 2 CPU cores)
    is paid once per process by a run too, not per model or fold."""
    if _WARMED:
        return
    import keras

    model = stage.build()
    xs, ys = random_batch(model, stage.batch_size)
    model.train_on_batch(_one(xs), _one(ys))
    model.predict_on_batch(_one(xs))
    del model
    keras.backend.clear_session()
    _WARMED.append(True)


def time_model(stage: TrainingStage, log: Callable[[str], None] = print, model: Any = None,
               build_s: float | None = None) -> ModelTiming:
    """Build ``stage``'s model (or take ``model``, built in ``build_s``) and time its training steps
    (see the module docstring)."""
    import keras

    from common.flops import matmul_rates, training_flops

    rss0 = peak_rss_bytes()
    matmul, matmul_cpu = matmul_rates(repeats=3)
    if model is None:
        t0 = time.perf_counter()
        model = stage.build()
        build_s = time.perf_counter() - t0
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"model {stage.model!r}: TrainingStage.build() must return a compiled model")
    xs, ys = random_batch(model, stage.batch_size)
    x, y = _one(xs), _one(ys)
    began = _clock()
    t0 = time.perf_counter()
    model.train_on_batch(x, y)
    first = time.perf_counter() - t0
    model.train_on_batch(x, y)
    walls, cpus = [], []
    while len(walls) < MIN_TIMED_STEPS or (sum(walls) < STEP_BUDGET_S and len(walls) < MAX_TIMED_STEPS):
        mark = _clock()
        model.train_on_batch(x, y)
        walls.append(time.perf_counter() - mark[0])
        cpus.append(time.process_time() - mark[1])
    step = float(np.median(walls))
    overhead = 0.0
    if step < EPOCH_OVERHEAD_BELOW_S:
        spent = []
        for _ in range(2):  # the first call sets up fit's iterator; the second is the steady state
            t0 = time.perf_counter()
            model.fit(x, y, batch_size=stage.batch_size, epochs=3, verbose=0, shuffle=False)
            spent.append(time.perf_counter() - t0)
        overhead = max(0.0, (spent[-1] - 3 * step) / 3)
    t0 = time.perf_counter()
    model.predict_on_batch(x)
    predict_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.predict_on_batch(x)
    predict = time.perf_counter() - t0
    wall, cpu = time.perf_counter() - began[0], time.process_time() - began[1]
    weights = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    slots = sum(int(np.prod(v.shape)) for v in model.optimizer.variables)
    timing = ModelTiming(
        model=stage.model, inputs=tuple(_shape(t) for t in model.inputs), outputs=tuple(_shape(t) for t in model.outputs),
        batch_size=int(stage.batch_size), parameters=weights, build_s=build_s, trace_s=max(0.0, first - step),
        predict_trace_s=max(0.0, predict_first - predict),
        step_s=step, step_cpu_s=float(np.median(cpus)),
        cpu_per_wall=cpu / wall if wall > 0 else 1.0, steps_timed=len(walls), epoch_overhead_s=overhead,
        predict_s=predict, input_bytes=4 * sum(int(np.prod(_shape(t))) for t in model.inputs),
        state_bytes=4 * (2 * weights + slots), rss_growth_bytes=max(0, peak_rss_bytes() - rss0),
        train_flops=training_flops(model), matmul_flops_per_s=matmul, matmul_flops_per_cpu_s=matmul_cpu)
    del model
    keras.backend.clear_session()
    log(f"  timed {stage.model}: {_plain(timing.inputs)} x batch {stage.batch_size}, {weights:,} parameters: "
        f"{_seconds(step)}/step (median of {len(walls)}, CPU {_seconds(timing.step_cpu_s)}), build "
        f"{_seconds(build_s)}, tracing {_seconds(timing.trace_s)}")
    return timing


# ---------------------------------------------------------------------------------------------
# Preprocessing


@contextlib.contextmanager
def _empty_cache():
    """Point the preprocessing cache (``MERSUITE_CACHE``) at an empty temporary folder."""
    old = os.environ.get("MERSUITE_CACHE")
    with tempfile.TemporaryDirectory(prefix="mersuite-estimate-") as folder:
        os.environ["MERSUITE_CACHE"] = folder
        try:
            yield Path(folder)
        finally:
            if old is None:
                os.environ.pop("MERSUITE_CACHE", None)
            else:
                os.environ["MERSUITE_CACHE"] = old


def fit_preprocessing(timed: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """``(a, b)`` with ``seconds ~ a + b * frames`` over the timed clips; both >= 0."""
    frames = np.array([f for f, _ in timed], dtype=float)
    seconds = np.array([s for _, s in timed], dtype=float)
    if len(set(frames.tolist())) >= 2:
        b, a = np.polyfit(frames, seconds, 1)
        if a >= 0 and b >= 0:
            return float(a), float(b)
        if b < 0:  # longer clips not slower: a cost per clip
            return float(seconds.mean()), 0.0
    total = float(frames.sum())
    return (0.0, float(seconds.sum()) / total) if total > 0 else (float(seconds.mean()), 0.0)


def time_preprocessing(experiment: Experiment, config: Any, selection: Selection, clips: int = PREPROCESS_CLIPS,
                       log: Callable[[str], None] = print) -> PreprocessTiming:
    """Time ``experiment.preprocess_clip`` (first pass, empty cache) on ``clips`` clips of typical length,
    after one untimed clip (the shortest) that pays the one-time costs: imports, the face models' loading."""
    lengths = np.array([len(s.frames) for s in selection.samples])
    order = np.argsort(lengths, kind="stable")
    quantiles = np.linspace(0.25, 0.75, clips) if clips > 1 else [0.5]
    chosen = list(dict.fromkeys(int(order[min(len(order) - 1, int(round(q * (len(order) - 1))))]) for q in quantiles))
    warm_up = next((int(i) for i in order if int(i) not in chosen), None)
    timed = []
    with _empty_cache():
        if warm_up is not None:
            experiment.preprocess_clip(selection.samples[warm_up], config)
        began = _clock()
        for i in chosen:
            sample = selection.samples[i]
            t0 = time.perf_counter()
            experiment.preprocess_clip(sample, config)
            timed.append((sample.key, len(sample.frames), time.perf_counter() - t0))
    wall, cpu = time.perf_counter() - began[0], time.process_time() - began[1]
    a, b = fit_preprocessing([(f, s) for _, f, s in timed])
    seconds = a * len(selection) + b * float(lengths.sum())
    log(f"  timed preprocessing of {len(timed)} clips (first pass): "
        + ", ".join(f"{f} frames {_seconds(s)}" for _, f, s in timed))
    return PreprocessTiming(tuple(timed), a, b, seconds, cpu / wall if wall > 0 else 1.0)


# ---------------------------------------------------------------------------------------------
# One experiment, all experiments


def _output_shape(layer: Any) -> str:
    try:
        return str(layer.output.shape)
    except Exception:  # a layer used at several places has no single output
        return "?"


def _timing_key(model: Any, batch_size: int) -> tuple:
    """What makes two models cost the same: input and output shapes, batch size, parameters, every
    layer's class and output shape (not the names: grid trials that differ in a rate are timed once),
    and how it computes (dtype policy and XLA: ``TrainConfig.mixed_precision``, ``jit_compile``)."""
    layers = tuple((type(layer).__name__, _output_shape(layer)) for layer in model.layers)
    how = (getattr(getattr(model, "dtype_policy", None), "name", None), getattr(model, "jit_compile", None))
    return (tuple(_shape(t) for t in model.inputs), tuple(_shape(t) for t in model.outputs), int(batch_size),
            int(model.count_params()), layers, how)


def _time_stages(per_fold: list[list[TrainingStage]], timings: dict, tag: str,
                 log: Callable[[str], None]) -> dict[tuple[str, int], ModelTiming]:
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
                timings[key] = time_model(stage, log=lambda m: log(f"{tag}{m}"), model=model, build_s=build_s)
            else:
                log(f"{tag}   {stage.model}: the same model as {timings[key].model}, timed before "
                    f"({_plain(key[0])} x batch {stage.batch_size})")
            stage_timing[(stage.model, stage.batch_size)] = timings[key]
            del model
    return stage_timing


def estimate_experiment(paper_id: str, experiment: Experiment, data: Mapping[str, list], *, profile: str,
                        overrides: Mapping[str, Any] | None = None, seed: int = 0,
                        timings: dict | None = None, log: Callable[[str], None] = print) -> ExperimentEstimate:
    """Count and time one experiment (``data``: ``{database: [Sample]}``); ``timings`` is the cache of
    :class:`ModelTiming` shared across experiments (by model name, shapes and batch size)."""
    from common.evaluation.preflight import split
    from common.evaluation.splits import check_folds

    timings = {} if timings is None else timings
    tag = f"[{paper_id}/{experiment.name}]"
    config = effective_config(experiment, profile, overrides)
    selection = experiment.select(data, config)
    keep = [i for i, s in enumerate(selection.samples) if len(s.frames) >= experiment.min_frames]
    dropped = len(selection) - len(keep)
    if dropped:
        index = np.asarray(keep, dtype=int)
        selection = Selection(tuple(selection.samples[i] for i in keep), np.asarray(selection.labels)[index],
                              selection.class_names, selection.dropped)
    if len(selection) == 0:
        raise RunError(f"experiment {paper_id}/{experiment.name}: the selection is empty")
    folds = check_folds(split(paper_id, experiment, config, selection, seed), len(selection), partition=False)
    counts = dict(paper=paper_id, experiment=experiment.name, title=experiment.title, profile=profile,
                  clips=len(selection), frames=int(sum(len(s.frames) for s in selection.samples)), folds=len(folds),
                  dropped_short=dropped)
    log(f"{tag} {counts['clips']} clips, {counts['frames']:,} frames, {len(folds)} folds")
    if experiment.training_stages is None:
        return ExperimentEstimate(**counts, note="not estimated: the experiment has no training_stages hook")

    try:
        per_fold = [list(experiment.training_stages(config, selection, fold)) for fold in folds]
        stage_timing = _time_stages(per_fold, timings, tag, log)
    except Exception as exc:  # e.g. pretrained weights that cannot be fetched offline: this experiment only
        reason = " ".join(str(exc).split()) or type(exc).__name__
        log(f"{tag} not estimated: building or timing a model failed: {reason}")
        return ExperimentEstimate(**counts, note=f"not estimated: building or timing a model failed: {reason}")
    peak = peak_rss_bytes()

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
                    + (test_batches + validation_batches) * t.predict_s)
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
    preprocess = None
    note = ""
    if experiment.preprocess_clip is not None:
        preprocess = time_preprocessing(experiment, config, selection, log=lambda m: log(f"{tag}{m}"))
    else:
        note = "preprocessing not estimated: the experiment has no preprocess_clip hook"
    return ExperimentEstimate(**counts, stages=works, preprocess=preprocess, fold_seconds=tuple(fold_seconds),
                              peak_rss_bytes=peak, arrays_bytes=int(arrays), note=note)


def estimate(entries: Sequence[tuple[str, Experiment]], *, data_root: str | Path | None = None,
             profile: str | None = None, seed: int = 0, overrides: Mapping[str, Any] | None = None,
             log: Callable[[str], None] = print, loader: Loader = load) -> Estimate:
    """Estimate every ``(paper_id, experiment)`` of ``entries`` (a paper's experiments, or a benchmark
    track's entries) on ``data_root`` (None: the synthetic corpus) under ``profile`` (None: paper on
    real data, quick on a synthetic corpus), its databases read by ``loader``. Raises
    ``ConfigError``/``RunError`` (one line)."""
    started = time.perf_counter()
    profile = resolve_profile(profile, data_root)
    for paper_id, experiment in entries:  # every --set checked before any work
        effective_config(experiment, profile, overrides)
    if data_root is not None and not Path(data_root).is_dir():
        raise RunError(f"--data-root {data_root}: no such folder")
    root = Path(data_root) if data_root is not None else default_data_root(profile)
    synthetic = data_root is None or is_synthetic(root)
    loaded = load_all([e for _, e in entries], root, loader)
    from common.flops import matmul_rate

    device, backend = device_label()
    matmul = matmul_rate()
    log(f"estimating on {device}; backend {backend}; profile {profile}; float32 matmul {matmul / 1e9:.0f} GFLOP/s")
    timings: dict = {}
    results = []
    for paper_id, experiment in entries:
        results.append(estimate_experiment(paper_id, experiment, load_datasets(experiment, root, loaded),
                                           profile=profile, overrides=overrides, seed=seed, timings=timings, log=log))
    return Estimate(device=device, backend=backend, profile=profile,
                    corpus=f"{'synthetic' if synthetic else 'real'} at {root}", experiments=tuple(results),
                    seconds=time.perf_counter() - started, matmul_flops_per_s=matmul)


# ---------------------------------------------------------------------------------------------
# The table


def _seconds(seconds: float | None) -> str:
    """A duration for people: 12 ms, 3.4 s, 5 min 12 s, 3 h 20 min, 4.2 days."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{seconds / 86400:.1f} days"


def _bytes(n: int) -> str:
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _flops(flops: float) -> str:
    """FLOPs for people: 3.2 TFLOP, 1.4 PFLOP."""
    for unit, size in (("EFLOP", 1e18), ("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6),
                       ("kFLOP", 1e3)):
        if flops >= size:
            return f"{flops / size:.1f} {unit}"
    return f"{flops:.0f} FLOP"


def _rate(t: ModelTiming) -> str:
    """``57 GFLOP/s (48% of 120 GFLOP/s matmul; 40% per CPU-second)``: beside the matmul rate measured next to it."""
    if t.matmul_flops_per_s <= 0:
        return f"{t.flops_per_s / 1e9:.0f} GFLOP/s"
    return (f"{t.flops_per_s / 1e9:.0f} GFLOP/s ({t.flops_per_s / t.matmul_flops_per_s:.0%} of "
            f"{t.matmul_flops_per_s / 1e9:.0f} GFLOP/s matmul; {t.cpu_share:.0%} per CPU-second)")


def _plain(shapes: tuple) -> str:
    return "+".join("x".join(map(str, s)) for s in shapes)


def format_estimate(est: Estimate) -> str:
    """The table ``--estimate`` prints: per experiment, then overall. Every figure is a projection."""
    lines = [f"PROJECTION (not a measurement of a run): profile {est.profile}, corpus {est.corpus}",
             f"device {est.device}; backend {est.backend}; wall times on this machine as loaded now",
             f"load: while its steps were timed this process used {est.cpu_per_wall:.2f} CPU-s per wall-s on "
             f"{os.cpu_count()} cores; other processes on the machine inflate every wall figure (the CPU-time "
             "figures, user + sys, much less)", ""]
    header = (f"  {'model':<22} {'input x batch':<22} {'params':>11} {'folds':>5} {'train/fold':>10} {'epochs':>6} "
              f"{'steps (all folds)':>17} {'s/step':>8} {'training':>14}")
    for e in est.experiments:
        lines.append(f"{e.paper}/{e.experiment}: {e.title}")
        dropped = f" ({e.dropped_short} shorter than min_frames left out)" if e.dropped_short else ""
        lines.append(f"  work: {e.clips} clips, {e.frames:,} frames, {e.folds} folds{dropped}")
        if not e.estimated:
            lines.append(f"  {e.note}")
            lines.append("")
            continue
        lines.append(header)
        for w in e.stages:
            t = w.timing
            lines.append(f"  {w.model[:22]:<22} {(_plain(t.inputs) + ' x ' + str(w.batch_size))[:22]:<22} "
                         f"{t.parameters:>11,} {w.folds:>5} {w.samples_per_fold:>10.0f} {w.epochs:>6} {w.steps:>17,} "
                         f"{t.step_s:>8.3f} {_seconds(w.seconds):>14}")
        per_fold = np.array(e.fold_seconds)
        lines.append(f"  training: {_seconds(float(per_fold.mean()))} per fold (max {_seconds(float(per_fold.max()))}), "
                     f"{_seconds(e.training_seconds)} for {e.folds} folds "
                     f"(CPU time {_seconds(sum(w.cpu_seconds for w in e.stages))})")
        lines.append(f"  training work: {_flops(e.training_flops)} (analytic, common.flops); the timed steps ran at "
                     + ", ".join(f"{w.model} {_rate(w.timing)}"
                                 for w in e.stages if w.timing))
        if e.preprocess is not None:
            p = e.preprocess
            lines.append(f"  preprocessing, first pass: {_seconds(p.seconds)} for {e.clips} clips "
                         f"({_seconds(p.per_clip_s)}/clip + {_seconds(p.per_frame_s)}/frame fitted on "
                         f"{len(p.clips_timed)} clips); later runs read the cache, much cheaper")
        if e.note:
            lines.append(f"  {e.note}")
        lines.append(f"  peak memory: {_bytes(e.peak_rss_bytes + e.arrays_bytes)} = process peak "
                     f"{_bytes(e.peak_rss_bytes)} (measured, ru_maxrss) + training inputs {_bytes(e.arrays_bytes)} "
                     "(float32, estimate)")
        lines.append(f"  total: {_seconds(e.total_seconds)}")
        lines.append("")
    estimated = [e for e in est.experiments if e.estimated]
    missing = [f"{e.paper}/{e.experiment}" for e in est.experiments if not e.estimated]
    lines.append(f"OVERALL ({len(estimated)} of {len(est.experiments)} experiments estimated): preprocessing "
                 f"{_seconds(est.preprocess_seconds)} (first pass; experiments sharing a cached stage pay it once), "
                 f"training {_seconds(est.training_seconds)}, total "
                 f"{_seconds(est.training_seconds + est.preprocess_seconds)} (CPU time {_seconds(est.cpu_seconds)}); "
                 f"peak memory {_bytes(est.peak_bytes)}")
    lines.append(f"training work overall: {_flops(est.training_flops)} (analytic); on a device that sustains R FLOP/s "
                 f"on these models, training takes about work / R (this one: float32 matmul "
                 f"{est.matmul_flops_per_s / 1e9:.0f} GFLOP/s measured)")
    if missing:
        lines.append(f"not estimated: {', '.join(missing)} (the reason is under each)")
    lines.append(f"(this estimate took {_seconds(est.seconds)})")
    return "\n".join(lines)


def to_dict(est: Estimate) -> dict[str, Any]:
    """JSON-ready form of an :class:`Estimate` (for benchmarks and tools)."""
    return jsonable(dataclasses.asdict(est))
