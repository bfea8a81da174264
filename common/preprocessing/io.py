"""Reading frames from disk (shared by every pipeline).

OpenCV reads JPEG, BMP, PNG and TIFF; a file that is missing, cannot be decoded or is not complete is
one clear error naming it (libjpeg decodes a truncated JPEG as a half-grey frame and
only prints "Premature end of JPEG file", without the file's name). Completeness is checked on the
bytes already read, before decoding, so it costs nothing measurable: a JPEG must end with its EOI
marker ``FF D9`` (only zero padding may follow), a PNG with its ``IEND`` chunk, and a BMP must be
at least as long as the size its header declares. :func:`frame_file_problem` is the same check on
a path, used by ``--check-data`` on every frame without decoding it.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from collections.abc import Sequence

import cv2
import numpy as np

from common.errors import MersuiteError

_JPEG_SOI, _JPEG_EOI = b"\xff\xd8", b"\xff\xd9"
_PNG_SIGNATURE, _PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"
_TAIL = 64  # bytes of a file's end that --check-data reads


class FrameReadError(MersuiteError, OSError):
    """A frame file is missing, incomplete or cannot be decoded."""


def _bytes_problem(head: bytes, tail: bytes, size: int) -> str:
    """Why a file whose first and last bytes are ``head``/``tail`` is not a complete image, or ``""``."""
    if size == 0:
        return "empty file"
    if head.startswith(_JPEG_SOI):
        if not tail.rstrip(b"\x00").endswith(_JPEG_EOI):
            return "truncated or incomplete JPEG (no end-of-image marker FF D9 at its end)"
    elif head.startswith(_PNG_SIGNATURE):
        if not tail.endswith(_PNG_END):
            return "truncated or incomplete PNG (no IEND chunk at its end)"
    elif head.startswith(b"BM") and len(head) >= 6:
        declared = int.from_bytes(head[2:6], "little")
        if declared > size:
            return f"truncated BMP ({size} bytes, its header declares {declared})"
    return ""


# The image format each frame-file name promises, as Pillow names the format it finds in the content.
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}


@dataclasses.dataclass(frozen=True)
class FrameFileInfo:
    """What a frame file's header says: ``size`` (width, height) and ``format``; ``problem`` when
    it is not a complete image of the format its name says (``""`` when it is)."""

    path: Path
    size: tuple[int, int] = (0, 0)
    format: str = ""
    problem: str = ""


def frame_file_info(path: str | Path) -> FrameFileInfo:
    """The header of one frame file (Pillow reads its first bytes; no pixel is decoded) and the
    completeness check of :func:`frame_file_problem`: a file of another kind under an image name
    (a text file, a PNG named ``.jpg``), a truncated image and an unknown extension are problems."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    problem = frame_file_problem(path)
    if problem:
        return FrameFileInfo(path, problem=problem)
    expected = FORMATS.get(path.suffix.lower())
    if expected is None:
        return FrameFileInfo(path, problem=f"extension {path.suffix!r} is not a frame format "
                                            f"(expected one of {', '.join(sorted(FORMATS))})")
    try:
        with Image.open(path) as image:
            size, found = (int(image.size[0]), int(image.size[1])), str(image.format or "")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        cause = "not an image file" if isinstance(error, UnidentifiedImageError) else f"unreadable image ({error})"
        return FrameFileInfo(path, problem=f"{cause}; expected a {expected} image, as its name says")
    if found != expected:
        return FrameFileInfo(path, size, found, f"holds a {found or 'non-image'} image under a {path.suffix} name; "
                                                f"expected {expected} content, as its name says")
    if min(size) < 1:
        return FrameFileInfo(path, size, found, f"empty image ({size[0]}x{size[1]} pixels)")
    return FrameFileInfo(path, size, found)


def frame_file_problem(path: str | Path) -> str:
    """Why the frame file at ``path`` is not a complete JPEG/PNG/BMP (``""`` when it looks complete).

    Reads 16 bytes at the start and 64 at the end; nothing is decoded.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL))
            tail = handle.read()
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    return _bytes_problem(head, tail, size)


def read_frame(path: str | Path, color: str = "rgb") -> np.ndarray:
    """One frame as uint8: ``color="rgb"`` -> (H, W, 3) RGB, ``"gray"`` -> (H, W).

    Raises :class:`FrameReadError` naming the file when it is missing, incomplete or undecodable.
    """
    if color not in ("rgb", "gray"):
        raise ValueError(f"color={color!r}: expected 'rgb' or 'gray'")
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as error:
        raise FrameReadError(f"{path}: cannot read this frame ({error.strerror or error})") from None
    problem = _bytes_problem(data[:16].tobytes(), data[-_TAIL:].tobytes(), int(data.size))
    if problem:
        raise FrameReadError(f"{path}: {problem}; expected a complete JPEG/BMP/PNG frame")
    flag = cv2.IMREAD_GRAYSCALE if color == "gray" else cv2.IMREAD_COLOR
    image = cv2.imdecode(data, flag) if data.size else None
    if image is None:
        raise FrameReadError(f"{path}: cannot read this frame (expected a JPEG/BMP/PNG image file)")
    if color == "rgb":
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def read_frames(paths: Sequence[str | Path], color: str = "rgb", size: tuple[int, int] | None = None) -> np.ndarray:
    """Frames stacked to (T, H, W[, 3]) uint8; ``size=(width, height)`` resizes every frame with INTER_AREA.

    Every frame must have the size of the first: a frame of another size is a
    :class:`FrameReadError` naming it, never silently resized (a 1x1 frame would become a constant
    frame, a 1x1 first frame a constant clip). ``size`` is the caller's declared resize, applied
    to frames already known to agree.
    """
    frames = []
    first_shape = None
    for path in paths:
        frame = read_frame(path, color)
        if first_shape is None:
            first_shape, first_path = frame.shape, path
        elif frame.shape != first_shape:
            raise FrameReadError(f"{path}: frame of {frame.shape[1]}x{frame.shape[0]} pixels, but "
                                 f"{Path(first_path).name} of the same clip is {first_shape[1]}x{first_shape[0]}; "
                                 "expected one frame size per clip")
        if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
            frame = cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)
        frames.append(frame)
    if not frames:
        raise FrameReadError("no frames to read (empty clip)")
    return np.stack(frames)
