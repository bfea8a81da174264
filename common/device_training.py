"""``TrainConfig.device_data``: the fold's arrays on the accelerator, each batch gathered there.

Keras's ``model.fit`` slices numpy arrays on the host and copies every batch to the device (even
arrays already there); measured on one H100, that bounds Aouayeb's small region CNNs at about a
third of the jitted step's speed (docs/performance.md, "On a GPU"). :func:`fit_on_device` keeps
``fit``'s permutation, batches, optimiser, callbacks and step count (the batch indices come from
Keras's own epoch iterator), so the option changes speed, not results
(``tests/test_training_device.py``). Written by hand because Keras has no device-resident ``fit``;
it reaches into Keras internals, which that test pins. Off in every profile. Its pieces are public
(:func:`floatx_arrays`, :func:`on_device`, :func:`index_epochs`, :func:`indices_of`, :func:`build_as_fit_does`):
``common.fold_parallel`` draws several folds' batches and builds their models the same way.
"""
from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

logger = logging.getLogger(__name__)

# ``cfg`` below is a ``common.train_config.TrainConfig``; typed ``Any`` here
# so that this module imports nothing of common.training, which
# imports it inside ``fit``.


def device_data_refusal(cfg: Any, validation_data: Any = None, class_weight: Any = None, *,
                        drops_each_epoch: bool) -> str | None:
    """Why ``TrainConfig.device_data`` cannot train this call (one line), or None when it can.
    ``drops_each_epoch``: ``common.training.drops_each_epoch(cfg)``, given by the caller (common.training imports
    this module, so it cannot be imported here)."""
    if cfg.one_pass:
        return "TrainConfig: device_data and one_pass are two training loops; set one of them"
    if validation_data is not None:
        return ("TrainConfig.device_data: validation data (a per-epoch evaluation, e.g. best-epoch selection) "
                "is not run by the device loop; set device_data=false for this recipe")
    if class_weight:
        return "TrainConfig.device_data: class weights are not carried by the device loop; set device_data=false"
    if drops_each_epoch:
        return ("TrainConfig.device_data: a reshuffle every epoch that leaves each epoch's partial batch out "
                "(drop_partial_batch without shuffle_once) is not run by the device loop; set device_data=false")
    return None


def floatx_arrays(data: Any) -> Any:
    """``data``'s arrays as numpy, floats cast to ``keras.config.floatx()`` as Keras's array adapter does."""
    def one(a):
        a = np.asarray(a)
        return a.astype(keras.config.floatx()) if a.dtype.kind == "f" and a.dtype != keras.config.floatx() else a
    return keras.tree.map_structure(one, data)


def on_device(data: Any) -> Any:
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


def index_epochs(n: int, batch_size: int, shuffle: bool):
    """Keras's own epoch iterator of this backend (the one ``model.fit`` builds) over the sample numbers
    ``0..n-1``: iterating it once per epoch gives ``model.fit``'s batches of that epoch as index arrays,
    drawn from the same random stream (``np.random.permutation`` on JAX, ``torch.randperm`` through a
    ``RandomSampler`` on PyTorch). On TensorFlow a shuffled epoch's order is NumPy's, as on JAX (Keras' own
    ``EpochIterator`` over the arrays), which is what ``common.training.fit`` trains on there
    (``ReshuffledEpochs``): TensorFlow's ``model.fit``, seeded, repeats one order every epoch."""
    backend = keras.backend.backend()
    numbers = np.arange(n, dtype="int64")
    if backend == "tensorflow" and shuffle:
        from keras.src.trainers.epoch_iterator import EpochIterator

        return EpochIterator(x=numbers, batch_size=batch_size, shuffle=True)
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


def indices_of(step_data: Any) -> Any:
    """The index array of one step's data: the epoch iterators hand the step's iterator (tf.data's on
    TensorFlow, a generator on JAX, from which ``fit``'s train function takes one batch) or, on PyTorch,
    a one-element list of the batch."""
    if hasattr(step_data, "get_next"):
        step_data = step_data.get_next()
    elif not isinstance(step_data, (list, tuple)):
        step_data = next(step_data)
    leaves = keras.tree.flatten(step_data)
    return leaves[0]


# model -> (its optimiser, the arrays' shapes and dtypes, the compiled step): one trace per model
_DEVICE_STEPS: weakref.WeakKeyDictionary[Any, tuple[Any, tuple, Callable[..., Any]]] | None = None


def _device_step(model: keras.Model, arrays: Any):
    """The model's own ``train_step`` on a batch gathered on the device by index, compiled as ``model.fit``
    compiles it: ``jax.jit`` (state donated) on JAX, ``tf.function`` (the model's ``jit_compile``) on
    TensorFlow, Keras's ``train_function`` (``torch.compile`` only when the model asks for it) on PyTorch.
    Kept per model and optimiser, as Keras keeps ``model.train_function``: the next fold's fit of the
    same compiled model (``compiled_like``) traces nothing again."""
    global _DEVICE_STEPS
    if _DEVICE_STEPS is None:
        _DEVICE_STEPS = weakref.WeakKeyDictionary()
    backend = keras.backend.backend()
    specs = tuple((tuple(a.shape[1:]), str(a.dtype)) for a in keras.tree.flatten(arrays))
    kept = _DEVICE_STEPS.get(model)
    if kept is not None and kept[0] is model.optimizer and kept[1] == specs:
        return kept[2]
    step: Callable[..., Any]  # (state, arrays, indices) on JAX, (arrays, indices) on the others
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


def build_as_fit_does(model: keras.Model, epochs: Any, first: Any) -> None:
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
            indices_of(step_data)
            break
    if keras.backend.backend() == "tensorflow":
        model._maybe_symbolic_build(data_batch=first)
    else:
        model._symbolic_build(data_batch=first)
    epochs.reset()


def fit_on_device(model: keras.Model, x: Any, y: Any, cfg: Any, callbacks: list, *,
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
    data = floatx_arrays((list(x) if isinstance(x, (list, tuple)) else x,
                           list(y) if isinstance(y, (list, tuple)) else y))
    n = len(keras.tree.flatten(data[1])[0])
    try:
        arrays = on_device(data)
    except Exception as error:  # the device's out-of-memory error differs by backend; any failure to place
        logger.info(f"  {label}: training arrays ({sum(a.nbytes for a in keras.tree.flatten(data)) / 2**20:.0f} MiB) "
                    f"not placed on the device ({type(error).__name__}: {str(error).splitlines()[0][:120]}); "
                    "training through model.fit")
        return None
    backend = keras.backend.backend()
    epochs = index_epochs(n, cfg.batch_size, cfg.shuffle)
    build_as_fit_does(model, epochs, keras.tree.map_structure(lambda a: a[: cfg.batch_size], data))
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
                indices = indices_of(step_data)
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
