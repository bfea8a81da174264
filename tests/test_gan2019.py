"""OFF-ApexNet (Gan et al. 2019): the two-stream network and its count, layer by layer; the public
reimplementations' readings as options with their own counts; the shared flow images' scaling."""
from __future__ import annotations

import types
from pathlib import Path

import numpy as np


def test_two_independent_streams_and_the_layer_lists_parameter_count():
    from common.training import trainable_parameters
    from papers.gan2019 import PAPER
    from common.harness import build_paper_model

    model = build_paper_model(PAPER, "off_apexnet")
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    for row in PAPER.architecture_tables["off_apexnet"]:
        assert shapes[row["name"]] == tuple(row["output_shape"]), row
    assert shapes["v_pool2"] == (7, 7, 16) and tuple(model.input.shape[1:]) == (28, 28, 2)
    # streams 2 x (5*5*6+6 + 5*5*6*16+16); FC1 1568*1024+1024; FC2 1024*1024+1024; output 1024*3+3
    assert trainable_parameters(model) == 2 * (156 + 2416) + 1_606_656 + 1_049_600 + 3075 == 2_664_475
    assert PAPER.parameter_counts["off_apexnet"][0] == 2_664_475
    # the u stream sees only channel 0: changing v leaves its features unchanged
    import keras

    u_features = keras.Model(model.input, model.get_layer("u_features").output)
    x = np.random.default_rng(0).random((2, 28, 28, 2)).astype("float32")
    y = x.copy()
    y[..., 1] = 0.0
    np.testing.assert_allclose(u_features(x), u_features(y), rtol=0, atol=0)


def test_flow_images_scale_each_channel_to_0_1_resize_and_pick_the_channels(monkeypatch):
    from common.preprocessing import motion_stages
    from papers.gan2019.config import default_config
    from papers.gan2019 import EXPERIMENTS

    preprocess_clip = EXPERIMENTS[0].preprocess_clip  # the declared flow network's: channels u, v

    ramp = np.tile(np.linspace(-2.0, 6.0, 128, dtype=np.float32), (128, 1))  # u: -2 .. 6 px, left to right
    flow = np.stack([ramp, np.full((128, 128), 3.0, np.float32), ramp.T ** 2], axis=-1)  # v constant
    monkeypatch.setattr(motion_stages, "flow_features", lambda sample, size, method="tvl1", cache_root=None: flow)
    clip = types.SimpleNamespace(meta={})  # a clip of frames (not of the released inputs)
    images = motion_stages.flow_images(clip, 128, 28)
    assert images.shape == (28, 28, 3) and images.dtype == np.float32
    assert images[..., 0].min() < 0.02 and images[..., 0].max() > 0.98  # min-max over the image
    assert np.all(np.diff(images[0, :, 0]) > 0)  # the ramp keeps its order after the area resize
    assert np.all(images[..., 1] == 0)  # a constant component (no motion) is zeros, not a division by 0
    x = preprocess_clip(clip, default_config())
    np.testing.assert_array_equal(x, images[..., :2])  # OFF-ApexNet takes u and v


def _conv(k, c_in, c_out):
    return k * k * c_in * c_out + c_out  # a k x k convolution with bias


def _dense(n_in, n_out):
    return n_in * n_out + n_out


def test_paper_reading_layer_by_layer():
    """The `paper` profile's layers, each count worked out from the layer list (README ledger 1-2): two
    streams of conv 5x5/6 and conv 5x5/16 on one flow component each, 7x7x16 = 784 features a stream,
    FC 1024, FC 1024, softmax 3; ReLU after every convolution, no dropout."""
    from common.training import trainable_parameters
    from papers.gan2019.config import default_config
    from papers.gan2019.model import build_model

    model = build_model(config=default_config(), num_classes=3)
    expected = {"u_conv1": _conv(5, 1, 6), "u_conv2": _conv(5, 6, 16), "v_conv1": _conv(5, 1, 6),
                "v_conv2": _conv(5, 6, 16), "fc1": _dense(2 * 7 * 7 * 16, 1024), "fc2": _dense(1024, 1024),
                "output": _dense(1024, 3)}
    counts = {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}
    assert counts == expected
    assert expected["u_conv1"] == 156 and expected["fc1"] == 1_606_656 and expected["output"] == 3075
    assert trainable_parameters(model) == sum(expected.values()) == 2_664_475
    # Liong et al. 2019, Table V: 2.77 M printed; the layer list is 3.8 % below it (README ledger 1)
    assert abs(sum(expected.values()) / 2.77e6 - 1) < 0.04
    # depth 5 (Table V: convolutional or FC layers in sequence): conv1, conv2, FC1, FC2, output
    assert sum(1 for layer in model.layers if layer.name.startswith(("u_conv", "fc", "output"))) == 5
    assert all(model.get_layer(f"{s}_conv{i}").activation.__name__ == "relu" for s in "uv" for i in (1, 2))
    assert not [layer.name for layer in model.layers if "dropout" in layer.name]


def _reading(name):
    """The config of one public reading, from the `--set` overrides the README ledger prints for it."""
    from common.config import apply_overrides, parse_assignments
    from papers.gan2019.config import READINGS, default_config

    ledger = (Path(__file__).resolve().parent.parent / "papers/gan2019/README.md").read_text()
    flags = [f"{key}={_cli(value)}" for key, value in READINGS[name].items()]
    assert " ".join(f"--set {flag}" for flag in flags) in ledger, name  # the ledger gives these exact options
    return apply_overrides(default_config(), parse_assignments(flags))


def _cli(value):
    return ",".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


def test_off_tanet_reading_builds_with_its_count_and_no_conv_activation():
    """ECNU-Cross-Innovation-Lab/PRICAI2021-Off-TANet, models/off_apexnet.py: the same weights (2,664,475,
    the count that repository's README prints as 2.66M), no activation after the convolutions, dropout
    0.5 after each hidden FC."""
    from common.training import trainable_parameters
    from papers.gan2019.model import build_model

    model = build_model(config=_reading("off_tanet"), num_classes=3)
    assert trainable_parameters(model) == 2 * (_conv(5, 1, 6) + _conv(5, 6, 16)) + _dense(1568, 1024) \
        + _dense(1024, 1024) + _dense(1024, 3) == 2_664_475
    assert model.get_layer("u_conv1").activation.__name__ == "linear"
    assert [(layer.name, layer.rate) for layer in model.layers if "dropout" in layer.name] == \
        [("dropout1", 0.5), ("dropout2", 0.5)]
    # no activation: the u stream up to its first pooling is linear in its input, before the max
    conv = model.get_layer("u_conv1")
    x = np.random.default_rng(1).standard_normal((1, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(conv(2 * x) - conv.bias, 2 * (conv(x) - conv.bias), rtol=1e-5, atol=1e-5)


def test_meb_reading_builds_one_stream_with_its_count():
    """tvaranka/meb, meb/models/me_networks.py (OffApexNet): one stream on both flow channels, 3x3
    convolutions with padding 1, 7x7x16 features, one FC 1024, dropout 0.5 before FC1 and before the
    output: 807,909 trainable parameters."""
    from common.training import trainable_parameters
    from papers.gan2019.model import build_model

    model = build_model(config=_reading("meb"), num_classes=3)
    expected = _conv(3, 2, 6) + _conv(3, 6, 16) + _dense(7 * 7 * 16, 1024) + _dense(1024, 3)
    assert trainable_parameters(model) == expected == 807_909
    assert tuple(model.get_layer("features").output.shape[1:]) == (784,)
    assert model.get_layer("conv1").kernel.shape == (3, 3, 2, 6)  # both flow channels in one stream
    assert [layer.name for layer in model.layers if "dropout" in layer.name] == ["feature_dropout", "dropout1"]
