"""HTNet (papers/wang2024) held against the official network: ``tests/fixtures/wang2024_official.npz``, made by
``benchmarks/make_wang2024_fixture.py`` from the authors' ``Model.py`` in PyTorch (no PyTorch here). Our Keras
network, given the official random initial weights, gives the official logits within 1e-5; the parameter
counts are the official ones, at the paper's size too. Then the four-area input and the training order
against values worked out by hand."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "wang2024_official.npz"


def _fixture() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as arrays:
        return {key: arrays[key] for key in arrays.files}


def _config(arrays, name) -> dict:
    return json.loads(bytes(arrays[f"{name}/config"]).decode())


def _reduced(arrays, name):
    from papers.wang2024.model import build_htnet

    c = _config(arrays, name)
    return build_htnet(image_size=c["image_size"], patch_size=c["patch_size"], dim=c["dim"], heads=c["heads"],
                       levels=c["num_hierarchies"], block_repeats=c["block_repeats"], num_classes=c["num_classes"])


def _state(arrays, name) -> dict[str, np.ndarray]:
    prefix = f"{name}/param/"
    return {key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)}


@pytest.mark.parametrize("name", ["nested", "attention"])
def test_the_reduced_networks_give_the_official_logits(name):
    import keras

    from common.training import trainable_parameters
    from papers.wang2024.model import load_official_weights

    arrays = _fixture()
    model = _reduced(arrays, name)
    assert trainable_parameters(model) == int(arrays[f"{name}/parameter_count"])
    load_official_weights(model, _state(arrays, name))
    x = arrays[f"{name}/input"].astype(np.float32).transpose(0, 2, 3, 1)  # channels first -> last
    logits = np.asarray(keras.Model(model.input, model.get_layer("logits").output)(x))
    np.testing.assert_allclose(logits, arrays[f"{name}/logits"], rtol=0, atol=1e-5)
    # the softmax output is the official logits' softmax
    expected = np.exp(arrays[f"{name}/logits"] - arrays[f"{name}/logits"].max(1, keepdims=True))
    np.testing.assert_allclose(np.asarray(model(x)), expected / expected.sum(1, keepdims=True), rtol=0, atol=1e-5)


def test_the_paper_network_has_the_official_count_and_every_official_tensor():
    from common.harness import build_paper_model
    from common.training import trainable_parameters
    from papers.wang2024 import PAPER
    from papers.wang2024.model import official_names

    arrays = _fixture()
    model = build_paper_model(PAPER, "htnet")
    assert trainable_parameters(model) == int(arrays["full/parameter_count"]) == 139_582_982
    shapes = json.loads(bytes(arrays["full/shapes"]).decode())
    ours = {official: key for key, (official, _) in official_names(model).items()}
    assert sorted(ours) == sorted(shapes)
    sizes = {f"{layer.name}/{w.path.split('/')[-1]}": int(np.prod(w.shape))
             for layer in model.layers for w in layer.weights}
    assert {official: sizes[key] for official, key in ours.items()} == {k: int(np.prod(v)) for k, v in shapes.items()}


def test_a_missing_official_tensor_is_one_error_naming_it():
    from papers.wang2024.model import load_official_weights

    arrays = _fixture()
    state = _state(arrays, "nested")
    del state["mlp_head.2.bias"]
    with pytest.raises(ValueError, match=r"^mlp_head\.2\.bias: not in the official state dict$"):
        load_official_weights(_reduced(arrays, "nested"), state)


def test_the_max_pooling_pads_on_every_side_as_pytorch_does():
    from papers.wang2024.model import TorchMaxPool

    x = -np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1) - 1  # all negative: zero padding would show
    # PyTorch's windows (kernel 3, stride 2, padding 1) cover rows/columns {0, 1} and {1, 2, 3}
    expected = np.array([[max(-(4 * r + c) - 1 for r in rows for c in cols) for cols in ((0, 1), (1, 2, 3))]
                         for rows in ((0, 1), (1, 2, 3))], dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(TorchMaxPool(3, 2, 1)(x))[0, ..., 0], expected)


def test_the_four_areas_are_cut_where_the_code_cuts_them():
    from papers.wang2024.preprocessing import four_areas

    image = (100 * np.arange(28)[:, None] + np.arange(28)[None, :]).astype(np.float32)[..., None]  # row*100 + col
    # MTCNN's order: left eye, right eye, nose, left and right mouth corner (x, y); the last is clipped to 21
    points = np.array([[9.6, 11.2], [21.4, 10.9], [15.0, 17.0], [10.3, 22.1], [25.0, 3.0]])
    code = four_areas(image, points, "transposed")[..., 0]
    # transposed: rows from x - 7, columns from y - 7 (x, y truncated after clipping into [7, 21])
    assert [code[0, 0], code[0, 14], code[14, 0], code[14, 14]] == [2 * 100 + 4, 14 * 100 + 3, 3 * 100 + 14,
                                                                   14 * 100 + 0]
    text = four_areas(image, points, "landmarks")[..., 0]
    assert [text[0, 0], text[0, 14], text[14, 0], text[14, 14]] == [4 * 100 + 2, 3 * 100 + 14, 14 * 100 + 3,
                                                                   0 * 100 + 14]
    assert code.shape == (28, 28) and code[13, 13] == code[0, 0] + 13 * 101  # each area is a contiguous 14x14 cut
    with pytest.raises(ValueError, match=r"^data\.size=30: "):
        four_areas(np.zeros((30, 30, 3)), points)


def test_the_training_clips_are_read_class_by_class():
    from papers.wang2024.protocol import training_order

    labels = np.array([2, 0, 1, 0, 2, 1])
    assert training_order(labels, "by_class").tolist() == [1, 3, 2, 5, 0, 4]
    assert training_order(labels, "as_selected").tolist() == [0, 1, 2, 3, 4, 5]


def test_the_five_points_of_68_landmarks():
    from papers.wang2024.preprocessing import five_points

    points = np.zeros((68, 2))
    points[36:42] = [[0, 0], [2, 0], [4, 0], [0, 2], [2, 2], [4, 2]]  # centre (2, 1)
    points[42:48] = 10
    points[30], points[48], points[54] = (5, 6), (7, 8), (9, 10)
    assert five_points(points).tolist() == [[2, 1], [10, 10], [5, 6], [7, 8], [9, 10]]


def test_the_fold_model_is_compiled_once_and_starts_each_fold_as_a_fresh_build():
    """The fold's HTNet is kept across folds (common.training.compiled_like): traced once, and each fold starts
    from the weights and optimiser state a fresh build after the runner's seeding has."""
    from common.config import apply_overrides
    from common.training import forget_compiled
    from helpers import check_kept_fold_model
    from papers.wang2024 import protocol
    from papers.wang2024.config import PROFILES, HTNetConfig
    from papers.wang2024.model import build_model

    config = apply_overrides(HTNetConfig(), PROFILES["smoke"])
    model = check_kept_fold_model(lambda: protocol.fold_model(config, 3),
                                  lambda: build_model(config=config, num_classes=3))
    assert protocol.fold_model(config, 2) is not model  # another graph, another model
    forget_compiled()
