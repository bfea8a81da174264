"""Bi-WOOF (papers/liong2018): the authors' normalisation and the SVM's parameter count (the shared SVM fold
runs end to end in tests/test_see2019.py; the flow stage has its own tests)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest


def _config(**features):
    from papers.liong2018.config import default_config

    config = default_config()
    return dataclasses.replace(config, features=dataclasses.replace(config.features, **features))


def test_biwoof_normalises_as_the_authors_code():
    """Per block a distribution times the block's strain sum, the vector of unit length (the authors' biwoof.m).
    On partition blocks (10 x 10 pixels on 50), so that the strained pixels below lie in two blocks only."""
    from papers.liong2018.preprocessing import biwoof

    rng = np.random.default_rng(0)
    flow = rng.normal(size=(50, 50, 2)).astype(np.float32)
    strain = np.zeros((50, 50), np.float32)
    strain[:10, :10] = 1.0  # block (0, 0) strains, block (0, 1) twice as much, the others not at all
    strain[:10, 10:20] = 2.0
    config = _config(blocks="partition")
    vector = biwoof(np.dstack([flow, strain]), config)
    assert vector.shape == (200,) and np.isclose(np.linalg.norm(vector), 1.0)
    blocks = vector.reshape(25, 8)
    assert np.isclose(blocks[1].sum(), 2 * blocks[0].sum())  # each block's weight: its strain sum
    assert np.all(blocks[2:] == 0)
    raw = biwoof(np.dstack([flow, strain]), _config(blocks="partition", normalisation="none"))
    assert np.allclose(blocks[0] / blocks[0].sum(), raw[:8] / raw[:8].sum(), atol=1e-6)  # the same votes


def test_the_paper_profile_takes_the_authors_blocks_and_bins():
    from papers.liong2018.config import default_config
    from papers.liong2018.preprocessing import feature_length

    f = default_config().features
    assert (f.blocks, f.binning, f.grid, f.bins, f.normalisation) == ("authors", "authors_histc", (5, 5), 8,
                                                                      "authors_code")
    assert feature_length(default_config()) == 200


@pytest.mark.parametrize("blocks, binning, expected", [
    # authors' blocks: columns 0-5 and 4-9 (biwoof.m, h = 10 // 2 = 5: 1..6 and 5..10 1-based); strain sums
    # 10 x (5 x 1 + 2) = 70 and 10 x (1 + 5 x 2) = 110. Votes: left 40 rightward (bin 4), 30 downward (bin 6),
    # the 170-degree column left out by histc; right 40 upward (bin 2), 30 downward.
    ("authors", "authors_histc", {(0, 4): 70 * 4 / 7, (0, 6): 70 * 3 / 7, (1, 2): 110 * 4 / 7, (1, 6): 110 * 3 / 7}),
    # partition: columns 0-4 and 5-9, strain sums 50 and 100; the circle counts 170 degrees in bin 7 (weight 20).
    ("partition", "circle", {(0, 4): 50 * 2 / 3, (0, 7): 50 * 1 / 3, (1, 2): 100 * 4 / 7, (1, 6): 100 * 3 / 7}),
])
def test_biwoof_of_a_flow_worked_out_by_hand(blocks, binning, expected):
    from papers.liong2018.preprocessing import biwoof

    flow = np.zeros((10, 10, 2), np.float32)  # by columns: 0-3 rightward |w| 1, 4 at 170 degrees |w| 2,
    flow[:, :4] = (1, 0)  # 5 downward |w| 3, 6-9 upward |w| 1
    flow[:, 4] = (2 * np.cos(np.deg2rad(170)), 2 * np.sin(np.deg2rad(170)))
    flow[:, 5] = (0, 3)
    flow[:, 6:] = (0, -1)
    strain = np.ones((10, 10), np.float32)
    strain[:, 5:] = 2.0
    vector = biwoof(np.dstack([flow, strain]), _config(grid=(1, 2), blocks=blocks, binning=binning))
    want = np.zeros((2, 8))
    for (block, b), value in expected.items():
        want[block, b] = value
    np.testing.assert_allclose(vector.reshape(2, 8), want / np.linalg.norm(want), rtol=1e-6)


def test_the_biwoof_svm_has_the_weights_of_a_200_long_vector():
    from common.harness import build_paper_model
    from common.training import trainable_parameters
    from papers.liong2018 import PAPER

    model = build_paper_model(PAPER, "biwoof_svm")
    assert model.input_shape == (None, 200) and model.output_shape == (None, 3)
    assert trainable_parameters(model) == 3 * 200 + 3 == PAPER.parameter_counts["biwoof_svm"][0]

