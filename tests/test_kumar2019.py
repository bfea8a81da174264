"""Kumar et al. 2019 (papers/kumar2019): architecture, frame removal (and its window on short clips), the
class-balanced alpha augmentation, the paper's table consistency and baseline rows, the report pages and one
smoke run through run_all.py (the per-database LOSO experiments and a cross-dataset one, Figs. 3-4 data)."""
from __future__ import annotations

import types

import json

import numpy as np
import pytest

from papers.kumar2019 import protocol, reported
from papers.kumar2019.config import Kumar2019Config, MagnificationConfig, TextureConfig


def test_architectures_json_lists_resnet34_eai_with_its_parameter_count(capfd):
    import run_all
    from papers.kumar2019 import PAPER
    from papers.kumar2019.model import BACKBONE_NAME, RESNET34_BACKBONE_PARAMS

    assert run_all.main(["--paper", "kumar2019", "--architectures", "--json"]) == 0
    payload = json.loads(capfd.readouterr().out)
    model = payload["models"]["resnet34_eai"]
    # ResNet-34 backbone (He et al. Table 1, torchvision resnet34 without fc) + Dense(512 -> 3).
    assert model["trainable_params"] == RESNET34_BACKBONE_PARAMS + 512 * 3 + 3 == 21_286_211
    assert model["layers"][0]["output_shape"] == [None, 224, 224, 3]
    assert model["layers"][-1]["output_shape"] == [None, 3]

    built = PAPER.models()["resnet34_eai"]
    backbone = built.get_layer(BACKBONE_NAME)
    assert sum(int(np.prod(w.shape)) for w in backbone.trainable_weights) == 21_284_672


def _clip(n_still: int, n_moving: int, size: int = 60, seed: int = 0) -> np.ndarray:
    """A clip whose texture is frozen for ``n_still`` frames, then changes every frame."""
    rng = np.random.default_rng(seed)
    still = np.repeat(rng.integers(0, 256, (1, size, size), dtype=np.uint8), n_still, axis=0)
    moving = rng.integers(0, 256, (n_moving, size, size), dtype=np.uint8)
    return np.concatenate([still, moving])


def test_frame_removal_drops_still_frames_and_keeps_moving_ones():
    frames = _clip(70, 70)
    probabilities, kept = protocol.kept_frames(frames, TextureConfig())  # Sec. 3.2: N 61, 6x6, D0 30, 0.5
    assert probabilities.shape == kept.shape == (140,)
    assert not kept[:40].any()  # windows entirely inside the frozen part: no high-frequency energy
    assert kept[100:].all()  # windows entirely inside the changing part
    assert probabilities[:40].max() < 0.5 <= probabilities[100:].min()
    # A clip shorter than the 61-frame window: with window_rule="fixed" it is one window, every frame has
    # probability 0.5 and is kept (the step does nothing); the paper profile's "clip" rule slides a 19-frame window
    # (T // 2, bins mapped onto the 61-frame window's) and removes the still frames of the same 40-frame clip.
    _, short = protocol.kept_frames(_clip(20, 20), TextureConfig(window_rule="fixed"))
    assert short.all()
    assert TextureConfig().window_rule == "clip"
    scores = protocol.texture_scores(_clip(20, 20), TextureConfig())
    assert scores["window"] == 19
    assert not scores["kept"][:11].any() and scores["kept"][29:].all()
    assert scores["intensity"][:11].max() < 1e-6 * scores["intensity"][29:].min()  # still windows: round-off only
    # 140 frames >= 2 x 61: the paper's window itself, as before.
    assert protocol.texture_scores(frames, TextureConfig())["window"] == 61
    # Disabled (ablation): every frame kept.
    _, everything = protocol.kept_frames(frames, TextureConfig(enabled=False))
    assert everything.all()


def test_training_set_is_multiplied_by_the_number_of_alphas_without_balancing():
    indices = [3, 7, 11, 12]
    plan = protocol.training_plan(indices, MagnificationConfig(balance="none"))  # uniform x3 (Sec. 3.1.1)
    assert len(plan) == len(indices) * 3
    for index in indices:
        assert sorted(a for i, a in plan if i == index) == [5.0, 10.0, 15.0]
    with_original = protocol.training_plan(indices, MagnificationConfig(balance="none", train_include_original=True))
    assert len(with_original) == len(indices) * 4
    assert {a for _, a in with_original} == {0.0, 5.0, 10.0, 15.0}
    with pytest.raises(ValueError, match="train_alphas"):
        protocol.training_alphas(MagnificationConfig(train_alphas=()))
    with pytest.raises(ValueError, match="labels"):
        protocol.training_plan(indices, MagnificationConfig())  # the paper's balancing needs the labels


def test_alpha_augmentation_balances_the_classes_of_the_training_fold():
    # Sec. 2 / 2.1: the magnifications are added "to reduce the problem of unbalance dataset". The composite
    # (Table 2: 250 / 109 / 83) gets 1 / 2 / 3 alphas per class: 250 / 218 / 249 training images.
    labels = np.array([0] * 250 + [1] * 109 + [2] * 83)
    config = MagnificationConfig()
    assert config.balance == "classes"
    assert protocol.class_alphas(labels, config, 3) == {0: (10.0,), 1: (10.0, 5.0), 2: (10.0, 5.0, 15.0)}
    plan = protocol.training_plan(range(len(labels)), config, labels, 3)
    assert np.bincount([labels[i] for i, _ in plan]).tolist() == [250, 218, 249]
    # The counts come from the training fold only: leave out most of class 2 and it gets the 3 alphas still,
    # leave out most of class 0 and class 0 becomes a minority class.
    fold = [i for i in range(len(labels)) if labels[i] != 0 or i < 40]  # 40 / 109 / 83
    counts = np.bincount([labels[i] for i, _ in protocol.training_plan(fold, config, labels, 3)]).tolist()
    assert counts == [120, 109, 83]  # 40 x 3, 109 x 1, 83 x 1 (|83 - 109| < |166 - 109|)
    # Per database (Table 2): CASME II 88 / 32 / 25 -> 88 / 96 / 75; SAMM 92 / 26 / 15 -> 92 / 78 / 45 (3 at most).
    for table, expected in (([88, 32, 25], [88, 96, 75]), ([92, 26, 15], [92, 78, 45]), ([70, 51, 43], [70, 51, 86])):
        db = np.repeat([0, 1, 2], table)
        got = np.bincount([db[i] for i, _ in protocol.training_plan(range(len(db)), config, db, 3)]).tolist()
        assert got == expected
    # The smoke profile's alphas (5, 15; the test alpha 10 not among them): the first m_c of (5, 15).
    smoke = MagnificationConfig(train_alphas=(5.0, 15.0))
    assert protocol.class_alphas(labels, smoke, 3) == {0: (5.0,), 1: (5.0, 15.0), 2: (5.0, 15.0)}
    assert protocol.class_alphas(labels, MagnificationConfig(balance="none"), 3)[0] == (5.0, 10.0, 15.0)


def test_first_frame_reference_subtracts_the_clips_first_registered_frame(smoke_corpus, tmp_path):
    import dataclasses

    from common.config import apply_overrides
    from common.datasets import load
    from papers.kumar2019.config import QUICK, SMOKE

    assert Kumar2019Config().model.eai_reference == "none"  # the paper feeds the EAI itself
    assert QUICK["model.eai_reference"] == "first_frame"  # quick-only deviation (README ledger 21)
    config = apply_overrides(Kumar2019Config(), {**SMOKE, "model.eai_reference": "first_frame"})
    plain = dataclasses.replace(config, model=dataclasses.replace(config.model, eai_reference="none"))
    samples = load("megc2019", smoke_corpus)
    sample = samples[0]
    frames, points, _ = protocol.face_clip(sample, config.face, tmp_path)
    first = protocol.registered_first_frame(frames, points, config)
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    # Magnification changes the clip but not its first frame: one reference serves every alpha.
    magnified = protocol.magnify_clip(frames, 10.0, sample.fps, config.magnification)
    assert np.array_equal(magnified[0], frames[0]) and not np.array_equal(magnified, frames)
    # A still clip (every frame = the first): its EAI is its first registered frame, so the input is 0.
    still = protocol.compute_eai(np.repeat(frames[:1], len(frames), axis=0), np.repeat(points[:1], len(points), axis=0),
                                 sample.fps, 10.0, config)["eai"]
    assert np.array_equal(still, first)
    assert np.abs(protocol.model_input(still[None], first[None])).max() == 0.0
    assert np.abs(protocol.model_input(still[None])).max() > 1.0
    # Through build_inputs and the stage cache: the option subtracts exactly the preprocessed first frame.
    other = next(s for s in samples if (s.dataset, s.subject) != (sample.dataset, sample.subject))
    selection = protocol.make_selection({"megc2019": [sample, other]}, config)
    plan = [(0, 10.0), (0, 15.0), (1, 10.0)]
    x_ref, y_ref, stats = protocol.build_inputs(selection, plan, config, tmp_path, log=lambda *_: None)
    x_eai, y_eai, _ = protocol.build_inputs(selection, plan, plain, tmp_path, log=lambda *_: None)
    assert stats["eai_reference"] == "first_frame" and np.array_equal(y_ref, y_eai)
    np.testing.assert_allclose(x_eai[0] - x_ref[0], protocol.preprocess(first[None])[0], atol=1e-5)
    np.testing.assert_allclose(x_eai[0] - x_ref[0], x_eai[1] - x_ref[1], atol=1e-5)  # same reference at 10 and 15
    assert np.abs((x_eai[2] - x_ref[2]) - (x_eai[0] - x_ref[0])).max() > 0.1  # each clip its own first frame (another face)
    # The cached EAIs do not depend on the option (one entry serves both inputs).
    assert protocol.eai_params(sample, 10.0, config) == protocol.eai_params(sample, 10.0, plain)


def test_tables_4_to_6_reproduce_table_3_except_smic_whose_values_are_swapped():
    check = reported.confusion_consistency()  # common.evaluation.metrics.scores_from_confusion
    for db in ("casme2", "samm"):
        assert check[db]["uf1"] == pytest.approx(check[db]["table3_uf1"], abs=5e-5)
        assert check[db]["uar"] == pytest.approx(check[db]["table3_uar"], abs=5e-5)
    smic = check["smic"]
    assert smic["uf1"] == pytest.approx(smic["table3_uar"], abs=5e-5)  # 0.7621
    assert smic["uar"] == pytest.approx(smic["table3_uf1"], abs=2e-4)  # 0.7452 vs 0.7451
    assert abs(smic["uf1"] - smic["table3_uf1"]) > 0.01 and abs(smic["uar"] - smic["table3_uar"]) > 0.01
    combined = check["all"]  # the sum of Tables 4-6 matches neither combined value of Table 3
    assert combined["uf1"] == pytest.approx(0.7785, abs=1e-4) and combined["uar"] == pytest.approx(0.7512, abs=1e-4)
    assert abs(combined["uf1"] - combined["table3_uf1"]) > 0.01
    # Table 2 is the sum of the matrices' rows.
    for db, matrix in reported.CONFUSION.items():
        assert matrix.sum(axis=1).tolist() == [reported.TABLE_2[db][c] for c in reported.CLASSES]


def test_loso_report_pages_on_the_smoke_corpus(smoke_corpus, tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages

    from common.config import apply_overrides, to_dict
    from common.experiment import ReportContext
    from papers.kumar2019 import EXPERIMENTS, report
    from papers.kumar2019.config import SMOKE

    config = apply_overrides(Kumar2019Config(), {**SMOKE, "model.eai_reference": "first_frame"})  # + difference panel
    confusion = {scope: (np.eye(3, dtype=int) * 5 + 1).tolist() for scope in ("all",) + reported.DATABASES}
    results = {"experiment": "megc2019_loso", "config": to_dict(config),
               "corpus": {"kind": "synthetic", "root": str(smoke_corpus)},
               "metrics": {"pooled": {s: {"uf1": 0.5, "uar": 0.5, "confusion": m} for s, m in confusion.items()},
                           "per_fold": {"casme2_sub01": {"all": {}, "casme2": {}}}}}
    assert report.config_from_results(results) == config
    lines = "\n".join(report.tables_2_3_lines(results))
    assert "0.7621" in lines and "swapped" in lines
    for published in ("LBP-TOP", "Bi-WOOF", "OFF-ApexNet", "0.5882", "0.8697", "0.3970"):  # Table 3's other rows
        assert published in lines
    pdf_path = tmp_path / "pages.pdf"
    with PdfPages(pdf_path) as pdf:
        EXPERIMENTS[0].report_pages(pdf, types.SimpleNamespace(summary=results, records=()),
                                    ReportContext(paper_id="kumar2019", allow_faces=True))
        assert pdf.get_pagecount() == 4  # Tables 2-3, Tables 4-6, Figs. 3-4 (no fold records here), example EAIs
    assert pdf_path.stat().st_size > 0


def test_fold_model_is_built_once_and_reset_to_its_initial_state_each_fold():
    from common.config import apply_overrides
    from papers.kumar2019.config import SMOKE

    config = apply_overrides(Kumar2019Config(), SMOKE)
    model = protocol.fold_model(config, 3)
    initial = [w.copy() for w in model.get_weights()]
    optimiser_initial = [v.numpy().copy() for v in model.optimizer.variables]
    model.set_weights([w + 1.0 for w in initial])  # what a fold's training would do
    for variable in model.optimizer.variables:
        variable.assign(variable.numpy() + 1)
    again = protocol.fold_model(config, 3)
    assert again is model  # not rebuilt, not retraced
    assert all(np.array_equal(a, b) for a, b in zip(again.get_weights(), initial))
    assert all(np.array_equal(v.numpy(), b) for v, b in zip(again.optimizer.variables, optimiser_initial))


def test_table_3_baselines_are_transcribed():
    rows = reported.TABLE_3_BASELINES
    assert list(rows) == ["LBP-TOP", "Bi-WOOF", "OFF-ApexNet"]
    assert rows["LBP-TOP"]["all"] == {"uar": 0.5785, "uf1": 0.5882}
    assert rows["LBP-TOP"]["smic"] == {"uar": 0.5280, "uf1": 0.2000}
    assert rows["Bi-WOOF"]["casme2"] == {"uar": None, "uf1": 0.7902} and rows["Bi-WOOF"]["all"]["uf1"] is None
    assert rows["OFF-ApexNet"]["all"] == {"uar": 0.7033, "uf1": 0.7104} and rows["OFF-ApexNet"]["samm"]["uf1"] == 0.5409
    for method in rows.values():  # every row below "Our Approach" in Table 3 (its best values are ours except CASME II UF1)
        for scope, cell in method.items():
            if cell["uf1"] is not None and (method, scope) != (rows["OFF-ApexNet"], "casme2"):
                assert cell["uf1"] < reported.TABLE_3[scope]["uf1"]


def test_smoke_run_of_the_per_database_loso_and_a_cross_experiment_through_run_all(smoke_corpus, tmp_path):
    """One run_all call (one model build and report): Sec. 4's per-database LOSO experiments, compared with
    Table 3's column and Tables 4-6, whose folds record what Figs. 3-4 need (PSNR per alpha, texture intensity per
    frame), and one cross-dataset experiment (Table 7) with the class-balanced alpha augmentation."""
    import run_all
    from papers.kumar2019 import EXPERIMENTS, report

    names = [f"{db}_loso" for db in reported.DATABASES]
    assert [e.name for e in EXPERIMENTS[1:4]] == names
    assert {r.scope for r in EXPERIMENTS[0].reported} == {"all"}  # the composite: combined column only
    args = ["--paper", "kumar2019", "--profile", "smoke", "--data-root", str(smoke_corpus), "--out", str(tmp_path)]
    cross = "cross_casme2_to_smic"
    assert run_all.main(args + sum((["--experiment", n] for n in names + [cross]), [])) == 0
    results = json.loads((tmp_path / "kumar2019" / cross / "results.json").read_text())
    assert results["status_counts"] == {"ok": 1}
    assert results["parameters"] == {"resnet34_eai": 21_286_211}
    fold = json.loads((tmp_path / "kumar2019" / cross / "folds" / "casme2_to_smic.json").read_text())
    assert set(fold["datasets"]) == {"smic"}
    extra = fold["extra"]
    assert extra["test_images"] == fold["n_test"]
    assert sum(extra["train_clips_per_class"].values()) == fold["n_train"]
    # smoke profile: alphas 5 and 15, as many per class as balance the training classes
    assert extra["train_images"] == sum(n * len(extra["class_alphas"][c]) for c, n in extra["train_clips_per_class"].items())
    assert extra["train_images"] == sum(extra["train_images_per_class"].values())
    removed = 0
    for db, name in zip(reported.DATABASES, names):
        results = json.loads((tmp_path / "kumar2019" / name / "results.json").read_text())
        assert set(results["corpus"]["datasets"]) == {db}  # that database alone
        subjects = {s for f in report.fold_records(results) for s in f["subjects"]}
        assert len(results["folds"]) == len(subjects) >= 2 and results["status_counts"] == {"ok": len(subjects)}
        assert {(c["metric"], c["reported"]) for c in results["comparison"]} == {
            ("uf1", reported.TABLE_3[db]["uf1"]), ("uar", reported.TABLE_3[db]["uar"])}
        data = report.figure_data(report.fold_records(results))
        assert set(data["psnr"]) == {db} and 10.0 in data["psnr"][db]  # the test alpha (every clip once)
        assert set(data["psnr"][db]) <= {5.0, 10.0, 15.0}  # and the smoke training alphas
        assert all(np.isfinite(v).all() and min(v) > 0 for v in data["psnr"][db].values())
        assert len(data["texture"]) == results["n_samples"]  # every clip tested once, at the test alpha
        for curve in data["texture"].values():
            assert len(curve["intensity"]) == len(curve["kept"]) < 61 and 3 <= curve["window"] < 61
        removed += data["removed"][db][0]
        lines = "\n".join(report.database_lines(results, db))
        assert f"{reported.TABLE_3[db]['uf1']:.4f}" in lines and "LBP-TOP" in lines
    assert removed > 0  # Sec. 3.2 removes frames of clips shorter than 61 frames (window_rule="clip")
    assert (tmp_path / "kumar2019" / "report.pdf").stat().st_size > 0
