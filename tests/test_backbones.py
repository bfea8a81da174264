"""common.backbones: reference parameter counts (algorithms.md section 4) and the SE placement."""
from __future__ import annotations

import re

import numpy as np
import pytest

from common.backbones import build_resnet, resnet34, seresnet50
from common.training import non_trainable_parameters, trainable_parameters


def test_resnet34_matches_torchvision_counts():
    backbone = resnet34()
    assert trainable_parameters(backbone) == 21_284_672  # algorithms.md 4: torchvision resnet34 without fc
    assert non_trainable_parameters(backbone) == 21_301_696 - 21_284_672  # BN moving statistics
    assert backbone.output_shape == (None, 7, 7, 512)
    top = resnet34(include_top=True, num_classes=1000)
    assert trainable_parameters(top) == 21_797_672


def test_seresnet50_matches_hu_et_al_counts():
    backbone = seresnet50()
    assert trainable_parameters(backbone) == 26_039_024  # algorithms.md 4, no top
    assert backbone.output_shape == (None, 7, 7, 2048)
    top = seresnet50(include_top=True, num_classes=1000)
    assert trainable_parameters(top) == 28_088_024  # Hu et al.: about 28.1 M
    assert trainable_parameters(top) + non_trainable_parameters(top) == 28_141_144


def test_se_block_scales_the_residual_branch_before_the_addition():
    model = build_resnet((32, 32, 3), (1, 1, 1, 1), block="bottleneck", se_ratio=16, strided_conv="1x1")
    layer_configs = {entry["name"]: entry for entry in model.get_config()["layers"]}
    parents = set(re.findall(r"'keras_history': \['([^']+)'", str(layer_configs["conv3_block1_add"]["inbound_nodes"])))
    assert "conv3_block1_se_scale" in parents  # SE output feeds the addition (Hu et al. Fig. 3)
    assert "conv3_block1_proj_bn" in parents  # with the projection shortcut
    # Caffe-style stride on the first 1x1 convolution of the stage's first block.
    assert model.get_layer("conv3_block1_conv1").strides == (2, 2)
    assert model.get_layer("conv3_block1_conv2").strides == (1, 1)
    # Each SE block adds 2C^2/16 + C/16 + C parameters (algorithms.md 4), C = 512 in stage 3.
    c = 512
    se_params = sum(model.get_layer(f"conv3_block1_se_{n}").count_params() for n in ("reduce", "expand"))
    assert se_params == 2 * c * c // 16 + c // 16 + c


def test_small_input_forward_pass_and_errors():
    model = build_resnet((32, 32, 3), (1, 1, 1, 1), include_top=True, num_classes=3)
    out = model.predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="block="):
        build_resnet((32, 32, 3), (1, 1, 1, 1), block="dense")
    with pytest.raises(ValueError, match="num_classes"):
        build_resnet((32, 32, 3), (1, 1, 1, 1), include_top=True)


def test_load_backbone_weights_names_the_missing_or_unfitting_file(tmp_path):
    import keras
    import pytest

    from common.backbones import WeightsError, load_backbone_weights

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    missing = tmp_path / "none.weights.h5"
    with pytest.raises(WeightsError, match="none.weights.h5: file not found"):
        load_backbone_weights(model, str(missing), "a tiny net")
    other_inputs = keras.Input((8, 8, 3))
    other = keras.Model(other_inputs, keras.layers.Dense(5)(keras.layers.Flatten()(other_inputs)))
    saved = tmp_path / "other.weights.h5"
    other.save_weights(str(saved))
    with pytest.raises(WeightsError, match="cannot load it into a tiny net"):
        load_backbone_weights(model, str(saved), "a tiny net")
