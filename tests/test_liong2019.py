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
    from papers.liong2019.report import RECOMPUTED_ROW, audit_lines, table3_rows

    summary = {"metrics": {"pooled": {"all": {"uf1": 0.5, "uar": 0.4}}}}
    rows = {row[0]: row[1:] for row in table3_rows(summary)}
    # columns: Full UF1, Full UAR, SMIC UF1, SMIC UAR, CASME II UF1, CASME II UAR, SAMM UF1, SAMM UAR
    assert rows["STSTNet"] == ["0.7353", "0.7605*", "0.6801", "0.7013*", "0.8382", "0.8686*", "0.6588", "0.6810*"]
    assert rows[RECOMPUTED_ROW] == ["0.7353", "0.7186", "0.6801", "0.6703", "0.8382", "0.8190", "0.6588", "0.6415"]
    assert rows["OFF-ApexNet"][1] == "0.7096"  # other methods' rows as printed, unmarked
    assert table3_rows(summary)[-1][:3] == ["ours (STSTNet, this run)", "0.5000", "0.4000"]
    text = " ".join(audit_lines())
    assert "macro-precision" in text and "Full 0.7186" in text and "71.85 %" in text and "recomputed" in text
