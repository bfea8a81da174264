"""STSTNet (Liong et al., FG 2019): the network against Table I, and the flow images of one synthetic clip."""
from __future__ import annotations

import numpy as np


def test_the_network_is_table_1_with_its_derived_parameter_count():
    from common.training import trainable_parameters
    from papers.liong2019 import PAPER
    from papers.liong2019.model import models

    model = models()["ststnet"]
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    for row in PAPER.architecture_tables["ststnet"]:  # Table I's output sizes, layer by layer
        assert shapes[row["name"]] == tuple(row["output_shape"]), row
    counts = {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}
    # 3x3 kernels over 3 channels: 27 weights + 1 bias per kernel; FC 400 x 3 + 3
    assert counts == {"c1_1": 84, "c1_2": 140, "c1_3": 224, "output": 1203}
    assert trainable_parameters(model) == 1651 == PAPER.parameter_counts["ststnet"][0]
    assert not any("batch_normalization" in type(layer).__name__.lower() for layer in model.layers)


def test_the_input_is_u_v_and_strain_of_the_onset_apex_flow_in_0_1(smoke_corpus, tmp_path):
    from common.datasets import load
    from common.preprocessing.motion_stages import flow_features
    from papers.liong2019.config import default_config
    from papers.liong2019.preprocessing import preprocess_clip

    sample = next(s for s in load("megc2019", smoke_corpus) if s.apex is not None)
    config = default_config()
    x = preprocess_clip(sample, config)
    assert x.shape == (28, 28, 3) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    flow = flow_features(sample, config.data.face_size)  # the same cached stage, before normalising and resizing
    assert flow.shape == (128, 128, 3) and np.ptp(flow[..., 2]) > 0  # the synthetic expression moves: strain varies
    assert np.ptp(x[..., 2]) > 0.1  # ... and survives the resize
