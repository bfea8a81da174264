"""Recordings' clocks, motion and fallbacks at ``--predict``: positions in seconds follow each frame's own
timestamp on a variable frame rate (detected, printed and recorded, never silent); a clip without motion
between onset and apex is excluded for a method that reads that motion, as a run refuses it, and flagged for
the others; each prediction records what it fell back on. Through ``common.deployment.recording`` and the
command line, on the dummy_frames export of the smoke corpus (tests/test_deployment.py's)."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import types
from pathlib import Path

import numpy as np
import pytest

import dummy_paper
from run_cli import export_dummy_frames
from common.datasets.sample import frame_number
from common.deployment.export import DeployError
from common.deployment.recording import ClipRequest, Skipped, clip_sample, decode_video, frame_clock
from test_deployment import blank_clip, write_video, cli, clip_folder, predict_json, refused

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(smoke_corpus, tmp_path_factory):
    """The dummy_frames export (smoke profile) and one of its training clips' folder."""
    from common.deployment.export import read_training_predictions

    folder = export_dummy_frames(smoke_corpus, tmp_path_factory.mktemp("clocks") / "model")
    row = read_training_predictions(folder)[0]
    return folder, clip_folder(smoke_corpus, row)


def ten_frames(source: Path, folder: Path, times: list[float] | None) -> tuple[Path, list[int]]:
    """The first ten frames of ``source`` in ``folder`` (with ``times.txt`` when ``times``), and their numbers."""
    folder.mkdir(parents=True)
    frames = sorted(source.glob("*.jpg"), key=frame_number)[:10]
    for path in frames:
        shutil.copy(path, folder / path.name)
    if times is not None:
        (folder / "times.txt").write_text("".join(f"{t}\n" for t in times), encoding="utf-8")
    return folder, [frame_number(p) for p in frames]


# a phone's clock: five frames 10 ms apart, then 250 ms apart (the average rate, 10 frames in 1.3 s, would put
# 0.5 s at frame 4; the frame taken at 0.5 s is the 7th)
VARIABLE = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.25, 0.5, 0.75, 1.0]


def test_a_variable_frame_rate_takes_seconds_at_each_frames_own_time(capsys, exported, tmp_path):
    folder, source = exported
    clip, numbers = ten_frames(source, tmp_path / "phone", VARIABLE)
    code, out, err = cli(capsys, "--predict", clip, "--model", folder, "--apex", "0.5s", "--fps", "7.7", "--json",
                         "--out", tmp_path / "out")
    assert code == 0, err
    record = json.loads(out)["clips"][0]
    assert record["apex"] == numbers[7] and record["variable_rate"]
    assert record["positions"] == f"--apex 0.5s -> frame {numbers[7]}"
    assert record["clock"].startswith(f"variable frame rate ({clip / 'times.txt'}; intervals 10.0-250.0 ms")
    assert f"{clip}: variable frame rate" in err
    assert f"--apex 0.5s -> frame {numbers[7]} by the frames' own times" in err
    # past the last frame's time: one line, not the last frame
    refused(capsys, "--apex 2s is after the clip's last frame (1.000 s by its timestamps)", "--predict", clip,
            "--model", folder, "--apex", "2s", "--fps", "7.7", "--out", tmp_path / "out2")


def test_a_constant_clock_keeps_the_average_rate_and_bad_timestamps_are_refused(capsys, exported, tmp_path):
    folder, source = exported
    steady = [k / 200 + (0.0005 if k % 2 else 0.0) for k in range(10)]  # 200 fps, half a millisecond of rounding
    clip, numbers = ten_frames(source, tmp_path / "steady", steady)
    payload = predict_json(capsys, clip, "--model", folder, "--apex", "0.02s", "--out", tmp_path / "out")
    record = payload["clips"][0]
    assert record["apex"] == numbers[0] + 4 and not record["variable_rate"]  # 0.02 s x 200 fps
    assert record["clock"].startswith("constant frame rate")
    (clip / "times.txt").write_text("0.0\n0.005\n", encoding="utf-8")
    refused(capsys, "times.txt: 2 timestamp(s) for 10 frame file(s); expected one per frame", "--predict", clip,
            "--model", folder, "--out", tmp_path / "out2")
    (clip / "times.txt").write_text("".join(f"{t}\n" for t in [0.0, 0.01, 0.005] + steady[3:]), encoding="utf-8")
    refused(capsys, "times.txt: expected finite times in seconds, increasing", "--predict", clip, "--model", folder,
            "--out", tmp_path / "out3")


def test_frame_clock_tells_a_dropped_frame_from_rounding():
    assert not frame_clock([k / 30 + (0.001 if k % 3 == 0 else 0) for k in range(30)], "t").variable
    dropped = [k / 30 for k in range(30) if k != 12]
    assert frame_clock(dropped, "t").variable
    assert frame_clock(None, "t").describe().startswith("no timestamps")


def test_a_video_keeps_its_frames_timestamps(exported, tmp_path):
    _, source = exported
    frames = sorted(source.glob("*.jpg"), key=frame_number)[:8]
    video = write_video(frames, tmp_path / "clip.avi", 25.0)
    decoded, fps, times = decode_video(video, tmp_path / "cache")
    assert fps == 25.0 and len(decoded) == 8 and times is not None and len(times) == 8
    np.testing.assert_allclose(np.diff(times), 0.04, atol=0.002)
    assert (decoded[0].parent / "times.txt").is_file()
    sample = clip_sample(ClipRequest(video, apex="0.12s"), cache_root=tmp_path / "cache")
    assert sample.apex == 4 and sample.meta["variable_rate"] is False  # frames numbered from 1: 1 + 0.12 x 25


def test_a_video_that_decodes_to_more_than_its_bounds_is_refused_and_leaves_no_frames(exported, tmp_path, monkeypatch):
    """A video of a few kB can hold minutes of a still picture, every frame of which would be written into the
    cache: its pixels are bounded (recording.MAX_DECODED_BYTES, made small here), and so is each frame's size, read
    from the container before any frame is decoded (io.MAX_PIXELS); a refused video leaves nothing in the cache."""
    import cv2

    from common.deployment import recording
    from common.deployment.manifest import DeployError

    _, source = exported
    frames = sorted(source.glob("*.jpg"), key=frame_number)[:8]
    video = write_video(frames, tmp_path / "clip.avi", 25.0)
    height, width = cv2.imread(str(frames[0])).shape[:2]
    monkeypatch.setattr(recording, "MAX_DECODED_BYTES", 5 * height * width * 3)
    with pytest.raises(DeployError, match=r"clip.avi: it decodes to more than [\d,]+ bytes of pixels \(at frame 6\); "
                                          r"a clip to predict is seconds long"):
        decode_video(video, tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    # tiny frames pass the pixel bound in millions, each a file in the cache: their count is bounded too, as a
    # folder's (recording.MAX_FOLDER_ENTRIES, made small here)
    monkeypatch.setattr(recording, "MAX_DECODED_BYTES", 8 << 30)
    monkeypatch.setattr(recording, "MAX_FOLDER_ENTRIES", 6)
    with pytest.raises(DeployError, match=r"clip.avi: it holds more than 6 frames, as many as a folder of frames may"):
        decode_video(video, tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    monkeypatch.setattr(recording, "MAX_PIXELS", height * width - 1)
    with pytest.raises(DeployError, match=rf"clip.avi: its frames claim {height * width:,} pixels each, more than any "
                                          r"frame this suite reads"):
        decode_video(video, tmp_path / "cache")


def test_a_folder_of_frames_is_bounded_as_a_video_is_and_listed_no_further_than_its_bound(exported, tmp_path,
                                                                                          monkeypatch):
    """A folder of frames is the user's: its frames between onset and offset are bounded as a video's decoded
    frames are (recording.MAX_DECODED_BYTES, made small here), before any frame but the first is read, and a folder
    is listed no further than recording.MAX_FOLDER_ENTRIES (a folder of millions of files is not listed whole)."""
    import cv2

    from common.deployment import recording

    _, source = exported
    folder, numbers = ten_frames(source, tmp_path / "clip", None)
    height, width = cv2.imread(str(next(folder.glob("*.jpg")))).shape[:2]
    monkeypatch.setattr(recording, "MAX_DECODED_BYTES", 5 * height * width * 3)
    with pytest.raises(DeployError, match=rf"frames {numbers[0]}..{numbers[-1]} are 10 frames of {width}x{height}, "
                                          r"more than [\d,]+ bytes of pixels; .* give --onset and --offset"):
        clip_sample(ClipRequest(folder), cache_root=tmp_path / "cache", fps=25.0)
    sample = clip_sample(ClipRequest(folder, onset=str(numbers[2]), offset=str(numbers[6])),
                         cache_root=tmp_path / "cache", fps=25.0)
    assert [frame_number(p) for p in sample.frames] == numbers[2:7]
    monkeypatch.setattr(recording, "MAX_FOLDER_ENTRIES", 9)
    with pytest.raises(DeployError, match=r"clip: more than 9 entries in this folder"):
        clip_sample(ClipRequest(folder, onset=str(numbers[2]), offset=str(numbers[6])),
                    cache_root=tmp_path / "cache", fps=25.0)
    with pytest.raises(DeployError, match=r"more than 9 entries in this folder"):
        recording.clip_requests(folder)


def test_the_motion_curve_read_a_few_frames_at_a_time_is_the_whole_clips(exported):
    """The motion rule's curve is computed a chunk of frames at a time (a long clip's frames are never held at once):
    the same curve, to float32 rounding, as the whole clip's grey frames at once, and the same apex."""
    from common.deployment.recording import motion_curve
    from common.preprocessing.faces import detect_face
    from common.preprocessing.io import read_frames

    _, source = exported
    frames = sorted(source.glob("*.jpg"), key=frame_number)
    grey = read_frames(frames, "gray").astype(np.float32)
    box = detect_face(grey[0].astype(np.uint8))
    assert box is not None  # the crop is exercised
    crop = grey[:, max(box.top, 0):box.bottom + 1, max(box.left, 0):box.right + 1]
    whole = np.abs(crop - crop[0]).mean(axis=(1, 2))
    for chunk in (1, 3, len(frames)):
        curve = motion_curve(frames, chunk=chunk)
        np.testing.assert_allclose(curve, whole, rtol=1e-5)
        assert int(np.argmax(curve)) == int(np.argmax(whole)) and curve[0] == 0.0


def test_onset_and_offset_with_no_frame_between_them_are_refused(exported, tmp_path):
    _, source = exported
    folder, numbers = ten_frames(source, tmp_path / "clip", None)
    for path in folder.glob("*.jpg"):
        if numbers[3] <= frame_number(path) <= numbers[6]:
            path.unlink()
    with pytest.raises(DeployError, match=rf"no frame between --onset {numbers[4]} and --offset {numbers[5]}"):
        clip_sample(ClipRequest(folder, onset=str(numbers[4]), offset=str(numbers[5])),
                    cache_root=tmp_path / "cache", fps=25.0)


def motion_registry():
    """dummy_frames declared as a method that reads the motion from onset to apex (as the flow CNNs)."""
    frames = types.SimpleNamespace(PAPER=dummy_paper.FRAMES.PAPER, EXPERIMENTS=tuple(
        dataclasses.replace(e, needs_motion=True) for e in dummy_paper.FRAMES.EXPERIMENTS))
    return types.SimpleNamespace(PAPER_IDS=dummy_paper.DEPLOY_REGISTRY.PAPER_IDS,
                                 get_paper=lambda pid: frames if pid == "dummy_frames" else dummy_paper.get_paper(pid))


def test_onset_as_apex_is_excluded_for_a_method_that_reads_motion_and_flagged_otherwise(capsys, exported,
                                                                                         tmp_path):
    folder, source = exported
    first = min(frame_number(p) for p in source.glob("*.jpg"))
    line = refused(capsys, "its apex frame", "--predict", source, "--model", folder, "--apex", first,
                   "--out", tmp_path / "out", registry=motion_registry())
    assert "is its onset frame" in line and "reads the motion from onset to apex" in line
    # in a list of clips, that clip is excluded with its reason and the others are predicted
    listing = tmp_path / "clips.csv"
    listing.write_text(f"path,onset,apex,offset\n{source},,{first},\n{source},,{first + 3},\n", encoding="utf-8")
    code, out, err = cli(capsys, "--predict", listing, "--model", folder, "--json", "--out", tmp_path / "o2",
                         registry=motion_registry())
    assert code == 0, err
    statuses = [(c["status"], c["reason"]) for c in json.loads(out)["clips"]]
    assert statuses[0][0] == "excluded" and "no motion between onset and apex" in statuses[0][1]
    assert statuses[1] == ("ok", "")
    # a method that does not read the motion predicts it, and records the flag
    code, out, err = cli(capsys, "--predict", source, "--model", folder, "--apex", first, "--out", tmp_path / "o3")
    assert code == 0, err
    assert "  fallbacks: no motion: " in out
    payload = predict_json(capsys, source, "--model", folder, "--apex", first, "--out", tmp_path / "o4")
    assert payload["clips"][0]["status"] == "ok"
    assert any(f.startswith("no motion: ") for f in payload["clips"][0]["fallbacks"])


def test_every_prediction_records_its_fallbacks(capsys, exported, tmp_path):
    folder, source = exported
    payload = predict_json(capsys, source, "--model", folder, "--out", tmp_path / "out")
    apex = payload["clips"][0]["apex"]
    assert payload["clips"][0]["fallbacks"][0] == f"apex rule: motion (apex {apex})"
    blank = blank_clip(tmp_path / "blank")  # no face anywhere: the face box is a fallback
    payload = predict_json(capsys, blank, "--model", folder, "--fps", "30", "--faces-policy", "keep",
                           "--out", tmp_path / "o2")
    assert any(f.startswith("face box: ") for f in payload["clips"][0]["fallbacks"])


def test_htnet_names_its_fixed_points_where_the_apex_frame_shows_no_face(tmp_path):
    from papers.wang2024.config import HTNetConfig
    from papers.wang2024.preprocessing import fallbacks

    blank = blank_clip(tmp_path / "blank", count=4)
    frames = tuple(sorted(blank.glob("*.png")))
    from common.datasets.sample import Sample

    sample = Sample(dataset="recording", subject="", clip="blank", emotion="", onset=1, apex=3, offset=4, fps=30.0,
                    frames=frames)
    config = HTNetConfig()
    named = fallbacks(sample, config, tmp_path / "cache")
    assert len(named) == 1 and named[0].startswith("fallback points: no face on the apex frame")
    onset = dataclasses.replace(config, data=dataclasses.replace(config.data, landmark_frame="onset"))
    assert fallbacks(sample, onset, tmp_path / "cache") == ()


def test_a_clip_sample_never_chooses_silently(tmp_path):
    """The library entry point: a folder whose clock is variable says so where no notes list is given."""
    import cv2

    folder = tmp_path / "clip"
    folder.mkdir()
    for k in range(1, 6):
        cv2.imwrite(str(folder / f"frame{k:03d}.png"), np.full((16, 16, 3), 10 * k, np.uint8))
    (folder / "times.txt").write_text("0\n0.01\n0.02\n0.5\n1.0\n", encoding="utf-8")
    notes: list[str] = []
    sample = clip_sample(ClipRequest(folder, apex="0.5s"), cache_root=tmp_path, fps=30.0, notes=notes)
    assert sample.apex == 4 and sample.meta["variable_rate"]
    assert len(notes) == 1 and "variable frame rate" in notes[0] and "--apex 0.5s -> frame 4" in notes[0]
    with pytest.raises(DeployError, match="after the clip's last frame"):
        clip_sample(ClipRequest(folder, apex="3s"), cache_root=tmp_path, fps=30.0, notes=[])


def test_a_timestamps_file_is_read_no_further_than_its_frames_need(tmp_path):
    """A folder's times.txt holds one short line a frame: one of many MB (each line a float once read) is refused
    from its first bytes, whatever it holds beyond them."""
    from common.deployment.manifest import DeployError
    from common.deployment.recording import folder_times

    (tmp_path / "times.txt").write_text("".join(f"{0.04 * i:.2f}\n" for i in range(10)))
    assert folder_times(tmp_path, 10) == pytest.approx([0.04 * i for i in range(10)])
    (tmp_path / "times.txt").write_text("0\n" * 5_000_000)
    with pytest.raises(DeployError, match=r"times.txt: more than 4,736 bytes for 10 frame file\(s\)"):
        folder_times(tmp_path, 10)


def test_a_clip_with_an_unreadable_frame_is_skipped_in_a_list_and_one_line_alone(capsys, exported, tmp_path):
    """A frame that cannot be decoded: alone, one line naming it (exit 2); in a list of clips, that clip is not
    predicted, with the reason, and the others are. A truncated frame is found before anything is decoded (the clip
    skipped); one whose first and last bytes are an image's but whose data is not, by the face check, which decodes
    eight frames, the last among them (the clip excluded)."""
    folder, source = exported
    clips = tmp_path / "clips"
    ten_frames(source, clips / "good", None)
    bad, numbers = ten_frames(source, clips / "bad", None)
    broken = next(p for p in bad.glob("*.jpg") if frame_number(p) == numbers[-1])
    whole = broken.read_bytes()
    listing = clips / "clips.csv"
    listing.write_text(f"path,onset,apex,offset\ngood,,,\nbad,,{numbers[3]},\n", encoding="utf-8")
    for content, expected, status in ((whole[:200], "truncated", "skipped"),
                                      (whole[:3] + bytes(200) + whole[-2:], "cannot read this frame", "excluded")):
        broken.write_bytes(content)
        refused(capsys, f"{broken}: {expected}", "--predict", bad, "--model", folder, "--fps", "25", "--apex",
                str(numbers[3]), "--out", tmp_path / "alone")
        code, out, err = cli(capsys, "--predict", listing, "--model", folder, "--fps", "25", "--json",
                             "--out", tmp_path / status)
        assert code == 0, err[-600:]
        records = {Path(c.get("source") or c["clip"]).name: c for c in json.loads(out)["clips"]}
        assert records["good"]["status"] == "ok", records
        assert records["bad"]["status"] == status and f"{broken.name}: {expected}" in records["bad"]["reason"], records


def test_a_frame_only_the_methods_pipeline_reads_excludes_its_clip_in_a_list_and_is_one_line_alone(capsys, exported,
                                                                                                   tmp_path):
    """The checks decode eight frames of a clip (the face check) and look at the ends of every other: a frame whose
    ends are whole but whose data is not an image is met only where the method reads it (dummy_frames reads the
    onset, apex and last frames; frame 3 of 10 is not among the face check's). In a list, that clip is excluded with
    the reason and the others predicted; alone, one line. An image of another size than the clip's first is found
    from its header before any of that, with a given apex as with the motion rule: in a list, that clip is skipped."""
    import cv2

    folder, source = exported
    clips = tmp_path / "clips"
    ten_frames(source, clips / "good", None)
    bad, numbers = ten_frames(source, clips / "bad", None)
    broken = next(p for p in bad.glob("*.jpg") if frame_number(p) == numbers[2])
    whole = broken.read_bytes()
    listing = clips / "clips.csv"
    listing.write_text(f"path,onset,apex,offset\ngood,,,\nbad,,{numbers[2]},\n", encoding="utf-8")
    small = cv2.imencode(".jpg", np.full((12, 16, 3), 128, np.uint8))[1].tobytes()
    for content, expected, status in ((whole[:3] + bytes(200) + whole[-2:], "cannot read this frame", "excluded"),
                                      (small, "frame of 16x12 pixels, but", "skipped")):
        broken.write_bytes(content)
        refused(capsys, f"{broken}: {expected}", "--predict", bad, "--model", folder, "--fps", "25", "--apex",
                str(numbers[2]), "--out", tmp_path / "alone")
        code, out, err = cli(capsys, "--predict", listing, "--model", folder, "--fps", "25", "--json",
                             "--out", tmp_path / expected.split()[0])
        assert code == 0, err[-600:]
        records = {Path(c.get("source") or c["clip"]).name: c for c in json.loads(out)["clips"]}
        assert records["good"]["status"] == "ok", records
        assert records["bad"]["status"] == status and f"{broken.name}: {expected}" in records["bad"]["reason"]


def _late_frame_header_jpeg(size: int) -> bytes:
    """A JPEG of ``size`` x ``size`` pixels whose frame header comes after five 64 KiB APP5 segments (320 KiB, past
    the first bytes a frame's header is looked for in)."""
    import io
    import struct

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), 90, np.uint8)).save(buffer, "JPEG")
    segment = b"\xff\xe5" + struct.pack(">H", 65535) + bytes(65533)
    return buffer.getvalue()[:2] + segment * 5 + buffer.getvalue()[2:]


def _pillow_image(size: int, form: str) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), 90, np.uint8)).save(buffer, form)
    return buffer.getvalue()


def test_a_frame_file_of_more_bytes_than_any_frame_holds_is_refused_before_it_is_read(tmp_path):
    """A frame file is read whole before its header is looked at: one of more bytes than an uncompressed 32-bit BMP
    of io.MAX_PIXELS (a sparse file here, nothing on disk) is refused from its size, nothing read."""
    import resource

    from common.preprocessing import io
    from common.preprocessing.io import FrameReadError, decode_image, read_frame

    path = tmp_path / "img001.png"
    with open(path, "wb") as handle:
        handle.truncate(io.MAX_IMAGE_BYTES + 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for read in (read_frame, lambda p: decode_image(p, 1)):
        with pytest.raises(FrameReadError, match=rf"img001.png: {io.MAX_IMAGE_BYTES + 1:,} bytes, more than "
                                                 rf"{io.MAX_IMAGE_BYTES:,}, more than an? \w+ file of at most "):
            read(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100_000  # kB: nothing of it read


@pytest.mark.parametrize("name, make", [("frame.tif", lambda n: _pillow_image(n, "TIFF")),
                                        ("tiff_named.png", lambda n: _pillow_image(n, "TIFF")),
                                        ("webp_named.jpg", lambda n: _pillow_image(n, "WEBP")),
                                        ("late_header.jpg", _late_frame_header_jpeg)])
def test_a_frame_of_any_format_opencv_reads_is_bounded_by_its_header_before_decoding(tmp_path, monkeypatch, name,
                                                                                      make):
    """OpenCV decodes a frame by its content, whatever its name, and allocates the whole image its header claims: a
    TIFF (a 5 kB one claims 20000 x 20000 pixels and decodes to 1.2 GB), a WebP under a frame's name, a JPEG whose
    frame header lies past the first bytes searched are held to the same bound as a PNG's header (io.MAX_PIXELS,
    lowered here so that 64 x 64 is over it), and a size past Pillow's own bomb limit too, never decoded."""
    from PIL import Image

    from common.preprocessing import io
    from common.preprocessing.io import FrameReadError, read_frame

    path = tmp_path / name
    path.write_bytes(make(64))
    assert read_frame(path).shape == (64, 64, 3)  # within the bound: read as before
    monkeypatch.setattr(io, "MAX_PIXELS", 64 * 64 - 1)
    with pytest.raises(FrameReadError, match=rf"{name}: its header claims 64x64 pixels, more than any frame"):
        read_frame(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow's own refusal: a claim of more than twice this
    with pytest.raises(FrameReadError, match=rf"{name}: its header claims more than 4,095 pixels; not decoded"):
        read_frame(path)


def test_a_frame_whose_size_no_header_check_reads_is_refused_never_decoded(capsys, exported, tmp_path):
    """OpenCV decodes formats whose header Pillow does not read (a Radiance HDR image here; OpenEXR, PFM, PAM), bounded
    by nothing but OpenCV's own 2^30 pixels: such a frame, under its own name or a frame's, is refused in one line
    naming it and the formats read, never decoded (a released image reader gets None: "not a readable image"); in a
    --predict clip too. The formats the suite and its tests write are read as before."""
    import cv2

    from common.preprocessing.io import FrameReadError, decode_image, read_frame

    image = np.full((12, 16, 3), 90, np.uint8)
    for suffix in (".jpg", ".png", ".bmp", ".tif", ".webp", ".ppm", ".pgm"):
        path = tmp_path / f"frame{suffix}"
        assert cv2.imwrite(str(path), image[..., 0] if suffix == ".pgm" else image)
        assert read_frame(path).shape == (12, 16, 3) and decode_image(path, cv2.IMREAD_COLOR) is not None
    hdr = tmp_path / "frame.hdr"
    assert cv2.imwrite(str(hdr), image.astype(np.float32) / 255)
    named = tmp_path / "frame001.jpg"
    named.write_bytes(hdr.read_bytes())
    for path in (hdr, named):
        with pytest.raises(FrameReadError) as raised:
            read_frame(path)
        assert str(raised.value) == (f"{path}: cannot read this frame: not a JPEG, PNG, BMP, TIFF, WebP or PPM/PGM "
                                     f"image, the formats whose size is checked before decoding (another, such as "
                                     f"Radiance HDR, OpenEXR or PFM, is not decoded)")
        assert decode_image(path, cv2.IMREAD_COLOR) is None
    folder, source = exported
    bad, numbers = ten_frames(source, tmp_path / "bad", None)
    first = next(p for p in bad.glob("*.jpg") if frame_number(p) == numbers[0])
    first.write_bytes(hdr.read_bytes())
    refused(capsys, f"{first}: cannot read this frame: not a JPEG, PNG, BMP, TIFF, WebP or PPM/PGM image", "--predict",
            bad, "--model", folder, "--fps", "25", "--out", tmp_path / "out")


def test_an_apex_on_a_frame_missing_from_the_clip_is_refused_not_taken_at_its_neighbour(tmp_path):
    """A clip with a gap (frames 1, 2, 6, 7): an apex given on a missing frame, as a number or in seconds, would be
    recorded as given while the method builds its input from the nearest frame present (Sample.position): refused
    in one line naming both neighbours, as the database loaders drop such an apex (docs/data-invariants.md, rule
    2). An apex on a frame present is taken."""
    import cv2

    folder = tmp_path / "gap"
    folder.mkdir()
    for k in (1, 2, 6, 7):
        cv2.imwrite(str(folder / f"frame{k:03d}.png"), np.full((16, 16, 3), 30 * k, np.uint8))
    for apex, given in (("4", "--apex 4 is"), ("0.1s", "--apex 0.1s (frame 4) is")):
        with pytest.raises(DeployError, match=rf"gap: {re.escape(given)} a frame missing from the clip .*the nearest "
                                              r"are 2 and 6\)"):
            clip_sample(ClipRequest(folder, apex=apex), cache_root=tmp_path, fps=30.0, notes=[])
    assert clip_sample(ClipRequest(folder, apex="6"), cache_root=tmp_path, fps=30.0, notes=[]).apex == 6


def _avi_rate(video: Path, scale: int, rate: int) -> Path:
    """``video`` (an MJPG .avi) with its stream header's rate set to ``rate / scale`` frames a second."""
    import struct

    data = bytearray(video.read_bytes())
    header = data.find(b"strh")
    data[header + 28:header + 36] = struct.pack("<II", scale, rate)  # dwScale, dwRate
    video.write_bytes(bytes(data))
    return video


def test_a_video_whose_container_claims_under_one_frame_a_second_counts_as_giving_no_rate(tmp_path):
    """A damaged header's rate of 1e-09 fps (one frame in 31 years) is no camera's: it is read as giving no rate, as
    one over 10,000 fps is, so the training corpus's rate is taken and recorded as its source; 25 fps is the
    video's."""
    folder = blank_clip(tmp_path / "frames")
    frames = sorted(folder.glob("*.png"))
    for scale, rate, fps, source in ((10**9, 1, 200.0, "the training corpus's"), (1, 25, 25.0, "the video's")):
        video = _avi_rate(write_video(frames, tmp_path / f"clip{rate}.avi", 25.0), scale, rate)
        sample = clip_sample(ClipRequest(video), cache_root=tmp_path / "cache", default_fps=200.0, notes=[])
        assert (sample.fps, sample.meta["fps_source"]) == (fps, source)


def test_a_clip_path_that_is_a_loop_of_links_is_named_so(tmp_path):
    """A link to itself or to nothing exists as a name: "no such file or folder" would contradict what ls shows."""
    from common.deployment.recording import clip_requests

    os.symlink(tmp_path / "loop", tmp_path / "loop")
    with pytest.raises(DeployError, match=r"loop: a link to nothing \(dangling, or a loop of links\)$"):
        clip_requests(tmp_path / "loop")
    (tmp_path / "clips.csv").write_text("path\nloop\n", encoding="utf-8")
    skipped = clip_requests(tmp_path / "clips.csv").entries[0]
    assert isinstance(skipped, Skipped), skipped
    assert skipped.reason == "a link to nothing (dangling, or a loop of links)", skipped


def _equal_frames(folder: Path, level: int, mtime_ns: int = 1_600_000_000_000_000_000) -> Path:
    """Five 16 x 16 BMP frames (every file of the same size, whatever its pixels) of grey ``level + k``, each given
    the mtime ``mtime_ns``, as an archive or ``rsync -a`` keeps it."""
    import cv2

    folder.mkdir(parents=True)
    for k in range(1, 6):
        path = folder / f"frame{k:03d}.bmp"
        assert cv2.imwrite(str(path), np.full((16, 16, 3), level + k, np.uint8))
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return folder


def test_two_recordings_of_one_name_with_equal_sizes_and_mtimes_share_no_cache_entry(tmp_path):
    """Two folders both named frames/ whose frames have the same names, sizes and mtimes but other pixels: the second
    recording never gets the first one's stage results (faces, flow, prediction). Its key holds its frames' folder
    and bytes: the same pixels rewritten in place (size and mtime kept) or the same frames elsewhere are other keys."""
    from common.preprocessing.cache import cache_key, cached, sample_fingerprint
    from common.preprocessing.io import read_frames

    one, two = _equal_frames(tmp_path / "one" / "frames", 40), _equal_frames(tmp_path / "two" / "frames", 160)
    samples = [clip_sample(ClipRequest(folder, apex="3"), cache_root=tmp_path / "cache", fps=30.0, notes=[])
               for folder in (one, two)]
    fingerprints = [sample_fingerprint(sample) for sample in samples]
    assert samples[0].clip == samples[1].clip == "frames"
    assert fingerprints[0]["frames"] == fingerprints[1]["frames"]  # names, sizes and mtimes alike
    assert cache_key("probe", fingerprints[0], {}) != cache_key("probe", fingerprints[1], {})
    means = [float(cached("probe", sample_fingerprint(sample), {}, lambda s=sample: np.array([read_frames(
        s.frames).mean()]), root=tmp_path / "stages")[0]) for sample in samples]
    assert means == [43.0, 163.0]  # each recording's own pixels, the second not read from the first's entry
    # the pixels of one frame rewritten in place, its size and mtime kept: another key
    before = cache_key("probe", sample_fingerprint(samples[1]), {})
    shutil.rmtree(two)
    _equal_frames(two, 161)
    assert sample_fingerprint(samples[1])["frames"] == fingerprints[1]["frames"]
    assert cache_key("probe", sample_fingerprint(samples[1]), {}) != before
    # the same frames at another place: another key
    copy = _equal_frames(tmp_path / "three" / "frames", 40)
    elsewhere = clip_sample(ClipRequest(copy, apex="3"), cache_root=tmp_path / "cache", fps=30.0, notes=[])
    assert cache_key("probe", sample_fingerprint(elsewhere), {}) != cache_key("probe", fingerprints[0], {})


def test_a_frame_of_another_size_is_refused_with_a_given_apex_too(tmp_path):
    """The motion rule reads every frame and refuses one of another size than the clip's first; with --apex given no
    frame but the first is read here, and a method's pipeline may resize every frame to one size, silently: each
    frame's header size is checked against the first's all the same, in the words of the motion rule's refusal."""
    import cv2

    from common.preprocessing.io import FrameReadError

    folder = tmp_path / "clip"
    folder.mkdir()
    for k in range(1, 6):
        shape = (12, 16, 3) if k == 4 else (16, 16, 3)
        assert cv2.imwrite(str(folder / f"frame{k:03d}.png"), np.full(shape, 30 * k, np.uint8))
    expected = (f"{folder / 'frame004.png'}: frame of 16x12 pixels, but frame001.png of the same clip is 16x16; "
                "expected one frame size per clip")
    for apex in ("2", None):
        with pytest.raises(FrameReadError) as raised:
            clip_sample(ClipRequest(folder, apex=apex), cache_root=tmp_path / "cache", fps=30.0, notes=[])
        assert str(raised.value) == expected
    # frames outside --onset/--offset are not the clip's: not compared
    sample = clip_sample(ClipRequest(folder, apex="2", offset="3"), cache_root=tmp_path / "cache", fps=30.0, notes=[])
    assert len(sample.frames) == 3


def test_a_path_too_long_for_the_file_system_is_a_skipped_row_or_one_line(capsys, tmp_path):
    """A name of 300 characters (the file systems take 255 bytes) fails its lookup with ENAMETOOLONG, not "no such
    file": in a CSV of clips, that row is skipped with its reason, as other bad rows are; as --predict's path, one
    line (exit 2), never a traceback."""
    from common.deployment.recording import clip_requests

    long_name = "a" * 300
    (tmp_path / "clips.csv").write_text(f"path\n{long_name}\n", encoding="utf-8")
    skipped = clip_requests(tmp_path / "clips.csv").entries[0]
    assert isinstance(skipped, Skipped), skipped
    assert (skipped.entry, skipped.source) == ("line 2", str(tmp_path / long_name))
    assert skipped.reason == "cannot be read (File name too long)"
    with pytest.raises(DeployError, match=r"a{300}: cannot be read \(File name too long\)$"):
        clip_requests(tmp_path / long_name)
    refused(capsys, f"--predict {tmp_path / long_name}: cannot be read (File name too long)", "--predict",
            tmp_path / long_name, "--model", tmp_path / "model", "--out", tmp_path / "out")


def test_a_frame_the_cache_cannot_take_leaves_no_decoding_and_an_emptied_one_is_refused(tmp_path, monkeypatch):
    """cv2.imwrite says False where a frame is not written (a full disk): the decoding is refused in one line and
    nothing of it is cached as complete (later runs would take the frames missing). A decoding in the cache whose
    frame files are gone is refused in one line naming its folder, not an IndexError."""
    import cv2

    from common.deployment import recording

    frames = sorted(blank_clip(tmp_path / "frames").glob("*.png"))
    video = write_video(frames, tmp_path / "clip.avi", 25.0)
    monkeypatch.setattr(recording.cv2, "imwrite", lambda *args, **kwargs: False)
    with pytest.raises(DeployError, match=r"clip.avi: cannot write its frame 1 into the cache \(.*a full disk\?\); "
                                          r"nothing of it is cached$"):
        decode_video(video, tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    monkeypatch.undo()
    decoded, _, _ = decode_video(video, tmp_path / "cache")
    assert len(decoded) == 6 and cv2.imread(str(decoded[0])) is not None
    for path in decoded:
        path.unlink()
    # a container that declares no count (its decoding's count check cannot tell 0 frames from all)
    (decoded[0].parent / recording.DECLARED).write_text("0", encoding="utf-8")
    message = rf"clip.avi: its decoding in the cache \({re.escape(str(decoded[0].parent))}\) holds no frame file"
    with pytest.raises(DeployError, match=message):
        decode_video(video, tmp_path / "cache")
    with pytest.raises(DeployError, match=message):
        clip_sample(ClipRequest(video, apex="2"), cache_root=tmp_path / "cache", fps=25.0, notes=[])


def test_a_recordings_frames_are_read_once_for_its_many_cache_lookups_and_again_once_changed(tmp_path, monkeypatch):
    """Every stage's lookup fingerprints the clip, and a recording's fingerprint holds its frames' bytes: they were
    read and hashed again at each lookup (about ten a clip, seconds each for a long clip). They are read once while
    the files stay as they are; a frame rewritten in place, its size and mtime set back, is read again (its ctime
    moved)."""
    from common.preprocessing import cache

    folder = _equal_frames(tmp_path / "clip" / "frames", 40)
    sample = clip_sample(ClipRequest(folder, apex="3"), cache_root=tmp_path / "cache", fps=30.0, notes=[])
    reads: list[Path] = []
    real_read = cache.read_regular_bytes
    monkeypatch.setattr(cache, "read_regular_bytes", lambda path, **kw: reads.append(path) or real_read(path, **kw))
    first = [cache.sample_fingerprint(sample)["content"] for _ in range(5)]
    assert len(set(first)) == 1 and len(reads) == len(sample.frames)  # five lookups, each frame read once
    _equal_frames(tmp_path / "other" / "frames", 90)
    frame = sample.frames[2]
    stat = frame.stat()
    frame.write_bytes((tmp_path / "other" / "frames" / frame.name).read_bytes())  # other pixels, the same size
    os.utime(frame, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert frame.stat().st_size == stat.st_size and frame.stat().st_mtime_ns == stat.st_mtime_ns
    assert cache.sample_fingerprint(sample)["content"] != first[0]
