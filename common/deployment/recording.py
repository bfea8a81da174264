"""A new recording as a ``Sample``: a folder of frames or a video file, with the expression's
onset, apex and offset given or found.

A CLIP is a folder of frame images (``.jpg/.png/.bmp/.tif``, each name ending in its frame number, as
the databases' are) or a video (``.mp4/.avi/.mov``, read by OpenCV). A video is decoded once into PNG
files in the cache (``<cache>/recordings/<sha256 of the file>/frame000001.png``..., numbered from 1),
so its frames are files like a database's and the preprocessing cache keys them the same way.

``--onset/--apex/--offset`` are frame numbers (``12``) or seconds from the clip's first frame
(``1.2s``: first frame number + round(1.2 x fps)). ``onset``/``offset`` cut the clip to the frames
between them (inclusive); without them the whole clip is used. Without ``--apex`` the apex is the
**motion rule**: the frame whose grey face crop (the dlib box of the first frame; the whole frame if
none) differs most from the first frame's, by mean absolute difference. A method with its own apex
rule applies it inside its pipeline as it does on the databases.

Several clips: a folder whose sub-folders or video files are clips (in name order), or a CSV file
with a header ``path,onset,apex,offset`` (paths relative to the CSV's folder; empty cells: not given).
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from collections.abc import Sequence

import numpy as np

from common.datasets.sample import Sample, frame_number
from common.deployment.export import DeployError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov")
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
RECORDING = "recording"  # Sample.dataset of a new recording
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*s\s*$")
_NUMBER = re.compile(r"^\s*\d+\s*$")


@dataclasses.dataclass(frozen=True)
class ClipRequest:
    """One clip to predict and its optional onset/apex/offset, as the user wrote them."""

    path: Path
    onset: str | None = None
    apex: str | None = None
    offset: str | None = None


def _frame_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES]


def clip_requests(path: str | Path, onset: str | None = None, apex: str | None = None,
                  offset: str | None = None) -> list[ClipRequest]:
    """The clips ``path`` names: one clip (frames folder or video), a folder of clips, or a CSV of clips."""
    path = Path(path)
    given = any(v is not None for v in (onset, apex, offset))
    if not path.exists():
        raise DeployError(f"--predict {path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".csv":
        if given:
            raise DeployError(f"--predict {path}: --onset/--apex/--offset go with one clip; a CSV gives them per row")
        return _csv_requests(path)
    if path.is_file():
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            raise DeployError(f"--predict {path}: unsupported file type {path.suffix or '(none)'}; expected a folder "
                              f"of frames, a video ({', '.join(VIDEO_SUFFIXES)}) or a CSV of clips")
        return [ClipRequest(path, onset, apex, offset)]
    if not path.is_dir():
        raise DeployError(f"--predict {path}: neither a file nor a folder")
    if _frame_files(path):
        return [ClipRequest(path, onset, apex, offset)]
    clips = sorted(p for p in path.iterdir() if (p.is_dir() and _frame_files(p))
                   or (p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES))
    if not clips:
        raise DeployError(f"--predict {path}: no frame images ({', '.join(FRAME_SUFFIXES)}), no video "
                          f"({', '.join(VIDEO_SUFFIXES)}) and no sub-folder of frames in it; expected a clip or a "
                          f"folder of clips")
    if given:
        raise DeployError(f"--predict {path}: --onset/--apex/--offset go with one clip; {path} holds {len(clips)} "
                          f"clips (give a CSV of path,onset,apex,offset instead)")
    return [ClipRequest(p) for p in clips]


def _csv_requests(path: Path) -> list[ClipRequest]:
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = [h.strip() for h in (reader.fieldnames or [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DeployError(f"--predict {path}: cannot read this CSV ({exc})") from None
    if "path" not in header:
        raise DeployError(f"--predict {path}: expected a header 'path,onset,apex,offset' (found {','.join(header)})")
    requests = []
    for number, row in enumerate(rows, 2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not row.get("path"):
            raise DeployError(f"--predict {path}: line {number} has no path")
        clip = Path(row["path"])
        clip = clip if clip.is_absolute() else path.parent / clip
        if not clip.exists():
            raise DeployError(f"--predict {path}: line {number}: {clip}: no such file or folder")
        requests.append(ClipRequest(clip, row.get("onset") or None, row.get("apex") or None, row.get("offset") or None))
    if not requests:
        raise DeployError(f"--predict {path}: the CSV lists no clip")
    return requests


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode_video(path: Path, cache_root: Path) -> tuple[list[Path], float]:
    """The video's frames as PNG files in the cache (decoded once, keyed by the file's sha256), and its fps
    (0.0 when the container gives none). An unreadable or unsupported video is one :class:`DeployError`."""
    import cv2

    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise DeployError(f"--predict {path}: unsupported file type {path.suffix or '(none)'}; expected a folder of "
                          f"frames, a video ({', '.join(VIDEO_SUFFIXES)}) or a CSV of clips")
    try:
        key = file_sha256(path)
    except OSError as exc:
        raise DeployError(f"--predict {path}: cannot read this video ({exc.strerror or exc})") from None
    folder = Path(cache_root) / "recordings" / key[:32]
    fps_file = folder / "fps.txt"
    if fps_file.is_file():
        return sorted(folder.glob("frame*.png")), float(fps_file.read_text())
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise DeployError(f"--predict {path}: OpenCV cannot open this video (unreadable or unsupported codec)")
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=folder.parent))
        count = 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                count += 1
                cv2.imwrite(str(tmp / f"frame{count:06d}.png"), frame)
            if count == 0:
                raise DeployError(f"--predict {path}: OpenCV decoded no frame from this video (unreadable or "
                                  f"unsupported codec)")
            (tmp / "fps.txt").write_text(repr(fps))
            try:
                os.replace(tmp, folder)
            except OSError:  # another process decoded it meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        capture.release()
    return sorted(folder.glob("frame*.png")), fps


def parse_position(text: str | None, what: str, fps: float, first: int, clip: Path) -> int | None:
    """A frame number from ``12`` or ``1.2s`` (seconds after the first frame, ``first``); None when not given."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text)
    if _NUMBER.match(text):
        return int(text)
    seconds = _SECONDS.match(text)
    if seconds:
        if not fps or fps <= 0:
            raise DeployError(f"{clip}: --{what} {text} is in seconds but the clip's fps is unknown; give --fps")
        return first + int(round(float(seconds.group(1)) * fps))
    raise DeployError(f"{clip}: --{what} {text!r}: expected a frame number (12) or seconds (1.2s)")


def motion_apex(frames: Sequence[Path]) -> int:
    """The position of the frame whose grey face crop differs most from the first frame's (mean absolute
    difference; the face box is dlib's on the first frame, the whole frame when none is found)."""
    from common.preprocessing.faces import detect_face
    from common.preprocessing.io import read_frames

    grey = read_frames(frames, "gray").astype(np.float32)
    box = detect_face(grey[0].astype(np.uint8))
    if box is not None:
        top, bottom = max(box.top, 0), min(box.bottom + 1, grey.shape[1])
        left, right = max(box.left, 0), min(box.right + 1, grey.shape[2])
        if bottom > top and right > left:
            grey = grey[:, top:bottom, left:right]
    motion = np.abs(grey - grey[0]).mean(axis=(1, 2))
    return int(np.argmax(motion))


def clip_sample(request: ClipRequest, *, cache_root: Path, fps: float | None = None,
                default_fps: float | None = None, name: str | None = None) -> Sample:
    """The :class:`Sample` of one clip (``dataset="recording"``, no subject, no label). ``fps``: given by the
    user; else the video's own, else ``default_fps`` (the training corpus's single fps). The apex rule used
    is in ``meta["apex_rule"]`` (``given``/``motion``)."""
    path = request.path
    video = path.is_file()
    if video:
        frames, video_fps = decode_video(path, cache_root)
        fps = fps or video_fps or default_fps
    else:
        frames = _frame_files(path)
        if not frames:
            raise DeployError(f"--predict {path}: no frame images in this folder")
        try:
            frames = sorted(frames, key=frame_number)
        except ValueError as exc:
            raise DeployError(f"--predict {path}: {exc}") from None
        fps = fps or default_fps
    numbers = [frame_number(p) for p in frames]
    if len(set(numbers)) != len(numbers):
        raise DeployError(f"--predict {path}: two frame files carry the same frame number")
    first, last = numbers[0], numbers[-1]
    onset = parse_position(request.onset, "onset", fps or 0.0, first, path)
    offset = parse_position(request.offset, "offset", fps or 0.0, first, path)
    apex = parse_position(request.apex, "apex", fps or 0.0, first, path)
    span = f"frames {first}..{last}"
    for what, value in (("onset", onset), ("offset", offset), ("apex", apex)):
        if value is not None and not first <= value <= last:
            raise DeployError(f"{path}: --{what} {value} is outside the clip ({span})")
    onset = first if onset is None else onset
    offset = last if offset is None else offset
    if onset > offset:
        raise DeployError(f"{path}: --onset {onset} is after --offset {offset}")
    if apex is not None and not onset <= apex <= offset:
        raise DeployError(f"{path}: --apex {apex} is outside the expression (onset {onset} .. offset {offset})")
    used = tuple(p for p, n in zip(frames, numbers) if onset <= n <= offset)
    if not fps:
        raise DeployError(f"{path}: the clip's frame rate is unknown (a folder of frames, and the model's training "
                          f"corpus has several); give --fps")
    rule = "given"
    if apex is None:
        rule = "motion"
        apex = frame_number(used[motion_apex(used)]) if len(used) > 1 else onset
    return Sample(dataset=RECORDING, subject="", clip=name or (path.stem if video else path.name), emotion="",
                  onset=onset, apex=apex, offset=offset, fps=float(fps), frames=used,
                  meta={"source": str(path), "apex_rule": rule, "video": video, "missing_frames": 0})
