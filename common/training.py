"""Seeding, optimisers and the one Keras ``fit`` call every paper uses.

Papers describe their training recipe with ``common.train_config.TrainConfig`` and call :func:`fit`; nothing
paper-specific lives here. Keras 3 APIs only (``keras.optimizers``, ``keras.callbacks``), so the
JAX and PyTorch backends work too.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import threading
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator, Mapping, Sequence

import keras
import numpy as np

from common.train_config import TrainConfig
from common.files import write_text_atomic
from common.progress import EpochProgress

logger = logging.getLogger(__name__)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend (``keras.utils.set_random_seed``).

    Papers derive several seeds from the run's (``seed + k`` per network): the sum is taken modulo
    2**32, the generators' range, so a ``--seed`` near the top of that range (accepted by the
    settings check) still seeds every network instead of failing in each fold. Below 2**32 - k,
    every seed is unchanged."""
    keras.utils.set_random_seed(int(seed) % 2**32)


# TensorFlow registers a gradient function for every tf.custom_gradient it traces, in a process-wide registry
# that never lets go (tensorflow/tensorflow#97697, still so in 2.21): Keras' optimiser step traces one (its
# all-reduce of the gradients), and the function holds the traced graph, whose captures hold the fold's weights
# and optimiser state. Measured on the released inputs: 53 MB a gan2019 fold and 21 MB a liong2019 fold never
# freed (the run's whole network, Adam's moments and graph; for HTNet's 140 M parameters it would be 1.7 GB a
# fold). ``released_fold_graphs`` drops the entries the folds added once no fold of this process is running:
# a traced function has taken its gradients already, and a new trace registers anew.
_FOLDS_LOCK = threading.Lock()
_folds_running = 0  # folds inside released_fold_graphs now, under _FOLDS_LOCK
_REGISTERED_BEFORE: set[str] = set()


def _custom_gradients() -> dict[str, Any] | None:
    """TensorFlow's registry of traced custom gradients (a private dict), or None on another backend or if
    TensorFlow no longer keeps it there (then nothing is dropped)."""
    if keras.backend.backend() != "tensorflow":
        return None
    try:
        from tensorflow.python.framework import ops as tf_ops

        registry = tf_ops._gradient_registry._registry  # private: the leak's holder has no public handle
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


@contextlib.contextmanager
def released_fold_graphs() -> Iterator[None]:
    """Around a fold's (or a fold group's) work: when the last fold running in this process ends, the custom
    gradients traced meanwhile leave TensorFlow's registry, so that fold's graphs and weights can be freed.
    Folds that overlap in threads (a Dask worker) release together when none is left running."""
    global _folds_running
    registry = _custom_gradients()
    if registry is None:
        yield
        return
    with _FOLDS_LOCK:
        if _folds_running == 0:
            _REGISTERED_BEFORE.clear()
            _REGISTERED_BEFORE.update(registry)
        _folds_running += 1
    try:
        yield
    finally:
        with _FOLDS_LOCK:
            _folds_running -= 1
            if _folds_running == 0:
                for name in [n for n in registry if n.startswith("CustomGradient-") and n not in _REGISTERED_BEFORE]:
                    del registry[name]


def learning_rate(cfg: TrainConfig) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """``cfg.learning_rate``, or with ``cfg.lr_decay`` > 0 Keras 2's per-step decay
    ``lr / (1 + lr_decay * iterations)`` (``InverseTimeDecay(lr, decay_steps=1, decay_rate=lr_decay)``)."""
    if cfg.lr_decay <= 0:
        return cfg.learning_rate
    if cfg.lr_step_epochs > 0:
        raise ValueError("TrainConfig: lr_decay and lr_step_epochs are two schedules; set one of them")
    return keras.optimizers.schedules.InverseTimeDecay(cfg.learning_rate, decay_steps=1, decay_rate=cfg.lr_decay)


def make_optimizer(cfg: TrainConfig) -> keras.optimizers.Optimizer:
    """The optimiser named by ``cfg`` with its learning rate (or ``lr_decay`` schedule) and momentum."""
    name = cfg.optimizer.lower()
    rate = learning_rate(cfg)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=rate, momentum=cfg.momentum, nesterov=cfg.nesterov)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=rate, epsilon=cfg.adam_epsilon)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=rate)
    raise ValueError(f"optimizer {cfg.optimizer!r}: expected sgd, adam or rmsprop")


def _all_layers(model: keras.Model):
    """Every layer, nested models included (their layers too)."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def add_weight_decay(model: keras.Model, weight_decay: float) -> None:
    """L2 penalty ``weight_decay/2 * ||W||^2`` on every kernel, as SGD weight decay in PyTorch/Caffe.

    Set as each kernel variable's ``regularizer`` (``keras.regularizers.L2(weight_decay / 2)``),
    which Keras 3 adds to the training loss; ``Model.add_loss`` with a callable, used before,
    raises NotImplementedError on functional models in Keras 3. A kernel that already has a
    regularizer (the paper's own) keeps it.
    """
    if weight_decay <= 0:
        return
    for layer in _all_layers(model):
        for attr in ("kernel", "depthwise_kernel"):
            weight = getattr(layer, attr, None)
            if weight is not None and getattr(weight, "trainable", False) and weight.regularizer is None:
                weight.regularizer = keras.regularizers.L2(weight_decay / 2)


def step_schedule(cfg: TrainConfig) -> keras.callbacks.Callback | None:
    """``LearningRateScheduler`` halving (``lr_step_factor``) every ``lr_step_epochs`` epochs, or None."""
    if cfg.lr_step_epochs <= 0:
        return None
    return keras.callbacks.LearningRateScheduler(
        lambda epoch: cfg.learning_rate * cfg.lr_step_factor ** math.floor(epoch / cfg.lr_step_epochs)
    )


_JIT_COMPILE = {"auto": "auto", "on": True, "off": False}


def mixed_policy() -> str:
    """The mixed dtype policy for this device: ``"mixed_float16"`` when the backend sees a GPU (tensor
    cores; Keras' mixed-precision guide), ``"mixed_bfloat16"`` otherwise (CPUs with AVX512-BF16/AMX, TPUs)."""
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpu = bool(tf.config.list_logical_devices("GPU"))
        elif backend == "jax":
            import jax

            gpu = any(d.platform == "gpu" for d in jax.devices())
        elif backend == "torch":
            import torch

            gpu = torch.cuda.is_available()
        else:
            gpu = False
    except Exception:  # a device query that fails means no GPU to use
        gpu = False
    return "mixed_float16" if gpu else "mixed_bfloat16"


def _output_layers(model: keras.Model) -> list:
    """The layers that produce ``model``'s outputs; a nested model producing one is followed inside."""
    found = []
    for tensor in model.outputs:
        layer = tensor._keras_history.operation  # (operation, node index, tensor index) of a functional graph
        if isinstance(layer, keras.Model) and getattr(layer, "outputs", None) is not None:
            found += _output_layers(layer)
        else:
            found.append(layer)
    return found


def use_mixed_precision(model: keras.Model, policy: str) -> keras.Model:
    """Give the built functional ``model`` the mixed dtype ``policy`` in place, its output layers float32.

    Keras' mixed-precision guide: every layer computes in the policy's compute dtype (float16 or
    bfloat16) with float32 variables, and the layer producing each output (the softmax) computes in
    float32 for numeric stability. The variables are already float32 and stay as they are (the weights,
    the parameter counts and the dropout seed states are those of the float32 model built before); only
    each layer's policy changes, which Keras reads at every call (inputs and variables are cast to the
    compute dtype in ``Layer.__call__``). Nested models and sublayers (RNN cells, wrappers) included.
    ``Layer.dtype_policy`` is public; ``_flatten_layers`` (every tracked sublayer) is Keras' own walk.
    """
    if getattr(model, "outputs", None) is None:
        raise ValueError(f"mixed precision: model {model.name!r} is not functional (no symbolic outputs); "
                         "build it with the functional API or set mixed_precision=false")
    full: set[int] = set()
    for layer in _output_layers(model):
        full.update(id(sub) for sub in layer._flatten_layers(include_self=True, recursive=True))
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, keras.layers.InputLayer):
            continue  # computes nothing; its dtype is the input's
        target = "float32" if id(layer) in full else policy
        if layer.dtype_policy.name not in ("float32", target):
            raise ValueError(f"mixed precision: layer {layer.name!r} of {model.name!r} has dtype policy "
                             f"{layer.dtype_policy.name!r}; expected float32 before mixing")
        layer.dtype_policy = target
    return model


def compile_model(model: keras.Model, cfg: TrainConfig, loss: Any = "categorical_crossentropy",
                  metrics: Sequence[Any] = ("accuracy",)) -> keras.Model:
    """Compile with the configured optimiser; weight decay is added as an L2 loss on kernels.

    ``cfg.mixed_precision``: the model computes in ``mixed_policy()`` (:func:`use_mixed_precision`) and,
    for float16, the optimiser is a ``keras.optimizers.LossScaleOptimizer`` (dynamic loss scale).
    ``cfg.jit_compile`` goes to ``model.compile(jit_compile=...)``.
    """
    add_weight_decay(model, cfg.weight_decay)
    optimizer = make_optimizer(cfg)
    if cfg.mixed_precision:
        use_mixed_precision(model, mixed_policy())
        if model.dtype_policy.compute_dtype == "float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics), jit_compile=_JIT_COMPILE[cfg.jit_compile])
    return model


def precision_of(model: keras.Model) -> str:
    """The dtype policy a model computes in (``"float32"``, ``"mixed_bfloat16"``, ``"mixed_float16"``), for logs."""
    return model.dtype_policy.name


class _Progress(keras.callbacks.Callback):
    """One short line per epoch (``verbose=0`` keeps Keras' own bars out of logs)."""

    def __init__(self, label: str, epochs: int):
        super().__init__()
        self._label, self._epochs = label, epochs

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = " ".join(f"{k}={v:.4f}" for k, v in logs.items()
                         if isinstance(v, (int, float)) and k != "learning_rate")
        logger.info(f"  {self._label} epoch {epoch + 1}/{self._epochs} {shown}")


class TimedProgress(keras.callbacks.Callback):
    """A line at most every ``every`` seconds (``common.progress.PROGRESS_EVERY``) while a model trains, so that a
    fold that trains for minutes says where it is (``common.progress.EpochProgress``, as folds trained together
    say it): epoch k of N, the step, the time elapsed and an ETA. It reads the clock only, never the logs or the
    model: the training is the same with it. ``steps_per_epoch`` maps a single pass over every epoch's batches
    (``TrainConfig.one_pass``) back to its epochs and steps."""

    def __init__(self, label: str, epochs: int, every: float | None = None,
                 clock: Callable[[], float] = time.perf_counter, steps_per_epoch: int | None = None):
        super().__init__()
        self._line = EpochProgress(label, epochs, logger=logger, every=every, clock=clock, indent="  ")
        self._steps_per_epoch = steps_per_epoch
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._line.ticker.restart()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._steps_per_epoch:
            self.tick(batch // self._steps_per_epoch, batch % self._steps_per_epoch, self._steps_per_epoch)
        else:
            self.tick(self._epoch, batch, int(self.params.get("steps") or 0) if self.params else 0)

    def tick(self, epoch: int, step: int, steps: int) -> None:
        """After step ``step`` (0-based) of ``steps`` (0: unknown) of epoch ``epoch`` (0-based)."""
        self._line(epoch, step, steps)


class EpochPredictions(keras.callbacks.Callback):
    """The held-out inputs' predicted classes after every epoch: the record the epoch-selection gauge
    reads (docs/methods.md §9.4). ``predict(model)`` returns the class probabilities of the inputs the
    fold scores, the way the fold computes them; ``classes[e]`` holds their arg-max after epoch e + 1.

    Training never reads the record: the callback only calls the model in inference mode, which draws
    no random number and updates no variable (dropout off, batch norm on its moving statistics), so the
    weights and the fold's own predictions are the same with and without it
    (``tests/test_epoch_selection.py`` checks both, byte for byte, for ``model.fit``, ``one_pass`` and
    MATLAB's epoch order, on TensorFlow and, in the JAX subset, on JAX)."""

    def __init__(self, predict: Callable[[keras.Model], np.ndarray]):
        super().__init__()
        self._predict = predict
        self.classes: list[list[int]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.record(self.model)

    def record(self, model: keras.Model) -> None:
        self.classes.append(np.asarray(self._predict(model)).argmax(axis=1).astype(int).tolist())


def predict_on_batches(model: keras.Model, x: Any, batch_size: int) -> np.ndarray:
    """``model.predict(x, batch_size)``'s probabilities through ``predict_on_batch``, one call per batch
    of ``batch_size`` (the batches ``predict`` cuts; a model of several outputs: a list, one array each). No
    data pipeline per call: about 3 ms instead of 60 ms per call for a few clips on this CPU, which is what an
    :class:`EpochPredictions` pays every epoch."""
    inputs = list(x) if isinstance(x, (list, tuple)) else [x]
    n = len(inputs[0])
    chunks = []
    for start in range(0, n, batch_size):
        batch = [np.asarray(a)[start: start + batch_size] for a in inputs]
        chunks.append([np.asarray(keras.ops.convert_to_numpy(out)) for out in
                       keras.tree.flatten(model.predict_on_batch(batch if len(batch) > 1 else batch[0]))])
    outputs = [np.concatenate(parts) for parts in zip(*chunks)]
    return outputs[0] if len(outputs) == 1 else outputs  # type: ignore[return-value]


def gauge_predictions(model: keras.Model, x_test: Any, batch_size: int,
                      set_state: Callable[[keras.Model], None] | None = None) -> np.ndarray:
    """The test probabilities the epoch gauge records after an epoch: ``model``'s prediction of ``x_test``, after
    ``set_state(model)`` where the fold sets state before it predicts (STSTNet's MATLAB recipe: the
    batch-normalisation statistics over its training clips), the network's non-trainable state put back
    afterwards so that training goes on unchanged. The fold's gauge (``common.running.fold``) and ``--estimate``'s
    timing of it (``common.fold_parallel.time_group``, ``common.estimate.timing``) run this one function."""
    if set_state is None:
        return predict_on_batches(model, x_test, batch_size)
    kept = [np.array(keras.ops.convert_to_numpy(v)) for v in model.non_trainable_variables]
    set_state(model)
    try:
        return predict_on_batches(model, x_test, batch_size)
    finally:
        for variable, value in zip(model.non_trainable_variables, kept):
            variable.assign(value)


def fit(model: keras.Model, x: Any, y: Any, cfg: TrainConfig, *, work_dir: Path | None = None,
        label: str = "model", validation_data: Any = None, class_weight: Mapping[int, float] | None = None,
        callbacks: list | None = None, verbose_every_epoch: bool = False,
        epoch_predictions: EpochPredictions | None = None) -> dict[str, list[float]]:
    """``model.fit`` with the recipe's batch size, epochs and schedule; returns ``History.history``.

    Callbacks always include ``TerminateOnNaN`` and, with ``work_dir``, a ``CSVLogger`` writing
    ``<work_dir>/<label>_history.csv``. A NaN loss stops training; the caller sees it in the history.
    A model in mixed precision (``TrainConfig.mixed_precision``) says so in one logged line.
    ``epoch_predictions`` records the test inputs' classes after every epoch (every training loop:
    ``model.fit``, ``one_pass``, ``device_data``); it is the last callback, after the recipe's own.
    Every loop logs where it is at most every 30 s (:class:`TimedProgress`: epoch k of N, elapsed, ETA).
    """
    if precision_of(model) != "float32":
        logger.info(f"  {label}: computes in {precision_of(model)} (float32 variables and outputs)")
    if cfg.shuffle_once or cfg.drop_partial_batch:
        x, y = matlab_epoch_order(x, y, cfg)
        cfg = dataclasses.replace(cfg, shuffle=cfg.shuffle and not cfg.shuffle_once)
    if cfg.device_data:
        from common.device_training import device_data_refusal, fit_on_device

        refusal = device_data_refusal(cfg, validation_data, class_weight, drops_each_epoch=drops_each_epoch(cfg))
        if refusal:
            raise ValueError(refusal)
    if cfg.one_pass:
        if validation_data is not None or class_weight or callbacks or step_schedule(cfg) is not None:
            raise ValueError("TrainConfig.one_pass: no validation data, class weights, callbacks or schedule")
        return _fit_one_pass(model, x, y, cfg, work_dir=work_dir, label=label, epoch_predictions=epoch_predictions)
    cbs = fit_callbacks(cfg, work_dir=work_dir, label=label, callbacks=callbacks,
                        verbose_every_epoch=verbose_every_epoch, epoch_predictions=epoch_predictions)
    cbs.insert(0, TimedProgress(_progress_label(label, work_dir), cfg.epochs))  # reads the clock only
    if cfg.device_data:
        history = fit_on_device(model, x, y, cfg, cbs, label=label)
        if history is not None:
            return {k: [float(v) for v in vals] for k, vals in history.items()}
    data: dict[str, Any] = {"x": x, "y": y, "batch_size": cfg.batch_size, "shuffle": cfg.shuffle}
    if cfg.shuffle and (keras.backend.backend() == "tensorflow" or drops_each_epoch(cfg)):
        # TensorFlow's model.fit, seeded (set_seed), gives every epoch the same order: its tf.data permutation
        # is drawn anew from the same seeds by each epoch's iterator. The recipe reshuffles every epoch, as
        # model.fit does on JAX and PyTorch and as the authors' frameworks did: ReshuffledEpochs draws it. It
        # also leaves each epoch's partial batch out (MATLAB's "every-epoch"), which model.fit cannot.
        data = {"x": ReshuffledEpochs(x, y, cfg.batch_size, drop_partial=cfg.drop_partial_batch), "shuffle": False}
    history = model.fit(**data, epochs=cfg.epochs, validation_data=validation_data,
                        class_weight=dict(class_weight) if class_weight else None, callbacks=cbs, verbose=0)
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def _progress_label(label: str, work_dir: Path | None) -> str:
    """Who a progress line is of: the model's label, after its working folder's name (the fold's) where given."""
    return f"{Path(work_dir).name} {label}" if work_dir is not None else label


def fit_callbacks(cfg: TrainConfig, *, work_dir: Path | None, label: str, callbacks: list | None = None,
                  verbose_every_epoch: bool = False,
                  epoch_predictions: EpochPredictions | None = None) -> list[keras.callbacks.Callback]:
    """The callbacks of :func:`fit`'s ``model.fit`` (and of ``common.fold_parallel``'s folds): ``TerminateOnNaN``,
    the step schedule, the CSV history in ``work_dir``, progress lines, the caller's, then ``epoch_predictions``."""
    cbs = [keras.callbacks.TerminateOnNaN()]
    schedule = step_schedule(cfg)
    if schedule is not None:
        cbs.append(schedule)
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        history = Path(work_dir) / f"{label}_history.csv"
        # Keras's CSVLogger opens the file where it stands ("w"): a symbolic link there would be followed out of the
        # fold's folder, a named pipe waited on. Either is removed first, as every other file of the folder is
        # replaced, never followed (common.files.atomic_write); a folder there fails the fold, naming it.
        if history.is_symlink() or (history.exists() and not history.is_file() and not history.is_dir()):
            history.unlink()
        cbs.append(keras.callbacks.CSVLogger(str(history)))
    if verbose_every_epoch:
        cbs.append(_Progress(label, cfg.epochs))
    cbs.extend(callbacks or [])
    if epoch_predictions is not None:
        cbs.append(epoch_predictions)
    return cbs


def drops_each_epoch(cfg: TrainConfig) -> bool:
    """Whether ``cfg`` is MATLAB's "Shuffle" "every-epoch" (``drop_partial_batch`` with ``shuffle``, without
    ``shuffle_once``): every epoch a new permutation of all the samples, those past its last whole mini-batch left
    out of that epoch only (:class:`ReshuffledEpochs`), rather than one cut for every epoch
    (:func:`matlab_epoch_order`)."""
    return cfg.shuffle and not cfg.shuffle_once and cfg.drop_partial_batch


def trained_samples(cfg: TrainConfig, n: int) -> int:
    """How many of ``n`` training samples an epoch reads: the whole batches only under ``drop_partial_batch`` (a
    set smaller than one batch whole, as :func:`matlab_epoch_order` cuts it), else all ``n``."""
    return n // cfg.batch_size * cfg.batch_size if cfg.drop_partial_batch and n >= cfg.batch_size else n


def matlab_epoch_order(x: Any, y: Any, cfg: TrainConfig) -> tuple[Any, Any]:
    """The training arrays as MATLAB's ``trainNetwork`` reads them every epoch under
    ``TrainConfig.shuffle_once`` (one permutation, NumPy's generator seeded by :func:`set_seed`) and
    ``drop_partial_batch`` (the first ``n // batch_size`` whole batches only; a set smaller than one batch
    is kept whole, as one batch). ``x`` and ``y`` may be lists of arrays, cut alike. Under :func:`drops_each_epoch`
    they are returned whole: each epoch cuts its own permutation."""
    if drops_each_epoch(cfg):
        return x, y
    arrays_y = [np.asarray(a) for a in y] if isinstance(y, (list, tuple)) else [np.asarray(y)]
    n = len(arrays_y[0])
    order = np.random.permutation(n) if cfg.shuffle_once else np.arange(n)
    order = order[: trained_samples(cfg, n)]

    def take(a: Any) -> Any:
        return [np.asarray(v)[order] for v in a] if isinstance(a, (list, tuple)) else np.asarray(a)[order]

    return take(x), take(y)


class _RowBatches(keras.utils.PyDataset):
    """``x`` and ``y`` cut alike by sample rows: the base of the PyDatasets below. Either may be a list (a model
    with several inputs or outputs); a list of targets stays a list (np.asarray would stack them)."""

    def __init__(self, x: Any, y: Any):
        super().__init__()
        self.x = list(x) if isinstance(x, (list, tuple)) else [x]
        self.y = [np.asarray(a) for a in y] if isinstance(y, (list, tuple)) else np.asarray(y)
        self.n = len(self.y[0] if isinstance(self.y, list) else self.y)

    def rows(self, rows: np.ndarray):
        """The batch of these sample rows, as ``model.fit`` takes it: ``(x, y)``."""
        xs = tuple(a[rows] for a in self.x)
        ys = tuple(a[rows] for a in self.y) if isinstance(self.y, list) else self.y[rows]
        return (xs if len(xs) > 1 else xs[0]), ys


class ReshuffledEpochs(_RowBatches):
    """``x`` and ``y`` in mini-batches of ``batch_size`` (the last one partial, or with ``drop_partial`` left out
    while there is a whole batch), in a new order every epoch: a
    permutation from NumPy's generator (seeded by :func:`set_seed`) drawn when the epoch begins, as
    ``model.fit`` shuffles on JAX (Keras' array adapter, ``get_numpy_iterator``) and as
    ``device_training.index_epochs`` draws it on TensorFlow and JAX. Keras reads a batch or two before the first
    epoch to learn the shapes: that reading draws the first epoch's order, so an epoch draws one permutation."""

    def __init__(self, x: Any, y: Any, batch_size: int, drop_partial: bool = False):
        super().__init__(x, y)
        self.batch_size = batch_size
        self.drop_partial = drop_partial
        self.order: np.ndarray | None = None
        self.begun = False  # whether an epoch has begun

    def __len__(self) -> int:
        if self.drop_partial and self.n >= self.batch_size:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)

    def on_epoch_begin(self) -> None:
        if self.begun or self.order is None:  # the first epoch's may have been drawn by Keras' first reading
            self.order = np.random.permutation(self.n)
        self.begun = True

    def __getitem__(self, index: int):
        if self.order is None:
            self.order = np.random.permutation(self.n)
        return self.rows(self.order[index * self.batch_size: (index + 1) * self.batch_size])


class _EpochBatches(_RowBatches):
    """All ``epochs`` epochs of mini-batches as one sequence: epoch e is a permutation of the samples
    (``np.random``, seeded by :func:`set_seed`) cut into batches of ``batch_size``, the last one partial (with
    ``drop_partial``, left out while there is a whole batch: :func:`drops_each_epoch`)."""

    def __init__(self, x: Any, y: Any, batch_size: int, epochs: int, shuffle: bool, drop_partial: bool = False):
        super().__init__(x, y)
        n = self.n
        read = n // batch_size * batch_size if drop_partial and n >= batch_size else n  # an epoch's samples
        self.batches = []
        for _ in range(epochs):
            order = np.random.permutation(n) if shuffle else np.arange(n)
            self.batches += [order[i: i + batch_size] for i in range(0, read, batch_size)]
        self.epoch_ends = np.cumsum([len(range(0, read, batch_size))] * epochs)  # batches per epoch, cumulated

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int):
        return self.rows(self.batches[index])


class _RunningMeans(keras.callbacks.Callback):
    """The pass's running means (``logs``) after every batch, to rebuild per-epoch means; stops on a NaN loss.
    With ``epoch_predictions``, records it after the last batch of every epoch (``epoch_ends``, cumulated)."""

    def __init__(self, epoch_ends: Sequence[int] = (), epoch_predictions: EpochPredictions | None = None):
        super().__init__()
        self.means: list[dict] = []
        self._ends = {int(e) for e in epoch_ends}
        self._epoch_predictions = epoch_predictions

    def on_train_batch_end(self, batch, logs=None):
        self.means.append(dict(logs or {}))
        if any(not math.isfinite(float(v)) for k, v in (logs or {}).items() if "loss" in k):
            self.model.stop_training = True  # as TerminateOnNaN
        elif self._epoch_predictions is not None and len(self.means) in self._ends:
            self._epoch_predictions.record(self.model)


def _fit_one_pass(model: keras.Model, x: Any, y: Any, cfg: TrainConfig, *, work_dir: Path | None,
                  label: str, epoch_predictions: EpochPredictions | None = None) -> dict[str, list[float]]:
    """``TrainConfig.one_pass``: ``model.fit`` over :class:`_EpochBatches` in one epoch; the history per
    epoch is the sample-weighted mean of the epoch's batches, as Keras reports it (recovered from the
    running means: the sum over the first k batches is mean_k x samples_k). An epoch cut short by a
    NaN loss ends the history with NaN, as ``TerminateOnNaN`` leaves a NaN loss in it."""
    data = _EpochBatches(x, y, cfg.batch_size, cfg.epochs, cfg.shuffle, drop_partial=drops_each_epoch(cfg))
    tracker = _RunningMeans(data.epoch_ends.tolist(), epoch_predictions)
    progress = TimedProgress(_progress_label(label, work_dir), cfg.epochs,
                             steps_per_epoch=int(data.epoch_ends[0]) if len(data.epoch_ends) else None)
    model.fit(data, epochs=1, shuffle=False, callbacks=[tracker, progress],
              verbose=0)  # the order is _EpochBatches'
    done = len(tracker.means)
    seen = np.cumsum([len(b) for b in data.batches[:done]])
    last = np.array([e for e in data.epoch_ends if e <= done], dtype=int) - 1  # each finished epoch's last batch
    history: dict[str, list[float]] = {}
    for key in (tracker.means[0] if done else {}):
        totals = np.array([float(m[key]) for m in tracker.means]) * seen
        values = np.diff(np.r_[0.0, totals[last]]) / np.diff(np.r_[0, seen[last]])
        history[key] = [float(v) for v in values] + ([float("nan")] if len(last) == 0 or last[-1] < done - 1 else [])
    if work_dir is not None and history:
        keys = sorted(history)
        rows = [",".join(["epoch"] + keys)] + [",".join([str(e)] + [repr(history[k][e]) for k in keys])
                                               for e in range(len(history[keys[0]]))]
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        write_text_atomic(Path(work_dir) / f"{label}_history.csv", "\n".join(rows) + "\n")
    return history


def trainable_parameters(model: keras.Model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


# ---------------------------------------------------------------------------------------------
# Compiled models kept across folds: the traced train/predict functions are built once.

_COMPILED: dict = {}  # key -> (compiled model, optimiser start values, loss variables, (mixed, jit) of its cfg)


def _loss_variables(loss: Any, names: tuple[str, ...]) -> dict | list | None:
    """Put ``loss``'s keyword arguments ``names`` (e.g. focal ``alpha``) into variables, in place.

    Only for a Keras built-in loss (a ``LossFunctionWrapper``: ``fn`` and ``_fn_kwargs``) whose
    arguments ``names`` are numbers or lists of numbers; None otherwise (the caller then compiles every time).
    A list of losses (one per output of a multi-output model) gives a list of such dicts, or None.
    """
    if isinstance(loss, (list, tuple)):
        parts = [_loss_variables(one, names) for one in loss]
        return None if not parts or any(part is None for part in parts) else parts
    kwargs = getattr(loss, "_fn_kwargs", None)
    if (not isinstance(loss, keras.losses.Loss) or not callable(getattr(loss, "fn", None))
            or not isinstance(kwargs, dict)):
        return None
    variables = {}
    for name in names:
        if name not in kwargs:
            continue
        value = np.asarray(kwargs[name], dtype="float32")
        if value.dtype.kind != "f":
            return None
        variables[name] = keras.Variable(value, trainable=False, name=f"loss_{name}")
        kwargs[name] = variables[name]
    return variables


def _rebind_loss(held: Any, variables: dict | list, loss: Any) -> bool:
    """Give the held loss ``loss``'s argument values; False when anything but those values differs."""
    if isinstance(variables, list):  # one loss per output: each rebound alike
        if (not isinstance(held, (list, tuple)) or not isinstance(loss, (list, tuple))
                or not len(held) == len(loss) == len(variables)):
            return False
        return all(_rebind_loss(h, v, one) for h, v, one in zip(held, variables, loss))
    if type(held) is not type(loss) or held.fn is not getattr(loss, "fn", None) \
            or held.reduction != loss.reduction or set(held._fn_kwargs) != set(loss._fn_kwargs):
        return False
    for name, value in loss._fn_kwargs.items():
        if name in variables:
            value = np.asarray(value, dtype="float32")
            if value.shape != tuple(variables[name].shape):
                return False
        elif value != held._fn_kwargs[name]:
            return False
    for name, variable in variables.items():
        variable.assign(np.asarray(loss._fn_kwargs[name], dtype="float32"))
    return True


def compiled_like(key: Any, fresh: keras.Model, cfg: TrainConfig, loss: Any,
                  metrics: Sequence[Any] = ("accuracy",), loss_arguments: tuple[str, ...] = ("alpha",),
                  reuse: bool = True) -> keras.Model:
    """A compiled model in exactly the state of the freshly built ``fresh``, trained with ``loss``.

    Without ``reuse`` (or on a backend other than TensorFlow, or for a loss that is not a built-in
    ``LossFunctionWrapper``): ``fresh`` compiled with ``loss``, as ``compile_model`` does. With
    ``reuse``: the first call per ``key`` compiles ``fresh`` and keeps it; later calls copy every
    variable of ``fresh`` (weights and the dropout seed states) into the kept model, reset its
    optimiser to its start (iterations, moments, learning rate) and give its loss ``loss``'s
    ``loss_arguments`` (per-fold focal alpha), which are held in variables. Keras then reuses the
    traced train and predict functions: no tracing per fold, and the same numbers as compiling
    ``fresh`` (the caller seeds before building ``fresh``, so the random streams are unchanged;
    ``tests/test_aouayeb2019.py`` and ``tests/test_training_reuse.py`` check the equality, weight decay
    included: the kept model's kernels keep the L2 regularizers of its first compile). ``key`` must name
    everything the graph depends on (architecture, input shape, training recipe); a kept model whose dtype
    policy or XLA setting differs from ``cfg``'s (``mixed_precision``, ``jit_compile``) is not reused. A model
    with several outputs may take a list of such losses, one per output, each rebound alike.
    """
    if not reuse or keras.backend.backend() != "tensorflow":
        return compile_model(fresh, cfg, loss=loss, metrics=metrics)
    entry = _COMPILED.get(key)
    if entry is not None:
        model, optimiser_start, variables, how = entry
        same = len(model.variables) == len(fresh.variables) and all(
            tuple(a.shape) == tuple(b.shape) for a, b in zip(model.variables, fresh.variables)) \
            and how == (cfg.mixed_precision, cfg.jit_compile)
        if same and _rebind_loss(model.loss, variables, loss):
            for target, source in zip(model.variables, fresh.variables):
                target.assign(source)
            for variable, value in zip(model.optimizer.variables, optimiser_start):
                variable.assign(value)
            return model
    variables = _loss_variables(loss, loss_arguments)
    compile_model(fresh, cfg, loss=loss, metrics=metrics)
    if variables is None:
        return fresh
    fresh.optimizer.build(fresh.trainable_variables)
    _COMPILED[key] = (fresh, [keras.ops.convert_to_numpy(v) for v in fresh.optimizer.variables], variables,
                      (cfg.mixed_precision, cfg.jit_compile))
    return fresh


def forget_compiled(where: Callable[[Any], bool] | None = None) -> None:
    """Drop the models kept by :func:`compiled_like`: every one (tests; a new configuration), or those whose
    key satisfies ``where(key)`` (a paper keeping one model at a time for memory)."""
    for key in [k for k in _COMPILED if where is None or where(k)]:
        del _COMPILED[key]


def grid_search(build, evaluate, hyperparameters, directory: Path, project_name: str, seed: int | None = None) -> None:
    """keras-tuner ``GridSearch`` over every combination of ``hyperparameters``; a trial's objective
    ("accuracy", maximised) is ``evaluate(hp, build(hp))``.

    ``run_trial`` is overridden (the documented extension point) because keras-tuner's default
    imports ``tensorboard`` under the TensorFlow backend (absent here) and checkpoints every trial
    (0.2-0.7 GB per 3D-CNN); ours trains through ``common.training.fit`` and keeps no weights.
    """
    import keras_tuner

    class FitGridSearch(keras_tuner.GridSearch):
        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters
            return evaluate(hp, build(hp))

    size = int(np.prod([len(p.values) for p in hyperparameters.space]))
    tuner = FitGridSearch(hypermodel=build, objective=keras_tuner.Objective("accuracy", "max"),
                          hyperparameters=hyperparameters, max_trials=size, seed=seed, directory=str(directory),
                          project_name=project_name, overwrite=True, max_consecutive_failed_trials=1)
    tuner.search(verbose=0)
