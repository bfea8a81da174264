"""Seeding, optimisers and the one Keras ``fit`` call every paper uses.

Papers describe their training recipe with :class:`TrainConfig` and call :func:`fit`; nothing
paper-specific lives here. Keras 3 APIs only (``keras.optimizers``, ``keras.callbacks``), so the
JAX and PyTorch backends work too.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Mapping

import keras
import numpy as np

from common.config import Choices, Range


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """A paper's training recipe. Each paper fills it with values commented by paper section."""

    optimizer: Annotated[str, Choices("sgd", "adam", "rmsprop")] = "sgd"  # make_optimizer
    learning_rate: Annotated[float, Range(gt=0)] = 0.01
    momentum: Annotated[float, Range(ge=0, lt=1)] = 0.0  # SGD only
    nesterov: bool = False  # SGD only
    weight_decay: Annotated[float, Range(ge=0)] = 0.0  # L2 on kernels (added to the loss, as PyTorch/Caffe SGD do), 0 = off
    batch_size: Annotated[int, Range(ge=1)] = 32
    epochs: Annotated[int, Range(ge=1)] = 10  # >= 1: an untrained model is never scored
    lr_step_epochs: Annotated[int, Range(ge=0)] = 0  # >0: multiply the learning rate by lr_step_factor every this many epochs
    lr_step_factor: Annotated[float, Range(gt=0, le=1)] = 0.5
    # >0: Keras 2's optimiser ``decay`` argument, lr_t = learning_rate / (1 + lr_decay * iterations), as a
    # ``keras.optimizers.schedules.InverseTimeDecay`` per step (Talluri et al.'s Model-C, decay 1e-6); 0 = off
    lr_decay: Annotated[float, Range(ge=0)] = 0.0
    shuffle: bool = True
    # Loop, not method: True runs every epoch's mini-batches (each epoch its own permutation, the same
    # batch size, the last batch partial, as ``model.fit`` does) through ONE Keras pass and rebuilds the
    # per-epoch history from the running means, which removes Keras's per-epoch overhead (about 0.1 s
    # on 2 CPU cores; it dominated Aouayeb's stage 2 of 100 epochs x 3 steps). Needs no
    # validation data, schedule or class weights. The shuffling draws from NumPy's seeded global RNG
    # instead of TensorFlow's, so the batches (not the recipe) differ from ``one_pass=False``.
    one_pass: bool = False
    # XLA, ``model.compile(jit_compile=...)``: "auto" (Keras 3's default) lets Keras decide: off for
    # TensorFlow on a CPU-only machine, on for TensorFlow with a GPU and always on JAX (when every layer
    # supports it), off (eager) on PyTorch; "on" forces it ("on" on PyTorch is ``torch.compile``,
    # inductor: a compilation per new input shape, tens of seconds on this CPU), "off" refuses it (on JAX
    # "off" means no ``jax.jit`` at all: every op eager, far slower). Measured on this 2-core CPU
    # (TF 2.21): forcing XLA on the CPU makes the 3D CNNs 9-10x slower per step (Model-B 1460 vs 166 ms,
    # MicroExpSTCNN 64x64x18 256 vs 33 ms, Model-A 2764 vs 300 ms), so keep "auto" there.
    jit_compile: Literal["auto", "on", "off"] = "auto"
    # Mixed precision, off in every profile: True computes in mixed_float16 on a GPU and
    # mixed_bfloat16 on a CPU (``mixed_policy()``) with float32 variables and float32 model outputs
    # (the softmax), and float16 wraps the optimiser in a ``LossScaleOptimizer``; see ``use_mixed_precision``.
    # Not in any paper (they trained in float32): an option for speed. On this CPU (AVX512_BF16, TF 2.21),
    # CPU time per step vs float32: Model-B 0.57x, ResNet50-ROI 0.72x, Aouayeb's region CNN 0.71x,
    # MicroExpSTCNN 64x64x18 0.95x, Model-C 1.0x, Model-A 1.2x, Aouayeb's LSTM stage 1.34x
    # (benchmarks/bench_precision.py).
    mixed_precision: bool = False
    # Execution, not method, off in every profile: True places the fold's training arrays on the
    # accelerator once and draws every mini-batch there (a gather by index on the device) through the
    # model's own ``train_step``, jitted as ``model.fit`` jits it (``fit_on_device``). The batch indices
    # come from Keras's own epoch iterator over the sample numbers, so the per-epoch permutation, the
    # batches, the optimiser, the callbacks and the number of steps are ``model.fit``'s
    # (tests/test_training_device.py checks the weights and the history). Why: Keras's ``fit`` slices
    # numpy arrays on the host and copies every batch to the card; on one H100 (JAX) Aouayeb's region
    # CNN trained at 19-23 k samples/s through ``fit`` and 58 k with the batch already on the card
    # (docs/performance.md). Refused (one line) with validation data, class weights or ``one_pass``;
    # arrays the device cannot hold fall back to ``model.fit`` with a log line.
    device_data: bool = False


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend (``keras.utils.set_random_seed``).

    Papers derive several seeds from the run's (``seed + k`` per network): the sum is taken modulo
    2**32, the generators' range, so a ``--seed`` near the top of that range (accepted by the
    settings check) still seeds every network instead of failing in each fold. Below 2**32 - k,
    every seed is unchanged."""
    keras.utils.set_random_seed(int(seed) % 2**32)


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
        return keras.optimizers.Adam(learning_rate=rate)
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
    full = set()
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
                  metrics: tuple[str, ...] = ("accuracy",)) -> keras.Model:
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

    def __init__(self, log, label: str, epochs: int):
        super().__init__()
        self._log, self._label, self._epochs = log, label, epochs

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = " ".join(f"{k}={v:.4f}" for k, v in logs.items() if isinstance(v, (int, float)) and k != "learning_rate")
        self._log(f"  {self._label} epoch {epoch + 1}/{self._epochs} {shown}")


def fit(model: keras.Model, x: Any, y: Any, cfg: TrainConfig, *, work_dir: Path | None = None,
        label: str = "model", validation_data: Any = None, class_weight: Mapping[int, float] | None = None,
        callbacks: list | None = None, log=print, verbose_every_epoch: bool = False) -> dict[str, list[float]]:
    """``model.fit`` with the recipe's batch size, epochs and schedule; returns ``History.history``.

    Callbacks always include ``TerminateOnNaN`` and, with ``work_dir``, a ``CSVLogger`` writing
    ``<work_dir>/<label>_history.csv``. A NaN loss stops training; the caller sees it in the history.
    A model in mixed precision (``TrainConfig.mixed_precision``) says so in one ``log`` line.
    """
    if precision_of(model) != "float32":
        log(f"  {label}: computes in {precision_of(model)} (float32 variables and outputs)")
    if cfg.device_data:
        refusal = device_data_refusal(cfg, validation_data, class_weight)
        if refusal:
            raise ValueError(refusal)
    if cfg.one_pass:
        if validation_data is not None or class_weight or callbacks or step_schedule(cfg) is not None:
            raise ValueError("TrainConfig.one_pass: no validation data, class weights, callbacks or schedule")
        return _fit_one_pass(model, x, y, cfg, work_dir=work_dir, label=label)
    cbs = [keras.callbacks.TerminateOnNaN()]
    schedule = step_schedule(cfg)
    if schedule is not None:
        cbs.append(schedule)
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        cbs.append(keras.callbacks.CSVLogger(str(Path(work_dir) / f"{label}_history.csv")))
    if verbose_every_epoch:
        cbs.append(_Progress(log, label, cfg.epochs))
    cbs.extend(callbacks or [])
    if cfg.device_data:
        history = fit_on_device(model, x, y, cfg, cbs, log=log, label=label)
        if history is not None:
            return {k: [float(v) for v in vals] for k, vals in history.items()}
    history = model.fit(x, y, batch_size=cfg.batch_size, epochs=cfg.epochs, shuffle=cfg.shuffle,
                        validation_data=validation_data, class_weight=dict(class_weight) if class_weight else None,
                        callbacks=cbs, verbose=0)
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def device_data_refusal(cfg: TrainConfig, validation_data: Any = None, class_weight: Any = None) -> str | None:
    """Why ``TrainConfig.device_data`` cannot train this call (one line), or None when it can."""
    if cfg.one_pass:
        return "TrainConfig: device_data and one_pass are two training loops; set one of them"
    if validation_data is not None:
        return ("TrainConfig.device_data: validation data (a per-epoch evaluation, e.g. best-epoch selection) "
                "is not run by the device loop; set device_data=false for this recipe")
    if class_weight:
        return "TrainConfig.device_data: class weights are not carried by the device loop; set device_data=false"
    return None


def _floatx_arrays(data: Any) -> Any:
    """``data``'s arrays as numpy, floats cast to ``keras.config.floatx()`` as Keras's array adapter does."""
    def one(a):
        a = np.asarray(a)
        return a.astype(keras.config.floatx()) if a.dtype.kind == "f" and a.dtype != keras.config.floatx() else a
    return keras.tree.map_structure(one, data)


def _on_device(data: Any) -> Any:
    """``data``'s arrays copied once to the backend's default device (the accelerator when there is one)."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return keras.tree.map_structure(lambda a: jax.device_put(a), data)
    if backend == "tensorflow":
        import tensorflow as tf

        device = "/GPU:0" if tf.config.list_logical_devices("GPU") else "/CPU:0"
        with tf.device(device):
            return keras.tree.map_structure(lambda a: tf.identity(tf.convert_to_tensor(a)), data)
    if backend == "torch":
        import torch
        from keras.src.backend.torch.core import get_device

        return keras.tree.map_structure(lambda a: torch.as_tensor(a, device=get_device()), data)
    raise ValueError(f"TrainConfig.device_data: backend {backend!r} is not covered (jax, tensorflow, torch)")


def _index_epochs(n: int, batch_size: int, shuffle: bool):
    """Keras's own epoch iterator of this backend (the one ``model.fit`` builds) over the sample numbers
    ``0..n-1``: iterating it once per epoch gives ``model.fit``'s batches of that epoch as index arrays,
    drawn from the same random stream (``tf.random.shuffle`` in ``tf.data`` on TensorFlow,
    ``np.random.permutation`` on JAX, ``torch.randperm`` through a ``RandomSampler`` on PyTorch)."""
    backend = keras.backend.backend()
    numbers = np.arange(n, dtype="int64")
    if backend == "tensorflow":
        import tensorflow as tf
        from keras.src.backend.tensorflow.trainer import TFEpochIterator

        return TFEpochIterator(x=numbers, batch_size=batch_size, shuffle=shuffle,
                               distribute_strategy=tf.distribute.get_strategy())
    if backend == "jax":
        from keras.src.backend.jax.trainer import JAXEpochIterator

        return JAXEpochIterator(x=numbers, batch_size=batch_size, shuffle=shuffle)
    from keras.src.backend.torch.trainer import TorchEpochIterator

    return TorchEpochIterator(x=numbers, batch_size=batch_size, shuffle=shuffle)


def _indices_of(step_data: Any) -> Any:
    """The index array of one step's data: the epoch iterators hand the step's iterator (tf.data's on
    TensorFlow, a generator on JAX, from which ``fit``'s train function takes one batch) or, on PyTorch,
    a one-element list of the batch."""
    if hasattr(step_data, "get_next"):
        step_data = step_data.get_next()
    elif not isinstance(step_data, (list, tuple)):
        step_data = next(step_data)
    leaves = keras.tree.flatten(step_data)
    return leaves[0]


_DEVICE_STEPS: "weakref.WeakKeyDictionary" = None  # model -> (its optimiser, the compiled step): one trace per model


def _device_step(model: keras.Model, arrays: Any):
    """The model's own ``train_step`` on a batch gathered on the device by index, compiled as ``model.fit``
    compiles it: ``jax.jit`` (state donated) on JAX, ``tf.function`` (the model's ``jit_compile``) on
    TensorFlow, Keras's ``train_function`` (``torch.compile`` only when the model asks for it) on PyTorch.
    Kept per model and optimiser, as Keras keeps ``model.train_function``: the next fold's fit of the
    same compiled model (``compiled_like``) traces nothing again."""
    global _DEVICE_STEPS
    import weakref

    if _DEVICE_STEPS is None:
        _DEVICE_STEPS = weakref.WeakKeyDictionary()
    backend = keras.backend.backend()
    specs = tuple((tuple(a.shape[1:]), str(a.dtype)) for a in keras.tree.flatten(arrays))
    kept = _DEVICE_STEPS.get(model)
    if kept is not None and kept[0] is model.optimizer and kept[1] == specs:
        return kept[2]
    if backend == "jax":
        import jax

        def step(state, arrays, indices):
            batch = keras.tree.map_structure(lambda a: jax.numpy.take(a, indices, axis=0), arrays)
            return model.train_step(state, batch)

        if model.jit_compile and not model.run_eagerly:
            step = jax.jit(step, donate_argnums=0)
    elif backend == "tensorflow":
        import tensorflow as tf

        def step(arrays, indices):
            return model.train_step(keras.tree.map_structure(lambda a: tf.gather(a, indices), arrays))

        if not model.run_eagerly:
            # Unknown lengths, as ``fit``'s tf.data batches have an unknown batch dimension: Keras weighs
            # each output's loss tracker by the static batch size, or equally per batch when unknown.
            # The arrays are arguments (device tensors passed by reference), so one trace serves every fold.
            signature = [keras.tree.map_structure(lambda a: tf.TensorSpec([None, *a.shape[1:]], a.dtype), arrays),
                         tf.TensorSpec([None], tf.int64)]
            traced = tf.function(step, input_signature=signature, jit_compile=bool(model.jit_compile))
            step = lambda arrays, indices: traced(arrays, tf.convert_to_tensor(indices, tf.int64))  # noqa: E731
    else:
        import torch

        model.make_train_function()

        def step(arrays, indices):
            indices = torch.as_tensor(indices, device=keras.tree.flatten(arrays)[0].device)
            return model.train_function([keras.tree.map_structure(lambda a: a[indices], arrays)])

    _DEVICE_STEPS[model] = (model.optimizer, specs, step)
    return step


def _build_as_fit_does(model: keras.Model, epochs: Any, first: Any) -> None:
    """Build the model's state before training as ``model.fit`` does, drawing what it draws.

    ``fit`` builds an unbuilt model (or unbuilt compiled loss or metrics: a first fit after
    ``compile``) from the first batch of its epoch iterator, then resets the iterator; on JAX and
    PyTorch that batch's permutation is drawn from the random stream (on TensorFlow only under a
    distribution strategy). The same draw is made here from the index iterator, so the permutations
    of the epochs that follow are ``fit``'s; the symbolic build itself uses ``first`` (the data's first rows).
    """
    if keras.backend.backend() == "tensorflow":
        draws = getattr(model, "_distribute_strategy", None) is not None
    else:
        draws = (not all(layer.built for layer in model._flatten_layers())
                 or (model._compile_metrics is not None and not model._compile_metrics.built)
                 or (model._compile_loss is not None and not model._compile_loss.built))
    if draws:
        for _, _, step_data in epochs:
            _indices_of(step_data)
            break
    if keras.backend.backend() == "tensorflow":
        model._maybe_symbolic_build(data_batch=first)
    else:
        model._symbolic_build(data_batch=first)
    epochs.reset()


def fit_on_device(model: keras.Model, x: Any, y: Any, cfg: TrainConfig, callbacks: list, *, log=print,
                  label: str = "model") -> dict[str, list] | None:
    """``TrainConfig.device_data``: ``model.fit(x, y, batch_size, epochs, shuffle, callbacks)`` with the
    arrays placed on the device once; returns ``History.history``, or None (logged) when the device
    cannot hold the arrays (the caller then trains through ``model.fit``).

    The loop is ``model.fit``'s (Keras 3.15, every backend): metrics reset and ``on_epoch_begin`` per
    epoch, ``on_train_batch_begin``/``on_train_batch_end`` per step (``TerminateOnNaN`` reads each step's
    loss, as in ``fit``), ``stop_training`` honoured after a step and after an epoch, the epoch's logs
    from the model's metrics, ``finalize_variable_values`` and ``on_train_end``; on JAX the variables
    travel as a state and are written back after each epoch, as ``fit`` does. Only the batch differs
    in where it is cut: a gather on the device instead of a slice of numpy on the host.
    """
    if getattr(model, "steps_per_execution", 1) != 1:
        raise ValueError("TrainConfig.device_data: the model is compiled with steps_per_execution > 1; expected 1")
    data = _floatx_arrays((list(x) if isinstance(x, (list, tuple)) else x,
                           list(y) if isinstance(y, (list, tuple)) else y))
    n = len(keras.tree.flatten(data[1])[0])
    try:
        arrays = _on_device(data)
    except Exception as error:  # the device's out-of-memory error differs by backend; any failure to place
        log(f"  {label}: training arrays ({sum(a.nbytes for a in keras.tree.flatten(data)) / 2**20:.0f} MiB) "
            f"not placed on the device ({type(error).__name__}: {str(error).splitlines()[0][:120]}); "
            "training through model.fit")
        return None
    backend = keras.backend.backend()
    epochs = _index_epochs(n, cfg.batch_size, cfg.shuffle)
    _build_as_fit_does(model, epochs, keras.tree.map_structure(lambda a: a[: cfg.batch_size], data))
    callback_list = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=False, verbose=0,
                                                 epochs=cfg.epochs, steps=epochs.num_batches, model=model)
    step = _device_step(model, arrays)
    model.stop_training = False
    callback_list.on_train_begin()
    training_logs, logs = None, {}
    for epoch in range(cfg.epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        if backend == "jax":
            model._jax_state_synced = True
        if backend == "torch":
            model.train()
        with epochs.catch_stop_iteration():
            for begin_step, end_step, step_data in epochs:
                callback_list.on_train_batch_begin(begin_step)
                indices = _indices_of(step_data)
                if backend == "jax":
                    if model._jax_state_synced:  # a callback may have written the variables back
                        state = model._get_jax_state(trainable_variables=True, non_trainable_variables=True,
                                                     optimizer_variables=True, metrics_variables=True,
                                                     purge_model_variables=True)
                        model._jax_state_synced = False
                    logs, state = step(state, arrays, indices)
                    model._jax_state = dict(zip(("trainable_variables", "non_trainable_variables",
                                                 "optimizer_variables", "metrics_variables"), state))
                else:
                    logs = step(arrays, indices)
                callback_list.on_train_batch_end(end_step, logs)
                if model.stop_training:
                    break
        if backend == "jax":
            model.jax_state_sync()
        epoch_logs = dict(model._get_metrics_result_or_logs(logs))
        if backend == "torch":
            model.eval()
        callback_list.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if model.stop_training:
            break
    if isinstance(model.optimizer, keras.optimizers.Optimizer):
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=training_logs)
    return model.history.history


class _EpochBatches(keras.utils.PyDataset):
    """All ``epochs`` epochs of mini-batches as one sequence: epoch e is a permutation of the samples
    (``np.random``, seeded by :func:`set_seed`) cut into batches of ``batch_size``, the last one partial.
    ``x`` and ``y`` may be lists (a model with several inputs or outputs): every array is cut alike."""

    def __init__(self, x: Any, y: Any, batch_size: int, epochs: int, shuffle: bool):
        super().__init__()
        self.x = list(x) if isinstance(x, (list, tuple)) else [x]
        # A list of targets (several outputs) stays a list: np.asarray would stack them.
        self.y = [np.asarray(a) for a in y] if isinstance(y, (list, tuple)) else np.asarray(y)
        n = len(self.y[0] if isinstance(self.y, list) else self.y)
        self.batches = []
        for _ in range(epochs):
            order = np.random.permutation(n) if shuffle else np.arange(n)
            self.batches += [order[i: i + batch_size] for i in range(0, n, batch_size)]
        self.epoch_ends = np.cumsum([len(range(0, n, batch_size))] * epochs)  # batches per epoch, cumulated

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int):
        rows = self.batches[index]
        xs = tuple(a[rows] for a in self.x)
        ys = tuple(a[rows] for a in self.y) if isinstance(self.y, list) else self.y[rows]
        return (xs if len(xs) > 1 else xs[0]), ys


class _RunningMeans(keras.callbacks.Callback):
    """The pass's running means (``logs``) after every batch, to rebuild per-epoch means; stops on a NaN loss."""

    def __init__(self):
        super().__init__()
        self.means: list[dict] = []

    def on_train_batch_end(self, batch, logs=None):
        self.means.append(dict(logs or {}))
        if any(not math.isfinite(float(v)) for k, v in (logs or {}).items() if "loss" in k):
            self.model.stop_training = True  # as TerminateOnNaN


def _fit_one_pass(model: keras.Model, x: Any, y: Any, cfg: TrainConfig, *, work_dir: Path | None,
                  label: str) -> dict[str, list[float]]:
    """``TrainConfig.one_pass``: ``model.fit`` over :class:`_EpochBatches` in one epoch; the history per
    epoch is the sample-weighted mean of the epoch's batches, as Keras reports it (recovered from the
    running means: the sum over the first k batches is mean_k x samples_k). An epoch cut short by a
    NaN loss ends the history with NaN, as ``TerminateOnNaN`` leaves a NaN loss in it."""
    from common.files import write_text_atomic

    data = _EpochBatches(x, y, cfg.batch_size, cfg.epochs, cfg.shuffle)
    tracker = _RunningMeans()
    model.fit(data, epochs=1, shuffle=False, callbacks=[tracker], verbose=0)  # the order is _EpochBatches'
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


def history_has_nan(history: Mapping[str, list[float]]) -> bool:
    """True when any recorded loss is NaN or infinite (TerminateOnNaN stopped the run)."""
    return any(not np.all(np.isfinite(v)) for k, v in history.items() if "loss" in k)


def trainable_parameters(model: keras.Model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def non_trainable_parameters(model: keras.Model) -> int:
    return int(sum(np.prod(w.shape) for w in model.non_trainable_weights))


# ---------------------------------------------------------------------------------------------
# Compiled models kept across folds: the traced train/predict functions are built once.

_COMPILED: dict = {}  # key -> (compiled model, optimiser start values, loss variables, (mixed, jit) of its cfg)


def _loss_variables(loss: Any, names: tuple[str, ...]) -> dict | None:
    """Put ``loss``'s keyword arguments ``names`` (e.g. focal ``alpha``) into variables, in place.

    Only for a Keras built-in loss (a ``LossFunctionWrapper``: ``fn`` and ``_fn_kwargs``) whose
    arguments ``names`` are numbers or lists of numbers; None otherwise (the caller then compiles every time).
    A list of losses (one per output of a multi-output model) gives a list of such dicts, or None.
    """
    if isinstance(loss, (list, tuple)):
        parts = [_loss_variables(one, names) for one in loss]
        return None if not parts or any(part is None for part in parts) else parts
    kwargs = getattr(loss, "_fn_kwargs", None)
    if not isinstance(loss, keras.losses.Loss) or not callable(getattr(loss, "fn", None)) or not isinstance(kwargs, dict):
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


def _rebind_loss(held: Any, variables: dict, loss: Any) -> bool:
    """Give the held loss ``loss``'s argument values; False when anything but those values differs."""
    if isinstance(variables, list):  # one loss per output: each rebound alike
        if not isinstance(held, (list, tuple)) or not isinstance(loss, (list, tuple)) or not len(held) == len(loss) == len(variables):
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
                  metrics: tuple[str, ...] = ("accuracy",), loss_arguments: tuple[str, ...] = ("alpha",),
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
