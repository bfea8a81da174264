"""What ``--predict`` checks and records, without a trained model: what each method asks of a clip's frame rate
(``Experiment.frame_rate``, read by ``common.deployment.rates``), and the apex a prediction records.

The needs are pinned to what the papers' filters and windows are, worked out here from each config: Kumar's
magnification band (IIR cut-offs exist only below half the rate), the other methods' windows counted in
frames (never refused). The apex: a method's ``predict_apex`` replaces the recording's, and stdout,
``predictions.csv``, ``--json`` and the page all give the one it returned. The command-line checks on real
exports are in tests/test_deployment.py.
"""
from __future__ import annotations

import dataclasses
import math

import pytest

from common.datasets.sample import Sample
from common.deployment.export import DeployError
from common.deployment.rates import check_corpus_rates, check_fps_option, method_need, rate_note, rate_problem
from common.motion_views import flow_predict_apex
from common.predict_types import FrameRateNeed
from common.leaderboard.tracks import get_track
from papers import PAPER_IDS



def _papers():
    import papers

    return {paper_id: papers.get_paper(paper_id) for paper_id in papers.PAPER_IDS}


def test_kumar_refuses_a_rate_its_magnification_band_cannot_be_filtered_at():
    from common.preprocessing.magnification import iir_coefficient

    module = _papers()["kumar2019"]
    for experiment in module.EXPERIMENTS:
        mag = experiment.config.magnification
        need = method_need(experiment, experiment.config)
        # Nyquist: an IIR cut-off f exists at rate r only for f < r / 2, so the rate must exceed 2 * the top cut-off
        assert need.above == 2 * max(mag.low_hz, mag.high_hz) == 20.0, experiment.name
        with pytest.raises(ValueError):
            iir_coefficient(mag.high_hz, need.above)  # at the limit itself the filter does not exist ...
        assert 0 < iir_coefficient(mag.high_hz, need.above + 0.5) < 1  # ... just above it, it does
        problem = rate_problem(15.0, need, f"kumar2019/{experiment.name}")
        assert problem.startswith(f"15 fps is too low for kumar2019/{experiment.name}, which needs more than 20 fps")
        assert "Sec. 3.1" in problem and "magnification.low_hz" in problem and "--set magnification.high_hz" in problem
        assert rate_problem(20.0, need, "m") and not rate_problem(20.5, need, "m")
        assert not rate_problem(200.0, need, "m")
    config = module.EXPERIMENTS[0].config
    lower = dataclasses.replace(config, magnification=dataclasses.replace(config.magnification, high_hz=7.0))
    assert not rate_problem(15.0, method_need(module.EXPERIMENTS[0], lower), "m")  # 2 x 7 Hz = 14 fps < 15
    still = dataclasses.replace(config, magnification=dataclasses.replace(config.magnification, test_alpha=0.0,
                                                                          train_alphas=(0.0,)))
    assert method_need(module.EXPERIMENTS[0], still).above == 0  # nothing magnified: no band to filter


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_method_takes_any_rate_it_can_and_says_what_it_counts_in_frames(paper_id):
    """Every paper of the registry, by what it declares: a flow method (``needs_motion``) reads an onset and an
    apex frame only (no rate need, its own apex rule); any other counts its input in frames whatever the rate
    (a window, per-frame filter coefficients), is never refused below what its filters need (kumar2019's band:
    the test above), and records what changes at another rate."""
    module = _papers()[paper_id]
    for experiment in module.EXPERIMENTS:
        need = method_need(experiment, experiment.config)
        assert not rate_problem(need.above + 1.0, need, "m"), experiment.name
        if not need.above:
            assert not rate_problem(1.0, need, "m"), experiment.name
        if experiment.needs_motion:
            assert need.above == 0 and experiment.frame_rate is None, experiment.name
            assert experiment.predict_apex is flow_predict_apex, experiment.name
            continue
        assert experiment.predict_apex is None, experiment.name  # they take the recording's apex as it is
        assert need.in_frames, f"{paper_id}/{experiment.name} counts frames but does not say so"
        trained = [100.0, 200.0]
        assert rate_note(200.0, need, trained) == ""  # a rate the model was trained at changes nothing
        note = rate_note(30.0, need, trained)
        assert note == f"30 fps, the model was trained at 100, 200 fps: {need.in_frames}"
    # a benchmark entry carries the paper's hooks (common.experiment.Pipeline.on_track passes them through)
    entry = module.benchmark_experiment(get_track("megc2019"))
    assert entry.frame_rate is module.EXPERIMENTS[0].frame_rate
    assert entry.predict_apex is module.EXPERIMENTS[0].predict_apex


def test_the_frames_each_window_counts_are_the_configs():
    papers = _papers()
    talluri = papers["talluri2022"].EXPERIMENTS[0]
    assert f"{talluri.config.data.frames} frames centred on the apex" in method_need(talluri, talluri.config).in_frames
    reddy = papers["reddy2019"].EXPERIMENTS[0]
    assert f"sees {reddy.config.data.frames} frames" in method_need(reddy, reddy.config).in_frames
    aouayeb = papers["aouayeb2019"].EXPERIMENTS[0]
    assert f"to {aouayeb.config.data.seq_len} frames" in method_need(aouayeb, aouayeb.config).in_frames
    see = papers["see2019"].EXPERIMENTS[0]
    assert f"reach {see.config.features.radii[2]} frames" in method_need(see, see.config).in_frames
    le = papers["le2020"].EXPERIMENTS[0]
    # r = 0.4 and 0.05 per frame: first-order low-pass cut-offs at 200 fps, acos((1 + (1-r)^2 - 2r^2) / (2 (1-r)))
    cut = [math.acos((1 + (1 - r) ** 2 - 2 * r * r) / (2 * (1 - r))) / (2 * math.pi) * 200 for r in (0.05, 0.4)]
    assert f"{cut[0]:.1f}-{cut[1]:.1f} Hz at 200 fps" in method_need(le, le.config).in_frames
    assert f"{cut[0]:.1f}-{cut[1]:.1f}" == "1.6-16.6"  # the reference's band (docs/methods.md section 1.3)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 0.0, -25.0])
def test_a_rate_that_is_not_a_finite_number_above_zero_is_refused(value):
    with pytest.raises(DeployError, match=r"^--fps .*: expected the clip's frame rate, a finite number"):
        check_fps_option(value)
    assert rate_problem(value, FrameRateNeed(), "m").startswith(f"frame rate {value} is not a finite number above 0")


def test_the_training_corpus_rates_are_checked_before_an_export_trains():
    experiment = _papers()["kumar2019"].EXPERIMENTS[0]

    def clips(dataset: str, fps: float, n: int) -> list[Sample]:
        return [Sample(dataset=dataset, subject="s1", clip=f"c{k}", emotion="happiness", onset=1, apex=2, offset=3,
                       fps=fps, frames=()) for k in range(n)]

    check_corpus_rates("kumar2019/megc2019_loso", experiment, experiment.config, clips("smic", 100.0, 3))
    with pytest.raises(DeployError) as refused:
        check_corpus_rates("kumar2019/megc2019_loso", experiment, experiment.config,
                           clips("casme2", 200.0, 2) + clips("mine", 15.0, 4))
    assert str(refused.value).startswith("kumar2019/megc2019_loso: the training selection's 4 clip(s) of mine at "
                                         "15.0 fps: 15 fps is too low")
    with pytest.raises(DeployError, match="of mine at nan fps: frame rate nan is not a finite number above 0"):
        check_corpus_rates("m", experiment, experiment.config, clips("casme2", 200.0, 1) + clips("mine", math.nan, 1))


def test_every_output_records_the_apex_the_method_used(tmp_path):
    import types

    import cv2
    import matplotlib.pyplot as plt
    import numpy as np

    import dummy_paper
    from common.deployment import predict as pr
    from common.deployment.page import draw_page
    from common.deployment.recording import Skipped
    from common.predict_types import PredictContext

    frames = []
    for number in (11, 12, 13, 14):
        frames.append(tmp_path / f"img{number}.png")
        cv2.imwrite(str(frames[-1]), np.full((24, 24, 3), 10 * number, np.uint8))
    sample = Sample(dataset="recording", subject="", clip="mine", emotion="", onset=11, apex=12, offset=14, fps=30.0,
                    frames=tuple(frames), meta={"source": str(tmp_path), "apex_rule": "motion", "fps_source": "--fps"})
    experiment = dataclasses.replace(dummy_paper.FRAMES_EXPERIMENT, predict_apex=lambda ctx, i: (2, "own_rule"))
    manifest = {"paper": "dummy_frames", "experiment": experiment.name, "profile": "smoke", "config_hash": "0",
                "training_corpus": {"kind": "synthetic", "samples": 3}}
    exported = pr.Exported(folder=tmp_path, manifest=manifest, paper_id="dummy_frames", experiment=experiment,
                           config=experiment.config, class_names=("a", "b"), models={}, state={})
    ctx = PredictContext(samples=(sample,), config=experiment.config, models={}, state={}, class_names=("a", "b"),
                         cache_dir=tmp_path)
    used = pr.used_apex(exported, ctx, 0)
    assert (used.apex, used.meta["apex_rule"]) == (13, "own_rule") and used.meta["source"] == str(tmp_path)
    assert pr.used_apex(dataclasses.replace(exported, experiment=dummy_paper.FRAMES_EXPERIMENT), ctx, 0) is sample
    results = [pr.ClipResult(used, "ok", np.array([0.25, 0.75]), "ok", ""),
               Skipped("notes.txt", str(tmp_path / "notes.txt"), "file type .txt is not a clip")]
    lines = pr.summary_lines(exported, results)
    assert lines[1].startswith("mine: frames 11..14, apex 13 (own_rule rule), face ok: b (0.750)")
    assert lines[3:] == ["notes.txt: skipped: file type .txt is not a clip", "1 predicted, 1 skipped of 2"]
    table = pr.predictions_csv(exported, results).splitlines()
    assert table[1].split(",")[:6] == ["mine", str(tmp_path), "11", "13", "14", "own_rule"]
    assert table[2] == f"notes.txt,{tmp_path / 'notes.txt'},,,,,,,,skipped,file type .txt is not a clip,,,,"
    assert table[0].endswith(",a,b,input_warning") and table[1].endswith(",")  # no warning: frames, this chain
    payload = pr.results_json(exported, results)
    assert (payload["clips"][0]["apex"], payload["clips"][0]["apex_rule"]) == (13, "own_rule")
    assert payload["clips"][1]["status"] == "skipped" and payload["counts"]["skipped"] == 1
    fig = plt.figure()
    draw_page(fig, types.SimpleNamespace(**{f.name: getattr(exported, f.name) for f in dataclasses.fields(exported)},
                                         label="dummy", scores="class probabilities"), results[0], 1)
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for ax in fig.axes for t in [ax.title]]
    plt.close(fig)
    assert any("apex 13 (own_rule rule)" in t for t in texts) and any("fps 30 (--fps rate)" in t for t in texts)
    assert "frame 13 (apex)" in texts  # the frame drawn as the apex is the one recorded
    assert not any("apex 12" in t or "motion" in t for t in texts)


def test_the_page_draws_the_apex_rules_curve_and_says_which_chain_made_the_input(tmp_path):
    """The motion curve behind the apex, each rule's peak and the apex used, marked; the chain that made the
    clip's input beside the one the model was trained on, with a warning where they differ (a model trained on
    the authors' released flow images, applied to this suite's own TV-L1 flow); that warning on stdout, in
    predictions.csv and in --json too."""
    import csv
    import io
    import types

    import cv2
    import matplotlib.pyplot as plt
    import numpy as np

    import dummy_paper
    from common.deployment import page
    from common.deployment import predict as pr
    from common.deployment.recording import motion_curve
    from common.predict_types import MotionCurve, PredictViews

    frames = []
    for number in range(1, 11):  # the grey difference from the first frame peaks at frame 5
        frames.append(tmp_path / f"img{number:02d}.png")
        cv2.imwrite(str(frames[-1]), np.full((24, 24, 3), 100 + 10 * (5 - abs(5 - number)), np.uint8))
    grey = motion_curve(frames)
    assert int(np.argmax(grey)) == 4 and grey[0] == 0
    own = MotionCurve(values=tuple(float(v) for v in np.linspace(0, 1, 10)), rule="lbp_spotting", measure="LBP",
                      chosen=9)
    sample = Sample(dataset="recording", subject="", clip="mine", emotion="", onset=1, apex=10, offset=10, fps=30.0,
                    frames=tuple(frames), meta={"source": str(tmp_path), "apex_rule": "lbp_spotting",
                                                "motion_curve": tuple(float(v) for v in grey)})
    views = PredictViews(frames=(0, 9), motion=own, chain="this suite's own chain: TV-L1 optical flow")
    assert [c.rule for c in page.motion_curves(sample, views)] == ["lbp_spotting", "motion"]
    given = dataclasses.replace(sample, meta={"apex_rule": "given"})
    assert page.motion_curves(given, PredictViews(frames=(0,))) == []  # an apex given, no rule of the method's
    experiment = dummy_paper.FRAMES_EXPERIMENT
    released = {"paper": "dummy_frames", "experiment": experiment.name, "profile": "smoke",
                "training_corpus": {"kind": "real", "samples": 442,
                                    "inputs": "the authors' released flow images (no frames)"}}
    chain, trained, warning = page.chains(types.SimpleNamespace(manifest=released), views)
    assert chain == views.chain and trained.startswith("the authors' released flow images")
    assert warning.startswith("WARNING: the model was trained on the authors' released flow images")
    frames_only = {**released, "training_corpus": {"kind": "real", "samples": 9, "inputs": "frames"}}
    assert page.chains(types.SimpleNamespace(manifest=frames_only), views)[1:] == (page.TRAINED_FRAMES, "")
    older = {**released, "training_corpus": {"kind": "real", "samples": 9}}
    assert page.chains(types.SimpleNamespace(manifest=older), views)[1:] == (page.TRAINED_UNKNOWN, "")

    exported = types.SimpleNamespace(folder=tmp_path, manifest=released, paper_id="dummy_frames",
                                     experiment=experiment, class_names=("a", "b"), label="dummy",
                                     scores="class probabilities")
    fig = plt.figure(figsize=(11.69, 8.27))
    page.draw_page(fig, exported, pr.ClipResult(sample, "ok", np.array([0.3, 0.7]), "ok", "", views=views), 1)
    texts = [t.get_text() for t in fig.texts]
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    plt.close(fig)
    assert any(t.startswith("WARNING: the model was trained on the authors' released flow images") for t in texts)
    assert any("input of this clip: this suite's own chain: TV-L1 optical flow" in t for t in texts)
    released_model = pr.Exported(folder=tmp_path, manifest={**released, "config_hash": "0"}, paper_id="dummy_frames",
                                 experiment=experiment, config=experiment.config, class_names=("a", "b"), models={},
                                 state={})
    predicted = [pr.ClipResult(sample, "ok", np.array([0.3, 0.7]), "ok", "")]
    assert pr.summary_lines(released_model, predicted)[1] == warning
    (row,) = csv.DictReader(io.StringIO(pr.predictions_csv(released_model, predicted)))
    assert row["input_warning"] == warning
    assert pr.results_json(released_model, predicted)["method"]["input_warning"] == warning
    assert legend == ["lbp_spotting rule: LBP; peak frame 10",
                      "motion rule: mean absolute grey difference of the face crop from the first frame; peak frame 5",
                      "apex the input was built from: frame 10 (lbp_spotting rule)"]


def test_the_page_names_the_regions_in_a_legend_not_over_one_another(tmp_path):
    """Neighbouring regions' names written on the frame overlapped (the eyebrows, the cheeks): each region is drawn
    in its colour on the frame and named once, in a legend under it."""
    import types

    import cv2
    import matplotlib.pyplot as plt
    import numpy as np

    import dummy_paper
    from common.deployment import page
    from common.deployment import predict as pr
    from common.predict_types import PredictViews

    frame = tmp_path / "img01.png"
    cv2.imwrite(str(frame), np.full((40, 40, 3), 120, np.uint8))
    names = ("right_eye_brow", "left_eye_brow", "nose")
    regions = tuple((name, np.array([[4 + 8 * k, 6], [14 + 8 * k, 14]])) for k, name in enumerate(names))
    views = PredictViews(frames=(0,), regions=regions)
    sample = Sample(dataset="recording", subject="", clip="mine", emotion="", onset=1, apex=1, offset=1, fps=30.0,
                    frames=(frame,), meta={"source": str(tmp_path), "apex_rule": "given"})
    exported = types.SimpleNamespace(folder=tmp_path, manifest={"training_corpus": {"inputs": "frames"}},
                                     paper_id="dummy_frames", experiment=dummy_paper.FRAMES_EXPERIMENT,
                                     class_names=("a", "b"), label="dummy", scores="class probabilities")
    fig = plt.figure(figsize=(11.69, 8.27))
    page.draw_page(fig, exported, pr.ClipResult(sample, "ok", np.array([0.4, 0.6]), "ok", "", views=views), 1)
    framed = fig.axes[0]
    legend = [t.get_text() for t in framed.get_legend().get_texts()]
    on_frame = [t.get_text() for t in framed.texts]
    plt.close(fig)
    assert legend == list(names) and not set(names) & set(on_frame)
