"""``--fold-parallel N`` (``TrainConfig.fold_parallel``): N folds of one run trained as one computation.

A small network's training step (STSTNet: 3, 5 and 8 kernels on 28x28x3) leaves a CPU mostly idle: its
kernels are too small to fill the cores, and the step's fixed costs (Python, the callbacks, launching each
op) are most of its time. The folds of a leave-one-subject-out run are independent copies of the same
network. Here each fold keeps its own compiled Keras model, exactly as the sequential fold builds it (its
``Experiment.fold_fit``), and one traced function (``tf.function`` on TensorFlow, ``jax.jit`` on JAX) runs every
fold's own ``train_step`` on that fold's own batch: one call per step for N folds, whose independent ops the
backend runs side by side.

What each fold keeps, as in the sequential path (``common.training.fit``): its initial weights and dropout
seeds (built right after its own ``set_seed``), its training samples, MATLAB's epoch order where the recipe
asks for it (``matlab_epoch_order``), its batches (Keras's own epoch iterator, ``model.fit``'s permutations,
drawn in the same order: ``common.device_training``), its optimizer state, batch-normalisation statistics,
callbacks (NaN stop, CSV history, the epoch-selection record) and history. The weights and predictions equal
the sequential ones (``tests/test_fold_parallel.py``); only the time differs.

Why a list of models and not one network with a fold axis (grouped convolutions, ``vectorized_map``): the
folds keep the very layers the sequential path trains (``EdgePadding2D``, batch normalisation, dropout and its
seed streams), so equality needs no second implementation of each network, and TensorFlow's CPU kernels have
no grouped convolution outside XLA. TensorFlow and JAX backends (on JAX each fold's stateless ``train_step``
travels with its state, the states put back into the models after each epoch); on PyTorch the run is refused
in one line (docs/performance.md, "Fold-parallel training").
"""
from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any
import os
import time

import keras
import numpy as np
from common.device_training import build_as_fit_does, floatx_arrays, index_epochs, indices_of, on_device
from common.training import (EpochPredictions, drops_each_epoch, fit_callbacks, gauge_predictions, matlab_epoch_order,
                             precision_of, predict_on_batches)

logger = logging.getLogger(__name__)

# Bytes of one float32 (the variables, the arrays and the activations are float32 here)
FLOAT32 = 4
# Of the memory free when the run starts, the share the N folds may take (the rest: TensorFlow's own pools,
# the process, the prediction passes).
MEMORY_SHARE = 0.8


# Why a method without ``Experiment.fold_fit`` cannot train folds together (the run's refusal and the CLI's).
NOT_ONE_NETWORK = "its fold is not one network trained by one recipe (an SVM, several stages or a tuning loop)"


def refusal(*, has_fold_fit: bool, train: Any, backend: str | None = None) -> str:
    """Why ``train`` (a ``TrainConfig``) with ``fold_parallel`` > 1 cannot train folds together here (one line,
    without the option's name), or ``""``. ``has_fold_fit``: the experiment has an ``Experiment.fold_fit``."""
    backend = backend or keras.backend.backend()
    if not has_fold_fit:
        return f"this method cannot train folds together, {NOT_ONE_NETWORK}; run it without --fold-parallel"
    if backend not in ("tensorflow", "jax"):
        return (f"folds are trained together on the TensorFlow and JAX backends only (KERAS_BACKEND={backend}); "
                "run with KERAS_BACKEND=tensorflow or without --fold-parallel")
    if train.weights:
        return "--weights evaluates released weights and trains nothing; run it without --fold-parallel"
    if train.one_pass:
        return "train.one_pass is another training loop; set train.one_pass=false or run without --fold-parallel"
    if train.device_data:
        return ("train.device_data is another training loop; set train.device_data=false or run without "
                "--fold-parallel")
    return ""


def fold_bytes(model: keras.Model, samples: int, batch_size: int) -> int:
    """The memory one fold holds while training together with others, in bytes, estimated from ``model``
    (built, compiled): every variable, a gradient and the optimizer's slots per trainable weight (Adam: 2,
    SGD with momentum and RMSprop: 1), the fold's training inputs (``samples`` rows of the model's input) and
    the activations of one batch kept for the backward pass (every layer's output, twice: the value and its
    gradient)."""
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    variables = sum(int(np.prod(v.shape)) for v in model.weights)
    slots = {"adam": 2, "adamw": 2, "sgd": 1, "rmsprop": 1}.get(type(model.optimizer).__name__.lower(), 2) \
        if getattr(model, "optimizer", None) is not None else 2
    inputs = sum(int(np.prod(t.shape[1:])) for t in model.inputs)
    outputs = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        for tensor in keras.tree.flatten(layer.output):
            outputs += int(np.prod(tensor.shape[1:]))
    return FLOAT32 * (variables + trainable * (1 + slots) + samples * inputs + 2 * min(batch_size, samples) * outputs)


def available_bytes() -> int:
    """The memory free for new work now: Linux's ``MemAvailable`` (``/proc/meminfo``: free memory plus what the
    page cache can give back), else the free physical pages (``os.sysconf``)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def memory(n: int) -> str:
    """``n`` bytes in MiB or GiB, as the refusal and ``--estimate`` print them."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def memory_refusal(per_fold: int, n: int, free: int | None = None) -> str:
    """Why ``n`` folds of ``per_fold`` bytes each will not fit in :data:`MEMORY_SHARE` of ``free`` (default: the
    memory free now), in one line, or ``""``."""
    free = available_bytes() if free is None else free
    if n * per_fold <= MEMORY_SHARE * free:
        return ""
    most = max(1, int(MEMORY_SHARE * free // max(per_fold, 1)))
    return (f"{n} folds together need about {memory(n * per_fold)} ({memory(per_fold)} a fold), more than "
            f"{MEMORY_SHARE:.0%} of the {memory(free)} free; use --fold-parallel {most} or fewer")


@dataclasses.dataclass(kw_only=True)
class _Fold:
    """One fold's state in the shared loop: its model, arrays, epoch iterator, callbacks and last logs."""

    model: keras.Model
    arrays: Any  # (x, y) as tensors
    epochs: Any  # Keras's epoch iterator over the sample numbers
    # the batches of every epoch when they do not change (no shuffle): index arrays, without a tf.data
    # iterator per epoch (about 20-50 ms a fold-epoch here, more than a STSTNet step)
    fixed: list | None = None
    # JAX with shuffling: every epoch's batches, drawn in prepare (below)
    planned: list | None = None
    callbacks: keras.callbacks.CallbackList
    logs: Any = None
    epoch_logs: Any = None
    done: bool = False
    state: Any = None  # JAX: the variables' values between steps


def prepare(training: Any) -> _Fold:
    """Everything of one fold that draws random numbers before its training (``training``: a
    ``common.running.fold.FoldTraining``): MATLAB's epoch order (NumPy), Keras's epoch iterator and the build
    ``model.fit`` does (TensorFlow's stream), in the order ``common.training.fit`` draws them. Call it right
    after the fold's ``fold_fit``, under the fold's own seed, before the next fold seeds."""
    cfg, model, label = training.train, training.model, training.label
    if training.validation_data is not None:
        raise ValueError("fold-parallel training runs no validation data; expected a fold without it")
    if getattr(model, "steps_per_execution", 1) != 1:
        raise ValueError("fold-parallel training: the model is compiled with steps_per_execution > 1; expected 1")
    if precision_of(model) != "float32":
        logger.info(f"  {label}: computes in {precision_of(model)} (float32 variables and outputs)")
    x, y = training.x_train, training.y_train
    if cfg.shuffle_once or cfg.drop_partial_batch:
        x, y = matlab_epoch_order(x, y, cfg)
        cfg = dataclasses.replace(cfg, shuffle=cfg.shuffle and not cfg.shuffle_once)
    data = floatx_arrays((list(x) if isinstance(x, (list, tuple)) else x, y))
    n = len(keras.tree.flatten(data[1])[0])
    epochs = index_epochs(n, cfg.batch_size, cfg.shuffle)
    build_as_fit_does(model, epochs, keras.tree.map_structure(lambda a: a[: cfg.batch_size], data))
    cbs = fit_callbacks(cfg, work_dir=training.ctx.work_dir, label=label, callbacks=training.callbacks,
                        verbose_every_epoch=training.verbose_every_epoch, epoch_predictions=training.recorder)
    callbacks = keras.callbacks.CallbackList(cbs, add_history=True, add_progbar=False, verbose=0,
                                             epochs=cfg.epochs, steps=epochs.num_batches, model=model)
    arrays = on_device(data)
    # Without shuffling, model.fit's batches are the samples in order, cut every batch_size (the last partial)
    fixed = None if cfg.shuffle else [np.arange(i, min(i + cfg.batch_size, n), dtype="int64")
                                      for i in range(0, n, cfg.batch_size)]
    fold = _Fold(model=model, arrays=arrays, epochs=epochs, callbacks=callbacks, fixed=fixed)
    if fixed is None:
        # The epoch iterators draw each epoch's permutation from NumPy's global generator when the epoch starts
        # (PyTorch's from torch's); folds stepping together would interleave those draws. They are drawn here,
        # every epoch in turn, as the fold's sequential fit draws them.
        dtype = "int64" if keras.backend.backend() == "tensorflow" else "int32"  # the traced step's index type
        # MATLAB's "every-epoch" (drops_each_epoch) leaves each epoch's partial batch out, as ReshuffledEpochs does.
        whole = n // cfg.batch_size if drops_each_epoch(cfg) and n >= cfg.batch_size else None
        fold.planned = [[np.asarray(b, dtype=dtype) for b in _epoch_batches(fold)[:whole]]
                        for _ in range(cfg.epochs)]
    return fold


def _epoch_batches(fold: _Fold) -> list[Any]:
    """The index arrays of the fold's batches of the next epoch, in ``model.fit``'s order."""
    if fold.fixed is not None:
        return fold.fixed
    if fold.planned is not None:
        return fold.planned.pop(0)
    batches = []
    with fold.epochs.catch_stop_iteration():
        for _, _, step_data in fold.epochs:
            batches.append(indices_of(step_data))
    return batches


class _Steps:
    """One traced function per set of folds that step together: each fold's own ``train_step`` on its batch
    gathered by index. Folds whose epochs hold fewer batches (a smaller training part) sit out the last
    steps, which is another set (traced once more)."""

    def __init__(self, folds: Sequence[_Fold]):
        self.folds = folds
        self._traced: dict[tuple[int, ...], Callable[..., Any]] = {}

    def __call__(self, which: tuple[int, ...], indices: list[Any]) -> list[Any]:
        if keras.backend.backend() == "jax":
            return self._jax(which, indices)
        import tensorflow as tf

        if which not in self._traced:
            models = [self.folds[k].model for k in which]

            def step(arrays, batches):
                return [model.train_step(keras.tree.map_structure(lambda a, b=b: tf.gather(a, b), data))
                        for model, data, b in zip(models, arrays, batches)]

            # Unknown batch lengths, as fit's tf.data batches have (Keras weighs the loss tracker by them).
            signature = [[keras.tree.map_structure(lambda a: tf.TensorSpec([None, *a.shape[1:]], a.dtype),
                                                   self.folds[k].arrays) for k in which],
                         [tf.TensorSpec([None], tf.int64) for _ in which]]
            jit = all(bool(m.jit_compile) for m in models)
            self._traced[which] = tf.function(step, input_signature=signature, jit_compile=jit)
        arrays = [self.folds[k].arrays for k in which]
        return self._traced[which](arrays, [tf.convert_to_tensor(i, tf.int64) for i in indices])


    def _jax(self, which: tuple[int, ...], indices: list[Any]) -> list[Any]:
        """JAX: each model's stateless ``train_step`` on its state, jitted together (the states donated), as
        ``model.fit`` jits one; the states travel between steps and go back into the models after each epoch
        (:func:`train_together`), as ``fit`` and ``common.device_training`` do."""
        import jax

        if which not in self._traced:
            models = [self.folds[k].model for k in which]

            def step(states, arrays, batches):
                outs = [model.train_step(state, keras.tree.map_structure(lambda a, b=b: jax.numpy.take(a, b, axis=0),
                                                                         data))
                        for model, state, data, b in zip(models, states, arrays, batches)]
                return [out[0] for out in outs], [out[1] for out in outs]

            jit = all(bool(m.jit_compile) and not m.run_eagerly for m in models)
            self._traced[which] = jax.jit(step, donate_argnums=0) if jit else step
        states = [_jax_state(self.folds[k]) for k in which]
        logs, states = self._traced[which](states, [self.folds[k].arrays for k in which], list(indices))
        for k, state in zip(which, states):
            self.folds[k].state = state
            self.folds[k].model._jax_state = dict(zip(_JAX_STATE, state))  # what jax_state_sync writes back
        return logs


_JAX_STATE = ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables")


def _jax_state(fold: _Fold) -> Any:
    """The fold's state tuple for its next step on JAX: taken from its model's variables after a sync (the
    epoch's start, a callback that wrote them), else the state its last step left."""
    model = fold.model
    if model._jax_state_synced:
        fold.state = model._get_jax_state(trainable_variables=True, non_trainable_variables=True,
                                          optimizer_variables=True, metrics_variables=True,
                                          purge_model_variables=True)
        model._jax_state_synced = False
    return fold.state


def _steps_of(folds: Sequence[_Fold]) -> _Steps:
    """The traced steps of this group, kept on its first model (a reference cycle the collector frees with the
    group): a second call on the same folds (the warm-up and the timed epochs of ``--estimate``) traces
    nothing again."""
    key = tuple(id(fold.model) for fold in folds)
    kept = getattr(folds[0].model, "_fold_parallel_steps", None)
    if kept is not None and kept[0] == key:
        kept[1].folds = folds
        return kept[1]
    steps = _Steps(folds)
    folds[0].model._fold_parallel_steps = (key, steps)
    return steps


def train_together(folds: Sequence[_Fold], epochs: int,
                   progress: Callable[[int, int, int], None] | None = None) -> list[dict[str, list[float]]]:
    """Train the prepared ``folds`` (:func:`prepare`) for ``epochs`` epochs, one traced call per step for all
    of them; each fold's ``History.history``, as ``common.training.fit`` returns it. ``progress(epoch, step,
    steps)`` is called after every step (``common.progress.EpochProgress`` logs from it every 30 s).

    The loop is ``model.fit``'s for each fold (``common.device_training.fit_on_device``): its metrics reset and
    ``on_epoch_begin`` per epoch, ``on_train_batch_begin``/``end`` per step, a fold that stops
    (``TerminateOnNaN``) sits out what is left, the epoch's logs from its metrics, ``finalize_variable_values``
    and ``on_train_end``."""
    steps = _steps_of(folds)
    jax = keras.backend.backend() == "jax"
    for fold in folds:
        fold.model.stop_training = False
        fold.callbacks.on_train_begin()
    for epoch in range(epochs):
        active = [k for k, fold in enumerate(folds) if not fold.done]
        if not active:
            break
        batches = {}
        for k in active:
            folds[k].model.reset_metrics()
            folds[k].callbacks.on_epoch_begin(epoch)
            if jax:
                folds[k].model._jax_state_synced = True
            batches[k] = _epoch_batches(folds[k])
        n_steps = max(len(b) for b in batches.values())
        for step in range(n_steps):
            which = tuple(k for k in active if step < len(batches[k]) and not folds[k].model.stop_training)
            if not which:
                break
            for k in which:
                folds[k].callbacks.on_train_batch_begin(step)
            for k, logs in zip(which, steps(which, [batches[k][step] for k in which])):
                folds[k].logs = logs
                folds[k].callbacks.on_train_batch_end(step, logs)
            if progress is not None:
                progress(epoch, step, n_steps)
        for k in active:
            fold = folds[k]
            if jax and not fold.model._jax_state_synced:
                fold.model.jax_state_sync()  # the epoch's variables back into the model, for its callbacks
            fold.epoch_logs = dict(fold.model._get_metrics_result_or_logs(fold.logs))
            fold.callbacks.on_epoch_end(epoch, fold.epoch_logs)
            fold.done = bool(fold.model.stop_training)
    histories = []
    for fold in folds:
        if isinstance(fold.model.optimizer, keras.optimizers.Optimizer):
            fold.model.optimizer.finalize_variable_values(fold.model.trainable_weights)
        fold.callbacks.on_train_end(logs=fold.epoch_logs)
        histories.append({k: [float(v) for v in values] for k, values in fold.model.history.history.items()})
    return histories


def groups(items: Sequence[Any], size: int) -> list[list[Any]]:
    """``items`` in consecutive groups of ``size`` (the last one shorter)."""
    return [list(items[i: i + size]) for i in range(0, len(items), size)]



def _gauge_pass(model: keras.Model, *, refit: Any, test: Any, refit_samples: int, batch_size: int,
                set_state: Callable[[Any, Any], None] | None = None) -> np.ndarray:
    """:func:`time_group`'s fold gauge pass: the fold's own (``common.training.gauge_predictions``), with
    ``set_state(model, refit)`` where the fold sets state over its training inputs first (a stage's
    ``gauge_set_state``); without it, a prediction of ``refit`` stands in for that forward pass."""
    if set_state is not None:
        return gauge_predictions(model, test, batch_size, lambda m: set_state(m, refit))
    if refit_samples > 0:
        predict_on_batches(model, refit, batch_size)
    return predict_on_batches(model, test, batch_size)


@dataclasses.dataclass(frozen=True)
class GroupTiming:
    """A group of ``folds`` networks trained together on random inputs (``--estimate``): the wall seconds of one
    epoch of the group, and of its first epoch (the trace of the group's step, beyond an epoch)."""

    folds: int
    epoch_s: float
    trace_s: float
    cpu_per_wall: float


@dataclasses.dataclass(frozen=True)
class _Timed:
    """The parts of a ``FoldTraining`` that :func:`prepare` reads, for a network timed without a fold."""

    model: Any
    x_train: Any
    y_train: Any
    train: Any
    label: str
    ctx: Any = None
    validation_data: Any = None
    callbacks: Any = None
    verbose_every_epoch: bool = False
    recorder: Any = None


@dataclasses.dataclass(frozen=True)
class _NoFold:
    work_dir: Any = None


def time_group(build: Callable[[], keras.Model], train: Any, samples: int, folds: int, epochs: int = 2,
               test_samples: int = 0, refit_samples: int = 0,
               set_state: Callable[[Any, Any], None] | None = None) -> GroupTiming:
    """Train ``folds`` networks of ``build()`` together with the recipe ``train`` on ``samples`` random inputs
    each: one untimed epoch (the trace), then ``epochs`` timed ones (the mean). ``test_samples`` > 0: each
    network also predicts that many inputs after every epoch, as the epoch-selection gauge does
    (``common.training.EpochPredictions``), after ``set_state(model, refit)`` on ``refit_samples`` of its
    training inputs (a fold's ``after_fit``: :func:`_gauge_pass`)."""
    rng = np.random.default_rng(0)
    prepared = []
    for _ in range(folds):
        model = build()
        x = [rng.normal(size=(samples, *t.shape[1:])).astype("float32") for t in model.inputs]
        classes = int(model.outputs[0].shape[-1])
        y = keras.utils.to_categorical(rng.integers(0, classes, samples), classes)
        test = [a[:test_samples] for a in x]
        refit = [a[:refit_samples] for a in x]
        recorder = None if test_samples < 1 else EpochPredictions(functools.partial(
            _gauge_pass, refit=refit if len(refit) > 1 else refit[0], test=test if len(test) > 1 else test[0],
            refit_samples=refit_samples, batch_size=train.batch_size, set_state=set_state))
        prepared.append(prepare(_Timed(model=model, x_train=x if len(x) > 1 else x[0], y_train=y, train=train,
                                       label=model.name, ctx=_NoFold(), recorder=recorder)))
    started = time.perf_counter()
    train_together(prepared, 1)
    trace = time.perf_counter() - started
    for fold in prepared:
        fold.done = False
    wall, cpu = time.perf_counter(), time.process_time()
    train_together(prepared, epochs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    epoch = wall / epochs
    return GroupTiming(folds=folds, epoch_s=epoch, trace_s=max(trace - epoch, 0.0), cpu_per_wall=cpu / max(wall, 1e-9))
