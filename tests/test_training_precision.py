"""TrainConfig.jit_compile and TrainConfig.mixed_precision: the XLA switch reaches
``model.compile``; mixed precision computes in bfloat16/float16 with float32 variables and float32
outputs, keeps the parameter counts, trains with a finite loss, and is off in every profile."""
from __future__ import annotations

import logging

import keras
import numpy as np
import pytest

from common import training
from common.config import ConfigError, apply_overrides, parse_assignments
from common.train_config import TrainConfig
from papers import PAPER_IDS
from common.training import (compile_model, compiled_like, fit, forget_compiled, mixed_policy, set_seed,
                             trainable_parameters)

TF = keras.backend.backend() == "tensorflow"


def _small(seed: int = 0) -> keras.Model:
    set_seed(seed)
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Dropout(0.3, name="drop")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="predictions")(x), name="small")


def _data(shape, n: int = 8, classes: int = 3):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, *shape)).astype("float32"), keras.utils.to_categorical(np.arange(n) % classes, classes)


def _variables(model: keras.Model) -> list[str]:
    return sorted({str(v.dtype) for v in model.trainable_variables})


def _layer_output_dtype(model: keras.Model, layer_name: str, x) -> str:
    probe = keras.Model(model.input, model.get_layer(layer_name).output)
    return str(keras.ops.convert_to_numpy(probe(x, training=False)).dtype)


@pytest.mark.parametrize("value, expected", [("off", False), ("on", True)])
def test_jit_compile_reaches_the_compiled_model(value, expected):
    """"on" is XLA on TensorFlow and JAX, ``torch.compile`` on PyTorch; "off" is no XLA (on JAX: no jax.jit)."""
    model = compile_model(_small(), TrainConfig(jit_compile=value))
    assert model.jit_compile is expected


def test_jit_compile_auto_is_the_default_and_leaves_keras_to_decide():
    assert TrainConfig().jit_compile == "auto" and TrainConfig().mixed_precision is False
    model = compile_model(_small(), TrainConfig())
    if TF:
        import tensorflow as tf

        assert model.jit_compile is bool(tf.config.list_physical_devices("GPU"))  # Keras: no XLA on a CPU-only TF
    else:
        assert model.jit_compile is (keras.backend.backend() == "jax")  # always on JAX, eager on PyTorch


def test_set_reads_the_two_fields_and_refuses_a_bad_value():
    cfg = apply_overrides(TrainConfig(), parse_assignments(["jit_compile=off", "mixed_precision=true"]))
    assert (cfg.jit_compile, cfg.mixed_precision) == ("off", True)
    with pytest.raises(ConfigError, match=r"jit_compile.*'maybe' is not one of \['auto', 'on', 'off'\]"):
        apply_overrides(TrainConfig(), {"jit_compile": "maybe"})
    with pytest.raises(ConfigError, match="mixed_precision: expected true/false"):
        apply_overrides(TrainConfig(), {"mixed_precision": "half"})


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_profile_of_every_paper_trains_in_float32_with_keras_jit_default(paper_id):
    import dataclasses

    import papers
    from common.running.profiles import effective_config

    seen = 0
    for experiment in papers.get_paper(paper_id).EXPERIMENTS:
        for profile in ("paper", "quick", "smoke"):
            config = effective_config(experiment, profile)
            for section in dataclasses.fields(config):
                value = getattr(config, section.name)
                if isinstance(value, TrainConfig):
                    assert (value.mixed_precision, value.jit_compile) == (False, "auto"), \
                        f"{paper_id}/{experiment.name} {profile} {section.name}"
                    seen += 1
    assert seen >= 3 or paper_id in ("see2019", "liong2018")  # the SVMs train no network


def test_mixed_precision_computes_in_the_device_policy_with_float32_variables_and_outputs(caplog):
    x, y = _data((12, 12, 3))
    plain = _small()
    reference = trainable_parameters(plain)
    caplog.set_level(logging.INFO, logger="common")
    cfg = TrainConfig(mixed_precision=True, optimizer="adam", learning_rate=1e-3, batch_size=4, epochs=2,
                      weight_decay=1e-4)
    model = compile_model(_small(), cfg)
    policy = mixed_policy()
    assert policy == "mixed_bfloat16" or policy == "mixed_float16"
    compute = policy.split("_")[1]
    assert model.dtype_policy.name == policy and model.get_layer("conv").compute_dtype == compute
    assert model.get_layer("predictions").dtype_policy.name == "float32"  # the softmax in float32
    assert trainable_parameters(model) == reference and _variables(model) == ["float32"]
    assert _layer_output_dtype(model, "conv", x) == compute
    # Mixing draws nothing: the same start (weights, dropout seed states) as the float32 build of the same seed.
    for a, b in zip(model.variables, plain.variables, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    history = fit(model, x, y, cfg)
    assert np.all(np.isfinite(history["loss"])) and len(history["loss"]) == 2
    assert any(policy in line for line in caplog.messages)  # the fold's log says which policy ran
    assert model.predict(x, verbose=0).dtype == np.float32


def test_mixed_float16_wraps_the_optimiser_in_a_loss_scale_optimizer(monkeypatch):
    """On a GPU the policy is mixed_float16 (forced here): Keras' dynamic loss scaling wraps the optimiser."""
    monkeypatch.setattr(training, "mixed_policy", lambda: "mixed_float16")
    x, y = _data((12, 12, 3))
    cfg = TrainConfig(mixed_precision=True, batch_size=4, epochs=1)
    model = compile_model(_small(), cfg)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.get_layer("conv").compute_dtype == "float16" and _variables(model) == ["float32"]
    assert np.all(np.isfinite(fit(model, x, y, cfg)["loss"]))


@pytest.mark.skipif(not TF, reason="models are kept on the TensorFlow backend only")
def test_a_kept_mixed_model_stays_mixed_and_separate_from_the_float32_one():
    forget_compiled()
    loss = keras.losses.CategoricalCrossentropy()
    mixed = TrainConfig(mixed_precision=True, batch_size=4, epochs=1)
    first = compiled_like(("toy", mixed), _small(), mixed, loss)
    again = compiled_like(("toy", mixed), _small(1), mixed, loss)
    plain = compiled_like(("toy", TrainConfig()), _small(), TrainConfig(), loss)
    assert again is first and again.get_layer("conv").dtype_policy.name == mixed_policy()
    assert plain is not first and plain.get_layer("conv").dtype_policy.name == "float32"
    same_key = compiled_like(("toy", mixed), _small(), TrainConfig(), loss)  # a key that omits the recipe
    assert same_key is not first and same_key.get_layer("conv").dtype_policy.name == "float32"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(again.get_layer("conv").kernel),
                                  keras.ops.convert_to_numpy(_small(1).get_layer("conv").kernel))
    forget_compiled()


def test_paper_models_in_mixed_precision_nested_backbone_and_3d_cnn():
    """Kumar et al.'s resnet34_eai (nested ResNet-34 backbone, RandomFlip, weight decay) at a tiny input
    and MicroExpSTCNN (3D CNN, also Talluri's Model-B) at a tiny clip: same parameter counts, every
    nested layer mixed, the softmax float32, two training steps with a finite loss."""
    from common.backbones import build_microexpstcnn
    from papers.kumar2019.model import BACKBONE_NAME, RESNET34_BACKBONE_PARAMS, build_resnet34_eai

    cases = [(lambda: build_resnet34_eai(input_size=32, num_classes=3), (32, 32, 3), "predictions"),
             (lambda: build_microexpstcnn(input_shape=(16, 16, 18, 1), num_classes=3, dense_units=32), (16, 16, 18, 1),
              None)]
    for build, shape, output in cases:
        set_seed(0)
        model = build()
        reference = trainable_parameters(model)
        if output:
            assert reference == RESNET34_BACKBONE_PARAMS + 512 * 3 + 3  # He et al.'s count + the 3-class head
        cfg = TrainConfig(mixed_precision=True, batch_size=2, epochs=1, weight_decay=5e-4, momentum=0.9)
        model = compile_model(model, cfg)
        compute = mixed_policy().split("_")[1]
        assert trainable_parameters(model) == reference and _variables(model) == ["float32"]
        layers = list(model._flatten_layers(include_self=False, recursive=True))
        last = model.get_layer(output) if output else model.layers[-1]
        assert last.dtype_policy.name == "float32"
        mixed = [layer for layer in layers if layer.dtype_policy.name == mixed_policy()]
        assert len(mixed) >= len(layers) - 3  # all but the input and output layers
        if output:
            assert model.get_layer(BACKBONE_NAME).layers[1].compute_dtype == compute  # inside the nested backbone
        x, y = _data(shape, n=4)
        history = fit(model, x, y, cfg)
        assert np.all(np.isfinite(history["loss"]))
        assert model.predict(x, verbose=0).dtype == np.float32
