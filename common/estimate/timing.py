"""Timing on this device, for ``--estimate`` (``common.estimate.projection``): one model's training and
predict steps on random inputs (:func:`time_model`, after :func:`warm_up`), and a paper's preprocessing
of a few clips with an empty cache (:func:`time_preprocessing`). The method is in ``estimate``'s docstring.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from common.environment import peak_rss_bytes
from common.estimate.units import duration, shapes
from common.experiment import Experiment, Selection, TrainingStage
from common.flops import matmul_rates, training_flops

logger = logging.getLogger(__name__)

MIN_TIMED_STEPS = 3  # training steps timed per model after the two warm-up steps
STEP_BUDGET_S = 2.0  # more steps are timed (up to MAX_TIMED_STEPS) while their sum stays under this
MAX_TIMED_STEPS = 10
EPOCH_OVERHEAD_BELOW_S = 0.5  # measure fit's per-epoch overhead only for steps shorter than this
PREPROCESS_CLIPS = 3
_WARMED: list[bool] = []  # the framework's one-time start-up paid in this process


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
    # What a gauge pass costs beyond its test batches where the fold sets state first (TrainingStage.
    # gauge_set_state over gauge_refit_samples training inputs, the non-trainable state kept and put back)
    gauge_state_s: float = 0.0

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
class PreprocessTiming:
    clips_timed: tuple[tuple[str, int, float], ...]  # (key, frames, seconds) of each timed clip
    per_clip_s: float  # fitted a
    per_frame_s: float  # fitted b
    seconds: float  # projected first pass over the experiment's clips
    cpu_per_wall: float = 1.0  # process CPU seconds per wall second while timing the clips


def fixed_shape(tensor: Any) -> tuple[int, ...]:
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
    xs = [rng.random((batch_size, *fixed_shape(t)), dtype=np.float32) for t in model.inputs]
    ys: list[np.ndarray] = []
    for i, t in enumerate(model.outputs):
        shape = fixed_shape(t)
        if _is_sparse(getattr(model, "loss", None), i):
            ys.append(rng.integers(0, shape[-1] if shape else 2, batch_size))
        elif len(shape) == 1 and shape[0] > 1:
            ys.append(np.eye(shape[0], dtype=np.float32)[rng.integers(0, shape[0], batch_size)])
        else:
            ys.append(rng.random((batch_size, *shape), dtype=np.float32))
    return xs, ys


def one_or_list(values: list) -> Any:
    return values[0] if len(values) == 1 else values


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def warm_up(stage: TrainingStage) -> None:
    """Build, train one step and predict once with ``stage``'s model, untimed: the framework's one-time
    start-up (thread pools, kernels, the compiler; about 3 s of a first model's tracing on 2 CPU cores)
    is paid once per process by a run too, not per model or fold."""
    if _WARMED:
        return
    import keras

    model = stage.build()
    xs, ys = random_batch(model, stage.batch_size)
    model.train_on_batch(one_or_list(xs), one_or_list(ys))
    model.predict_on_batch(one_or_list(xs))
    del model
    keras.backend.clear_session()
    _WARMED.append(True)


def time_model(stage: TrainingStage, model: Any = None, build_s: float | None = None, tag: str = "") -> ModelTiming:
    """Build ``stage``'s model (or take ``model``, built in ``build_s``) and time its training steps
    (see the module docstring); the logged line starts with ``tag`` (the experiment's)."""
    import keras


    rss0 = peak_rss_bytes() or 0  # 0: unknown (Windows has no getrusage)
    matmul, matmul_cpu = matmul_rates(repeats=3)
    if model is None:
        t0 = time.perf_counter()
        model = stage.build()
        build_s = time.perf_counter() - t0
    if build_s is None:  # the projection adds the build time of every fold's model
        raise ValueError(f"model {stage.model!r}: time_model(model=...) needs build_s, the time its build() took")
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"model {stage.model!r}: TrainingStage.build() must return a compiled model")
    xs, ys = random_batch(model, stage.batch_size)
    x, y = one_or_list(xs), one_or_list(ys)
    began = _clock()
    t0 = time.perf_counter()
    model.train_on_batch(x, y)
    first = time.perf_counter() - t0
    model.train_on_batch(x, y)
    walls: list[float] = []
    cpus: list[float] = []
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
    gauge_state = _time_gauge_state(stage, model, x, predict)
    wall, cpu = time.perf_counter() - began[0], time.process_time() - began[1]
    weights = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    slots = sum(int(np.prod(v.shape)) for v in model.optimizer.variables)
    timing = ModelTiming(
        model=stage.model, inputs=tuple(fixed_shape(t) for t in model.inputs),
        outputs=tuple(fixed_shape(t) for t in model.outputs), batch_size=int(stage.batch_size), parameters=weights,
        build_s=build_s, trace_s=max(0.0, first - step), predict_trace_s=max(0.0, predict_first - predict),
        step_s=step, step_cpu_s=float(np.median(cpus)),
        cpu_per_wall=cpu / wall if wall > 0 else 1.0, steps_timed=len(walls), epoch_overhead_s=overhead,
        predict_s=predict, input_bytes=4 * sum(int(np.prod(fixed_shape(t))) for t in model.inputs),
        state_bytes=4 * (2 * weights + slots), rss_growth_bytes=max(0, (peak_rss_bytes() or 0) - rss0),
        train_flops=training_flops(model), matmul_flops_per_s=matmul, matmul_flops_per_cpu_s=matmul_cpu,
        gauge_state_s=gauge_state)
    del model
    keras.backend.clear_session()
    logger.info(f"{tag}  timed {stage.model}: {shapes(timing.inputs)} x batch {stage.batch_size}, "
                f"{weights:,} parameters: {duration(step)}/step (median of {len(walls)}, "
                f"CPU {duration(timing.step_cpu_s)}), build {duration(build_s)}, tracing {duration(timing.trace_s)}")
    return timing


def _time_gauge_state(stage: TrainingStage, model: Any, x: Any, predict_s: float) -> float:
    """Seconds a gauge pass of ``stage`` spends beyond predicting one batch ``x`` (``predict_s``): its
    ``gauge_set_state`` over ``gauge_refit_samples`` random training inputs and the state kept and put back,
    through the fold's own ``common.training.gauge_predictions``; 0 without one. The best of two after one
    untimed pass (which traces what the state needs)."""
    if stage.gauge_set_state is None or stage.gauge_refit_samples < 1:
        return 0.0
    from common.training import gauge_predictions

    refit = one_or_list(random_batch(model, stage.gauge_refit_samples, seed=1)[0])
    set_state = stage.gauge_set_state

    def state(m: Any) -> None:
        set_state(m, refit)

    gauge_predictions(model, x, stage.batch_size, state)
    passes = []
    for _ in range(2):
        t0 = time.perf_counter()
        gauge_predictions(model, x, stage.batch_size, state)
        passes.append(time.perf_counter() - t0)
    return max(min(passes) - predict_s, 0.0)


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
                       tag: str = "") -> PreprocessTiming:
    """Time ``experiment.preprocess_clip`` (first pass, empty cache) on ``clips`` clips of typical length,
    after one untimed clip (the shortest) that pays the one-time costs: imports, the face models' loading.
    The logged line starts with ``tag`` (the experiment's)."""
    preprocess_clip = experiment.preprocess_clip
    if preprocess_clip is None:  # the caller times only experiments that have the hook
        raise TypeError(f"experiment {experiment.name!r} has no preprocess_clip hook to time")
    lengths = np.array([len(s.frames) for s in selection.samples])
    order = np.argsort(lengths, kind="stable")
    quantiles = np.linspace(0.25, 0.75, clips) if clips > 1 else [0.5]
    chosen = list(dict.fromkeys(int(order[min(len(order) - 1, int(round(q * (len(order) - 1))))]) for q in quantiles))
    warm_up = next((int(i) for i in order if int(i) not in chosen), None)
    timed = []
    with _empty_cache():
        if warm_up is not None:
            preprocess_clip(selection.samples[warm_up], config)
        began = _clock()
        for i in chosen:
            sample = selection.samples[i]
            t0 = time.perf_counter()
            preprocess_clip(sample, config)
            timed.append((sample.key, len(sample.frames), time.perf_counter() - t0))
    wall, cpu = time.perf_counter() - began[0], time.process_time() - began[1]
    a, b = fit_preprocessing([(f, s) for _, f, s in timed])
    seconds = a * len(selection) + b * float(lengths.sum())
    logger.info(f"{tag}  timed preprocessing of {len(timed)} clips (first pass): "
                + ", ".join(f"{f} frames {duration(s)}" for _, f, s in timed))
    return PreprocessTiming(tuple(timed), a, b, seconds, cpu / wall if wall > 0 else 1.0)
