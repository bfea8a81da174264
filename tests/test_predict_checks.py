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
from pathlib import Path

import numpy as np
import pytest

from common.datasets.sample import Sample
from common.deployment.export import DeployError
from common.deployment.rates import check_corpus_rates, check_fps_option, method_need, rate_note, rate_problem
from common.motion_views import flow_predict_apex
from common.preprocessing.cache import source_digest
from common.predict_types import FrameRateNeed
from common.leaderboard.tracks import get_track
from helpers import manifest_folder
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
                "overrides": {}, "seed": 0, "source_digest": source_digest(),
                "training_corpus": {"kind": "synthetic", "samples": 3, "datasets": {"casme2": 3}}}
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
    method = f'"dummy_frames/toy_frames, profile smoke, seed 0, trained on the synthetic corpus (3 clips: casme2 3); ' \
             f'model folder {tmp_path}",class probabilities'
    assert table[2] == (f"notes.txt,{tmp_path / 'notes.txt'},,,,,,,,,,skipped,file type .txt is not a clip,,,,,,"
                        + method)
    # no input warning (frames, this chain); the rate's source; which model; what the numbers are
    assert table[0].endswith(",a,b,input_warning,fps_source,method,scores")
    assert table[1].endswith(",'--fps," + method)  # written safe from spreadsheets (common.files.csv_writer)
    payload = pr.results_json(exported, results)
    assert (payload["clips"][0]["apex"], payload["clips"][0]["apex_rule"]) == (13, "own_rule")
    assert payload["clips"][1]["status"] == "skipped" and payload["counts"]["skipped"] == 1
    fig = plt.figure()
    draw_page(fig, types.SimpleNamespace(**{f.name: getattr(exported, f.name) for f in dataclasses.fields(exported)},
                                         label="dummy", scores="class probabilities", source_warning=""),
              results[0], 1)
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
    released = {"paper": "dummy_frames", "experiment": experiment.name, "profile": "smoke", "overrides": {},
                "seed": 0, "source_digest": source_digest(),
                "training_corpus": {"kind": "real", "samples": 442, "datasets": {"casme2": 442},
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
                                     scores="class probabilities", source_warning="")
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
                                     class_names=("a", "b"), label="dummy", scores="class probabilities",
                                     source_warning="")
    fig = plt.figure(figsize=(11.69, 8.27))
    page.draw_page(fig, exported, pr.ClipResult(sample, "ok", np.array([0.4, 0.6]), "ok", "", views=views), 1)
    framed = fig.axes[0]
    legend = [t.get_text() for t in framed.get_legend().get_texts()]
    on_frame = [t.get_text() for t in framed.texts]
    plt.close(fig)
    assert legend == list(names) and not set(names) & set(on_frame)


# --------------------------------------------------------------------------------------------------
# What a hostile input can do to a prediction: scores that are no distribution, frames that are not files or
# missing, a truncated video, list rows that are devices, a state or a model no export writes, a model file's
# JSON inflating past its bound, size fields without a bound. Each is said or refused in one line, never silent.


def _frames(folder, numbers, size=24):
    import cv2
    import numpy as np

    folder.mkdir(parents=True)
    for number in numbers:
        cv2.imwrite(str(folder / f"img{number:03d}.png"), np.full((size, size, 3), 3 * number, np.uint8))
    return folder


def _exported(tmp_path, scores, *, needs_motion=False):
    """A hand-built export of the dummy frames method whose predict_clips returns ``scores``."""
    import numpy as np

    import dummy_paper
    from common.deployment import predict as pr

    experiment = dataclasses.replace(dummy_paper.FRAMES_EXPERIMENT, needs_motion=needs_motion,
                                     predict_clips=lambda ctx: np.asarray(scores, dtype=float))
    manifest = {"paper": "dummy_frames", "experiment": experiment.name, "profile": "smoke", "config_hash": "0",
                "min_frames": 2, "overrides": {}, "seed": 0, "source_digest": source_digest(),
                "training_corpus": {"kind": "synthetic", "samples": 3, "datasets": {"casme2": 3}}}
    return pr.Exported(folder=tmp_path / "model", manifest=manifest, paper_id="dummy_frames", experiment=experiment,
                       config=experiment.config, class_names=("a", "b", "c"), models={}, state={})


def _sample(folder, onset=1, apex=3, offset=4):
    frames = tuple(sorted(folder.glob("*.png")))
    return Sample(dataset="recording", subject="", clip=folder.name, emotion="", onset=onset, apex=apex, offset=offset,
                  fps=30.0, frames=frames, meta={"source": str(folder), "apex_rule": "given", "fps_source": "--fps"})


def test_scores_that_are_not_one_distribution_per_clip_are_refused_naming_the_model_folder(tmp_path):
    """Every method's scores are one distribution per clip (softmax probabilities; the SVMs' vote shares): NaN
    weights gave NaN probabilities, or an SVM's rows of no vote printed as 0.0000 everywhere and "negative (0.000)"
    with exit status 0. Scores not finite, outside [0, 1] or not summing to 1 are refused, naming the model folder."""
    import numpy as np

    from common.classifiers import class_scores
    from common.deployment import predict as pr

    clip = _frames(tmp_path / "clip", range(1, 5))
    for scores, expected in (([[np.nan] * 3], "clip 1's are not all finite: nan, nan, nan"),
                             ([[0.0, 0.0, 0.0]], "clip 1's sum to 0, not 1"),
                             ([[1.5, -0.5, 0.0]], "clip 1's are not all in [0, 1]"),
                             ([[0.2, 0.8]], "an array of shape (1, 2), not (1, 3)")):
        with pytest.raises(DeployError) as refused:
            pr.predict_samples(_exported(tmp_path, scores), [_sample(clip)], faces_policy="keep", views=False)
        line = str(refused.value)
        assert line.startswith(f"--model {tmp_path / 'model'}: dummy_frames/toy_frames gave scores that are not one "
                               f"distribution per clip ({expected}") and "\n" not in line, line
    (ok,) = pr.predict_samples(_exported(tmp_path, [[0.2, 0.3, 0.5]]), [_sample(clip)], faces_policy="keep",
                               views=False)
    assert ok.status == "ok"
    # an SVM whose decision values are NaN (NaN weights) casts no vote: NaN scores, not a row of zeros
    assert np.isnan(class_scores(np.array([[np.nan, np.nan, np.nan], [1.0, 1.0, 1.0]]), [0, 1, 2], 3, "ovo")[0]).all()
    np.testing.assert_allclose(class_scores(np.array([[1.0, 1.0, 1.0]]), [0, 1, 2], 3, "ovo"), [[2 / 3, 1 / 3, 0]])
    assert np.isnan(class_scores(np.array([[np.nan, 0.5, 0.1]]), [0, 1, 2], 3, "ovr")).all()
    with pytest.raises(ValueError, match="expected at least two distinct classes among 0..2"):
        class_scores(np.array([[1.0, 1.0, 1.0]]), [], 3, "ovo")


def test_frames_that_are_not_files_are_refused_and_gaps_are_counted_and_said(tmp_path):
    """A dangling link, a link to a device, a pipe or a folder with a frame's name were left out unseen (the clip
    predicted on the others, "frames 4366..4386" on stdout); a gap in the numbering counted nothing
    (``missing_frames`` 0). Such an entry is refused, naming it; a gap is counted as the database loaders count it
    and said on stdout, in predictions.csv and on the page's line."""
    import os

    from common.deployment import predict as pr
    from common.deployment.recording import ClipRequest, clip_sample, frames_text

    gap = _frames(tmp_path / "gap", [1, 2, 3, 7, 8, 10])
    sample = clip_sample(ClipRequest(gap, apex="3"), cache_root=tmp_path / "cache", fps=30.0)
    assert sample.meta["missing_frames"] == 4 and len(sample.frames) == 6
    assert frames_text(sample) == "frames 1..10 (6 present, 4 missing: 4..6, 9)"
    exported = _exported(tmp_path, [[0.2, 0.3, 0.5]])
    result = pr.ClipResult(sample, "ok", np.array([0.2, 0.3, 0.5]), "ok", "")
    assert pr.summary_lines(exported, [result])[1].startswith("gap: frames 1..10 (6 present, 4 missing: 4..6, 9), ")
    header, row = pr.predictions_csv(exported, [result]).splitlines()
    assert dict(zip(header.split(","), row.split(",")))["missing_frames"] == "4"
    assert pr.results_json(exported, [result])["clips"][0]["missing_frames"] == 4
    cut = clip_sample(ClipRequest(gap, onset="7", apex="8"), cache_root=tmp_path / "cache", fps=30.0)
    assert cut.meta["missing_frames"] == 1 and frames_text(cut) == "frames 7..10 (3 present, 1 missing: 9)"
    for name, make, expected in (
            ("dangling", lambda p: os.symlink(tmp_path / "nowhere.png", p), "is a link to nothing (dangling)"),
            ("device", lambda p: os.symlink("/dev/zero", p), "is a device (through a link), not a file"),
            ("fifo", os.mkfifo, "is a pipe (FIFO), not a file"),
            ("folder", os.mkdir, "is a folder, not a file")):
        clip = _frames(tmp_path / name, [1, 2, 3, 5])
        make(clip / "img004.png")
        with pytest.raises(DeployError) as refused:
            clip_sample(ClipRequest(clip, apex="3"), cache_root=tmp_path / "cache", fps=30.0)
        assert str(refused.value) == (f"--predict {clip}: frame entry img004.png {expected}; expected a frame image "
                                      "file"), name


def test_a_video_that_decodes_far_fewer_frames_than_it_declares_is_refused_and_a_few_are_said(tmp_path):
    """An MJPG .avi cut at 55 % declares 21 frames and decodes 12: it was predicted on the 12, exit status 0, no word.
    Far fewer than declared is refused (and nothing cached); a frame or two fewer (container counts are estimates
    for some codecs) is predicted and said: stdout, predictions.csv, the JSON."""
    import cv2

    from common.deployment import predict as pr
    from common.deployment.recording import decode_video, frame_count_problem, frames_text

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 200.0, (64, 64))
    for k in range(21):
        writer.write(np.random.default_rng(k).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    writer.release()
    decoded, _, _ = decode_video(video, tmp_path / "cache")
    assert len(decoded) == 21
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[:int(len(data) * 0.55)])
    with pytest.raises(DeployError, match=r"cut.avi: OpenCV decoded 1\d of the 21 frames its container declares \(a "
                                          r"truncated or damaged file; up to 2 fewer"):
        decode_video(cut, tmp_path / "cache2")
    assert not [p for p in (tmp_path / "cache2").rglob("*") if p.is_file()]  # nothing of it cached
    assert frame_count_problem(19, 21) == "" and frame_count_problem(18, 21)  # a frame or two: the count's estimate
    assert frame_count_problem(950, 1000) == "" and frame_count_problem(949, 1000)  # 5 % of a long one
    assert frame_count_problem(12, 0) == "" and frame_count_problem(25, 21) == ""  # no count; more than declared
    frames = tuple(decoded[:20])
    sample = Sample(dataset="recording", subject="", clip="clip", emotion="", onset=1, apex=3, offset=20, fps=200.0,
                    frames=frames, meta={"source": str(video), "apex_rule": "given", "declared_frames": 21,
                                         "decoded_frames": 20, "missing_frames": 0})
    assert frames_text(sample) == "frames 1..20 (20 decoded of the 21 frames the video declares)"
    exported = _exported(tmp_path, [[0.2, 0.3, 0.5]])
    result = pr.ClipResult(sample, "ok", np.array([0.2, 0.3, 0.5]), "ok", "")
    assert "frames 1..20 (20 decoded of the 21 frames the video declares)" in pr.summary_lines(exported, [result])[1]
    header, row = pr.predictions_csv(exported, [result]).splitlines()
    assert dict(zip(header.split(","), row.split(",")))["declared_frames"] == "21"
    assert pr.results_json(exported, [result])["clips"][0]["declared_frames"] == 21


def test_a_video_opencv_cannot_open_is_one_line_and_ffmpeg_says_nothing(tmp_path):
    """FFmpeg's own "moov atom not found" came on stderr before the one-line refusal of a text file named .mp4."""
    import subprocess
    import sys

    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video\n")
    probe = ("import sys\nfrom pathlib import Path\nfrom common.deployment.recording import decode_video\n"
             "from common.deployment.manifest import DeployError\n"
             f"try:\n    decode_video(Path({str(fake)!r}), Path({str(tmp_path / 'cache')!r}))\n"
             "except DeployError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=120)
    assert "notes.mp4: OpenCV cannot open this video" in done.stdout
    assert done.stderr == ""


def test_a_csv_row_naming_a_device_or_a_pipe_is_skipped_with_why(tmp_path):
    """A row naming /dev/zero or a FIFO was accepted as it exists, then listed as a folder: NotADirectoryError,
    the whole list lost. Such a row is skipped with its reason, as a missing path is."""
    import os

    from common.deployment.recording import ClipRequest, clip_requests, Skipped

    os.mkfifo(tmp_path / "fifo")
    clip = _frames(tmp_path / "clip", range(1, 5))
    (tmp_path / "clips.csv").write_text(f"path\n/dev/zero\nfifo\n{clip}\n")
    zero, fifo, ok = clip_requests(tmp_path / "clips.csv").entries
    assert isinstance(zero, Skipped) and isinstance(fifo, Skipped) and isinstance(ok, ClipRequest)
    assert (zero.entry, zero.source) == ("line 2", "/dev/zero") and fifo.entry == "line 3"
    assert zero.reason == fifo.reason == ("not a file or folder (a device, a pipe?); expected a folder of frames or "
                                          "a video")


def test_a_state_or_a_model_no_export_writes_is_refused_naming_the_field():
    """With the hashes recomputed, an SVM's classes [0, 1, 7], [0, 1, -1], [0, 0, 1], [0, 1, 10**30] or ["a", "b",
    "c"] were tracebacks in the method, [0.5, 1, 2] silently cast and [] a row of zeros; a deleted key or a renamed
    model a KeyError. Each is one line naming the manifest field and what was expected."""
    from common.classifiers import SVM_SCORES
    from common.deployment.manifest import check_state, ManifestProblem
    from common.deployment.predict import Recorded

    check_state({"svm_classes": [0, 2], "scores": SVM_SCORES, "motion_scale": None, "feature_scale": [[1.0, 2.0]] * 6,
                 "scaling": [{"std": 0.5}, {"mean": -3.0, "peak": 2.0}], "scale": "a paper's own key"}, 3)
    cases = [({"svm_classes": [0, 1, 7]}, "field 'state.svm_classes[2]' is an integer (7); expected an integer 0..2"),
             ({"svm_classes": [0, 1, -1]}, "field 'state.svm_classes[2]' is an integer (-1); expected an integer 0..2"),
             ({"svm_classes": [0, 0, 1]}, "field 'state.svm_classes[1]' is an integer (0); expected an integer "
                                          "above 0"),
             ({"svm_classes": [0, 1, 10**30]}, "field 'state.svm_classes[2]' is an integer (100000000000000000000"),
             ({"svm_classes": ["a", "b", "c"]}, "field 'state.svm_classes[0]' is a string (\"a\"); expected an "
                                                "integer 0..2"),
             ({"svm_classes": [0.5, 1, 2]}, "field 'state.svm_classes[0]' is a number (0.5)"),
             ({"svm_classes": []}, "field 'state.svm_classes' is an array; expected the classes the SVM was trained "
                                   "on: at least two distinct class indices"),
             ({"svm_classes": [2, 1]}, "field 'state.svm_classes[1]' is an integer (1); expected an integer above 2"),
             ({"scores": "class probabilities (calibrated)"}, "field 'state.scores' is a string"),
             ({"motion_scale": -1.0}, "field 'state.motion_scale' is a number (-1.0); expected null or a finite number "
                                      "> 0"),
             ({"motion_scale": "2"}, "field 'state.motion_scale' is a string"),
             ({"scaling": [{"std": 0}]}, "field 'state.scaling[0].std' is an integer (0); expected a finite "
                                         "number > 0"),
             ({"scaling": [{"mean": 1.0}]}, "field 'state.scaling[0]' holds the keys ['mean']"),
             ({"feature_scale": [[1.0, 2.0], [1.0]]}, "field 'state.feature_scale[1]' is an array"),
             ({"feature_scale": [[1.0, 0.0]]}, "field 'state.feature_scale[0][1]' is a number (0.0)")]
    for state, expected in cases:
        with pytest.raises(ManifestProblem) as refused:
            check_state(state, 3)
        assert str(refused.value).startswith(expected), (state, str(refused.value))
    state = Recorded({"scores": SVM_SCORES}, "state", Path("/m"), "liong2018/megc2019_loso")
    models = Recorded({"other": object()}, "models", Path("/m"), "liong2018/megc2019_loso")
    for mapping, read, expected in ((state, lambda m: m["svm_classes"], "field 'state' has no 'svm_classes'"),
                                    (state, lambda m: m.get("svm_classes"), "field 'state' has no 'svm_classes'"),
                                    (models, lambda m: m["biwoof_svm"], "field 'models' has no 'biwoof_svm'")):
        with pytest.raises(DeployError) as refused:
            read(mapping)
        assert str(refused.value).startswith(f"--model /m: manifest.json {expected}, which liong2018/megc2019_loso "
                                             "reads (it holds "), str(refused.value)
    assert "svm_classes" not in state and list(models) == ["other"] and len(models.values()) == 1


def test_a_model_files_json_member_that_inflates_past_its_bound_is_refused_from_the_directory(tmp_path):
    """A config.json of 1 GiB of spaces deflates into 1 MB: it passed the archive's inflation check and Keras read it
    (2.8 GB) before its own guard refused it. Every JSON member is bounded from the directory, before anything
    reads it."""
    import resource
    import zipfile

    from common.deployment.manifest import JSON_MEMBER_BYTES, weights_problem

    model = tmp_path / "model_a.keras"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("metadata.json", "{}", compress_type=zipfile.ZIP_DEFLATED)
        with archive.open(zipfile.ZipInfo("config.json"), "w") as member:  # streamed: nothing held whole here
            member._compress_type = zipfile.ZIP_DEFLATED  # type: ignore[attr-defined]
            member.write(b"{")
            for _ in range(20):
                member.write(b" " * (1 << 20))
            member.write(b"}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problem = weights_problem(model)
    assert problem == (f"its config.json inflates to {20 * (1 << 20) + 2:,} bytes, more than a model's JSON "
                       f"({JSON_MEMBER_BYTES:,} at most)")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 50_000  # kB: nothing inflated


def test_every_size_a_methods_preprocessing_reads_has_an_upper_bound():
    """An export's overrides set ``features.size: 3000`` (the config and its hash made to match): the prediction ran
    81 s and 2.1 GB. Frame sizes, frame counts, grids and LBP's points are bounded, each far above any paper's."""
    from common.config import ConfigError, numeric_fields
    from common.running.profiles import effective_config

    # the input's sizes: a section of the preprocessing (data, features, face, texture) or the network's input side
    counts = ("frames", "seq_len", "frames_per_clip", "window", "blocks", "grid", "bins", "radii", "points")
    unbounded = []
    for paper_id, module in _papers().items():
        for path, _, name, bound in numeric_fields(module.EXPERIMENTS[0].config):
            section = path.split(".")[0]
            sized = (section in ("data", "features", "face", "texture") and (name.endswith("size") or name in counts)
                     or path == "model.input_size")
            if sized and (bound is None or (bound.le is None and bound.lt is None)):
                unbounded.append(f"{paper_id}: {path}")
    assert unbounded == []
    experiment = _papers()["liong2018"].EXPERIMENTS[0]
    with pytest.raises(ConfigError, match=r"3000 is out of range; FeatureConfig.size must be in \[16, 1024\]"):
        effective_config(experiment, "smoke", {"features.size": 3000})


def test_messages_name_what_the_user_gave_and_the_clip_once(tmp_path):
    """``--apex 99s`` was echoed as ``--apex 24166``; a motionless clip's refusal named its folder twice, and a
    video's named its frames' folder in the cache. A manifest.json linking outside the model folder was read."""
    import os

    import dummy_paper
    from common.deployment import predict as pr
    from common.deployment.recording import ClipRequest, clip_sample

    clip = _frames(tmp_path / "clip", range(1, 5))
    with pytest.raises(DeployError, match=r"^.*clip: --apex 99s \(frame 2971\) is outside the clip \(frames 1..4\)$"):
        clip_sample(ClipRequest(clip, apex="99s"), cache_root=tmp_path / "cache", fps=30.0)
    with pytest.raises(DeployError, match=r"clip: --apex 9 is outside the clip"):
        clip_sample(ClipRequest(clip, apex="9"), cache_root=tmp_path / "cache", fps=30.0)
    with pytest.raises(DeployError, match=r"clip: --onset 0.1s \(frame 4\) is after --offset 2$"):
        clip_sample(ClipRequest(clip, onset="0.1s", offset="2"), cache_root=tmp_path / "cache", fps=30.0)
    motionless = _exported(tmp_path, [[0.2, 0.3, 0.5]], needs_motion=True)
    with pytest.raises(DeployError) as refused:
        pr.predict_samples(motionless, [_sample(clip, apex=1)], faces_policy="keep", views=False)
    assert str(refused.value).startswith(f"{clip}: its apex frame img001.png is its onset frame (apex 1, onset 1)")
    assert str(refused.value).count(str(clip)) == 1
    decoded = _frames(tmp_path / "cache" / "recordings" / "0123", range(1, 5))  # a video's frames, in the cache
    video = dataclasses.replace(_sample(decoded, apex=1), meta={"source": str(tmp_path / "clip.mp4"),
                                                                "apex_rule": "given"})
    with pytest.raises(DeployError) as refused:
        pr.predict_samples(motionless, [video], faces_policy="keep", views=False)
    assert str(refused.value).startswith(f"{tmp_path / 'clip.mp4'}: its apex frame") and "recordings" not in str(
        refused.value)
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "elsewhere.json").write_text("{}")
    os.symlink(tmp_path / "elsewhere.json", model / "manifest.json")
    with pytest.raises(DeployError, match=r"manifest.json leads outside the folder \(a link\); export the model"):
        pr.load_export(model, dummy_paper.DEPLOY_REGISTRY)


def test_a_manifest_of_many_keys_is_read_at_once_and_a_key_given_twice_is_still_refused(tmp_path):
    """The check that no key of manifest.json is given twice counted each key over all the others: a crafted
    manifest of 1.5 million keys (16 MiB) took hours before any field was checked. Counted once, 60,000 keys are read
    and refused in a moment; a key given twice is still one line naming it."""
    import time

    from common.deployment import predict as pr

    model = tmp_path / "model"
    model.mkdir()
    (model / "manifest.json").write_text("{" + ", ".join(f'"k{i}": 0' for i in range(60_000)) + "}")
    started = time.perf_counter()
    with pytest.raises(DeployError, match="field 'format_version' is missing"):
        pr.read_manifest(model)
    assert time.perf_counter() - started < 5  # counted key by key over the others: about 30 s
    (model / "manifest.json").write_text('{"format_version": 3, "b": 1, "a": 1, "b": 2, "a": 2}')
    with pytest.raises(DeployError) as refused:
        pr.read_manifest(model)
    assert str(refused.value) == f"--model {model}: manifest.json cannot be read (key 'a' appears twice in one object)"


def test_a_model_path_too_long_for_the_file_system_is_one_line(tmp_path):
    """``--model`` with a name of 300 characters: ``Path.is_dir`` raises ``OSError`` (ENAMETOOLONG), a traceback.
    It is one line naming the path."""
    import dummy_paper
    from common.deployment import predict as pr

    long = tmp_path / ("m" * 300)
    for read in (pr.read_manifest, lambda folder: pr.load_export(folder, dummy_paper.DEPLOY_REGISTRY)):
        with pytest.raises(DeployError) as refused:
            read(long)
        assert str(refused.value) == (f"--model {long}: cannot be read (File name too long); expected a folder "
                                      "written by --export")


def _keras_archive(path, extra=()):
    """A ``.keras`` archive with the members an export's model file holds (a small HDF5 weights file, stored), and
    ``extra``: ``(name, bytes of zeros)`` members, deflated and streamed (nothing held whole here)."""
    import io
    import zipfile

    import h5py

    weights = io.BytesIO()
    with h5py.File(weights, "w") as arrays:
        arrays.create_dataset("layers/dense/vars/0", data=np.zeros((4, 2), "f4"))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", weights.getvalue())
        archive.writestr("mersuite.json", "{}", compress_type=zipfile.ZIP_DEFLATED)
        for name, size in extra:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as member:
                for _ in range(size >> 20):
                    member.write(bytes(1 << 20))
    return path


def test_a_model_file_with_a_member_no_export_writes_is_refused_from_the_directory(tmp_path):
    """Keras extracts a whole ``.keras`` archive of more than three members to a temporary folder: a member beyond
    an export's (64 MiB of zeros, deflated to 64 kB) passed every check and Keras wrote it out. Any member other
    than an export's, or one given twice, is refused naming it, before anything is inflated; the members inflate
    within what such a file holds."""
    import warnings
    import zipfile

    from common.deployment.manifest import MODEL_MEMBERS, read_model_record, weights_problem

    assert weights_problem(_keras_archive(tmp_path / "ok.keras")) == ""
    assert MODEL_MEMBERS == ("metadata.json", "config.json", "model.weights.h5", "mersuite.json")
    bloated = _keras_archive(tmp_path / "bloated.keras", [("assets/zeros.bin", 64 << 20)])
    assert bloated.stat().st_size < 1 << 20
    for check in (weights_problem, read_model_record):
        with pytest.raises(ValueError) as refused:
            check(bloated)
        assert str(refused.value) == ("it holds a member 'assets/zeros.bin' that no export writes (expected only "
                                      "metadata.json, config.json, model.weights.h5, mersuite.json)")
    twice = _keras_archive(tmp_path / "twice.keras")
    with warnings.catch_warnings(), zipfile.ZipFile(twice, "a") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        archive.writestr("config.json", "{}")
    with pytest.raises(ValueError, match=r"^it holds its member config.json twice \(an export writes each once\)$"):
        weights_problem(twice)


def test_the_out_folder_is_checked_and_locked_before_the_models_load(tmp_path, monkeypatch):
    """``--out`` was checked only when the files were written, after the models loaded and the clips were decoded
    (an --out that is a file was refused then), and not locked: two predictions into one --out replaced each other's
    files. It is created, checked and locked before anything is loaded, and one holding an earlier prediction is
    refused (run_all.py picks ``<out>-2`` for it): each one line; the lock is released with the refusal, and a
    folder the refused prediction made is removed."""
    import fcntl

    from common.deployment import predict as pr
    from common.files import LOCK_NAME

    class Loaded(Exception):
        pass

    def load_export(folder, registry):
        raise Loaded(folder)

    monkeypatch.setattr(pr, "load_export", load_export)
    clip = _frames(tmp_path / "clip", range(1, 5))

    def predict(out):
        return pr.predict_command(clip, tmp_path / "model", fps=30.0, out=out, registry=None)

    (tmp_path / "a_file").write_text("")
    with pytest.raises(DeployError) as refused:
        predict(tmp_path / "a_file")
    assert str(refused.value) == f"--out folder {tmp_path / 'a_file'}: is not a folder; give a folder for the outputs"
    busy = tmp_path / "busy"
    busy.mkdir()
    with open(busy / LOCK_NAME, "a+") as other:  # another prediction writes into it
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(DeployError, match=f"^--out folder {busy} is in use by another run"):
            predict(busy)
    with pytest.raises(Loaded):  # free again: the models load once the folder is held
        predict(busy)
    with open(busy / LOCK_NAME, "a+") as other:  # and the prediction let it go
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with pytest.raises(Loaded):
        predict(tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()  # a refused prediction leaves no folder it made
    done = tmp_path / "done"
    done.mkdir()
    (done / "predictions.csv").write_text("mine")
    with pytest.raises(DeployError) as refused:
        predict(done)
    assert str(refused.value) == (f"--out {done}: holds an earlier prediction (predictions.csv), which this one would "
                                  "replace; give another --out, or move those files")
    assert (done / "predictions.csv").read_text() == "mine"


# --------------------------------------------------------------------------------------------------
# What a prediction says of its model: which code trained it, which recipe, seed and data, what its numbers are.


def test_the_manifest_records_the_source_digest_and_an_older_format_without_it_is_still_read(tmp_path):
    """The manifest recorded the mersuite version only (0.1.0 for every commit) and the config's hash (its values,
    not the code that reads them): an export of last week's code was predicted by today's preprocessing with nothing
    said. Format 4 records the source digest, required (and mirrored by each model file's record); a format-3 folder,
    which has none, is still read (a user's export stays usable), and an older format still refused."""
    from common.deployment.export import FORMAT_VERSION, READ_FORMATS
    from common.deployment.manifest import model_record, RECORDED, record_difference, SOURCE_FIELD
    from common.deployment.predict import read_manifest

    assert FORMAT_VERSION == 4 and READ_FORMATS == (3, 4) and SOURCE_FIELD in RECORDED
    assert read_manifest(manifest_folder(tmp_path / "now"))[SOURCE_FIELD] == source_digest()
    with pytest.raises(DeployError, match="field 'source_digest' is missing; expected a string"):
        read_manifest(manifest_folder(tmp_path / "lacking", source_digest=None))
    with pytest.raises(DeployError, match=r"field 'source_digest' is a string \(\"abc\"\); expected a sha256"):
        read_manifest(manifest_folder(tmp_path / "short", source_digest="abc"))
    older = read_manifest(manifest_folder(tmp_path / "older", format_version=3, source_digest=None))
    assert SOURCE_FIELD not in older
    with pytest.raises(DeployError, match=r"folder format 2\); this is mersuite .* \(format 4, reads formats 3, 4\)"):
        read_manifest(manifest_folder(tmp_path / "oldest", format_version=2, source_digest=None))
    # the model file's record: the field compared where either holds it, so deleting it from the manifest (and
    # calling it format 3, its hashes recomputed) is refused; a format-3 export's manifest and record both lack it
    record = model_record(read_manifest(tmp_path / "now"), "net")
    assert record[SOURCE_FIELD] == source_digest() and record_difference(read_manifest(tmp_path / "now"), "net",
                                                                         record) == ""
    assert record_difference(older, "net", record) == f"field '{SOURCE_FIELD}'"
    assert record_difference(older, "net", model_record(older, "net")) == ""


def test_an_export_trained_by_other_code_is_predicted_and_said_on_every_output(tmp_path, monkeypatch, caplog):
    """Its inputs are made by this code's preprocessing, and may differ from its training's: stderr, stdout, the
    JSON, predictions.csv's method column and the page say so, and the prediction goes on (exit 0); an export that
    records no digest (format 3) says that, and one of this code says nothing."""
    import csv
    import io
    import logging

    import matplotlib.pyplot as plt

    from common.deployment import predict as pr
    from common.deployment.manifest import source_note
    from common.deployment.page import draw_page

    this = source_digest()
    other = "0" * 64
    differs = (f"trained by other code (source digest 0000000000000000 differs from this code's {this[:16]}): its "
               "inputs are made by this code's preprocessing and may differ from its training's")
    assert source_note({"source_digest": this}, this) == ""
    assert source_note({"source_digest": other}, this) == differs
    assert source_note({}, this).startswith("source digest not recorded (an export of folder format 3")
    exported = _exported(tmp_path, [[0.2, 0.3, 0.5]])
    exported = dataclasses.replace(exported, manifest={**exported.manifest, "source_digest": other})
    assert exported.source_warning == differs
    clip = _frames(tmp_path / "clip", range(1, 5))
    monkeypatch.setattr(pr, "load_export", lambda folder, registry: exported)
    with caplog.at_level(logging.WARNING, logger="common.deployment.predict"):
        _, results, outputs = pr.predict_command(clip, exported.folder, fps=30.0, faces_policy="keep",
                                                 out=tmp_path / "out", registry=None)
    assert f"--model {exported.folder}: {differs}" in caplog.messages  # stderr, before the prediction
    assert results[0].status == "ok"
    assert f"WARNING: {differs}" in pr.summary_lines(exported, results)
    method = pr.results_json(exported, results)["method"]
    assert (method["source_digest"], method["code_source_digest"], method["source_warning"]) == (other, this, differs)
    (row,) = csv.DictReader(io.StringIO(outputs["csv"].read_text()))
    assert row["method"].endswith(f"; model folder {exported.folder}; {differs}")
    fig = plt.figure(figsize=(11.69, 8.27))
    draw_page(fig, exported, results[0], 1)
    texts = [t.get_text() for t in fig.texts]
    plt.close(fig)
    assert any(" ".join(differs.split()) in " ".join(t.split()) for t in texts)
    older = dataclasses.replace(exported, manifest={k: v for k, v in exported.manifest.items() if k != "source_digest"})
    assert pr.results_json(older, results)["method"]["source_digest"] is None
    assert pr.summary_lines(older, results)[1].startswith("WARNING: source digest not recorded")
    same = dataclasses.replace(exported, manifest={**exported.manifest, "source_digest": this})
    assert same.source_warning == "" and not any("WARNING" in line for line in pr.summary_lines(same, results))
    assert pr.predictions_csv(same, results).splitlines()[1].endswith(f"model folder {same.folder}\",class "
                                                                      "probabilities")


def test_every_output_names_the_recipe_seed_data_and_what_the_numbers_are(tmp_path):
    """The method line said "profile paper" for an export trained with --set train.epochs=1, never the seed or the
    databases, and predictions.csv (the one table written) named no model at all nor what its numbers are (an SVM's
    vote shares read as probabilities). The label gives the profile with its overrides, the seed and the training
    clips per database; predictions.csv ends with fps_source, method and scores."""
    import csv
    import io

    from common.classifiers import SVM_SCORES
    from common.deployment import predict as pr
    from common.deployment.recording import Skipped

    exported = _exported(tmp_path, [[0.2, 0.3, 0.5]])
    exported = dataclasses.replace(exported, state={"scores": SVM_SCORES}, manifest={
        **exported.manifest, "profile": "paper", "overrides": {"train.epochs": 1, "data.edge": "interpolate"},
        "seed": 7, "training_corpus": {"kind": "real", "samples": 5, "datasets": {"casme2": 3, "smic": 2}}})
    label = ("dummy_frames/toy_frames, profile paper + --set train.epochs=1 --set data.edge=interpolate, seed 7, "
             "trained on the real corpus (5 clips: casme2 3, smic 2)")
    assert exported.label == label
    clip = _frames(tmp_path / "clip", range(1, 5))
    (ok,) = pr.predict_samples(exported, [_sample(clip)], faces_policy="keep", views=False)
    results = [ok, Skipped("notes.txt", str(tmp_path / "notes.txt"), "file type .txt is not a clip")]
    assert pr.summary_lines(exported, results)[0] == f"method {label}; scores: {SVM_SCORES}"
    method = pr.results_json(exported, results)["method"]
    assert method["label"] == label and method["seed"] == 7 and method["overrides"]["train.epochs"] == 1
    assert method["training_datasets"] == {"casme2": 3, "smic": 2}
    table = pr.predictions_csv(exported, results)
    assert table.splitlines()[0] == ("clip,source,onset,apex,offset,apex_rule,fps,frames,missing_frames,"
                                     "declared_frames,face,status,reason,predicted,a,b,c,input_warning,fps_source,"
                                     "method,scores")
    predicted, skipped = csv.DictReader(io.StringIO(table))
    assert predicted["method"] == skipped["method"] == f"{label}; model folder {exported.folder}"
    assert predicted["scores"] == skipped["scores"] == SVM_SCORES
    assert (predicted["fps_source"], skipped["fps_source"]) == ("'--fps", "")  # csv_writer's spreadsheet-safe cell
