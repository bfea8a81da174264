"""Bi-WOOF (papers/liong2018): the authors' normalisation and the SVM's parameter count (the shared SVM fold
runs end to end in tests/test_see2019.py; the flow stage has its own tests)."""
from __future__ import annotations

import dataclasses

import numpy as np


def test_biwoof_normalises_as_the_authors_code():
    """Per block a distribution times the block's strain sum, the vector of unit length (the authors' biwoof.m)."""
    from papers.liong2018.config import default_config
    from papers.liong2018.preprocessing import biwoof

    rng = np.random.default_rng(0)
    flow = rng.normal(size=(50, 50, 2)).astype(np.float32)
    strain = np.zeros((50, 50), np.float32)
    strain[:10, :10] = 1.0  # block (0, 0) strains, block (0, 1) twice as much, the others not at all
    strain[:10, 10:20] = 2.0
    config = default_config()
    vector = biwoof(np.dstack([flow, strain]), config)
    assert vector.shape == (200,) and np.isclose(np.linalg.norm(vector), 1.0)
    blocks = vector.reshape(25, 8)
    assert np.isclose(blocks[1].sum(), 2 * blocks[0].sum())  # each block's weight: its strain sum
    assert np.all(blocks[2:] == 0)
    raw = biwoof(np.dstack([flow, strain]), dataclasses.replace(
        config, features=dataclasses.replace(config.features, normalisation="none")))
    assert np.allclose(blocks[0] / blocks[0].sum(), raw[:8] / raw[:8].sum(), atol=1e-6)  # the same votes


def test_the_biwoof_svm_has_the_weights_of_a_200_long_vector():
    from common.training import trainable_parameters
    from papers.liong2018 import PAPER

    (model,) = PAPER.models().values()
    assert model.input_shape == (None, 200) and model.output_shape == (None, 3)
    assert trainable_parameters(model) == 3 * 200 + 3 == PAPER.parameter_counts["biwoof_svm"][0]

