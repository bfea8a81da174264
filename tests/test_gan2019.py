"""OFF-ApexNet (Gan et al. 2019): the two-stream network and its count; the shared flow images' scaling."""
from __future__ import annotations

import numpy as np


def test_two_independent_streams_and_the_layer_lists_parameter_count():
    from common.training import trainable_parameters
    from papers.gan2019 import PAPER
    from papers.gan2019.model import models

    model = models()["off_apexnet"]
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
    from papers.gan2019.preprocessing import preprocess_clip

    ramp = np.tile(np.linspace(-2.0, 6.0, 128, dtype=np.float32), (128, 1))  # u: -2 .. 6 px, left to right
    flow = np.stack([ramp, np.full((128, 128), 3.0, np.float32), ramp.T ** 2], axis=-1)  # v constant
    monkeypatch.setattr(motion_stages, "flow_features", lambda sample, size, method="tvl1", cache_root=None: flow)
    images = motion_stages.flow_images(object(), 128, 28)
    assert images.shape == (28, 28, 3) and images.dtype == np.float32
    assert images[..., 0].min() < 0.02 and images[..., 0].max() > 0.98  # min-max over the image
    assert np.all(np.diff(images[0, :, 0]) > 0)  # the ramp keeps its order after the area resize
    assert np.all(images[..., 1] == 0)  # a constant component (no motion) is zeros, not a division by 0
    x = preprocess_clip(object(), default_config())
    np.testing.assert_array_equal(x, images[..., :2])  # OFF-ApexNet takes u and v
