"""A paper's training recipe, :class:`TrainConfig`: the one section every network's config has (``train``),
read by ``common.training`` (optimiser, ``fit``). Typed and range-checked as every config (``common.config``);
no Keras here, so a config imports without a backend.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import Choices, FreeText, Range


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """A paper's training recipe. Each paper fills it with values commented by paper section."""

    optimizer: Annotated[str, Choices("sgd", "adam", "rmsprop")] = "sgd"  # common.training.make_optimizer
    learning_rate: Annotated[float, Range(gt=0)] = 0.01
    momentum: Annotated[float, Range(ge=0, lt=1)] = 0.0  # SGD only
    nesterov: bool = False  # SGD only
    # L2 on kernels (added to the loss, as PyTorch/Caffe SGD do), 0 = off
    weight_decay: Annotated[float, Range(ge=0)] = 0.0
    batch_size: Annotated[int, Range(ge=1)] = 32
    epochs: Annotated[int, Range(ge=1)] = 10  # >= 1: an untrained model is never scored
    # >0: multiply the learning rate by lr_step_factor every this many epochs
    lr_step_epochs: Annotated[int, Range(ge=0)] = 0
    lr_step_factor: Annotated[float, Range(gt=0, le=1)] = 0.5
    # >0: Keras 2's optimiser ``decay`` argument, lr_t = learning_rate / (1 + lr_decay * iterations), as a
    # ``keras.optimizers.schedules.InverseTimeDecay`` per step (Talluri et al.'s Model-C, decay 1e-6); 0 = off
    lr_decay: Annotated[float, Range(ge=0)] = 0.0
    shuffle: bool = True
    # MATLAB's trainingOptions defaults (R2018b; Liong et al.'s main.m trains with them): "Shuffle" "once"
    # permutes the training set once before the first epoch and every epoch reads it in that order; with
    # ``drop_partial_batch`` the samples past the last whole mini-batch are discarded, every epoch. Both
    # off: ``model.fit``'s reshuffle every epoch and a partial last batch. ``drop_partial_batch`` with ``shuffle``
    # alone is MATLAB's "every-epoch": each epoch a new permutation, cut to its whole mini-batches.
    shuffle_once: bool = False
    drop_partial_batch: bool = False
    # Adam's epsilon (Keras' default 1e-7; MATLAB's and PyTorch's 1e-8)
    adam_epsilon: Annotated[float, Range(gt=0)] = 1e-7
    # Loop, not method: True runs every epoch's mini-batches (each its own permutation, the last batch
    # partial, as ``model.fit``) through ONE Keras pass, the per-epoch history rebuilt from running means
    # (no per-epoch overhead). No validation data, schedule or class weights. The shuffling draws from
    # NumPy's seeded RNG instead of TensorFlow's: the batches (not the recipe) differ from ``False``.
    one_pass: bool = False
    # XLA, ``model.compile(jit_compile=...)``: "auto" (Keras 3's default: off for TensorFlow on a CPU, on
    # with a GPU and always on JAX), "on" forces it (on PyTorch: ``torch.compile``), "off" refuses it.
    # Keep "auto" on a CPU: forcing it there made the 3D CNNs 9-10x slower (docs/performance.md).
    jit_compile: Literal["auto", "on", "off"] = "auto"
    # Speed option, not in any paper (they trained in float32): mixed_float16 on a GPU, mixed_bfloat16 on
    # a CPU, float32 variables and outputs (``common.training.use_mixed_precision``; docs/performance.md).
    mixed_precision: bool = False
    # Evaluation, not training (``--weights DIR``): a folder of the authors' released per-fold weights, one
    # file per left-out subject named as they name it, loaded into the fold's network, which then predicts
    # its test part untrained. Only a method that declares how it reads them (``Experiment.released_weights``)
    # takes it; "" (every profile) trains.
    weights: Annotated[str, FreeText("a folder of released per-fold weights, or empty")] = ""
    # Execution, not method, off in every profile: the fold's training arrays placed on the accelerator
    # once and every mini-batch drawn there through the model's own ``train_step``, the batches and steps
    # ``model.fit``'s (``common.device_training``; tests/test_training_device.py). Refused with validation
    # data, class weights or ``one_pass``; arrays the device cannot hold fall back to ``model.fit``.
    device_data: bool = False
    # Execution, not method, 1 (off) in every profile: train this many folds of the run as one computation
    # (``common.fold_parallel``, ``--fold-parallel N``), each fold with its own weights, batches, optimiser
    # and callbacks, the same numbers as one by one (tests/test_fold_parallel.py). Only a method with an
    # ``Experiment.fold_fit`` takes it; the config hash leaves it out, so a run resumes across the two paths.
    fold_parallel: Annotated[int, Range(ge=1)] = 1
