"""Export a trained method, predict on a recording (common.deployment, run_all.py --export/--predict).

The mechanics and every refusal run on the dummy paper's ``dummy_frames`` experiment (tests/dummy_paper.py:
two features made from the frame files of the smoke corpus's CASME II clips, a Dense model); one
parametrised test exports each paper of the registry (smoke profile, its first experiment) and predicts one
of its training clips from the saved folder: the probabilities must be the training run's own.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import dummy_paper
import run_all
from run_cli import export_dummy_frames
from common.deployment.export import read_training_predictions
from test_export_checks import own_hash
from common.predict_types import FrameRateNeed

SAME = 1e-5  # the acceptance's "same numbers": the exported folder against the training run's predict step
# mp4v (MPEG-4 part 2, OpenCV's default .mp4 writer) is lossy: decoded frames differ from the JPEG frames by about
# 2.7 grey levels (mean absolute difference, measured on these clips), which moves the dummy's mean-difference
# features by a few percent: probabilities moved by 0.004 (measured); asserted within 0.02. A real method's
# tolerance depends on how much its inputs amplify such noise (not asserted here).
VIDEO_TOLERANCE = 0.02

pytestmark = pytest.mark.slow


def cli(capsys, *argv, registry=dummy_paper.DEPLOY_REGISTRY) -> tuple[int, str, str]:
    code = run_all.main([str(a) for a in argv], registry=registry)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, expected: str, *argv, out: Path | None = None, registry=dummy_paper.DEPLOY_REGISTRY) -> str:
    """``run_all.py ARGV`` exits 2 with one line on stderr containing ``expected`` and writes no ``out``."""
    code, _, err = cli(capsys, *argv, registry=registry)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("run_all.py: error: "), err
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err
    if out is not None:
        assert not out.exists(), f"{out} was written by a refused command"
    return lines[0]


@pytest.fixture(scope="module")
def exported(smoke_corpus, tmp_path_factory):
    """The dummy_frames export (smoke profile) and its training predictions by clip key."""
    folder = export_dummy_frames(smoke_corpus, tmp_path_factory.mktemp("deploy") / "model")
    rows = {row["key"]: row for row in read_training_predictions(folder)}
    return folder, rows


def clip_folder(smoke_corpus: Path, row: dict) -> Path:
    return smoke_corpus / "CASME2" / "Cropped" / "Cropped" / row["subject"] / row["clip"]


def predict_json(capsys, *argv) -> dict:
    code, out, err = cli(capsys, "--predict", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def probabilities(payload: dict, k: int = 0) -> np.ndarray:
    return np.array(list(payload["clips"][k]["probabilities"].values()))


def test_export_writes_a_checked_self_contained_folder(exported):
    folder, rows = exported
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["paper"] == "dummy_frames" and manifest["experiment"] == "toy_frames"
    assert manifest["profile"] == "smoke" and manifest["class_names"] == list(dummy_paper.CLASSES)
    assert manifest["models"][dummy_paper.FRAMES_MODEL]["inputs"] == [[None, 2]]
    assert set(manifest["state"]) == {"scale"} and len(manifest["state"]["scale"]) == 2  # recorded by run_fold
    assert manifest["training_corpus"]["kind"] == "synthetic" and manifest["training_corpus"]["samples"] == 15
    assert manifest["training_corpus"]["fps"] == [200.0] and manifest["min_frames"] == 2
    assert {"dummy_frames_mlp.keras", "training_predictions.csv"} <= set(manifest["files"])
    assert "train" not in manifest["preprocessing"] and manifest["config"]["train"]["epochs"] == 1
    assert len(rows) == 15 and all(abs(r["probabilities"].sum() - 1) < 1e-5 for r in rows.values())
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_predict_on_a_training_clip_gives_the_training_runs_numbers(capsys, exported, smoke_corpus, tmp_path):
    folder, rows = exported
    row = next(iter(rows.values()))
    dummy_paper.HOOKS["ran"].discard("predict_clips")
    payload = predict_json(capsys, clip_folder(smoke_corpus, row), "--model", folder, "--apex", row["apex"],
                           "--out", tmp_path / "out")
    assert "predict_clips" in dummy_paper.HOOKS["ran"]
    clip = payload["clips"][0]
    assert clip["status"] == "ok" and clip["face"] == "ok" and clip["apex_rule"] == "given"
    assert (clip["onset"], clip["apex"], clip["offset"]) == (int(row["onset"]), int(row["apex"]), int(row["offset"]))
    np.testing.assert_allclose(probabilities(payload), row["probabilities"], atol=SAME)
    assert payload["method"]["paper"] == "dummy_frames" and payload["method"]["training_corpus"] == "synthetic"
    for name in ("predictions.csv", "predict.pdf", "predict.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    # seconds: apex 0.03 s after the first frame at the corpus's 200 fps is frame onset + 6
    seconds = predict_json(capsys, clip_folder(smoke_corpus, row), "--model", folder, "--apex",
                           f"{(int(row['apex']) - int(row['onset'])) / 200:.3f}s", "--out", tmp_path / "out2")
    assert seconds["clips"][0]["apex"] == int(row["apex"])
    # the plain output: the method once, then the clip's class and probabilities, then the counts
    code, out, _ = cli(capsys, "--predict", clip_folder(smoke_corpus, row), "--model", folder, "--out", tmp_path / "o3")
    assert code == 0 and out.startswith("method dummy_frames/toy_frames, profile smoke, seed 0, trained on the "
                                        "synthetic corpus (15 clips: casme2 15)")
    assert "apex" in out and "(motion rule)" in out and all(c in out for c in dummy_paper.CLASSES)
    assert out.splitlines()[-1] == "1 predicted of 1"


def test_an_export_of_other_code_or_of_format_3_is_predicted_and_said(capsys, exported, smoke_corpus, tmp_path,
                                                                     monkeypatch):
    """The export records the source digest of the code that trained it, in its manifest and in each model file's
    record. Predicted by other code (this code's digest changed since), or an export of format 3 (no digest): the
    same numbers, exit status 0, and said on stderr, in the JSON and in predictions.csv's method column."""
    import hashlib
    import zipfile

    from common.deployment import predict as pr
    from common.deployment.manifest import canonical_json, MODEL_RECORD, read_model_record
    from common.preprocessing.cache import source_digest

    folder, rows = exported
    manifest = json.loads((folder / "manifest.json").read_text())
    model = f"{dummy_paper.FRAMES_MODEL}.keras"
    record = read_model_record(folder / model)
    assert manifest["format_version"] == 4 and manifest["source_digest"] == record["source_digest"] == source_digest()
    row = next(iter(rows.values()))
    clip = [clip_folder(smoke_corpus, row), "--apex", row["apex"]]
    assert predict_json(capsys, *clip, "--model", folder, "--out", tmp_path / "same")["method"]["source_warning"] == ""
    monkeypatch.setattr(pr, "source_digest", lambda: "f" * 64)  # this code changed since the export
    code, out, err = cli(capsys, "--predict", *clip, "--model", folder, "--out", tmp_path / "other", "--json")
    assert code == 0, err
    note = f"trained by other code (source digest {source_digest()[:16]} differs from this code's ffffffffffffffff)"
    payload = json.loads(out)
    assert note in err and payload["method"]["source_warning"].startswith(note)
    np.testing.assert_allclose(probabilities(payload), row["probabilities"], atol=SAME)
    (line,) = csv.DictReader(io.StringIO((tmp_path / "other" / "predictions.csv").read_text()))
    assert note in line["method"]
    monkeypatch.undo()
    # format 3: neither the manifest nor the model file's record holds a digest
    older = tmp_path / "older"
    shutil.copytree(folder, older)
    with zipfile.ZipFile(older / model) as archive:
        members = {info.filename: (archive.read(info), info.compress_type) for info in archive.infolist()}
    members[MODEL_RECORD] = (canonical_json({k: v for k, v in record.items() if k != "source_digest"}).encode(),
                             members[MODEL_RECORD][1])
    with zipfile.ZipFile(older / model, "w") as archive:
        for name, (content, compress_type) in members.items():
            archive.writestr(name, content, compress_type=compress_type)
    edited = {k: v for k, v in manifest.items() if k not in ("source_digest", "manifest_sha256")}
    edited["format_version"] = 3
    edited["files"][model] = hashlib.sha256((older / model).read_bytes()).hexdigest()
    (older / "manifest.json").write_text(json.dumps({**edited, "manifest_sha256": own_hash(edited)}))
    code, out, err = cli(capsys, "--predict", *clip, "--model", older, "--out", tmp_path / "older_out", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert "source digest not recorded" in err and payload["method"]["source_digest"] is None
    np.testing.assert_allclose(probabilities(payload), row["probabilities"], atol=SAME)


def test_predict_draws_a_path_the_locale_cannot_decode(capsys, exported, smoke_corpus, tmp_path):
    """Under LC_ALL=C without UTF-8 mode a non-ASCII name reaches Python as surrogate escapes ("\udcc3\udca9" for
    "é"): the clip's name on the page and in the PDF is drawn as its UTF-8 text, never a matplotlib traceback."""
    folder, rows = exported
    clip = tmp_path / "vid\udcc3\udca9os" / "clip\udcc3\udca9"
    shutil.copytree(clip_folder(smoke_corpus, next(iter(rows.values()))), clip)
    code, out, err = cli(capsys, "--predict", clip, "--model", folder, "--out", tmp_path / "out\udcc3\udca9")
    assert code == 0, err
    for name in ("predictions.csv", "predict.pdf", "predict.png"):
        assert (tmp_path / "out\udcc3\udca9" / name).stat().st_size > 0


def test_predict_on_an_mp4_of_the_same_frames(capsys, exported, smoke_corpus, tmp_path):
    import cv2

    folder, rows = exported
    row = next(iter(rows.values()))
    frames = sorted(clip_folder(smoke_corpus, row).glob("*.jpg"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
    first = cv2.imread(str(frames[0]))
    video = tmp_path / f"{row['clip']}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 200.0, (first.shape[1], first.shape[0]))
    assert writer.isOpened(), "OpenCV cannot write mp4v"
    for path in frames:
        writer.write(cv2.imread(str(path)))
    writer.release()
    apex = int(row["apex"]) - int(row["onset"]) + 1  # a video's frames are numbered from 1
    payload = predict_json(capsys, video, "--model", folder, "--apex", apex, "--out", tmp_path / "out")
    clip = payload["clips"][0]
    assert clip["fps"] == 200.0 and clip["frames"] == len(frames) and clip["apex"] == apex
    difference = np.abs(probabilities(payload) - row["probabilities"]).max()
    assert difference < VIDEO_TOLERANCE, difference
    # decoded once into the cache, keyed by the file's content: a second run reads the same frames
    again = predict_json(capsys, video, "--model", folder, "--apex", apex, "--out", tmp_path / "out")
    np.testing.assert_array_equal(probabilities(again), probabilities(payload))


def blank_clip(folder: Path, count: int = 6) -> Path:
    import cv2

    folder.mkdir(parents=True)
    for k in range(1, count + 1):
        cv2.imwrite(str(folder / f"frame{k:03d}.png"), np.full((160, 160, 3), 40 + 10 * k, np.uint8))
    return folder


def _face_lost_clip(source: Path, folder: Path) -> Path:
    """The training clip whose second half shows no face (a plain frame)."""
    import cv2

    shutil.copytree(source, folder)
    frames = sorted(folder.glob("*.jpg"))
    for path in frames[len(frames) // 2:]:
        cv2.imwrite(str(path), np.full((160, 160, 3), 90, np.uint8))
    return folder


def test_several_clips_give_one_csv_and_one_page_each(capsys, exported, smoke_corpus, tmp_path):
    folder, rows = exported
    chosen = list(rows.values())[:2]
    clips = tmp_path / "clips"
    clips.mkdir()
    for row in chosen:
        shutil.copytree(clip_folder(smoke_corpus, row), clips / row["clip"])
    payload = predict_json(capsys, clips, "--model", folder, "--out", tmp_path / "out")
    assert [c["clip"] for c in payload["clips"]] == sorted(r["clip"] for r in chosen)
    csv_rows = (tmp_path / "out" / "predictions.csv").read_text().splitlines()
    assert len(csv_rows) == 3 and csv_rows[0].startswith("clip,source,onset,apex,offset")
    pdf = (tmp_path / "out" / "predict.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    # a CSV of clips with their annotations; a clip without a face is left out under the default policy, with why
    blank_clip(tmp_path / "blank")
    row = chosen[0]
    (tmp_path / "clips.csv").write_text(f"path,onset,apex,offset\n{clip_folder(smoke_corpus, row)},{row['onset']},"
                                        f"{row['apex']},{row['offset']}\nblank,,,\n")
    payload = predict_json(capsys, tmp_path / "clips.csv", "--model", folder, "--out", tmp_path / "out_csv")
    first, blank = payload["clips"]
    np.testing.assert_allclose(probabilities(payload), row["probabilities"], atol=SAME)
    assert blank["status"] == "excluded" and blank["face"] == "no_face" and "no face" in blank["reason"]
    assert "excluded" in (tmp_path / "out_csv" / "predictions.csv").read_text()


def test_every_bad_input_is_refused_in_one_line(capsys, exported, smoke_corpus, tmp_path):
    folder, rows = exported
    row = next(iter(rows.values()))
    clip = clip_folder(smoke_corpus, row)
    out = tmp_path / "out"
    model = ("--model", folder, "--out", out)
    # no face; a face lost mid-clip (the face-quality verdicts, --faces-policy as in a run)
    refused(capsys, "no face", "--predict", blank_clip(tmp_path / "blank"), *model, out=out)
    lost = _face_lost_clip(clip, tmp_path / "lost")
    refused(capsys, "the face is lost mid-clip", "--predict", lost, *model, out=out)
    refused(capsys, "refused under --faces-policy refuse", "--predict", lost, *model, "--faces-policy", "refuse",
            out=out)
    kept = predict_json(capsys, lost, "--model", folder, "--out", tmp_path / "kept", "--faces-policy", "keep")
    assert kept["clips"][0]["face"] == "face_lost" and kept["clips"][0]["status"] == "ok"
    # shorter than the method's minimum (min_frames 2)
    refused(capsys, "needs at least 2", "--predict", clip, *model, "--onset", row["onset"], "--offset", row["onset"],
            out=out)
    # an unreadable video, an unsupported file
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    refused(capsys, "OpenCV", "--predict", broken, *model, out=out)
    other = tmp_path / "clip.mkv"
    other.write_bytes(b"not a video")
    refused(capsys, "unsupported file type .mkv", "--predict", other, *model, out=out)
    refused(capsys, "no such file or folder", "--predict", tmp_path / "nowhere", *model, out=out)
    # --apex outside the clip, or outside onset..offset; a bad time
    refused(capsys, "--apex 9999 is outside the clip", "--predict", clip, *model, "--apex", 9999, out=out)
    refused(capsys, "is outside the expression", "--predict", clip, *model, "--onset", int(row["apex"]) + 1,
            "--apex", row["apex"], out=out)
    refused(capsys, "expected a frame number (12) or seconds (1.2s)", "--predict", clip, *model, "--apex", "soon",
            out=out)
    # a model folder with a missing file, from another version, with a changed file
    for damage, expected in (("missing", "missing file(s) dummy_frames_mlp.keras"),
                             ("version", "exported by mersuite 0.0.0"),
                             ("changed", "differ from the sha256"), ("config", "is not the exported one")):
        broken_model = tmp_path / f"model_{damage}"
        shutil.copytree(folder, broken_model)
        manifest = json.loads((broken_model / "manifest.json").read_text())
        if damage == "missing":
            (broken_model / "dummy_frames_mlp.keras").unlink()
        elif damage == "version":
            manifest["mersuite_version"] = "0.0.0"
        elif damage == "changed":
            with open(broken_model / "training_predictions.csv", "a") as handle:
                handle.write("\n")
        else:  # the manifest's own hash recomputed, so that the config is what is checked (against the code)
            manifest["config_hash"] = "0" * 16
            manifest["manifest_sha256"] = own_hash(manifest)
        (broken_model / "manifest.json").write_text(json.dumps(manifest))
        refused(capsys, expected, "--predict", clip, "--model", broken_model, "--out", out, out=out)
    refused(capsys, "no manifest.json", "--predict", clip, "--model", tmp_path, "--out", out, out=out)
    # the options
    refused(capsys, "--predict CLIP needs --model DIR", "--predict", clip)
    refused(capsys, "go with --predict CLIP", "--paper", "dummy_frames", "--apex", "3")
    refused(capsys, "--paper is not used by --predict", "--predict", clip, "--model", folder, "--paper", "dummy")


def test_export_refusals(capsys, smoke_corpus, tmp_path):
    out = tmp_path / "model"
    refused(capsys, "dummy/toy_loso cannot be exported yet: its Experiment has no predict_clips", "--paper", "dummy",
            "--export", out, out=out)
    refused(capsys, "exports one experiment", "--paper", "all", "--export", out, out=out)
    refused(capsys, "has no experiment 'nope'", "--paper", "dummy_frames", "--experiment", "nope", "--export", out,
            out=out)
    refused(capsys, "--out is not used by --export", "--paper", "dummy_frames", "--export", out, "--out", tmp_path,
            out=out)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    refused(capsys, "holds no earlier export", "--paper", "dummy_frames", "--data-root", smoke_corpus, "--export",
            tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_an_export_of_one_class_is_refused_before_training(capsys, smoke_corpus, tmp_path):
    import openpyxl

    root = tmp_path / "data"
    shutil.copytree(smoke_corpus / "CASME2", root / "CASME2")
    shutil.copy(smoke_corpus / "corpus.json", root / "corpus.json")
    sheet = root / "CASME2" / "CASME2-coding-20140508.xlsx"
    book = openpyxl.load_workbook(sheet)
    for row in range(2, book.worksheets[0].max_row + 1):
        book.worksheets[0].cell(row, 9).value = "others"  # every clip: dummy_frames' class "negative"
    book.save(sheet)
    out = tmp_path / "model"
    dummy_paper.reset_hooks()
    line = refused(capsys, "dummy_frames/toy_frames: nothing to export: the training part holds 1 class(es) "
                   "(negative: 15 of 15 samples)", "--paper", "dummy_frames", "--profile", "smoke",
                   "--data-root", root, "--export", out, out=out)
    assert "needs at least two classes" in line and not dummy_paper.HOOKS["ran"]


# --------------------------------------------------------------------------------------------------
# What a user hands over: the recording's frame rate, lists of clips (folders, spreadsheets' CSV files), frame
# files. Each bad input is one line (exit 2) or a completed run that records it; never a traceback, and no
# Python warning either (warnings are errors in these tests).

# A method that needs more than 24 fps (a made-up band filter) and counts a window in frames: the dummy's
# experiment with this declaration, found by the same registry name (the exported config is unchanged).
NEED = FrameRateNeed(above=24.0, why="the test's band filter", remedy="export with a lower band",
                     in_frames="a 9-frame window")


def _needing_registry():
    import types

    frames = types.SimpleNamespace(PAPER=dummy_paper.FRAMES.PAPER, EXPERIMENTS=tuple(
        dataclasses.replace(e, frame_rate=lambda config: NEED) for e in dummy_paper.FRAMES.EXPERIMENTS))
    return types.SimpleNamespace(PAPER_IDS=dummy_paper.DEPLOY_REGISTRY.PAPER_IDS,
                                 get_paper=lambda pid: frames if pid == "dummy_frames" else dummy_paper.get_paper(pid))


def write_video(frames: list[Path], path: Path, fps: float) -> Path:
    import cv2

    first = cv2.imread(str(frames[0]))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (first.shape[1], first.shape[0]))
    assert writer.isOpened(), "OpenCV cannot write MJPG"
    for frame in frames:
        writer.write(cv2.imread(str(frame)))
    writer.release()
    return path


@pytest.fixture()
def strict_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_frame_rates_are_checked_against_the_methods_need(capsys, exported, smoke_corpus, tmp_path, strict_warnings):
    folder, rows = exported
    row = next(iter(rows.values()))
    clip = clip_folder(smoke_corpus, row)
    out = tmp_path / "out"
    for bad in ("nan", "inf", "-inf", "0", "-25"):
        line = refused(capsys, "expected the clip's frame rate, a finite number of frames per second above 0",
                       "--predict", clip, "--model", folder, f"--fps={bad}", "--out", out, out=out)
        assert f"--fps {float(bad)}:" in line
    needing = _needing_registry()
    for rate in ("15", "24"):  # "more than 24": 24 itself is refused
        refused(capsys, f"{clip}: {float(rate):g} fps is too low for dummy_frames/toy_frames, which needs more than 24 "
                        f"fps: the test's band filter; export with a lower band (given by --fps)", "--predict", clip,
                "--model", folder, "--fps", rate, "--out", out, out=out, registry=needing)
    code, stdout, err = cli(capsys, "--predict", clip, "--model", folder, "--fps", "30", "--out", out, "--json",
                            registry=needing)
    assert code == 0, err
    (taken,) = json.loads(stdout)["clips"]
    assert taken["status"] == "ok" and taken["fps"] == 30.0 and taken["fps_source"] == "--fps"
    assert taken["rate_note"] == "30 fps, the model was trained at 200 fps: a 9-frame window"  # recorded, not refused
    assert "trained at 200 fps: a 9-frame window" in err
    # in a folder of clips, the one the method cannot take is skipped with why; the others (the training
    # corpus's 200 fps: a folder of frames has none of its own) are predicted
    clips = tmp_path / "clips"
    shutil.copytree(clip, clips / "a_frames")
    frames = sorted(clip.glob("*.jpg"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
    write_video(frames, clips / "b_webcam.avi", 15.0)
    code, stdout, err = cli(capsys, "--predict", clips, "--model", folder, "--out", out, "--json", registry=needing)
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["counts"] == {"entries": 2, "predicted": 1, "excluded": 0, "skipped": 1}
    ok, webcam = payload["clips"]
    assert ok["status"] == "ok" and ok["fps"] == 200.0 and ok["fps_source"] == "the training corpus's"
    assert webcam["clip"] == "b_webcam.avi" and webcam["status"] == "skipped"
    assert webcam["reason"].startswith("15 fps is too low for dummy_frames/toy_frames, which needs more than 24 fps")
    assert "(the video's rate; give --fps" in webcam["reason"] and "Traceback" not in err


def test_an_export_refuses_training_rates_the_method_cannot_take_before_training(capsys, smoke_corpus, tmp_path):
    # kumar2019 with a 1-60 Hz band needs more than 120 fps: the composite's SMIC clips are at 100 fps
    out = tmp_path / "model"
    line = refused(capsys, "kumar2019/megc2019_loso: the training selection's ", "--paper", "kumar2019", "--experiment",
                   "megc2019_loso", "--profile", "smoke", "--data-root", smoke_corpus, "--set",
                   "magnification.high_hz=60", "--export", out, out=out, registry=None)
    assert "clip(s) of smic at 100.0 fps: 100 fps is too low for kumar2019/megc2019_loso, which needs more than " \
           "120 fps: Sec. 3.1's Eulerian magnification passes 1-60 Hz" in line
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # refused before a temporary folder


def test_every_entry_of_a_folder_of_clips_is_predicted_or_skipped_with_why(capsys, exported, smoke_corpus, tmp_path,
                                                                           strict_warnings):
    folder, rows = exported
    first, second = list(rows.values())[:2]
    clips = tmp_path / "clips"
    shutil.copytree(clip_folder(smoke_corpus, first), clips / "a")
    shutil.copytree(clip_folder(smoke_corpus, second), clips / "b")
    (clips / "c.mkv").write_bytes(b"a video of a type not read")
    (clips / "d_more" / "inner").mkdir(parents=True)  # a folder of clips inside the folder of clips
    shutil.copy(next(clip_folder(smoke_corpus, first).glob("*.jpg")), clips / "d_more" / "inner" / "img1.jpg")
    (clips / "e_empty").mkdir()
    (clips / "notes.txt").write_text("shot on Tuesday")
    (clips / "._a").write_bytes(b"\x00\x05\x16\x07")  # macOS AppleDouble sidecars, beside the clips and the frames
    sidecar = clips / "a" / f"._{next(clip_folder(smoke_corpus, first).glob('*.jpg')).name}"
    sidecar.write_bytes(b"\x00\x05\x16\x07")
    code, stdout, err = cli(capsys, "--predict", clips, "--model", folder, "--out", tmp_path / "out")
    assert code == 0, err
    why = {"._a": "macOS metadata sidecar", "c.mkv": "file type .mkv is not a clip",
           "d_more": "a folder of clips inside the folder of clips", "e_empty": "a folder with no frame images",
           "notes.txt": "file type .txt is not a clip"}
    lines = stdout.splitlines()
    for entry, reason in why.items():
        assert any(line.startswith(f"{entry}: skipped: ") and reason in line for line in lines), (entry, stdout)
    assert lines[-1] == "2 predicted, 5 skipped of 7"
    assert sidecar.name in err and "left out 1 hidden file(s) among the frames" in err
    table = list(csv.DictReader(io.StringIO((tmp_path / "out" / "predictions.csv").read_text())))
    assert [r["clip"] for r in table] == ["._a", "a", "b", "c.mkv", "d_more", "e_empty", "notes.txt"]  # name order
    assert {r["clip"]: r["status"] for r in table} == {**{e: "skipped" for e in why}, "a": "ok", "b": "ok"}
    assert all(reason in next(r["reason"] for r in table if r["clip"] == e) for e, reason in why.items())
    # nothing left to predict: one line naming the entries; frame images beside clips: which did the user mean?
    for name in ("a", "b", "d_more"):
        shutil.rmtree(clips / name)
    refused(capsys, "no frame images", "--predict", clips, "--model", folder, "--out", tmp_path / "o2",
            out=tmp_path / "o2")
    shutil.copytree(clip_folder(smoke_corpus, first), clips / "a")
    shutil.copy(next(clip_folder(smoke_corpus, first).glob("*.jpg")), clips / "thumbnail.jpg")
    line = refused(capsys, "holds both frame images (1, e.g. thumbnail.jpg) and clips (1, e.g. a)", "--predict", clips,
                   "--model", folder, "--out", tmp_path / "o2", out=tmp_path / "o2")
    assert "give one clip's folder of frames or a folder of clips" in line


def test_a_csv_of_clips_as_spreadsheets_write_it(capsys, exported, smoke_corpus, tmp_path, strict_warnings):
    folder, rows = exported
    row = next(iter(rows.values()))
    clip = clip_folder(smoke_corpus, row)
    on, apex, off = row["onset"], row["apex"], row["offset"]
    forms = {  # a byte-order mark, ';' and CRLF (a spreadsheet's "CSV UTF-8" in a ';' locale); tabs; empty columns
        "excel.csv": f"\ufeffPath;Onset;Apex;Offset\r\n{clip};{on};{apex};{off}\r\n".encode(),
        "tabs.csv": f"path\tapex\tonset\toffset\n{clip}\t{apex}\t{on}\t{off}\n".encode(),
        "padded.csv": f"path,onset,apex,offset,,\n{clip},{on},{apex},{off},,\n,,,,,\n".encode(),
    }
    for name, data in forms.items():
        (tmp_path / name).write_bytes(data)
        payload = predict_json(capsys, tmp_path / name, "--model", folder, "--out", tmp_path / "out")
        (taken,) = payload["clips"]
        assert (taken["onset"], taken["apex"], taken["offset"]) == (int(on), int(apex), int(off)), name
        assert taken["apex_rule"] == "given"
        np.testing.assert_allclose(probabilities(payload), row["probabilities"], atol=SAME)
    # rows that cannot be predicted are skipped, each named by its line; the others are predicted
    bad = ["1.2.3", "-3", "1e3", "9" * 5000, "9" * 400 + "s"]
    text = "path,onset,apex,offset\n" + f"{clip},{on},{apex},{off}\n" + f"{clip},{on},{apex},{off},surplus\n" \
        + "nowhere,,,\n" + ",3,,\n" + "".join(f"{clip},{b},,\n" for b in bad)
    (tmp_path / "rows.csv").write_text(text)
    code, stdout, err = cli(capsys, "--predict", tmp_path / "rows.csv", "--model", folder, "--out", tmp_path / "out2",
                            "--json")
    assert code == 0 and "Traceback" not in err, err
    payload = json.loads(stdout)
    assert payload["counts"] == {"entries": 9, "predicted": 1, "excluded": 0, "skipped": 8}
    reasons = {c["clip"]: c["reason"] for c in payload["clips"] if c["status"] == "skipped"}
    assert reasons.pop("line 3") == "5 cells, the header names 4 (a path holding ',' must be quoted)"
    assert reasons.pop("line 4") == "no such file or folder" and reasons.pop("line 5") == "no path"
    assert set(reasons) == {f"line {n}" for n in range(6, 11)}
    assert all("--onset" in r and "expected a frame number (12) or seconds (1.2s)" in r for r in reasons.values())
    assert all(len(r) < 200 for r in reasons.values())  # a 5000-digit onset is not echoed in full
    # nothing to predict, or no header: one line
    (tmp_path / "none.csv").write_text("path,onset\nnowhere,1\n")
    refused(capsys, "no clip to predict among its 1 entry: line 2: no such file or folder", "--predict",
            tmp_path / "none.csv", "--model", folder, "--out", tmp_path / "o3", out=tmp_path / "o3")
    (tmp_path / "header.csv").write_text(f"clip;apex\n{clip};{apex}\n")
    refused(capsys, "expected a header row naming the columns path,onset,apex,offset (path required; found clip;apex)",
            "--predict", tmp_path / "header.csv", "--model", folder, "--out", tmp_path / "o3", out=tmp_path / "o3")
    (tmp_path / "latin.csv").write_bytes("path,apex\nclips/caf\xe9,3\n".encode("latin-1"))
    refused(capsys, "not UTF-8 text", "--predict", tmp_path / "latin.csv", "--model", folder, "--out",
            tmp_path / "o3", out=tmp_path / "o3")


def test_frame_files_and_positions_that_cannot_be_read_as_given(capsys, exported, smoke_corpus, tmp_path,
                                                                strict_warnings):
    folder, rows = exported
    row = next(iter(rows.values()))
    clip = shutil.copytree(clip_folder(smoke_corpus, row), tmp_path / "clip")
    model = ("--model", folder, "--out", tmp_path / "out")
    for bad in ("1.2.3", "-3", "1e3", "12 frames", "\u0661\u0662", "9" * 5000, "9" * 400 + "s"):
        line = refused(capsys, "expected a frame number (12) or seconds (1.2s)", "--predict", clip, *model,
                       f"--onset={bad}", out=tmp_path / "out")
        assert len(line) < 300, line
    refused(capsys, "10 s at 1e+308 fps is no recording's time", "--predict", clip, *model, "--fps", "1e308",
            "--onset", "10s", out=tmp_path / "out")
    # two frame files with one number: both named
    jpg = next(p for p in clip.glob("*.jpg") if p.stem.endswith(row["apex"]))
    shutil.copy(jpg, jpg.with_suffix(".png"))
    refused(capsys, f"two frame files carry the same frame number {row['apex']}: {jpg.name} and "
                    f"{jpg.with_suffix('.png').name}", "--predict", clip, *model, out=tmp_path / "out")


def test_what_a_clip_lacks_is_said_or_refused_never_dropped_unseen(capsys, exported, smoke_corpus, tmp_path,
                                                                   strict_warnings):
    """A truncated video (its container declares every frame, half decode), frame entries that are not files (a
    dangling link, a link to /dev/zero) and a gap in the numbering were predicted with exit status 0 and no word;
    list rows naming a device or a pipe stopped the whole list with a traceback."""
    import os

    folder, rows = exported
    row = next(iter(rows.values()))
    source = clip_folder(smoke_corpus, row)
    frames = sorted(source.glob("*.jpg"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
    model = ("--model", folder, "--fps", "200")
    # a truncated .avi: refused alone, skipped with its reason in a folder of clips
    clips = tmp_path / "clips"
    clips.mkdir()
    whole = write_video(frames, clips / "a_whole.avi", 200.0)
    data = whole.read_bytes()
    (clips / "b_cut.avi").write_bytes(data[:int(len(data) * 0.55)])
    refused(capsys, f"--predict {clips / 'b_cut.avi'}: OpenCV decoded ", "--predict", clips / "b_cut.avi", *model,
            "--out", tmp_path / "o1", out=tmp_path / "o1")
    code, out, err = cli(capsys, "--predict", clips, *model, "--out", tmp_path / "o2")
    assert code == 0, err
    assert "b_cut.avi: skipped: OpenCV decoded " in out
    assert f"of the {len(frames)} frames its container declares" in out
    assert out.splitlines()[-1] == "1 predicted, 1 skipped of 2"
    table = {r["clip"]: r for r in csv.DictReader(io.StringIO((tmp_path / "o2" / "predictions.csv").read_text()))}
    assert table["a_whole"]["declared_frames"] == str(len(frames)) and table["b_cut.avi"]["status"] == "skipped"
    # a gap: counted and said; a frame entry that is not a file: refused, naming it
    gap = shutil.copytree(source, tmp_path / "gap")
    for path in frames[3:6]:
        (gap / path.name).unlink()
    code, out, err = cli(capsys, "--predict", gap, *model, "--out", tmp_path / "o3")
    assert code == 0, err
    numbers = [int(re.findall(r"\d+", p.stem)[-1]) for p in frames]
    said = f"({len(frames) - 3} present, 3 missing: {numbers[3]}..{numbers[5]})"
    assert f"gap: frames {numbers[0]}..{numbers[-1]} {said}" in out
    (recorded,) = csv.DictReader(io.StringIO((tmp_path / "o3" / "predictions.csv").read_text()))
    assert recorded["missing_frames"] == "3" and recorded["frames"] == str(len(frames) - 3)
    for name, target, expected in (("dangling", tmp_path / "nowhere.jpg", "is a link to nothing (dangling)"),
                                   ("devzero", Path("/dev/zero"), "is a device (through a link), not a file")):
        clip = shutil.copytree(source, tmp_path / name)
        (clip / frames[4].name).unlink()
        os.symlink(target, clip / frames[4].name)
        refused(capsys, f"--predict {clip}: frame entry {frames[4].name} {expected}; expected a frame image file",
                "--predict", clip, *model, "--out", tmp_path / "o4", out=tmp_path / "o4")
    # list rows naming a device or a pipe: skipped with why, the other rows predicted
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "clips.csv").write_text(f"path\n/dev/zero\nfifo\n{source}\n")
    code, out, err = cli(capsys, "--predict", tmp_path / "clips.csv", *model, "--out", tmp_path / "o5")
    assert code == 0 and "Traceback" not in err, err
    assert "line 2: skipped: not a file or folder (a device, a pipe?)" in out and "line 3: skipped: not a file" in out
    assert out.splitlines()[-1] == "1 predicted, 2 skipped of 3"


# --------------------------------------------------------------------------------------------------
# Every paper of the registry: export (smoke profile), then predict one training clip's folder from the saved folder.


def _paper_ids() -> tuple[str, ...]:
    import papers

    return papers.PAPER_IDS


# The experiment exported per paper: the first, unless a smaller one trains the same kind of model faster.
SMALLEST = {"kumar2019": "casme2_loso"}  # megc2019_loso (the first) trains on the 36-clip composite: ~50 s more


@pytest.mark.parametrize("paper_id", _paper_ids())
def test_each_paper_predicts_its_training_clip_as_the_training_run(capsys, paper_id, smoke_corpus, tmp_path):
    check_export_and_predict(paper_id, capsys, smoke_corpus, tmp_path)


def check_export_and_predict(paper_id, capsys, smoke_corpus, tmp_path):
    """Export the paper (smoke profile), predict one of its training clips from the saved folder: the training
    run's probabilities (``tests/test_template_paper.py`` runs it on a copy of the template too)."""
    import papers

    module = papers.get_paper(paper_id)
    experiment = next((e for e in module.EXPERIMENTS if e.name == SMALLEST.get(paper_id)), module.EXPERIMENTS[0])
    assert experiment.predict_clips is not None, f"{paper_id}/{experiment.name} cannot be exported"  # every paper can
    folder = tmp_path / "model"
    code, _, err = cli(capsys, "--paper", paper_id, "--experiment", experiment.name, "--profile", "smoke",
                       "--data-root", smoke_corpus, "--export", folder, registry=None)
    assert code == 0, err
    row = read_training_predictions(folder)[0]
    from common.datasets import load

    loaded = {s.key: s for name in experiment.datasets
              for s in load(name, smoke_corpus, **dict(experiment.loader_options.get(name, {})))}
    sample = loaded[row["key"]]
    argv = ["--predict", sample.frames[0].parent, "--model", folder, "--fps", sample.fps, "--out", tmp_path / "out",
            "--json"]
    if sample.dataset != "casme_sq":  # a CAS(ME)^2 clip is a span of a long video: the recording is the whole video
        argv += ["--onset", sample.frame_numbers[0], "--offset", sample.frame_numbers[-1]]
    if sample.apex is not None:
        argv += ["--apex", sample.apex]
    code, out, err = cli(capsys, *argv, registry=None)
    assert code == 0, err
    payload = json.loads(out)
    np.testing.assert_allclose(probabilities(payload), row["probabilities"], atol=SAME)
    from common.deployment.rates import method_need
    from common.running.profiles import effective_config

    need = method_need(experiment, effective_config(experiment, "smoke"))
    if need.above:  # kumar2019's magnification band: a slower recording is refused before any preprocessing
        slow = argv[:argv.index("--fps")] + ["--fps", need.above * 0.75] + argv[argv.index("--fps") + 2:]
        refused(capsys, f"{need.above * 0.75:g} fps is too low for {paper_id}/{experiment.name}, which needs more than "
                        f"{need.above:g} fps: {need.why}", *slow, registry=None)
    if experiment.predict_apex is not None and sample.apex is not None:
        # the flow baselines without --apex: their own rule, not the recording's generic one, chooses the apex, and
        # stdout and predictions.csv record that one; given back as --apex it gives the same numbers
        own = [a for a in argv[:argv.index("--apex")] + argv[argv.index("--apex") + 2:] if a != "--json"]
        code, out, err = cli(capsys, *own[:own.index("--out")], "--out", tmp_path / "own",
                             *own[own.index("--out") + 2:], registry=None)
        assert code == 0, err
        (recorded,) = list(csv.DictReader(io.StringIO((tmp_path / "own" / "predictions.csv").read_text())))
        assert recorded["apex_rule"] == "lbp_spotting"
        assert f"apex {recorded['apex']} (lbp_spotting rule)" in out
        code, out, err = cli(capsys, *argv[:argv.index("--apex")], "--apex", recorded["apex"],
                             *argv[argv.index("--apex") + 2:], registry=None)
        assert code == 0, err
        replay = json.loads(out)
        assert replay["clips"][0]["apex"] == int(recorded["apex"]) and replay["clips"][0]["apex_rule"] == "given"
        np.testing.assert_allclose(probabilities(replay),
                                   [float(recorded[c]) for c in replay["class_names"]], atol=SAME)
