"""Kumar et al. 2019 (papers/kumar2019): architecture, frame removal (and its window on short clips), the
class-balanced alpha augmentation, the paper's table consistency and baseline rows, the report pages, one
smoke run through run_all.py (the per-database LOSO experiments and a cross-dataset one, Figs. 3-4 data and
the example inputs the folds save), the benchmark entry and the --estimate hooks."""
from __future__ import annotations

import json
import types

import numpy as np
import pytest

from papers.kumar2019 import preprocessing, protocol, reported
from papers.kumar2019.config import Kumar2019Config, MagnificationConfig, TextureConfig


def test_resnet34_eai_is_the_resnet34_backbone_and_a_3_way_head():
    """ResNet-34 backbone (He et al. Table 1, torchvision resnet34 without fc) + Dense(512 -> 3) at 224 px; the
    total is ``PAPER.parameter_counts``' (checked by tests/test_models.py)."""
    from common.harness import build_paper_model
    from papers.kumar2019 import PAPER
    from papers.kumar2019.model import BACKBONE_NAME, RESNET34_BACKBONE_PARAMS

    assert PAPER.parameter_counts["resnet34_eai"][0] == RESNET34_BACKBONE_PARAMS + 512 * 3 + 3 == 21_286_211
    built = build_paper_model(PAPER, "resnet34_eai")
    assert tuple(built.input_shape) == (None, 224, 224, 3) and tuple(built.output_shape) == (None, 3)
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
    probabilities, kept = preprocessing.kept_frames(frames, TextureConfig())  # Sec. 3.2: N 61, 6x6, D0 30, 0.5
    assert probabilities.shape == kept.shape == (140,)
    assert not kept[:40].any()  # windows entirely inside the frozen part: no high-frequency energy
    assert kept[100:].all()  # windows entirely inside the changing part
    assert probabilities[:40].max() < 0.5 <= probabilities[100:].min()
    # A clip shorter than the 61-frame window: with window_rule="fixed" it is one window, every frame has
    # probability 0.5 and is kept (the step does nothing); the "clip" option slides a 19-frame window
    # (T // 2, bins mapped onto the 61-frame window's) and removes the still frames of the same 40-frame clip.
    _, short = preprocessing.kept_frames(_clip(20, 20), TextureConfig(window_rule="fixed"))
    assert short.all()
    scores = preprocessing.texture_scores(_clip(20, 20), TextureConfig(window_rule="clip"))
    assert scores["window"] == 19
    assert not scores["kept"][:11].any() and scores["kept"][29:].all()
    assert scores["intensity"][:11].max() < 1e-6 * scores["intensity"][29:].min()  # still windows: round-off only
    # 140 frames >= 2 x 61: the paper's window itself under every rule.
    assert preprocessing.texture_scores(frames, TextureConfig(window_rule="clip"))["window"] == 61
    # Disabled (ablation): every frame kept.
    _, everything = preprocessing.kept_frames(frames, TextureConfig(enabled=False))
    assert everything.all()


def test_paper_texture_removal_uses_61_frames_on_a_40_frame_clip():
    """Sec. 3.2 "a sliding temporal window size of N which is 61", for every clip: the paper profile pads the
    40-frame clip by 30 mirrored frames at each end (README ledger 7), so each frame has its own 61-frame window."""
    paper = TextureConfig()
    assert (paper.window_rule, paper.window, paper.padding) == ("padded", 61, "reflect")
    clip = _clip(20, 20)  # frames 0-19 frozen, 20-39 changing every frame
    scores = preprocessing.texture_scores(clip, paper)
    assert scores["window"] == 61 and scores["intensity"].shape == (40,)
    # The window of frame t holds frames t-30..t+30 mirrored at the ends: the nearer t is to the changing part,
    # the more changing frames it holds, so the intensity rises through the frozen part.
    assert np.all(np.diff(scores["intensity"][:21]) > 0)
    # Kept (intensity >= the clip mean): every changing frame and the last 5 frozen ones, whose windows are mostly
    # changing frames; removed: frozen frames 0-14. The unpadded N = 61 would keep all 40 (one window).
    assert np.flatnonzero(scores["kept"]).tolist() == list(range(15, 40))
    # The same as N = 61 windows slid over the clip mirrored by hand (numpy "reflect": ..., 2, 1, 0, 1, 2, ...).
    from common.preprocessing.texture import window_intensities

    mirrored = np.pad(clip, ((30, 30), (0, 0), (0, 0)), mode="reflect")
    np.testing.assert_allclose(scores["intensity"], window_intensities(mirrored, window=61), rtol=1e-9)


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


def test_motion_input_minus_first_frame_subtracts_the_clips_first_registered_frame(smoke_corpus, tmp_path):
    import dataclasses

    from common.config import apply_overrides
    from common.datasets import load
    from papers.kumar2019.config import QUICK, SMOKE

    assert Kumar2019Config().data.motion_input == "none"  # the paper feeds the EAI itself
    assert QUICK["data.motion_input"] == "minus_first_frame"  # quick-only deviation (README ledger 21)
    config = apply_overrides(Kumar2019Config(), {**SMOKE, "data.motion_input": "minus_first_frame"})
    plain = dataclasses.replace(config, data=dataclasses.replace(config.data, motion_input="none"))
    samples = load("megc2019", smoke_corpus)
    sample = samples[0]
    frames, points, _ = preprocessing.face_clip(sample, config.face, tmp_path)
    first = preprocessing.registered_first_frame(frames, points, config)
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    # Magnification changes the clip but not its first frame: one reference serves every alpha.
    magnified = preprocessing.magnify_clip(frames, 10.0, sample.fps, config.magnification)
    assert np.array_equal(magnified[0], frames[0]) and not np.array_equal(magnified, frames)
    # A still clip (every frame = the first): its EAI is its first registered frame, so the input is 0.
    still = preprocessing.compute_eai(np.repeat(frames[:1], len(frames), axis=0),
                                      np.repeat(points[:1], len(points), axis=0), sample.fps, 10.0, config)["eai"]
    assert np.array_equal(still, first)
    assert np.abs(preprocessing.model_input(still[None], first[None])).max() == 0.0
    assert np.abs(preprocessing.model_input(still[None])).max() > 1.0
    # Through build_inputs and the stage cache: the option subtracts exactly the preprocessed first frame.
    other = next(s for s in samples if (s.dataset, s.subject) != (sample.dataset, sample.subject))
    selection = protocol.select({"megc2019": [sample, other]}, config)
    plan = [(0, 10.0), (0, 15.0), (1, 10.0)]
    x_ref, y_ref, stats = preprocessing.build_inputs(selection, plan, config, tmp_path)
    x_eai, y_eai, _ = preprocessing.build_inputs(selection, plan, plain, tmp_path)
    assert stats["motion_input"] == "minus_first_frame" and np.array_equal(y_ref, y_eai)
    np.testing.assert_allclose(x_eai[0] - x_ref[0], preprocessing.preprocess(first[None])[0], atol=1e-5)
    np.testing.assert_allclose(x_eai[0] - x_ref[0], x_eai[1] - x_ref[1], atol=1e-5)  # same reference at 10 and 15
    # each clip its own first frame (another face)
    assert np.abs((x_eai[2] - x_ref[2]) - (x_eai[0] - x_ref[0])).max() > 0.1
    # The cached EAIs do not depend on the option (one entry serves both inputs).
    assert preprocessing.eai_params(sample, 10.0, config) == preprocessing.eai_params(sample, 10.0, plain)


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


def _result(name, config, summary, records=()):
    """What the runner hands a report page (common.harness.ExperimentResult's fields the pages read)."""
    return types.SimpleNamespace(name=name, config=config, summary=summary, records=tuple(records))


def test_loso_report_pages_draw_from_the_result_and_the_report_siblings_only(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages

    from common.config import apply_overrides
    from common.harness import ReportContext
    from papers.kumar2019 import EXPERIMENTS, pages
    from papers.kumar2019.config import SMOKE

    config = apply_overrides(Kumar2019Config(), {**SMOKE, "data.motion_input": "minus_first_frame"})  # + difference
    confusion = {scope: (np.eye(3, dtype=int) * 5 + 1).tolist() for scope in ("all",) + reported.DATABASES}
    results = {"experiment": "megc2019_loso",
               "metrics": {"pooled": {s: {"uf1": 0.5, "uar": 0.5, "confusion": m} for s, m in confusion.items()},
                           "per_fold": {"casme2_sub01": {"all": {}, "casme2": {}}}}}
    casme2 = {"metrics": {"pooled": {"all": {"uf1": 0.1234, "uar": 0.4321, "confusion": confusion["casme2"]}}}}
    lines = "\n".join(pages.tables_2_3_lines(results, {"casme2": casme2, "smic": None, "samm": None}))
    assert "0.7621" in lines and "swapped" in lines
    assert "0.1234" in lines and "smic_loso not run in this report" in lines and "casme2_loso not run" not in lines
    for published in ("LBP-TOP", "Bi-WOOF", "OFF-ApexNet", "0.5882", "0.8697", "0.3970"):  # Table 3's other rows
        assert published in lines
    # Example inputs as a fold saves them (preprocessing.save_examples): one clip, the 4 example alphas, its first
    # frame.
    rng = np.random.default_rng(0)
    npz = tmp_path / "examples.npz"
    np.savez_compressed(npz, face=rng.integers(0, 255, (1, 64, 64, 3), dtype=np.uint8),
                        eai=rng.integers(0, 255, (1, 4, 32, 32, 3), dtype=np.uint8),
                        first=rng.integers(0, 255, (1, 32, 32, 3), dtype=np.uint8))
    examples = {"path": str(npz), "alphas": list(preprocessing.EXAMPLE_ALPHAS),
                "clips": [{"key": "casme2/sub01/EP01", "dataset": "casme2", "class": "positive", "kept": [[5, 9]] * 4}]}
    records = [{"fold": "casme2_sub01", "extra": {"examples": examples}}]
    assert pages.example_records(records) == [(examples["clips"][0], examples, 0)]
    sibling = _result("casme2_loso", config, casme2)
    for allow_faces in (True, False):
        pdf_path = tmp_path / f"pages_{allow_faces}.pdf"
        context = ReportContext(paper_id="kumar2019", allow_faces=allow_faces, results={"casme2_loso": sibling})
        with PdfPages(pdf_path) as pdf:
            EXPERIMENTS[0].report_pages(pdf, _result("megc2019_loso", config, results, records), context)
            assert pdf.get_pagecount() == 4  # Tables 2-3, Tables 4-6, Figs. 3-4, example EAIs (or why not)
        assert pdf_path.stat().st_size > 0
    lines = "\n".join(pages.database_lines(casme2, "casme2", None))
    assert "0.1234" in lines and "megc2019_loso not run in this report" in lines
    assert "PARTIAL" not in lines  # a whole run carries no mark; a run cut short names itself beside the paper's
    cut = {**casme2, "folds": [{}] * 2, "folds_protocol": 26}
    first = pages.database_lines(cut, "casme2", None)[0]
    assert first == "casme2_loso: PARTIAL RUN: 2 of 26 folds, not comparable with published rows"
    assert pages.tables_2_3_lines(results, {"casme2": cut, "smic": None, "samm": None})[0] == first
    cells = {pair: None for pair in reported.CROSS_PAIRS}
    cells[reported.CROSS_PAIRS[0]] = {"uf1": 0.4567, "uar": 0.5}
    lines = "\n".join(pages.table_7_lines(cells))
    assert "0.4567" in lines and lines.count("not run in this report") == len(reported.CROSS_PAIRS) - 1


def test_fold_model_is_compiled_once_and_starts_each_fold_as_a_fresh_build():
    """common.training.compiled_like, weight decay included: traced once, each fold from a fresh build's start."""
    from common.config import apply_overrides
    from common.training import forget_compiled
    from helpers import check_kept_fold_model
    from papers.kumar2019.config import SMOKE
    from papers.kumar2019.model import build_model

    config = apply_overrides(Kumar2019Config(), SMOKE)
    check_kept_fold_model(lambda: protocol.fold_model(config, 3), lambda: build_model(config=config, num_classes=3))
    forget_compiled()


def test_table_3_baselines_are_transcribed():
    rows = reported.TABLE_3_BASELINES
    assert list(rows) == ["LBP-TOP", "Bi-WOOF", "OFF-ApexNet"]
    assert rows["LBP-TOP"]["all"] == {"uar": 0.5785, "uf1": 0.5882}
    assert rows["LBP-TOP"]["smic"] == {"uar": 0.5280, "uf1": 0.2000}
    assert rows["Bi-WOOF"]["casme2"] == {"uar": None, "uf1": 0.7902} and rows["Bi-WOOF"]["all"]["uf1"] is None
    assert rows["OFF-ApexNet"]["all"] == {"uar": 0.7033, "uf1": 0.7104} and rows["OFF-ApexNet"]["samm"]["uf1"] == 0.5409
    # every row below "Our Approach" in Table 3 (its best values are ours except CASME II UF1)
    for method in rows.values():
        for scope, cell in method.items():
            if cell["uf1"] is not None and (method, scope) != (rows["OFF-ApexNet"], "casme2"):
                assert cell["uf1"] < reported.TABLE_3[scope]["uf1"]


def _fold_records(experiment_dir) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((experiment_dir / "folds").glob("*.json"))]


def test_smoke_run_of_the_per_database_loso_and_a_cross_experiment_through_run_all(tmp_path_factory, smoke_corpus):
    """One run_all call (one model build and report): a per-database LOSO experiment of Sec. 4 (SMIC's;
    the three differ only in ``protocol.dataset`` and the Table 3 column each is compared with, checked for
    all three), compared with Table 3's column and Tables 4-6, whose folds record what Figs. 3-4 need (PSNR
    per alpha, texture intensity per frame), and one cross-dataset experiment (Table 7) with the
    class-balanced alpha augmentation."""
    import dataclasses

    from papers.kumar2019 import EXPERIMENTS, pages
    from run_cli import SMOKE_RUNS, smoke_run

    names = [f"{db}_loso" for db in reported.DATABASES]
    assert [e.name for e in EXPERIMENTS[1:4]] == names
    assert {r.scope for r in EXPERIMENTS[0].reported} == {"all"}  # the composite: combined column only
    for db, experiment in zip(reported.DATABASES, EXPERIMENTS[1:4]):
        protocol_section = dataclasses.replace(EXPERIMENTS[2].config.protocol, dataset=db)
        assert experiment.config == dataclasses.replace(EXPERIMENTS[2].config, protocol=protocol_section), db
        assert {(r.metric, r.value) for r in experiment.reported} == {
            ("uf1", reported.TABLE_3[db]["uf1"]), ("uar", reported.TABLE_3[db]["uar"])}
        assert experiment.run_fold is EXPERIMENTS[2].run_fold and experiment.report_pages is EXPERIMENTS[2].report_pages
    # the one trained here (its folds are SMIC's subjects) and the cross one (tests/run_cli.SMOKE_RUNS)
    cross = "cross_casme2_to_smic"
    assert SMOKE_RUNS["kumar2019"] == ("smic_loso", cross)
    tmp_path = smoke_run(tmp_path_factory, smoke_corpus, "kumar2019")
    results = json.loads((tmp_path / "kumar2019" / cross / "results.json").read_text())
    assert results["status_counts"] == {"ok": 1}
    assert results["parameters"] == {"resnet34_eai": 21_286_211}
    fold = json.loads((tmp_path / "kumar2019" / cross / "folds" / "casme2_to_smic.json").read_text())
    assert set(fold["datasets"]) == {"smic"}
    extra = fold["extra"]
    assert extra["test_images"] == fold["n_test"] and "timing" in extra
    assert len(fold["history"]["loss"]) == results["config"]["train"]["epochs"]
    probabilities = np.asarray(fold["probabilities"])
    assert probabilities.shape == (fold["n_test"], 3) and np.isfinite(probabilities).all()
    assert sum(extra["train_clips_per_class"].values()) == fold["n_train"]
    # smoke profile: alphas 5 and 15, as many per class as balance the training classes
    assert extra["train_images"] == sum(n * len(extra["class_alphas"][c])
                                        for c, n in extra["train_clips_per_class"].items())
    assert extra["train_images"] == sum(extra["train_images_per_class"].values())
    # The example inputs the report draws, saved by the fold (preprocessing.save_examples): the first test clip of each
    # class of the test database, the first face frame at the crop size and the EAIs at alpha 0, 5, 10, 15.
    examples = extra["examples"]
    assert {c["dataset"] for c in examples["clips"]} == {"smic"} and examples["alphas"] == [0.0, 5.0, 10.0, 15.0]
    assert sorted(c["class"] for c in examples["clips"]) == sorted({protocol.CLASSES[y] for y in fold["y_true"]})
    assert [c["key"] for c in examples["clips"]] == [  # in test order, the first of each class
        k for n, k in enumerate(fold["keys"]) if fold["y_true"][n] not in fold["y_true"][:n]]
    with np.load(examples["path"]) as npz:
        assert npz["face"].shape == (len(examples["clips"]), 64, 64, 3)
        assert npz["eai"].shape == (len(examples["clips"]), 4, 32, 32, 3) and "first" not in npz.files
    removed = 0
    for db, name in (("smic", "smic_loso"),):
        results = json.loads((tmp_path / "kumar2019" / name / "results.json").read_text())
        assert set(results["corpus"]["datasets"]) == {db}  # that database alone
        records = _fold_records(tmp_path / "kumar2019" / name)
        subjects = {s for f in records for s in f["subjects"]}
        assert len(results["folds"]) == len(subjects) >= 2 and results["status_counts"] == {"ok": len(subjects)}
        assert {(c["metric"], c["reported"]) for c in results["comparison"]} == {
            ("uf1", reported.TABLE_3[db]["uf1"]), ("uar", reported.TABLE_3[db]["uar"])}
        data = pages.figure_data(records)
        assert set(data["psnr"]) == {db} and 10.0 in data["psnr"][db]  # the test alpha (every clip once)
        assert set(data["psnr"][db]) <= {5.0, 10.0, 15.0}  # and the smoke training alphas
        assert all(np.isfinite(v).all() and min(v) > 0 for v in data["psnr"][db].values())
        assert len(data["texture"]) == results["n_samples"]  # every clip tested once, at the test alpha
        for curve in data["texture"].values():
            assert len(curve["intensity"]) == len(curve["kept"]) < 61 and 3 <= curve["window"] < 61
        removed += data["removed"][db][0]
        lines = "\n".join(pages.database_lines(results, db, None))
        assert f"{reported.TABLE_3[db]['uf1']:.4f}" in lines and "LBP-TOP" in lines
    assert removed > 0  # Sec. 3.2 removes frames of clips shorter than 61 frames (smoke: window_rule="clip")
    assert (tmp_path / "kumar2019" / "report.pdf").stat().st_size > 0


def _smoke_benchmark(smoke_corpus):
    """(experiment, smoke config, selection, folds) of ``benchmark_experiment(MEGC2019)`` on the smoke corpus."""
    from common.leaderboard.tracks import MEGC2019
    from common.config import apply_overrides
    from common.datasets import load
    from papers.kumar2019 import benchmark_experiment

    experiment = benchmark_experiment(MEGC2019)
    config = apply_overrides(experiment.config, experiment.profiles["smoke"])
    data = {name: load(name, smoke_corpus, **dict(MEGC2019.loader_options.get(name, {}))) for name in MEGC2019.datasets}
    selection = experiment.select(data, config)
    return experiment, config, data, selection, experiment.folds(selection, config, 0)


def test_benchmark_entry_takes_every_track_sample_in_order_and_trains_as_the_composites_loso(smoke_corpus):
    """The benchmark's entry is the composite LOSO experiment (its config and fold function, which the smoke run
    and tests/test_real_shape.py train) on the track's clips, labels and folds."""
    from common.leaderboard.tracks import MEGC2019, MEGC2019_HDE
    from papers.kumar2019 import BENCHMARK_MODELS, EXPERIMENTS, benchmark_experiment

    experiment, config, data, selection, folds = _smoke_benchmark(smoke_corpus)
    loso = EXPERIMENTS[0]
    assert BENCHMARK_MODELS[0] == "resnet34_eai" and experiment.name == "megc2019" and experiment.report_pages is None
    assert experiment.config == loso.config and experiment.profiles == loso.profiles
    assert experiment.run_fold is loso.run_fold and experiment.scopes == MEGC2019.scopes
    # Table 3's combined column only: the per-database columns were separate runs (and SMIC's two values swapped).
    assert {(r.metric, r.scope, r.value) for r in experiment.reported} == {("uf1", "all", 0.7603),
                                                                          ("uar", "all", 0.7355)}
    assert (benchmark_experiment(MEGC2019_HDE).reported == ()
            and benchmark_experiment(MEGC2019_HDE).name == "megc2019_hde")
    with pytest.raises(ValueError, match="no benchmark model"):
        benchmark_experiment(MEGC2019, "vgg16")
    track = MEGC2019.select(data)  # never dropped, never reordered
    assert ([s.key for s in selection.samples] == [s.key for s in track.samples]
            and len(selection) == len(data["megc2019"]))
    assert np.array_equal(selection.labels, track.labels) and selection.class_names == track.class_names
    expected = MEGC2019.folds(track, 0)
    assert [(f.name, f.train.tolist(), f.test.tolist()) for f in folds] == [
        (f.name, f.train.tolist(), f.test.tolist()) for f in expected]


def test_estimate_hooks_give_the_compiled_resnet34_and_the_augmented_training_set(smoke_corpus):
    experiment, config, _, selection, folds = _smoke_benchmark(smoke_corpus)
    fold = folds[0]
    (stage,) = experiment.training_stages(config, selection, fold)
    # Sec. 3.1.1: each training clip at as many alphas as balance the classes (smoke: alphas 5, 15)
    per_class = protocol.class_alphas(selection.labels[fold.train], config.magnification, 3)
    assert stage.samples == sum(len(per_class[int(selection.labels[i])]) for i in fold.train) > len(fold.train)
    assert (stage.model, stage.epochs, stage.batch_size) == ("resnet34_eai", 2, 8)
    model = stage.build()
    assert model.input_shape == (None, 32, 32, 3) and model.optimizer is not None  # compiled, at the EAI size
    clip = experiment.preprocess_clip(selection.samples[0], config)
    assert sorted(clip) == [5.0, 10.0, 15.0]  # the test alpha and the training alphas
    assert all(eai.shape == (32, 32, 3) and eai.dtype == np.uint8 for eai in clip.values())
    assert all(e.training_stages is not None and e.preprocess_clip is not None for e in (experiment,))


def test_export_fold_keeps_the_model_and_predict_clips_gives_the_folds_probabilities(smoke_corpus, tmp_path):
    """--export / --predict hooks: a fold run with an ExportSink keeps the trained ResNet-34; saved and loaded
    as .keras, ``predict_clips`` on the fold's test clips gives the fold's own probabilities (the EAI at the test
    alpha), and a test clip as an unlabelled recording the same row; ``predict_views`` lists the frames the
    texture rule kept, the face square and the EAI the network saw."""
    import dataclasses

    import keras

    from common.experiment import FoldContext
    from common.predict_types import ExportSink, PredictContext
    from common.training import set_seed

    experiment, config, _, selection, folds = _smoke_benchmark(smoke_corpus)
    sink = ExportSink()
    set_seed(0)
    outcome = experiment.run_fold(FoldContext(selection=selection, fold=folds[0], config=config, profile="smoke",
                                              seed=0, work_dir=tmp_path / "fold", cache_dir=tmp_path / "stages",
                                              export=sink))
    assert set(sink.models) == {"resnet34_eai"} and sink.state == {}
    sink.models["resnet34_eai"].save(tmp_path / "resnet34_eai.keras")
    loaded = keras.saving.load_model(tmp_path / "resnet34_eai.keras")
    test = tuple(selection.samples[i] for i in folds[0].test)
    recording = dataclasses.replace(test[0], dataset="recording", subject="", emotion="", clip="new_clip")
    predict = PredictContext(samples=test + (recording,), config=config, models={"resnet34_eai": loaded},
                             state=sink.state, class_names=selection.class_names, cache_dir=tmp_path / "stages")
    probabilities = experiment.predict_clips(predict)
    np.testing.assert_allclose(probabilities[:-1], outcome.probabilities, atol=1e-5)
    np.testing.assert_allclose(probabilities[-1], outcome.probabilities[0], atol=1e-5)
    views = experiment.predict_views(predict, len(test))
    alpha = config.magnification.test_alpha
    texture = outcome.extra["texture"][test[0].key]  # the fold's own record of the texture rule at the test alpha
    assert views.frames == tuple(i for i, kept in enumerate(texture["kept"]) if kept)
    left, top, right, bottom = views.face_box
    assert right - left == bottom - top > 0
    title, eai = views.inputs[0]
    assert title == f"network input: EAI (alpha {alpha:g})" and eai.shape == (32, 32, 3) and eai.dtype == np.uint8
    assert [t for t, _ in views.inputs[1:]] == ["apex face frame", f"apex frame magnified (alpha {alpha:g})"]
