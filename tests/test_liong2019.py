"""STSTNet (Liong et al., FG 2019): the network against the authors' STSTNet.mat / main.m and against Table I
(the text reading), its forward pass against an independent NumPy computation, the 8-bit input of one
synthetic clip, and the export of a fold (the centring and the batch-normalisation statistics travel)."""
from __future__ import annotations

import json

import numpy as np
import pytest

# The authors' STSTNet.mat (the MATLAB layer graph main.m loads and trains), read layer by layer and written
# here as (our layer, its STSTNet.mat name, output shape, trainable parameters, the layer it reads).
# Trainable counts by hand: a 3x3 kernel over 3 channels has 27 weights + 1 bias; a batch normalisation
# a scale and an offset per channel; the FC 400 x 3 + 3.
AUTHORS = [
    ("zerocenter", "imageinput (zerocenter)", (28, 28, 3), 0, "flow_u_v_strain"),
    ("c1_1", "conv_1 3x3x3, same", (28, 28, 3), 3 * 28, "zerocenter"),
    ("c1_2", "conv_2_1 3x3x5, same", (28, 28, 5), 5 * 28, "zerocenter"),
    ("c1_3", "conv_2_2 3x3x8, same", (28, 28, 8), 8 * 28, "zerocenter"),
    ("bn1_1", "relu_1 -> batchnorm_1", (28, 28, 3), 2 * 3, "c1_1"),
    ("bn1_2", "relu_2_1 -> batchnorm_2_1", (28, 28, 5), 2 * 5, "c1_2"),
    ("bn1_3", "relu_2_2 -> batchnorm_2_2", (28, 28, 8), 2 * 8, "c1_3"),
    ("p1_1", "maxpool_6 3x3 /3 same", (10, 10, 3), 0, "bn1_1"),
    ("p1_2", "maxpool_7 3x3 /3 same", (10, 10, 5), 0, "bn1_2"),
    ("p1_3", "maxpool_5 3x3 /3 same", (10, 10, 8), 0, "bn1_3"),
    ("dropout1_1", "dropout_1 0.5", (10, 10, 3), 0, "p1_1"),
    ("dropout1_2", "dropout_2_1 0.5", (10, 10, 5), 0, "p1_2"),
    ("dropout1_3", "dropout_2_2 0.5", (10, 10, 8), 0, "p1_3"),
    ("p2", "avgpool 2x2 /2, padding 0", (5, 5, 16), 0, "concatenate"),
    ("output", "fc_2 (3) -> softmax", (3,), 400 * 3 + 3, "fc_input"),
]
# The ledger's --set line for the text reading (README ledger 1, 6, 10)
TEXT_READING_SET = "model.batch_norm=false model.dropout=0 model.zero_center=false data.levels=unit"


def _inputs_of(model) -> dict[str, list[str]]:
    """{layer: the layers it reads}, from the model's saved config (inbound nodes)."""
    def names(node) -> list[str]:
        if isinstance(node, dict):
            if node.get("class_name") == "__keras_tensor__":
                return [node["config"]["keras_history"][0]]
            return [n for value in node.values() for n in names(value)]
        if isinstance(node, (list, tuple)):
            return [n for value in node for n in names(value)]
        return []

    return {layer["name"]: names(layer.get("inbound_nodes", [])) for layer in model.get_config()["layers"]}


def _three_layers(config=None):
    """The configured STSTNet as STSTNet.mat's layer graph (model.streams "three_layers")."""
    from common.config import apply_overrides
    from papers.liong2019.config import default_config
    from papers.liong2019.model import build_model

    config = apply_overrides(config or default_config(), {"model.streams": "three_layers"})
    return build_model(config=config, num_classes=3)


def test_the_paper_profile_is_the_network_the_authors_trained_layer_by_layer():
    from common.training import trainable_parameters
    from papers.liong2019 import PAPER
    from common.harness import build_paper_model

    model = _three_layers()
    inputs = _inputs_of(model)
    for name, _matlab, shape, trainable, reads in AUTHORS:
        layer = model.get_layer(name)
        assert tuple(layer.output.shape[1:]) == shape, name
        assert sum(int(np.prod(w.shape)) for w in layer.trainable_weights) == trainable, name
        assert inputs[name] == [reads], name
    assert inputs["concatenate"] == ["dropout1_1", "dropout1_2", "dropout1_3"]  # depthcat_1 then depthcat_2: 3, 5, 8
    for k in (1, 2, 3):
        assert model.get_layer(f"c1_{k}").get_config()["activation"] == "relu"  # relu before the batchnorm
        norm = model.get_layer(f"bn1_{k}")
        assert norm.epsilon == 1e-5  # STSTNet.mat Epsilon (Keras' default is 1e-3)
        # MATLAB's L2Regularization 1e-4 reaches the scale and offset (L2Factor 1): 1e-4 / 2 * ||w||^2
        assert norm.gamma_regularizer.get_config()["l2"] == norm.beta_regularizer.get_config()["l2"] == 5e-5
        assert model.get_layer(f"dropout1_{k}").rate == 0.5
    zero = model.get_layer("zerocenter")
    assert np.all(np.asarray(zero.mean) == 0) and np.all(np.asarray(zero.variance) == 1)  # no data yet
    assert trainable_parameters(model) == 448 + 32 + 1203 == 1683 == PAPER.parameter_counts["ststnet"][0]
    # The paper's model computes the three streams as one layer of each kind: the same layers in that order,
    # the same settings and counts, the streams' channels side by side (3, 5, 8).
    one = build_paper_model(PAPER, "ststnet")
    assert [layer.name for layer in one.layers] == ["flow_u_v_strain", "zerocenter", "c1", "bn1", "p1", "dropout1",
                                                    "p2", "fc_input", "output"]
    assert one.get_layer("c1").get_config()["activation"] == "relu"
    assert one.get_layer("bn1").epsilon == 1e-5 and one.get_layer("dropout1").rate == 0.5
    assert one.get_layer("bn1").gamma_regularizer.get_config()["l2"] == 5e-5
    assert trainable_parameters(one) == 1683
    by_layer = {layer.name: layer.count_params() for layer in model.layers}
    assert one.get_layer("c1").count_params() == sum(by_layer[f"c1_{k}"] for k in (1, 2, 3)) == 448


def test_one_layer_of_each_kind_is_the_three_streams_function():
    """model.streams "one_layer" with STSTNet.mat's three streams' weights side by side gives the same
    outputs, batch-normalisation statistics and gradients (dropout aside: a different mask draw). In float64,
    so that what differs is the round-off of sums taken in another order, and the tolerance can be tight."""
    import keras
    import tensorflow as tf

    from common.config import apply_overrides
    from papers.liong2019.config import PORT, default_config
    from papers.liong2019.model import build_model, set_population_statistics

    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, (12, 28, 28, 3)).astype(np.float64)
    y = np.eye(3)[rng.integers(0, 3, 12)]
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    try:
        for profile in ({}, PORT):
            config = apply_overrides(apply_overrides(default_config(), profile), {"model.dropout": 0.0})
            keras.utils.set_random_seed(1)
            three = _three_layers(config)
            one = build_model(config=config, num_classes=3)
            for layer in one.layers:
                if layer.name in ("c1", "bn1"):
                    parts = [three.get_layer(f"{layer.name}_{k}").get_weights() for k in (1, 2, 3)]
                    layer.set_weights([np.concatenate(w, axis=-1) for w in zip(*parts)])
                elif layer.weights:
                    layer.set_weights(three.get_layer(layer.name).get_weights())
            set_population_statistics(three, x)
            set_population_statistics(one, x)
            np.testing.assert_allclose(one.get_layer("bn1").moving_variance.numpy(),
                                       np.concatenate([three.get_layer(f"bn1_{k}").moving_variance.numpy()
                                                       for k in (1, 2, 3)]), rtol=1e-6)  # stored in float32
            np.testing.assert_allclose(one.predict(x, verbose=0), three.predict(x, verbose=0), rtol=1e-6)
            grads = []
            for model in (one, three):
                with tf.GradientTape() as tape:
                    loss = keras.losses.categorical_crossentropy(y, model(x, training=True))
                grads.append({v.path: g.numpy() for v, g in zip(model.trainable_variables,
                                                                tape.gradient(loss, model.trainable_variables))})
            kernel = np.concatenate([grads[1][f"c1_{k}/kernel"] for k in (1, 2, 3)], axis=-1)
            np.testing.assert_allclose(grads[0]["c1/kernel"], kernel, rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(grads[0]["output/kernel"], grads[1]["output/kernel"], rtol=1e-8, atol=1e-12)
    finally:
        keras.config.set_dtype_policy(policy)


def test_the_fused_batch_normalisation_gives_the_gradients_of_keras_ops():
    """model.batch_norm_kernel "fused" (the default) and "keras", each recipe's network with the same weights: the
    fused layer where it is asked for, and a training step's gradients as close to the float64 computation as
    Keras' own float32 ops are (both about 1e-4 of each gradient's scale: the round-off of sums over 28,800
    activations of the raw 0..255 input; a fault in the fused path, such as the variance's n / (n - 1), is larger
    than that in the moving variance, tests/test_batch_norm.py)."""
    import keras
    import tensorflow as tf

    from common.batch_norm import FusedBatchNormalization
    from common.config import apply_overrides
    from papers.liong2019.config import PORT, default_config
    from papers.liong2019.model import build_model

    rng = np.random.default_rng(6)
    x = rng.integers(0, 256, (32, 28, 28, 3)).astype(np.float64)
    y = np.eye(3)[rng.integers(0, 3, 32)]

    def gradients(config, kernel: str, dtype: str, weights=None):
        keras.config.set_dtype_policy(dtype)
        keras.utils.set_random_seed(2)
        model = build_model(config=apply_overrides(config, {"model.batch_norm_kernel": kernel}), num_classes=3)
        if weights is not None:
            model.set_weights([w.astype(dtype) for w in weights])
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.categorical_crossentropy(y.astype(dtype), model(x.astype(dtype),
                                                                                                training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        return model, {v.path: g.numpy().astype(np.float64) for v, g in zip(model.trainable_variables, grads)}

    policy = keras.config.dtype_policy()
    try:
        for profile in ({}, PORT):
            config = apply_overrides(default_config(), {**profile, "model.dropout": 0.0})
            fused, got = gradients(config, "fused", "float32")
            ops, theirs = gradients(config, "keras", "float32", fused.get_weights())
            _, exact = gradients(config, "keras", "float64", fused.get_weights())
            assert isinstance(fused.get_layer("bn1"), FusedBatchNormalization)
            assert type(ops.get_layer("bn1")) is keras.layers.BatchNormalization
            for path, want in exact.items():
                scale = np.abs(want).max()
                assert np.abs(theirs[path] - want).max() < 3e-4 * scale, path  # Keras' own float32 round-off
                assert np.abs(got[path] - want).max() < 3e-4 * scale, path
    finally:
        keras.config.set_dtype_policy(policy)


def test_the_text_reading_is_table_1_alone():
    from common.config import apply_overrides, parse_assignments
    from common.training import trainable_parameters
    from papers.liong2019.config import TEXT_READING, default_config
    from papers.liong2019.model import build_model

    config = apply_overrides(default_config(), TEXT_READING)
    assert config == apply_overrides(default_config(), parse_assignments(TEXT_READING_SET.split()))
    assert config.data.levels == "unit"
    model = build_model(config=config, num_classes=3)
    counts = {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}
    assert counts == {"c1": 84 + 140 + 224, "output": 1203}  # Table I's layers only (C1-1..3 side by side)
    assert trainable_parameters(model) == 1651
    names = {layer.name for layer in model.layers}
    assert not names & {"zerocenter", "bn1", "dropout1"}
    counts = {layer.name: layer.count_params() for layer in _three_layers(config).layers if layer.count_params()}
    assert counts == {"c1_1": 84, "c1_2": 140, "c1_3": 224, "output": 1203}


# --- an independent forward pass (NumPy, loops): MATLAB's layers as its documentation states them -----------
def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """MATLAB 'same': output ceil(size / stride); the padding split equally, the odd one at the bottom/right."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _conv_relu(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, H, W, F): 3x3 'same' correlation, then ReLU."""
    n, h, w, _ = x.shape
    top, _ = _same_pads(h, kernel.shape[0], 1)
    left, _ = _same_pads(w, kernel.shape[1], 1)
    padded = np.pad(x, ((0, 0), (top, kernel.shape[0] - 1 - top), (left, kernel.shape[1] - 1 - left), (0, 0)))
    out = np.zeros((n, h, w, kernel.shape[3]))
    for i in range(h):
        for j in range(w):
            patch = padded[:, i:i + kernel.shape[0], j:j + kernel.shape[1], :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    return np.maximum(out, 0.0)


def _max_pool(x: np.ndarray, size: int) -> np.ndarray:
    """size x size, stride size, MATLAB 'same' padding (padded cells never win)."""
    n, h, w, c = x.shape
    (top, bottom), (left, right) = _same_pads(h, size, size), _same_pads(w, size, size)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=-np.inf)
    out = np.zeros((n, padded.shape[1] // size, padded.shape[2] // size, c))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j, :] = padded[:, i * size:(i + 1) * size, j * size:(j + 1) * size, :].max(axis=(1, 2))
    return out


@pytest.mark.parametrize("streams", ["one_layer", "three_layers"])
def test_forward_pass_is_the_centred_conv_relu_bn_pool_of_numpy_with_population_statistics(streams):
    import keras

    from papers.liong2019.model import build_ststnet, set_population_statistics, training_mean_image

    rng = np.random.default_rng(3)
    size, filters = 8, (1, 2, 1)  # 8 -> pool 3/3 'same' -> 3 (pads 0 top, 1 bottom) -> average 2/2 -> 1
    x_train = rng.integers(0, 256, (6, size, size, 3)).astype(np.float32)
    x_test = rng.integers(0, 256, (2, size, size, 3)).astype(np.float32)
    mean = training_mean_image(x_train)
    np.testing.assert_allclose(mean, x_train.astype(np.float64).sum(axis=0) / 6, rtol=1e-6)
    model = build_ststnet(input_shape=(size, size, 3), num_classes=3, filters=filters, mean_image=mean,
                          streams=streams)
    # every layer after the convolution works channel by channel: one stream of all channels is the same
    suffixes = [""] if streams == "one_layer" else [f"_{k}" for k in range(1, len(filters) + 1)]
    weights = {}
    for layer in model.layers:
        if layer.weights and layer.name != "zerocenter":
            drawn = [rng.normal(0, 0.5, tuple(w.shape)).astype(np.float32) for w in layer.weights]
            if isinstance(layer, keras.layers.BatchNormalization):  # gamma, beta, moving mean, moving variance
                drawn = [1 + drawn[0], drawn[1], drawn[2], 1 + np.abs(drawn[3])]
            layer.set_weights(drawn)
            weights[layer.name] = drawn
    set_population_statistics(model, x_train, batch_size=4)

    def forward(x: np.ndarray) -> tuple[np.ndarray, list]:
        pooled, statistics = [], []
        train_centred = x_train.astype(np.float64) - mean
        for k in suffixes:
            kernel, bias = weights[f"c1{k}"][:2]
            seen = _conv_relu(train_centred, kernel, bias)  # the batchnorm's input over the training clips
            mu, var = seen.mean(axis=(0, 1, 2)), seen.var(axis=(0, 1, 2))
            statistics.append((mu, var))
            gamma, beta = weights[f"bn1{k}"][:2]
            a = (_conv_relu(x - mean, kernel, bias) - mu) / np.sqrt(var + 1e-5) * gamma + beta
            pooled.append(_max_pool(a, 3))  # dropout is off at inference
        joined = np.concatenate(pooled, axis=-1)  # (N, 3, 3, 4)
        pooled = joined[:, :2, :2, :].mean(axis=(1, 2))  # 2x2 /2, no padding: the top-left window only
        logits = pooled @ weights["output"][0] + weights["output"][1]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True), statistics

    expected, statistics = forward(x_test.astype(np.float64))
    for k, (mu, var) in zip(suffixes, statistics):  # MATLAB's TrainedMean / TrainedVariance
        np.testing.assert_allclose(model.get_layer(f"bn1{k}").moving_mean.numpy(), mu, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(model.get_layer(f"bn1{k}").moving_variance.numpy(), var, rtol=1e-4)
    np.testing.assert_allclose(model.predict(x_test, verbose=0), expected, atol=1e-5)
    # The per-epoch gauge calls this every epoch: one probe a model, which sees the weights as they are now.
    from papers.liong2019.model import _PROBES

    probe = _PROBES[model]
    conv = model.get_layer(f"c1{suffixes[0]}")
    conv.set_weights([conv.get_weights()[0], conv.get_weights()[1] + 100.0])  # the ReLU passes all: mean + 100
    set_population_statistics(model, x_train, batch_size=4)
    assert _PROBES[model] is probe
    np.testing.assert_allclose(model.get_layer(f"bn1{suffixes[0]}").moving_mean.numpy(),
                               _conv_relu(x_train.astype(np.float64) - mean, *conv.get_weights()).mean(axis=(0, 1, 2)),
                               rtol=1e-4)


def test_the_input_is_u_v_and_strain_of_the_onset_apex_flow_as_8_bit_levels(smoke_corpus):
    from common.config import apply_overrides
    from common.datasets import load
    from common.preprocessing.motion_stages import flow_features
    from papers.liong2019.config import TEXT_READING, default_config
    from papers.liong2019.preprocessing import preprocess_clip

    sample = next(s for s in load("megc2019", smoke_corpus) if s.apex is not None)
    config = default_config()
    unit = preprocess_clip(sample, apply_overrides(config, TEXT_READING))  # the text reading: [0, 1] floats
    assert unit.shape == (28, 28, 3) and unit.dtype == np.float32
    assert 0.0 <= unit.min() and unit.max() <= 1.0
    x = preprocess_clip(sample, config)  # the authors' 8-bit image files: the integers 0..255
    assert x.shape == (28, 28, 3) and x.dtype == np.float32
    assert np.array_equal(x, np.round(x)) and 0 <= x.min() and x.max() <= 255 and x.max() > 200
    assert np.max(np.abs(x - 255.0 * unit)) <= 0.5 + 1e-4  # the nearest of the 256 levels
    flow = flow_features(sample, config.data.face_size)  # the same cached stage, before normalising and resizing
    assert flow.shape == (128, 128, 3) and np.ptp(flow[..., 2]) > 0  # the synthetic expression moves: strain varies
    assert np.ptp(x[..., 2]) > 25  # ... and survives the resize


def _precision_by_hand(matrix) -> float:
    """Mean over predicted classes of correct / predicted (macro-precision), written out."""
    m = np.asarray(matrix, dtype=float)
    return float(np.mean([m[c, c] / m[:, c].sum() for c in range(len(m))]))


def test_the_authors_predictions_give_the_published_uf1_and_the_published_uar_as_precision():
    """Table III against the authors' 442 logged predictions: UF1 and accuracy reproduced; the published
    UAR is the macro-precision (the transposed matrix's recall); the recall is the recomputed UAR."""
    from sklearn.metrics import precision_score

    from common.evaluation.metrics import scores_from_confusion
    from papers.liong2019.reported import LOG_CONFUSION, RECOMPUTED_UAR, STSTNET, TABLE2_COUNTS

    matrices = {scope: np.asarray(m) for scope, m in LOG_CONFUSION.items()}
    assert (matrices["all"] == matrices["casme2"] + matrices["smic"] + matrices["samm"]).all()
    assert int(matrices["all"].sum()) == 442
    for db, counts in TABLE2_COUNTS.items():  # rows are the truth: Table II's clips per class
        assert matrices[db].sum(axis=1).tolist() == [counts["negative"], counts["positive"], counts["surprise"]]
    for scope, matrix in matrices.items():
        published_uf1, published_uar = STSTNET[scope]
        scores = scores_from_confusion(matrix)
        assert round(scores["uf1"], 4) == published_uf1, scope
        assert round(scores["uar"], 4) == RECOMPUTED_UAR[scope] != published_uar, scope
        assert published_uar - scores["uar"] > 0.02, scope  # not a rounding matter
        swapped = scores_from_confusion(matrix.T)["uar"]  # truth and prediction swapped
        assert round(swapped, 4) == round(_precision_by_hand(matrix), 4) == published_uar, scope
        y_true = np.repeat(np.repeat(np.arange(3), 3), matrix.ravel())
        y_pred = np.repeat(np.tile(np.arange(3), 3), matrix.ravel())
        assert round(precision_score(y_true, y_pred, average="macro"), 4) == published_uar, scope
    full = scores_from_confusion(matrices["all"])
    assert round(full["accuracy"], 4) == STSTNET["acc"] == round(340 / 442, 4)
    # Table III's "F1" on Full: the harmonic mean of that precision and the recall
    p, r = _precision_by_hand(matrices["all"]), full["uar"]
    assert round(2 * p * r / (p + r), 4) == STSTNET["f1"]


def test_table_4a_is_the_logged_full_matrix_row_normalised_and_its_diagonal_the_recall():
    from papers.liong2019.reported import LOG_CONFUSION, RECOMPUTED_UAR, TABLE4_FULL

    m = np.asarray(LOG_CONFUSION["all"], dtype=float)
    percent = 100 * m / m.sum(axis=1, keepdims=True)
    table = np.asarray([TABLE4_FULL[c] for c in ("negative", "positive", "surprise")])
    assert np.abs(percent - table).max() < 0.005  # every cell to the table's two decimals
    assert round(float(np.mean(np.diag(table))), 2) == 71.85
    assert abs(np.mean(np.diag(table)) / 100 - RECOMPUTED_UAR["all"]) < 1e-4


def test_reported_keeps_the_published_uar_and_the_comparison_takes_the_recall():
    from common.evaluation.comparison import comparison_rows
    from papers.liong2019.reported import RECOMPUTED_UAR, REPORTED, STSTNET

    uar = {r.scope: r for r in REPORTED if r.metric == "uar"}
    assert {s: r.value for s, r in uar.items()} == {s: STSTNET[s][1] for s in uar}  # as published
    assert {s: r.recomputed for s, r in uar.items()} == RECOMPUTED_UAR
    assert all("macro-precision" in r.recomputed_note and "STSTNet_logfile.txt" in r.recomputed_note
               for r in uar.values())
    assert all(r.recomputed is None for r in REPORTED if r.metric != "uar")  # UF1 and accuracy stand
    aggregated = {"pooled": {r.scope: {"uf1": 0.7, "uar": 0.7, "accuracy": 0.7} for r in REPORTED}}
    rows = comparison_rows(REPORTED, aggregated, [])
    for reported, row in zip(REPORTED, rows):
        assert row["reported"] == reported.value
        if reported.metric == "uar":
            assert row["compared_with"] == "recomputed" and row["recomputed"] == RECOMPUTED_UAR[reported.scope]
            assert abs(row["difference"] - (0.7 - RECOMPUTED_UAR[reported.scope])) < 1e-12
        else:
            assert row["compared_with"] == "published" and row["recomputed"] is None
            assert abs(row["difference"] - (0.7 - reported.value)) < 1e-12


def test_the_report_page_marks_the_published_uar_and_shows_the_recall_row():
    from papers.liong2019.pages import RECOMPUTED_ROW, audit_lines, table3_rows

    summary = {"metrics": {"pooled": {"all": {"uf1": 0.5, "uar": 0.4}}}}
    rows = {row[0]: row[1:] for row in table3_rows(summary)}
    # columns: Full UF1, Full UAR, SMIC UF1, SMIC UAR, CASME II UF1, CASME II UAR, SAMM UF1, SAMM UAR
    assert rows["STSTNet"] == ["0.7353", "0.7605*", "0.6801", "0.7013*", "0.8382", "0.8686*", "0.6588", "0.6810*"]
    assert rows[RECOMPUTED_ROW] == ["0.7353", "0.7186", "0.6801", "0.6703", "0.8382", "0.8190", "0.6588", "0.6415"]
    assert rows["OFF-ApexNet"][1] == "0.7096"  # other methods' rows as printed, unmarked
    assert table3_rows(summary)[-1][:3] == ["ours (STSTNet, this run)", "0.5000", "0.4000"]
    text = " ".join(audit_lines())
    assert "macro-precision" in text and "Full 0.7186" in text and "71.85 %" in text and "recomputed" in text


def test_a_run_of_the_authors_weights_is_their_row_compared_with_their_ports_numbers():
    """--weights: the last row of Table III's page is the authors' released weights (their PyTorch port), not
    ours, compared with the port's stated 0.7209 / 0.7250, never with Table III; a partial run says so."""
    from papers.liong2019 import EXPERIMENTS
    from papers.liong2019.pages import port_line, table3_rows
    from papers.liong2019.reported import PORT_REPORTED

    weights = {"folder": "/x/STSTNet_Weights", "log": {"file": "/x/STSTNet_python_logfile.txt", "folds": 68,
                                                       "folds_total": 68, "clips": 442, "agree": 442}}
    summary = {"metrics": {"pooled": {"all": {"uf1": 0.7209, "uar": 0.725}}}, "released_weights": weights}
    assert table3_rows(summary)[-1][:3] == ["the authors' released weights (PyTorch port), evaluated here", "0.7209",
                                           "0.7250"]
    assert "442 of 442 clips predicted as in the authors' log" in port_line(weights)
    assert "0.7209 / 0.7250" in port_line(weights)
    assert [(r.metric, r.value) for r in EXPERIMENTS[0].weights_reported] == [("uf1", 0.7209), ("uar", 0.725)]
    assert EXPERIMENTS[0].weights_reported == PORT_REPORTED
    partial = {"metrics": summary["metrics"], "folds": [{}] * 4, "folds_protocol": 68}
    assert table3_rows(partial)[-1][0] == ("ours (STSTNet, this run); partial run: 4 of 68 folds, not comparable "
                                           "with published rows")


def test_the_ports_log_is_read_as_hostile_text_and_compared_clip_by_clip(tmp_path):
    """The port's log names no clip: within a subject its clips are in the order of the classes it lists, each
    class's by name. Agreement is counted in that order; a missing, oversized or unlike log is a note."""
    from papers.liong2019 import port_log

    weights = tmp_path / "STSTNet_Weights"
    weights.mkdir()
    log = tmp_path / port_log.LOG_NAME
    assert port_log.fold_agreement(weights, "s1", ["a"], [0], [0])["note"].startswith("no per-clip log beside")
    log.write_text("Subject: s1 \nPredicted   : [0, 2, 1] \nGround Truth: [0, 0, 1] \nUF1: 0.5 | UAR: 0.5 \n"
                   "Subject: s2 \nPredicted   : [2] \nGround Truth: [2] \n", encoding="utf-8")
    assert port_log.read_log(log) == {"s1": ([0, 2, 1], [0, 0, 1]), "s2": ([2], [2])}
    # clips b, a (class 0) and c (class 1): the log's order is a, b, c
    agreement = port_log.fold_agreement(weights, "s1", ["b", "a", "c"], [0, 0, 1], [2, 0, 1])
    assert agreement == {"log": str(log), "clips": 3, "agree": 3, "note": ""}
    assert port_log.fold_agreement(weights, "s1", ["b", "a", "c"], [0, 0, 1], [0, 0, 1])["agree"] == 2
    assert "has no block for subject s3" in port_log.fold_agreement(weights, "s3", ["a"], [0], [0])["note"]
    unlike = port_log.fold_agreement(weights, "s1", ["a", "b"], [0, 1], [0, 1])
    assert unlike["clips"] == 0 and "true classes differ" in unlike["note"]
    log.write_text("Subject: s1 \nPredicted   : [0, 2] \nGround Truth: [0] \n", encoding="utf-8")
    assert "lists 2 predictions for 1 true classes" in port_log.fold_agreement(weights, "s1", ["a"], [0], [0])["note"]
    log.write_bytes(b"x" * (port_log.MAX_BYTES + 1))
    assert "larger than" in port_log.fold_agreement(weights, "s1", ["a"], [0], [0])["note"]


def test_an_exported_fold_carries_the_training_mean_image_and_population_statistics(smoke_corpus, tmp_path):
    from export_fold import export_fold_check

    from common.datasets import load
    from common.running.profiles import effective_config
    from papers.liong2019 import EXPERIMENTS
    from papers.liong2019.preprocessing import clip_inputs

    clips = (10, 3)
    fold_probabilities, predicted, sink, ctx, _ = export_fold_check(
        "liong2019", "megc2019_loso", smoke_corpus, tmp_path, clips=clips)
    assert list(sink.models) == ["ststnet"] and not json.loads(json.dumps(sink.state))  # all state is in the model
    np.testing.assert_allclose(predicted, fold_probabilities, atol=1e-5)  # saved, reloaded, predicted again
    # the same fold's training clips, read again (the stage cache is the check's)
    (experiment,) = [e for e in EXPERIMENTS if e.name == "megc2019_loso"]
    config = effective_config(experiment, "smoke")
    data = {name: load(name, smoke_corpus, **dict(experiment.loader_options.get(name, {})))
            for name in experiment.datasets}
    selection = experiment.select(data, config)
    train = experiment.folds(selection, config, 0)[0].train[: clips[0]]
    x_train = clip_inputs([selection.samples[i] for i in train], config, tmp_path / "stages")
    model = ctx.models["ststnet"]  # the reloaded .keras
    held = np.asarray(model.get_layer("zerocenter").mean).reshape(x_train.shape[1:])
    np.testing.assert_allclose(held, x_train.mean(axis=0), rtol=1e-5, atol=1e-3)  # the fold's mean image, 0..255
    kernel, bias = model.get_layer("c1").get_weights()
    seen = _conv_relu(x_train.astype(np.float64) - held, kernel, bias)  # the batch normalisation's input
    norm = model.get_layer("bn1")
    np.testing.assert_allclose(norm.moving_mean.numpy(), seen.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(norm.moving_variance.numpy(), seen.var(axis=(0, 1, 2)), rtol=1e-3, atol=1e-4)


def test_the_training_recipe_is_matlab_r2018b_defaults_beside_main_m_and_the_measured_epoch_order():
    """main.m line 25 names Adam, 5e-5, 500 epochs, batch 256; the rest is MATLAB R2018b's defaults: L2 1e-4,
    Adam epsilon 1e-8, the partial mini-batch discarded every epoch, and the layers' initial weights normal with
    standard deviation 0.01 (biases 0); but the epoch order is 'Shuffle' 'every-epoch', reshuffled each epoch
    (README ledger 14), and R2018b's 'Shuffle' 'once' is the option FIXED_SUBSET."""
    import keras

    from common.config import apply_overrides
    from papers.liong2019.config import FIXED_SUBSET, default_config
    from papers.liong2019.model import build_model

    train = default_config().train
    assert (train.optimizer, train.learning_rate, train.epochs, train.batch_size) == ("adam", 5e-5, 500, 256)
    assert train.weight_decay == 1e-4 and train.shuffle and not train.shuffle_once and train.drop_partial_batch
    assert train.adam_epsilon == 1e-8
    fixed = apply_overrides(default_config(), dict(FIXED_SUBSET)).train
    assert fixed.shuffle_once and fixed.drop_partial_batch
    model = build_model(config=default_config(), num_classes=3)
    for name in ("c1", "output"):
        init = model.get_layer(name).kernel_initializer
        assert isinstance(init, keras.initializers.RandomNormal) and init.stddev == 0.01 and init.mean == 0.0
        assert isinstance(model.get_layer(name).bias_initializer, keras.initializers.Zeros)
    # MATLAB draws each layer's weights anew: the three streams' kernels are not the same numbers (one
    # initialiser instance shared by layers would draw the same ones in Keras 3)
    kernels = [_three_layers().get_layer(f"c1_{k}").kernel.numpy().ravel()[:27] for k in (1, 2, 3)]
    assert not np.allclose(kernels[0], kernels[1]) and not np.allclose(kernels[1], kernels[2])


def test_the_estimate_counts_the_gauge_pass_over_the_training_clips_only_with_population_statistics():
    """The MATLAB recipe predicts on batch-normalisation statistics over the training clips, recomputed before
    each of the gauge's test passes: the estimate's stage says how many clips that pass covers; the port's
    running statistics need none."""
    from common.config import apply_overrides
    from common.experiment import Fold, Selection
    from papers.liong2019 import protocol
    from papers.liong2019.config import MATLAB_ABLATIONS, PROFILES, default_config

    selection = Selection(samples=(), labels=np.zeros(0, int), class_names=("negative", "positive", "surprise"))
    fold = Fold(name="s1", train=np.arange(7), test=np.arange(7, 10))
    (paper,) = protocol.training_stages(default_config(), selection, fold)
    (port,) = protocol.training_stages(apply_overrides(default_config(), dict(PROFILES["port"])), selection, fold)
    assert (paper.gauge_refit_samples, port.gauge_refit_samples) == (7, 0)
    assert protocol.HOOKS.training_stages is protocol.training_stages
    # the clips an epoch's optimiser steps read: the profile's and R2018b's fixed subset the whole batches only (one
    # step of 256: a new 256 every epoch, the same 256), every_clip's and the port's every clip (436: two steps, the
    # second partial); the BN pass covers the clips it says (the profile's: all of them, each read in some epoch)
    big = Fold(name="s1", train=np.arange(436), test=np.arange(436, 440))
    fixed, trained, every = (apply_overrides(default_config(), dict(MATLAB_ABLATIONS[name]))
                             for name in ("fixed_subset", "fixed_subset_bn_trained_clips", "every_clip"))
    all_read = apply_overrides(default_config(), {"model.batch_norm_statistics": "population_trained"})
    (paper,), (subset,), (port,), (only,), (kept,), (read,) = (protocol.training_stages(c, selection, big) for c in (
        default_config(), fixed, apply_overrides(default_config(), dict(PROFILES["port"])), trained, every, all_read))
    assert (paper.samples, paper.gauge_refit_samples) == (256, 436) == (read.samples, read.gauge_refit_samples)
    assert (subset.samples, subset.gauge_refit_samples) == (256, 436)
    assert (port.samples, only.samples, only.gauge_refit_samples) == (436, 256, 256)
    assert (kept.samples, kept.gauge_refit_samples) == (436, 436)


def test_each_matlab_ablation_is_a_set_override_of_its_own_run_kind():
    """Each inferred MATLAB behaviour is settable with --set, off in the `paper` profile, and a run of it is
    another kind of run (another config hash, so another fold fingerprint: no fold of one is reused by another)."""
    from common.config import apply_overrides
    from common.running.profiles import config_hash
    from papers.liong2019.config import MATLAB_ABLATIONS, PROFILES, default_config

    paper = apply_overrides(default_config(), dict(PROFILES["paper"]))
    assert paper == default_config()
    m, train = paper.model, paper.train
    assert (m.initializer, m.padding, m.batch_norm_statistics) == ("matlab_r2018b", "matlab", "population")
    assert not train.shuffle_once and train.drop_partial_batch
    hashes = {config_hash(paper)}
    for overrides in MATLAB_ABLATIONS.values():
        hashes.add(config_hash(apply_overrides(paper, dict(overrides))))
    assert len(hashes) == 1 + len(MATLAB_ABLATIONS)


def test_the_glorot_option_draws_each_streams_kernels_with_its_own_bound():
    """MATLAB's Glorot (R2019a on) bounds a convolution's weights by sqrt(6 / (fan in + fan out)), its fan out
    the layer's own kernels: each stream's 3, 5 or 8, also where the three streams are one layer."""
    from common.training import set_seed
    from papers.liong2019.model import build_ststnet

    set_seed(0)
    kernel = np.abs(build_ststnet(initializer="glorot_uniform").get_layer("c1").kernel.numpy())
    start = 0
    for count in (3, 5, 8):
        bound = np.sqrt(6 / (27 + 9 * count))
        part = kernel[..., start:start + count]
        assert 0.9 * bound < part.max() <= bound, count  # 81 to 216 uniform draws reach 90 % of the bound
        start += count
    set_seed(0)
    assert np.std(build_ststnet().get_layer("c1").kernel.numpy()) < 0.02  # the default N(0, 0.01)


def test_the_zero_pool_option_changes_only_border_windows_whose_values_are_negative():
    """Max pooling 'same' 3x3 / 3 pads 28 to 30 by one cell each side: with its padded cells holding 0, a border
    window gives max(its maximum, 0); the inner windows and the weights are the default's."""
    import keras

    from common.training import set_seed
    from papers.liong2019.model import build_ststnet, set_population_statistics

    pooled = {}
    for padding in ("matlab", "matlab_zero_pool"):
        set_seed(0)
        model = build_ststnet(padding=padding)
        x = np.random.default_rng(1).integers(0, 256, (6, 28, 28, 3)).astype("float32")
        set_population_statistics(model, x, batch_size=6)  # below-mean values: negative after the normalisation
        pooled[padding] = keras.ops.convert_to_numpy(keras.Model(model.inputs, model.get_layer("p1").output)([x]))
    default, zero = pooled["matlab"], pooled["matlab_zero_pool"]
    assert zero.shape == default.shape == (6, 10, 10, 16)
    np.testing.assert_array_equal(zero[:, 1:-1, 1:-1], default[:, 1:-1, 1:-1])
    border = np.ones((10, 10), bool)
    border[1:-1, 1:-1] = False
    np.testing.assert_array_equal(zero[:, border], np.maximum(default[:, border], 0))
    assert (zero[:, border] != default[:, border]).sum() > 0


def _fold_context(tmp_path, overrides, n_train=10, n_test=3):
    """A fold of random 28x28x3 'clips' (no corpus) under the `paper` profile with 1 epoch of batch 4 and
    ``overrides``; the protocol's inputs replaced by those arrays (``fake_protocol``)."""
    from common.config import apply_overrides
    from common.experiment import Fold, FoldContext, Selection
    from papers.liong2019.config import default_config

    rng = np.random.default_rng(3)
    labels = np.arange(n_train + n_test) % 3
    selection = Selection(samples=tuple(f"clip{i}" for i in range(n_train + n_test)), labels=labels,  # type: ignore[arg-type]
                          class_names=("negative", "positive", "surprise"))
    fold = Fold(name="s1", train=np.arange(n_train), test=np.arange(n_train, n_train + n_test))
    config = apply_overrides(default_config(), {"train.epochs": 1, "train.batch_size": 4,
                                                "train.learning_rate": 1e-2, **overrides})
    x = rng.integers(0, 256, (n_train + n_test, 28, 28, 3)).astype("float32")
    return FoldContext(selection=selection, fold=fold, config=config, profile="paper", seed=0, work_dir=tmp_path,
                       cache_dir=tmp_path), x


class _ArrayInputs:
    """``FlowInputs.fold`` on arrays: the fold's rows of ``x``."""

    def __init__(self, x):
        self.x = x

    def fold(self, ctx):
        return self.x[ctx.fold.train], self.x[ctx.fold.test]


def test_the_batch_norm_clips_and_fixed_subset_options_train_and_predict_as_stated(tmp_path, monkeypatch):
    """fixed_subset_bn_trained_clips: the weights of the fixed subset's fold (the same 8 of 10 clips in the same
    order), the batch normalisations' statistics over those 8 clips alone, the same predictions and epoch record
    trained alone and as a group of folds (``--fold-parallel``), the gauge's last record the fold's prediction;
    every_clip, every clip every epoch: other weights and predictions than the fixed subset's; on the profile's
    order the statistics over the clips training read are the profile's (every clip is read in some epoch)."""
    import dataclasses

    from common import fold_parallel
    from common.training import set_seed
    from papers.liong2019 import protocol
    from papers.liong2019.config import MATLAB_ABLATIONS
    from papers.liong2019.model import set_population_statistics

    def fit(name, parallel=False, overrides=None):
        ctx, x = _fold_context(tmp_path / f"{name}{parallel}", overrides or dict(MATLAB_ABLATIONS.get(name, {})))
        monkeypatch.setattr(protocol, "PROTOCOL", dataclasses.replace(protocol.PROTOCOL, inputs=_ArrayInputs(x)))
        set_seed(0)
        training = protocol.HOOKS.fold_fit(ctx)
        if not parallel:
            return training.run(), training.model, x
        (history,) = fold_parallel.train_together([fold_parallel.prepare(training)], 1)
        return training.finish(history, inputs_seconds=0.0, fit_seconds=0.0), training.model, x

    default, default_model, x = fit("fixed_subset")
    option, model, _ = fit("fixed_subset_bn_trained_clips")
    together, _, _ = fit("fixed_subset_bn_trained_clips", parallel=True)
    np.testing.assert_allclose(together.probabilities, option.probabilities, atol=1e-6)
    assert together.extra["epoch_predictions"] == option.extra["epoch_predictions"]
    assert option.extra["epoch_predictions"]["y_pred"][-1] == option.y_pred.tolist()
    np.testing.assert_array_equal(model.get_layer("c1").kernel.numpy(), default_model.get_layer("c1").kernel.numpy())
    means = [m.get_layer("bn1").moving_mean.numpy() for m in (default_model, model)]
    assert not np.allclose(means[0], means[1])
    np.random.seed(0)  # set_seed(0)'s NumPy stream: the fold's one permutation, its two whole batches of 4
    set_population_statistics(default_model, x[:10][np.random.permutation(10)[:8]], batch_size=4)
    np.testing.assert_allclose(means[1], default_model.get_layer("bn1").moving_mean.numpy(), rtol=1e-6)
    every, every_model, _ = fit("every_clip")
    assert not np.allclose(every_model.get_layer("c1").kernel.numpy(), model.get_layer("c1").kernel.numpy())
    assert not np.allclose(default.probabilities, every.probabilities)
    # one epoch of the profile's order (MATLAB's 'every-epoch') reads the fixed subset's batches: the same first
    # permutation, cut to its whole batches; from the second epoch on it draws another
    profile, profile_model, _ = fit("paper")
    np.testing.assert_allclose(profile_model.get_layer("c1").kernel.numpy(),
                               default_model.get_layer("c1").kernel.numpy(), rtol=1e-6, atol=1e-7)
    read, read_model, _ = fit("read", overrides={"model.batch_norm_statistics": "population_trained"})
    np.testing.assert_allclose(read.probabilities, profile.probabilities, atol=1e-6)
    np.testing.assert_allclose(read_model.get_layer("bn1").moving_mean.numpy(),
                               profile_model.get_layer("bn1").moving_mean.numpy(), rtol=1e-6)


def test_the_profiles_every_epoch_order_trains_alike_alone_and_in_a_group_of_folds(tmp_path, monkeypatch):
    """The profile's epoch order (MATLAB's 'Shuffle' 'every-epoch'): 3 epochs of the fold's 10 clips in whole batches
    of 4, two steps an epoch (each epoch's partial batch of 2 left out), the same predictions and epoch record trained
    alone and as a group of folds (``--fold-parallel``), other ones than the option every_clip's (three steps an
    epoch, the partial batch kept)."""
    import dataclasses

    from common import fold_parallel
    from common.training import set_seed
    from papers.liong2019 import protocol
    from papers.liong2019.config import MATLAB_ABLATIONS

    def fit(name, parallel=False):
        overrides = {"train.epochs": 3, **MATLAB_ABLATIONS.get(name, {})}
        ctx, x = _fold_context(tmp_path / f"{name}{parallel}", overrides)
        monkeypatch.setattr(protocol, "PROTOCOL", dataclasses.replace(protocol.PROTOCOL, inputs=_ArrayInputs(x)))
        set_seed(0)
        training = protocol.HOOKS.fold_fit(ctx)
        if not parallel:
            return training.run(), training.model
        (history,) = fold_parallel.train_together([fold_parallel.prepare(training)], 3)
        return training.finish(history, inputs_seconds=0.0, fit_seconds=0.0), training.model

    alone, model = fit("paper")
    together, grouped = fit("paper", parallel=True)
    assert int(model.optimizer.iterations.numpy()) == int(grouped.optimizer.iterations.numpy()) == 3 * 2
    np.testing.assert_allclose(together.probabilities, alone.probabilities, atol=1e-6)
    assert together.extra["epoch_predictions"] == alone.extra["epoch_predictions"]
    kept, kept_model = fit("every_clip")
    assert int(kept_model.optimizer.iterations.numpy()) == 3 * 3
    assert not np.allclose(kept.probabilities, alone.probabilities)


def test_the_ablation_script_runs_each_option_over_three_seeds_into_its_own_folder(tmp_path, capsys):
    """benchmarks/ststnet_ablations.py: one benchmark command an option, the `paper` profile, seeds 0 to 2,
    groups of 8 folds, the option's --set overrides, its own --out folder (so a rerun resumes each)."""
    import importlib.util
    from pathlib import Path

    from papers.liong2019.config import MATLAB_ABLATIONS

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "ststnet_ablations.py"
    spec = importlib.util.spec_from_file_location("ststnet_ablations", path)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--data-root", "HTNET", "--out", str(tmp_path), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("]")[0][1:] for line in lines] == list(MATLAB_ABLATIONS)
    for line, (name, overrides) in zip(lines, MATLAB_ABLATIONS.items()):
        assert ("--benchmark megc2019 --methods liong2019 --profile paper --seed 0 --seeds 3 --fold-parallel 8 "
                f"--data-root HTNET --out {tmp_path / name} ") in line
        for field, value in overrides.items():
            assert f"--set {field}={str(value).lower() if isinstance(value, bool) else value}" in line
    assert lines[0].endswith("--set train.shuffle_once=true --set train.drop_partial_batch=true")
    assert script.main(["--data-root", "HTNET", "--out", str(tmp_path), "--options", "glorot,nope"]) == 2
    assert not list(tmp_path.iterdir())  # nothing run, nothing written
