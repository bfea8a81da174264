"""A new recording as a ``Sample``: a folder of frames or a video file, with the expression's
onset, apex and offset given or found.

A CLIP is a folder of frame images (``.jpg/.png/.bmp/.tif``, each name ending in its frame number, as the databases'
are) or a video (``.mp4/.avi/.mov``, read by OpenCV). A video is decoded once into PNG files in the cache
(``<cache>/recordings/<the first 32 hex digits of the file's sha256>/frame000001.png``..., numbered from 1), so its
frames are files like a database's and the preprocessing cache keys them the same way (a recording's key also
holds its frames' folder and bytes: ``common.preprocessing.cache.sample_fingerprint``).

``--onset/--apex/--offset`` are frame numbers (``12``) or seconds from the clip's first frame
(``1.2s``: first frame number + round(1.2 x fps)). ``onset``/``offset`` cut the clip to the frames
between them (inclusive); without them the whole clip is used. Without ``--apex`` the apex is the
**motion rule**: the frame whose grey face crop (the dlib box of the first frame; the whole frame if
none) differs most from the first frame's, by mean absolute difference. A method with its own apex
rule applies it inside its pipeline as it does on the databases.

Several clips: a folder whose sub-folders or video files are clips (in name order), or a CSV file
with a header ``path,onset,apex,offset`` (a relative path from the CSV's folder, an absolute one as it is;
empty cells: not given).
Every entry of such a list is a :class:`ClipRequest` or a :class:`Skipped` with its reason, in the
list's order: in a folder, a file of another type (a ``.mkv``, a note), a folder with no frame images, a
hidden entry (macOS ``._`` sidecars, ``.DS_Store``); in a CSV, a row with more cells than the header. The
CSV forms spreadsheet programs write are read: a UTF-8 byte-order mark, ``;`` or tab separators, CRLF
line ends, a header in any letter case. Among a clip's frame files, hidden files (macOS ``._`` sidecars,
which copy the frame's name) are left out and named.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from common.datasets.sample import Sample, frame_number
from common.deployment.manifest import DeployError
from common.deployment.rates import valid_rate
from common.files import (file_sha256, FileTooLarge, linked_out, read_regular_bytes, read_regular_text,
                          read_spreadsheet_csv)
from common.preprocessing.cache import RECORDING  # Sample.dataset of a new recording
from common.preprocessing.faces import detect_face
from common.preprocessing.io import (MAX_PIXELS, FrameReadError, frame_file_info, frame_file_problem,
                                    read_frames)
import cv2

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov")
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
_SECONDS = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*s\s*$")
_NUMBER = re.compile(r"^\s*[0-9]+\s*$")
_MAX_DIGITS = 12  # a frame number or a number of seconds longer than this is no recording's
CSV_COLUMNS = ("path", "onset", "apex", "offset")
TIMES = "times.txt"  # a clip's frame timestamps in seconds, one per frame: a folder's own, or a decoded video's
# What a video may decode to (docs/house.md, "Files from outside"): a frame of at most io.MAX_PIXELS pixels (what any
# frame file may claim), and all its frames together at most MAX_DECODED_BYTES of pixels (9,300 frames of 640 x 480,
# 46 s at CASME II's 200 fps; 1,380 of 1920 x 1080, 46 s at 30 fps): a clip to predict is seconds long, and a video
# of a few kB can hold minutes of a still picture, every frame of which would be written into the cache.
MAX_DECODED_BYTES = 8 << 30
# A folder given to --predict (of frames, or of clips) is listed no further than this many entries: 100,000 frames
# are over eight minutes at CASME II's 200 fps; a folder of millions of files would otherwise be listed and sorted.
MAX_FOLDER_ENTRIES = 100_000
# A frame interval further than this fraction of the median interval from it makes the clock variable: a
# constant-rate file's timestamps jitter by a rounding (MIN_JITTER, 1 ms: containers keep milliseconds), a
# phone's variable rate moves them by a third or more (30 -> 20 fps), a dropped frame doubles one.
VFR_TOLERANCE = 0.25
MIN_JITTER = 0.0015
# A video whose container declares N frames is refused when fewer than N minus the larger of these two decode (a
# truncated or damaged file: an .avi cut at half its length declares every frame and decodes half): container
# counts are estimates for some codecs (a frame or two off, a few percent on a variable rate), so any smaller
# difference is said (stdout, predictions.csv, the page), not refused.
FRAME_COUNT_SLACK = 2
FRAME_COUNT_SLACK_FRACTION = 0.05
DECLARED = "declared.txt"  # beside a decoded video's frames in the cache: the count its container declares


@dataclasses.dataclass(frozen=True)
class ClipRequest:
    """One clip to predict and its optional onset/apex/offset, as the user wrote them."""

    path: Path
    onset: str | None = None
    apex: str | None = None
    offset: str | None = None
    entry: str = ""  # how a list names it where that is not the path's name: "line N" of a CSV


@dataclasses.dataclass(frozen=True)
class Skipped:
    """An entry of a folder or CSV of clips that is not predicted, and why (written with the predictions)."""

    entry: str  # as the list names it: the folder entry's name, or "line N" of the CSV
    source: str  # the path it names ("" when none)
    reason: str
    status: str = "skipped"


@dataclasses.dataclass(frozen=True)
class ClipList:
    """What ``--predict PATH`` names: its entries in order (a clip to predict, or one skipped and why), and
    whether PATH is itself one clip (``single``: a clip that cannot be predicted is then refused)."""

    entries: tuple[ClipRequest | Skipped, ...]
    single: bool


def apex_text(sample: Sample) -> str:
    """The apex as stdout and the page give it: ``apex 37 (motion rule)``."""
    return f"apex {sample.apex} ({sample.meta.get('apex_rule', '?')} rule)"


def _hidden(path: Path) -> str:
    """Why a hidden name is not a clip or a frame ("" when it is not hidden)."""
    if path.name.startswith("._"):
        return "a macOS metadata sidecar ('._' file), not a clip"
    return "a hidden entry (its name starts with '.')" if path.name.startswith(".") else ""


def _listing(folder: Path) -> list[Path]:
    """A folder's entries; past :data:`MAX_FOLDER_ENTRIES`, one :class:`DeployError` before it is read whole, and
    one for a folder that cannot be listed."""
    entries: list[Path] = []
    try:
        with os.scandir(folder) as found:
            for entry in found:
                if len(entries) == MAX_FOLDER_ENTRIES:
                    raise DeployError(f"--predict {folder}: more than {MAX_FOLDER_ENTRIES:,} entries in this folder; "
                                      "a clip is seconds of frames: give the frames of the expression, or split the "
                                      "folder")
                entries.append(folder / entry.name)
    except OSError as exc:  # a folder it may not read
        raise DeployError(f"--predict {folder}: cannot list this folder ({exc.strerror or exc})") from None
    return entries


def _frame_files(entries: Sequence[Path]) -> list[Path]:
    """The frame entries among a folder's entries (:func:`_listing`): every name with a frame image's suffix,
    whatever it is (a file, or a link, a folder, a device: :func:`frame_entry_problem` refuses those, never
    drops them unseen); hidden files (macOS ``._`` sidecars copy a frame's name) are not."""
    return [p for p in entries if p.suffix.lower() in FRAME_SUFFIXES and not _hidden(p)]


def frame_entry_problem(path: Path) -> str:
    """Why the entry ``path`` with a frame's name is not a frame file, "" when it is a regular file (or a link to
    one): a link to nothing, a folder, a device, a pipe (a frame dropped unseen would shift every frame after it)."""
    try:
        mode = path.stat().st_mode  # follows a link
    except FileNotFoundError:
        return "is a link to nothing (dangling)" if path.is_symlink() else "is gone"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return ""
    kind = ("a folder" if stat.S_ISDIR(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    return f"is {kind}{' (through a link)' if path.is_symlink() else ''}, not a file"


def missing_numbers(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """The gaps in a clip's increasing frame numbers, as (first missing, last missing) ranges."""
    return [(a + 1, b - 1) for a, b in zip(numbers, numbers[1:]) if b - a > 1]


def frames_text(sample: Sample) -> str:
    """The clip's frames as stdout and the page give them: ``frames 4366..4386``, then what is missing from them
    (numbers absent from the folder, as the database loaders count them: ``missing_frames``) and, for a video
    whose decoded count is not the one its container declares, both counts."""
    text = f"frames {sample.onset}..{sample.offset}"
    notes = []
    missing = int(sample.meta.get("missing_frames", 0) or 0)
    if missing:
        gaps = missing_numbers(sample.frame_numbers)
        shown = ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in gaps[:4]) + (", ..." if len(gaps) > 4 else "")
        notes.append(f"{len(sample.frames)} present, {missing} missing: {shown}")
    declared = int(sample.meta.get("declared_frames", 0) or 0)
    decoded = int(sample.meta.get("decoded_frames", 0) or 0)
    if declared and decoded != declared:
        notes.append(f"{decoded} decoded of the {declared} frames the video declares")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _entry(path: Path) -> ClipRequest | Skipped:
    """One entry of a folder of clips: a clip (a sub-folder of frames, a video), or skipped with why."""
    if _hidden(path):
        return Skipped(path.name, str(path), _hidden(path))
    if path.is_dir():
        listed = _listing(path)
        if _frame_files(listed):
            return ClipRequest(path)
        inner = [p for p in listed if not _hidden(p)]
        if any(p.suffix.lower() in VIDEO_SUFFIXES or (p.is_dir() and _frame_files(_listing(p))) for p in inner):
            return Skipped(path.name, str(path), "a folder of clips inside the folder of clips (one level is "
                                                 "read; give it as --predict of its own)")
        return Skipped(path.name, str(path), f"a folder with no frame images ({', '.join(FRAME_SUFFIXES)})")
    if not path.is_file():
        return Skipped(path.name, str(path), "not a file or folder (a broken link?)")
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return ClipRequest(path)
    if suffix in FRAME_SUFFIXES:
        return Skipped(path.name, str(path), "a loose image beside the clips (a clip is a folder of frames)")
    return Skipped(path.name, str(path), f"file type {path.suffix or '(none)'} is not a clip (expected a "
                                         f"folder of frames or a video: {', '.join(VIDEO_SUFFIXES)})")


def clip_requests(path: str | Path, onset: str | None = None, apex: str | None = None,
                  offset: str | None = None) -> ClipList:
    """The entries ``path`` names: one clip (frames folder or video), a folder of clips, or a CSV of clips."""
    path = Path(path)
    given = any(v is not None for v in (onset, apex, offset))
    try:
        exists = path.exists()
    except OSError as exc:  # not "no such file": a name too long for the file system, a folder it may not enter
        raise DeployError(f"--predict {path}: cannot be read ({exc.strerror or exc})") from None
    if not exists:  # a link that leads nowhere exists as a name: say so, not "no such file"
        what = "a link to nothing (dangling, or a loop of links)" if path.is_symlink() else "no such file or folder"
        raise DeployError(f"--predict {path}: {what}")
    if path.is_file() and path.suffix.lower() == ".csv":
        if given:
            raise DeployError(f"--predict {path}: --onset/--apex/--offset go with one clip; a CSV gives them per row")
        return ClipList(_csv_entries(path), single=False)
    if path.is_file():
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            raise DeployError(f"--predict {path}: unsupported file type {path.suffix or '(none)'}; expected a folder "
                              f"of frames, a video ({', '.join(VIDEO_SUFFIXES)}) or a CSV of clips")
        return ClipList((ClipRequest(path, onset, apex, offset),), single=True)
    if not path.is_dir():
        raise DeployError(f"--predict {path}: neither a file nor a folder")
    listed = sorted(_listing(path))
    entries = tuple(_entry(p) for p in listed)
    clips = [e for e in entries if isinstance(e, ClipRequest)]
    frames = _frame_files(listed)
    if frames and clips:
        raise DeployError(f"--predict {path}: holds both frame images ({len(frames)}, e.g. {frames[0].name}) and "
                          f"clips ({len(clips)}, e.g. {clips[0].path.name}); give one clip's folder of frames or a "
                          f"folder of clips")
    if frames:
        return ClipList((ClipRequest(path, onset, apex, offset),), single=True)
    if not clips:
        shown = "".join(f"; {e.entry}: {e.reason}" for e in entries[:2] if isinstance(e, Skipped))
        more = f" (and {len(entries) - 2} more entries)" if len(entries) > 2 else ""
        raise DeployError(f"--predict {path}: no frame images ({', '.join(FRAME_SUFFIXES)}), no video "
                          f"({', '.join(VIDEO_SUFFIXES)}) and no sub-folder of frames in it; expected a clip or a "
                          f"folder of clips{shown}{more}")
    if given:
        raise DeployError(f"--predict {path}: --onset/--apex/--offset go with one clip; {path} holds {len(clips)} "
                          f"clips (give a CSV of path,onset,apex,offset instead)")
    return ClipList(entries, single=False)


def _csv_entries(path: Path) -> tuple[ClipRequest | Skipped, ...]:
    """The rows of a CSV of clips: a header naming ``path`` (and any of onset, apex, offset; letter case and
    the separator as the header has them), then one row per clip, each a request or skipped with why."""
    try:
        separator, numbered = read_spreadsheet_csv(path)
    except ValueError as exc:
        raise DeployError(f"--predict {path}: {exc}") from None
    header = [cell.strip().lower() for cell in numbered[0][1]] if numbered else []
    while header and not header[-1]:  # a spreadsheet's empty columns after the last named one
        header.pop()
    if "path" not in header:
        raise DeployError(f"--predict {path}: expected a header row naming the columns path,onset,apex,offset "
                          f"(path required; found {separator.join(header) or 'an empty file'})")
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise DeployError(f"--predict {path}: unknown column(s) {', '.join(repr(n) for n in unknown)} in the "
                          f"header; expected path,onset,apex,offset")
    if len(set(header)) != len(header):
        raise DeployError(f"--predict {path}: a column is named twice in the header ({separator.join(header)})")
    entries: list[ClipRequest | Skipped] = []
    for number, row in numbered[1:]:
        entry = f"line {number}"
        cells = [cell.strip() for cell in row]
        if len(cells) > len(header) and any(cells[len(header):]):
            entries.append(Skipped(entry, "", f"{len(cells)} cells, the header names {len(header)} (a path holding "
                                              f"'{separator}' must be quoted)"))
            continue
        values = dict(zip(header, cells))
        if not values.get("path"):
            entries.append(Skipped(entry, "", "no path"))
            continue
        clip = Path(values["path"])
        clip = clip if clip.is_absolute() else path.parent / clip
        try:
            exists = clip.exists()
        except OSError as exc:  # not "no such file": a name too long for the file system, a folder it may not enter
            entries.append(Skipped(entry, str(clip), f"cannot be read ({exc.strerror or exc})"))
            continue
        if not exists:
            entries.append(Skipped(entry, str(clip), "a link to nothing (dangling, or a loop of links)"
                                   if clip.is_symlink() else "no such file or folder"))
            continue
        if not clip.is_file() and not clip.is_dir():  # a pipe or a device (/dev/zero) would be read forever
            entries.append(Skipped(entry, str(clip), "not a file or folder (a device, a pipe?); expected a folder of "
                                                     "frames or a video"))
            continue
        entries.append(ClipRequest(clip, values.get("onset") or None, values.get("apex") or None,
                                   values.get("offset") or None, entry=entry))
    if not entries:
        raise DeployError(f"--predict {path}: the CSV lists no clip")
    return tuple(entries)


def decode_video(path: Path, cache_root: Path) -> tuple[list[Path], float, list[float] | None]:
    """The video's frames as PNG files in the cache (decoded once, keyed by the file's sha256), its fps
    (0.0 when the container gives none) and each frame's timestamp in seconds from the container (beside the
    frames as ``times.txt``; None for a container that gives none). The count its container declares is kept
    beside them (:data:`DECLARED`, read by :func:`video_declared_frames`); far fewer frames decoded than that
    (:func:`frame_count_problem`: a truncated file) is refused and nothing is cached. An unreadable or unsupported
    video is one :class:`DeployError`."""
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise DeployError(f"--predict {path}: unsupported file type {path.suffix or '(none)'}; expected a folder of "
                          f"frames, a video ({', '.join(VIDEO_SUFFIXES)}) or a CSV of clips")
    try:
        key = file_sha256(path)
    except OSError as exc:
        raise DeployError(f"--predict {path}: cannot read this video ({exc.strerror or exc})") from None
    folder = Path(cache_root) / "recordings" / key[:32]
    real = linked_out(cache_root, folder)
    if real is not None:  # the decoded frames would be written (and read back) outside the cache
        raise DeployError(f"--predict {path}: its frames go to {folder}, which is {real}, outside the cache "
                          f"{cache_root}, through a symbolic link; remove the link")
    fps_file = folder / "fps.txt"
    # complete, with its container's count (a decoding cached before the count was kept is decoded again)
    if fps_file.is_file() and (folder / DECLARED).is_file():
        cached = sorted(folder.glob("frame*.png"))
        if not cached:  # its frames removed by hand, or a decoding that wrote none
            raise DeployError(f"--predict {path}: its decoding in the cache ({folder}) holds no frame file; remove "
                              "that folder to decode the video again")
        short = frame_count_problem(len(cached), video_declared_frames(folder))
        if short:
            raise DeployError(f"--predict {path}: {short}")
        return cached, _container_rate(read_regular_text(fps_file)), _cached_times(folder, len(cached))
    # FFmpeg's own messages ("moov atom not found", one per broken packet) would print lines on stderr beside the
    # one-line verdict below; OpenCV reads this variable when it first opens a video. A value the user set wins.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise DeployError(f"--predict {path}: OpenCV cannot open this video (unreadable or unsupported codec)")
        fps = _container_rate(capture.get(cv2.CAP_PROP_FPS))
        declared = _declared_count(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        claimed = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) * int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if claimed > MAX_PIXELS:
            raise DeployError(f"--predict {path}: its frames claim {claimed:,} pixels each, more than any frame this "
                              f"suite reads (at most {MAX_PIXELS:,}); not decoded")
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=folder.parent))
        count, decoded = 0, 0
        times: list[float] = []
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                if frame.shape[0] * frame.shape[1] > MAX_PIXELS:  # a stream that changes its size on the way
                    raise DeployError(f"--predict {path}: frame {count + 1} is {frame.shape[1]}x{frame.shape[0]} "
                                      f"pixels, more than any frame this suite reads (at most {MAX_PIXELS:,})")
                decoded += frame.nbytes
                if decoded > MAX_DECODED_BYTES:
                    raise DeployError(f"--predict {path}: it decodes to more than {MAX_DECODED_BYTES:,} bytes of "
                                      f"pixels (at frame {count + 1}); a clip to predict is seconds long: cut the "
                                      "recording around the expression (e.g. ffmpeg -ss START -t SECONDS -i VIDEO "
                                      "CLIP.mp4)")
                if count >= MAX_FOLDER_ENTRIES:  # tiny frames pass the pixel bound in millions, each a file here
                    raise DeployError(f"--predict {path}: it holds more than {MAX_FOLDER_ENTRIES:,} frames, as many "
                                      "as a folder of frames may; a clip to predict is seconds long: cut the "
                                      "recording around the expression (e.g. ffmpeg -ss START -t SECONDS -i VIDEO "
                                      "CLIP.mp4)")
                count += 1
                times.append(float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0)  # this frame's own timestamp
                if not cv2.imwrite(str(tmp / f"frame{count:06d}.png"), frame):  # a full disk: nothing cached
                    raise DeployError(f"--predict {path}: cannot write its frame {count} into the cache ({tmp}; a "
                                      "full disk?); nothing of it is cached")
            if count == 0:
                raise DeployError(f"--predict {path}: OpenCV decoded no frame from this video (unreadable or "
                                  f"unsupported codec)")
            short = frame_count_problem(count, declared)
            if short:  # not cached: nothing of a truncated file is kept
                raise DeployError(f"--predict {path}: {short}")
            (tmp / DECLARED).write_text(str(declared), encoding="utf-8")
            (tmp / TIMES).write_text("".join(f"{t!r}\n" for t in times), encoding="utf-8")
            (tmp / "fps.txt").write_text(repr(fps), encoding="utf-8")  # written last: the decoding is complete
            if folder.is_dir() and not (folder / DECLARED).is_file():  # an earlier decoding without its count
                shutil.rmtree(folder, ignore_errors=True)
            try:
                os.replace(tmp, folder)
            except OSError:  # another process decoded it meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        capture.release()
    frames = sorted(folder.glob("frame*.png"))
    return frames, fps, _cached_times(folder, len(frames))


# The most frames a container's count is believed up to: a day at 10,000 fps is under 10**9 frames.
MAX_DECLARED_FRAMES = 10**9


def _declared_count(value: Any) -> int:
    """The frame count a video's container declares, 0 (unknown) when it gives none or one that is not a whole
    number from 1 to :data:`MAX_DECLARED_FRAMES` (OpenCV gives -1 or NaN for a container without one)."""
    try:
        count = float(value or 0.0)
    except (TypeError, ValueError):
        return 0
    return int(count) if count.is_integer() and 1 <= count <= MAX_DECLARED_FRAMES else 0


def frame_count_problem(decoded: int, declared: int) -> str:
    """Why a video of which ``decoded`` frames decode is refused against the ``declared`` count of its container
    (0: unknown), "" when it is not: fewer than ``declared`` minus the larger of :data:`FRAME_COUNT_SLACK` frames
    and :data:`FRAME_COUNT_SLACK_FRACTION` of it (a truncated or damaged file)."""
    slack = max(FRAME_COUNT_SLACK, int(FRAME_COUNT_SLACK_FRACTION * declared))
    if not declared or decoded >= declared - slack:
        return ""
    return (f"OpenCV decoded {decoded} of the {declared} frames its container declares (a truncated or damaged file; "
            f"up to {slack} fewer are taken as the container's estimate); re-encode or copy the video again")


def video_declared_frames(folder: Path) -> int:
    """The frame count a decoded video's container declared (:data:`DECLARED` beside its frames in the cache); 0
    when unknown (a container without one, or a decoding cached before the count was kept)."""
    try:
        return _declared_count(read_regular_text(folder / DECLARED).strip())
    except (OSError, ValueError):
        return 0


def _cached_times(folder: Path, count: int) -> list[float] | None:
    """The timestamps a decoding kept, None when there are none to trust (not kept, not one per frame, or all
    zero: a container without timestamps)."""
    try:
        times = [float(line) for line in read_regular_text(folder / TIMES).split()]
    except (OSError, ValueError):
        return None
    if len(times) != count or not any(times) or not all(np.isfinite(times)):
        return None
    return times


def folder_times(folder: Path, count: int) -> list[float] | None:
    """A folder of frames' timestamps: ``times.txt`` beside the frames, one time in seconds per frame in frame
    order (what a phone's or a camera's export tool writes); None without the file. A file that does not give
    one finite, increasing time per frame is one :class:`DeployError` line naming it."""
    path = folder / TIMES
    if not path.is_file():
        return None
    limit = 64 * count + 4096  # a time a line, each far shorter than 64 characters: read no further
    try:
        text = read_regular_bytes(path, max_bytes=limit).decode("utf-8")
    except FileTooLarge:
        raise DeployError(f"{path}: more than {limit:,} bytes for {count} frame file(s); expected one time in seconds "
                          "per line, one line per frame") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployError(f"{path}: cannot read the frames' timestamps ({exc})") from None
    try:
        times = [float(line) for line in text.split()]
    except ValueError as exc:
        raise DeployError(f"{path}: expected one time in seconds per line ({exc})") from None
    if len(times) != count:
        raise DeployError(f"{path}: {len(times)} timestamp(s) for {count} frame file(s); expected one per frame, "
                          "in frame order")
    if not all(np.isfinite(times)) or any(b <= a for a, b in zip(times, times[1:])):
        raise DeployError(f"{path}: expected finite times in seconds, increasing from frame to frame")
    return times


@dataclasses.dataclass(frozen=True)
class Clock:
    """A clip's frame times: ``variable`` when an interval between two frames differs from the median
    interval by more than :data:`VFR_TOLERANCE` of it (what phones write, or frames dropped); ``source`` is
    where the times come from; ``describe`` is what a clip's record and its printed line say."""

    times: tuple[float, ...] | None
    source: str
    variable: bool

    def describe(self) -> str:
        if self.times is None:
            return "no timestamps: seconds are counted at the clip's average rate"
        steps = np.diff(np.asarray(self.times)) * 1000.0
        kind = "variable" if self.variable else "constant"
        return (f"{kind} frame rate ({self.source}; intervals {steps.min():.1f}-{steps.max():.1f} ms, median "
                f"{float(np.median(steps)):.1f} ms)")


def frame_clock(times: Sequence[float] | None, source: str) -> Clock:
    """The :class:`Clock` of a clip's frame times (None: unknown, treated as constant)."""
    if times is None or len(times) < 3:
        return Clock(None if times is None else tuple(times), source, False)
    steps = np.diff(np.asarray(times, dtype=float))
    median = float(np.median(steps))
    variable = median <= 0 or bool(np.any(np.abs(steps - median) > max(VFR_TOLERANCE * median, MIN_JITTER)))
    return Clock(tuple(float(t) for t in times), source, variable)


# The frame rates a video's container is believed between: high-speed cameras of micro-expressions record 100 to
# 200 frames a second, the fastest consumer slow motion about 1,000; no camera writes a video of under one frame
# a second (a time-lapse is stored at a playback rate), and a micro-expression lasts under half a second. A
# container claiming a rate outside these (a damaged header's 1e-09 fps, or 1e9) is read as giving no rate (--fps
# or the training corpus's then gives it, and the prediction records which).
MIN_CONTAINER_RATE = 1.0
MAX_CONTAINER_RATE = 10_000.0


def _container_rate(value) -> float:
    """A video container's frame rate, 0.0 (unknown) when it gives none or one that is not a finite number
    above 0 (some containers report NaN or a negative rate), or is outside :data:`MIN_CONTAINER_RATE` ..
    :data:`MAX_CONTAINER_RATE`."""
    try:
        fps = float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0
    return fps if valid_rate(fps) and MIN_CONTAINER_RATE <= fps <= MAX_CONTAINER_RATE else 0.0


def parse_position(text: str | None, what: str, fps: float, first: int, clip: Path,
                   clock: Clock | None = None, numbers: Sequence[int] = ()) -> int | None:
    """A frame number from ``12`` or ``1.2s`` (seconds after the first frame, ``first``); None when not given.
    Seconds count at ``fps``, except on a variable frame rate (``clock.variable``): then the frame is the one
    whose own timestamp is nearest (``numbers``: the frame numbers of ``clock.times``), as the average rate
    would give another frame (an apex asked at 0.5 s taken at 0.05 s). Anything else (a sign, an exponent, a
    number too long to be a recording's, a time past the clip's end) is one DeployError line."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text)
    expected = f"{clip}: --{what} {text[:40]!r}{'...' if len(text) > 40 else ''}: expected a frame number (12) or " \
               f"seconds (1.2s)"
    if _NUMBER.match(text):
        if len(text.strip()) > _MAX_DIGITS:
            raise DeployError(f"{expected}; {len(text.strip())} digits is no recording's frame number")
        return int(text)
    seconds = _SECONDS.match(text)
    if seconds:
        if not fps or fps <= 0:
            raise DeployError(f"{clip}: --{what} {text} is in seconds but the clip's fps is unknown; give --fps")
        frames = float(seconds.group(1)) * fps
        if len(seconds.group(1)) > _MAX_DIGITS or not frames < 10 ** _MAX_DIGITS:  # inf and NaN fail too
            raise DeployError(f"{expected}; {seconds.group(1)[:20]} s at {fps:g} fps is no recording's time")
        if clock is not None and clock.variable and clock.times is not None:
            times = np.asarray(clock.times) - clock.times[0]
            wanted = float(seconds.group(1))
            if wanted > times[-1] + float(np.median(np.diff(times))):
                raise DeployError(f"{clip}: --{what} {text.strip()} is after the clip's last frame "
                                  f"({times[-1]:.3f} s by its timestamps)")
            return int(numbers[int(np.argmin(np.abs(times - wanted)))])
        return first + int(round(frames))
    raise DeployError(expected)


MOTION_MEASURE = "mean absolute grey difference of the face crop from the first frame"


def chain_warning(manifest: Mapping[str, Any]) -> str:
    """The warning a prediction carries (stdout, ``predictions.csv``, ``--json``, the page) when the model was
    trained on inputs another chain made (the authors' released images: the export's ``training_corpus.inputs``
    is not "frames"), or "": a recording is always made into inputs by this suite's own chain."""
    inputs = manifest.get("training_corpus", {}).get("inputs")
    if inputs is None or inputs == "frames":
        return ""
    inputs = str(inputs).replace(" (no frames)", "")
    return (f"WARNING: the model was trained on {inputs}, made by the authors' own chain; this clip's input was made "
            "by this suite's own chain. The two differ (flow method and parameters, face crop, scaling), so these "
            "probabilities also carry the shift from one to the other.")


def motion_curve(frames: Sequence[Path], chunk: int = 64) -> np.ndarray:
    """The motion rule's curve, whose peak is the apex of a clip given none: per frame, :data:`MOTION_MEASURE`
    (the face box is dlib's on the first frame, the whole frame when none is found). Frames are read ``chunk`` at a
    time: a long clip's grey frames are never held all at once."""
    first = read_frames(frames[:1], "gray")[0]
    rows, cols = slice(None), slice(None)
    box = detect_face(first)
    if box is not None:
        top, bottom = max(box.top, 0), min(box.bottom + 1, first.shape[0])
        left, right = max(box.left, 0), min(box.right + 1, first.shape[1])
        if bottom > top and right > left:
            rows, cols = slice(top, bottom), slice(left, right)
    reference = first[rows, cols].astype(np.float32)
    curve = []
    for start in range(0, len(frames), chunk):
        grey = read_frames([frames[0], *frames[start:start + chunk]], "gray")[1:]  # each frame the first's size
        curve.append(np.abs(grey[:, rows, cols].astype(np.float32) - reference).mean(axis=(1, 2)))
    return np.concatenate(curve)


def _check_frame_sizes(frames: Sequence[Path]) -> None:
    """A :class:`FrameReadError` naming the first of ``frames`` whose size (its header's, read by Pillow; nothing
    decoded) is not the first frame's, as reading the frames words it (the motion rule reads every frame; a given
    apex reads none here, and a method's pipeline may resize every frame to one size, silently). A frame whose
    header gives no size is left to the reading of its pixels, which refuses it."""
    first: tuple[int, int] | None = None
    first_name = ""
    for frame in frames:
        size = frame_file_info(frame).size
        if size == (0, 0):  # no size read from its header
            continue
        if first is None:
            first, first_name = size, frame.name
        elif size != first:
            raise FrameReadError(f"{frame}: frame of {size[0]}x{size[1]} pixels, but {first_name} of the same clip "
                                 f"is {first[0]}x{first[1]}; expected one frame size per clip", frame)


def _as_given(what: str, text: str | None, value: int) -> str:
    """A position as the user gave it, and the frame it names where that is not the same text: ``--apex 99s
    (frame 24166)``, ``--apex 37``."""
    given = str(text).strip() if text is not None else ""
    shown = given if len(given) <= 40 else given[:37] + "..."
    return f"--{what} {value}" if not given or given == str(value) else f"--{what} {shown} (frame {value})"


def _rate(fps: float | None, video_fps: float, default_fps: float | None) -> tuple[float | None, str]:
    """The clip's frame rate and where it comes from: ``--fps``, else the video's own, else the training
    corpus's single rate (``default_fps``); ``(None, "")`` when none is known."""
    for value, source in ((fps, "--fps"), (video_fps, "the video's"), (default_fps, "the training corpus's")):
        if value is not None and valid_rate(value):
            return float(value), source
    return None, ""


def clip_sample(request: ClipRequest, *, cache_root: Path, fps: float | None = None,
                default_fps: float | None = None, name: str | None = None, notes: list[str] | None = None) -> Sample:
    """The :class:`Sample` of one clip (``dataset="recording"``, no subject, no label). ``fps``: given by the
    user; else the video's own, else ``default_fps`` (the training corpus's single fps); where it came from
    is ``meta["fps_source"]``. The apex rule used is in ``meta["apex_rule"]`` (``given``/``motion``).
    Hidden files among a folder's frames (macOS ``._`` sidecars) are left out and named in one line: appended
    to ``notes`` when given (``--predict`` shows it only once something is predicted), else logged."""
    path = request.path
    video = path.is_file()
    declared = 0
    if video:
        frames, video_fps, times = decode_video(path, cache_root)
        times_source = "the video's timestamps"
        declared = video_declared_frames(frames[0].parent) if frames else 0
    else:
        video_fps = 0.0
        listed = _listing(path)
        hidden = sorted(p.name for p in listed if p.suffix.lower() in FRAME_SUFFIXES and _hidden(p))
        if hidden:
            note = (f"{path}: left out {len(hidden)} hidden file(s) among the frames (macOS '._' sidecars, names "
                    f"starting with '.'): {', '.join(hidden[:3])}{', ...' if len(hidden) > 3 else ''}")
            if notes is None:
                logger.info(note)
            else:
                notes.append(note)
        frames = _frame_files(listed)
        if not frames:
            raise DeployError(f"--predict {path}: no frame images in this folder")
        for frame in sorted(frames):  # a frame that is not a file is refused, never left out unseen
            problem = frame_entry_problem(frame)
            if problem:
                raise DeployError(f"--predict {path}: frame entry {frame.name} {problem}; expected a frame image "
                                  "file")
        try:
            frames = sorted(frames, key=lambda p: (frame_number(p), p.name))
        except ValueError as exc:
            raise DeployError(f"--predict {path}: {exc}") from None
        times, times_source = folder_times(path, len(frames)), f"{path / TIMES}"
    fps, fps_source = _rate(fps, video_fps, default_fps)
    numbers = [frame_number(p) for p in frames]
    twice = next((k for k in range(1, len(numbers)) if numbers[k] == numbers[k - 1]), None)
    if twice is not None:
        raise DeployError(f"--predict {path}: two frame files carry the same frame number {numbers[twice]}: "
                          f"{frames[twice - 1].name} and {frames[twice].name}")
    first, last = numbers[0], numbers[-1]
    clock = frame_clock(times, times_source)
    onset = parse_position(request.onset, "onset", fps or 0.0, first, path, clock, numbers)
    offset = parse_position(request.offset, "offset", fps or 0.0, first, path, clock, numbers)
    apex = parse_position(request.apex, "apex", fps or 0.0, first, path, clock, numbers)
    in_seconds = [f"--{what} {text.strip()} -> frame {value}" for what, text, value in
                  (("onset", request.onset, onset), ("apex", request.apex, apex), ("offset", request.offset, offset))
                  if value is not None and text is not None and _SECONDS.match(str(text))]
    if clock.variable:  # never silent: the clock and the frames it chose, printed and recorded
        note = f"{path}: {clock.describe()}" + (f"; {', '.join(in_seconds)} by the frames' own times"
                                                 if in_seconds else "")
        if notes is None:
            logger.info(note)
        else:
            notes.append(note)
    span = f"frames {first}..{last}"
    texts = {"onset": request.onset, "offset": request.offset, "apex": request.apex}
    for what, value in (("onset", onset), ("offset", offset), ("apex", apex)):
        if value is not None and not first <= value <= last:
            raise DeployError(f"{path}: {_as_given(what, texts[what], value)} is outside the clip ({span})")
    if onset is not None and offset is not None and onset > offset:
        raise DeployError(f"{path}: {_as_given('onset', request.onset, onset)} is after "
                          f"{_as_given('offset', request.offset, offset)}")
    onset = first if onset is None else onset
    offset = last if offset is None else offset
    if apex is not None and not onset <= apex <= offset:
        raise DeployError(f"{path}: {_as_given('apex', request.apex, apex)} is outside the expression (onset {onset} "
                          f".. offset {offset})")
    if apex is not None and apex not in numbers:  # a gap: the method would build its input from another frame, unsaid
        below = max(n for n in numbers if n < apex)
        above = min(n for n in numbers if n > apex)
        raise DeployError(f"{path}: {_as_given('apex', request.apex, apex)} is a frame missing from the clip (no "
                          f"frame file carries that number; the nearest are {below} and {above}); expected the "
                          f"number of a frame of the clip")
    used = tuple(p for p, n in zip(frames, numbers) if onset <= n <= offset)
    if not used:
        raise DeployError(f"{path}: no frame between --onset {onset} and --offset {offset} (the clip's {span})")
    for frame in used:  # a truncated frame (its first and last bytes; nothing decoded): this clip, not a whole list
        problem = frame_file_problem(frame)
        if problem:
            raise DeployError(f"{frame}: {problem}; expected a complete JPEG/BMP/PNG frame")
    _check_frame_sizes(used)
    first_frame = read_frames(used[:1])[0]
    if len(used) * first_frame.nbytes > MAX_DECODED_BYTES:  # a video's frames are bounded as it is decoded
        raise DeployError(f"--predict {path}: frames {onset}..{offset} are {len(used):,} frames of "
                          f"{first_frame.shape[1]}x{first_frame.shape[0]}, more than {MAX_DECODED_BYTES:,} bytes of "
                          f"pixels; a clip to predict is seconds long: give --onset and --offset around the expression")
    if not fps:
        what = "the video gives none" if video else "a folder of frames"
        raise DeployError(f"{path}: the clip's frame rate is unknown ({what}, and the model's training corpus has "
                          f"several); give --fps")
    rule = "given"
    curve: tuple[float, ...] = ()
    if apex is None:  # the motion rule; its curve is kept for the page, which draws it with the choice marked
        rule = "motion"
        curve = tuple(float(v) for v in motion_curve(used)) if len(used) > 1 else ()
        apex = frame_number(used[int(np.argmax(curve))]) if curve else onset
    return Sample(dataset=RECORDING, subject="", clip=name or (path.stem if video else path.name), emotion="",
                  onset=onset, apex=apex, offset=offset, fps=float(fps), frames=used,
                  meta={"source": str(path), "apex_rule": rule, "motion_curve": curve, "video": video,
                        # frame numbers absent between onset and offset, as the database loaders count them
                        "missing_frames": offset - onset + 1 - len(used),
                        "declared_frames": declared, "decoded_frames": len(frames) if video else 0,
                        "fps_source": fps_source, "clock": clock.describe(), "variable_rate": clock.variable,
                        "positions": "; ".join(in_seconds)})
