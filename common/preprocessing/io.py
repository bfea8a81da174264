"""Reading frames from disk (shared by every pipeline).

OpenCV reads JPEG, BMP, PNG and TIFF (and WebP, PPM/PGM); a file that is missing, cannot be decoded or is not
complete is one clear error naming it (libjpeg decodes a truncated JPEG as a half-grey frame and
only prints "Premature end of JPEG file", without the file's name). Completeness is checked on the
bytes already read, before decoding, so it costs nothing measurable: a JPEG must end with its EOI
marker ``FF D9`` (only zero padding may follow), a PNG with its ``IEND`` chunk, and a BMP must be
at least as long as the size its header declares. :func:`frame_file_problem` is the same check on
a path, used by ``--check-data`` on every frame without decoding it.

OpenCV allocates the whole image a header claims before it decodes a row, so no image is decoded before its header's
size is read and bounded (:func:`header_size`, :data:`MAX_PIXELS`); a file of a format whose size is not read so
(Radiance HDR, OpenEXR, PFM and others OpenCV decodes: :data:`SIZED_FORMATS`) is not decoded at all.

A JPEG whose coded data is damaged inside (cut short with its end marker kept, bytes lost or overwritten) still
ends whole, and libjpeg fills what it cannot decode with grey, warning only on stderr: OpenCV returns that frame
as if it were whole. Every JPEG a frame reader decodes is therefore decoded once more by libjpeg-turbo through
``simplejpeg``, whose strict mode turns libjpeg's warnings into errors (OpenCV exposes none): a warning that image
data was lost is a :class:`FrameReadError` naming the file (:func:`jpeg_problem`). Its pixels are not used (they
stay OpenCV's), so no result changes; it costs about one more decoding of each JPEG frame read.
"""
from __future__ import annotations

import dataclasses
import io
import warnings
from pathlib import Path
from collections.abc import Sequence

import cv2
import numpy as np
import simplejpeg

from common.files import FileTooLarge, open_regular, read_regular_bytes
from common.errors import MersuiteError

_JPEG_SOI, _JPEG_EOI = b"\xff\xd8", b"\xff\xd9"
_PNG_SIGNATURE, _PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"
_TAIL = 64  # bytes of a file's end that --check-data reads
# The most pixels an image file may claim before it is decoded: OpenCV allocates the whole image its header
# claims before it reads a row, so a 100-byte file claiming 60000 x 60000 pixels would take 10 GB. 8192 x 8192
# is more than any frame this suite reads (SAMM's 2040 x 1088, an 8K video's 7680 x 4320).
MAX_PIXELS = 8192 * 8192
# The most bytes an image file may hold, read before its header is looked at: an uncompressed 32-bit BMP of
# MAX_PIXELS and a megabyte of header and metadata. A frame file of gigabytes was read whole first.
MAX_IMAGE_BYTES = 4 * MAX_PIXELS + (1 << 20)
_HEADER = 1 << 18  # bytes searched for a JPEG's frame header (after EXIF and ICC segments of up to 64 KiB each)
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # SOF0..SOF15 but DHT, JPG and DAC
# libjpeg's warnings that image data was lost and filled in (jerror.h: JWRN_HIT_MARKER, JWRN_JPEG_EOF,
# JWRN_HUFF_BAD_CODE, JWRN_ARITH_BAD_CODE, JWRN_MUST_RESYNC), as simplejpeg's strict mode words them. Its other
# warnings leave the pixels whole (JWRN_EXTRANEOUS_DATA: stray bytes between segments) and are not refused.
_JPEG_DATA_LOST = ("premature end of data segment", "premature end of jpeg file", "bad huffman code",
                   "bad arithmetic code", "instead of rst")


class FrameReadError(MersuiteError, OSError):
    """A frame file is missing, incomplete or cannot be decoded; ``path``: that file ("" where none is named)."""

    def __init__(self, message: str, path: str | Path = "") -> None:
        super().__init__(message)
        self.path = str(path)


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


def claimed_size(head: bytes) -> tuple[int, int] | None:
    """``(width, height)`` an image file's header claims, from its first bytes ``head`` (PNG's IHDR, a BMP's info
    header, a JPEG's frame header), or None for another format or a header not within ``head``. Nothing is
    decoded; written here because OpenCV reads no header without decoding the image."""
    if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head.startswith(b"BM") and len(head) >= 26:
        if int.from_bytes(head[14:18], "little") == 12:  # OS/2's core header: 16-bit sizes
            return int.from_bytes(head[18:20], "little"), int.from_bytes(head[20:22], "little")
        return (abs(int.from_bytes(head[18:22], "little", signed=True)),
                abs(int.from_bytes(head[22:26], "little", signed=True)))  # a negative height: rows top-down
    if head.startswith(_JPEG_SOI):
        at = 2
        while at + 9 <= len(head) and head[at] == 0xFF:
            marker = head[at + 1]
            if marker == 0xFF:  # a fill byte
                at += 1
                continue
            if marker in _JPEG_FRAMES:
                return int.from_bytes(head[at + 7:at + 9], "big"), int.from_bytes(head[at + 5:at + 7], "big")
            length = int.from_bytes(head[at + 2:at + 4], "big")
            if marker == 0xDA or length < 2:  # the scan starts before any frame header: not a JPEG we can size
                return None
            at += 2 + length
    return None


# The formats a frame or image file may hold, as Pillow names what it finds in the content (OpenCV decodes by the
# content, whatever the name): those both read from the same first bytes and header, so that the size Pillow reads is
# the one OpenCV allocates. OpenCV decodes others that Pillow does not size (Radiance HDR, OpenEXR, PFM, PAM) or sizes
# from another header than OpenCV's decoder does (a JPEG 2000 file's box, not its codestream): bounded only by
# OpenCV's own limit of 2^30 pixels (4 GiB as a float HDR image), so they are never decoded; no database uses them.
SIZED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "BMP", "TIFF", "WEBP", "PPM"})
ACCEPTED = "JPEG, PNG, BMP, TIFF, WebP or PPM/PGM"  # SIZED_FORMATS as a message names them
_NOT_SIZED = (f"not a {ACCEPTED} image, the formats whose size is checked before decoding (another, such as "
              "Radiance HDR, OpenEXR or PFM, is not decoded)")


def header_size(data: np.ndarray) -> tuple[int, int] | None:
    """``(width, height)`` the header of the image file whose bytes are ``data`` (uint8) claims, read without decoding
    anything: :func:`claimed_size` on its first bytes (PNG, BMP, JPEG), else Pillow's reading of the header of a
    format of :data:`SIZED_FORMATS` (a TIFF, a WebP under a frame's name, a JPEG whose frame header lies past its first
    :data:`_HEADER` bytes). ``(0, 0)`` when Pillow itself refuses the size as a decompression bomb (more than twice
    its own limit, which is above :data:`MAX_PIXELS`). None for a file of another format or no image: such a file is
    not decoded (OpenCV would allocate whatever its header claims)."""
    from PIL import Image

    size = claimed_size(data[:_HEADER].tobytes())
    if size is not None:
        return size
    try:
        with warnings.catch_warnings():  # Pillow's warning of a large size: the size is compared by the caller
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data.tobytes())) as image:
                if image.format not in SIZED_FORMATS:
                    return None
                return int(image.size[0]), int(image.size[1])
    except Image.DecompressionBombError:
        return 0, 0
    except Exception:  # any header Pillow cannot read (its plugins raise many kinds): no size known
        return None


def _pixels_problem(size: tuple[int, int]) -> str:
    """Why an image whose header claims ``size`` (:func:`header_size`, not None) is not decoded, or ``""``."""
    if size == (0, 0):
        return f"its header claims more than {MAX_PIXELS:,} pixels; not decoded"
    if size[0] * size[1] <= MAX_PIXELS:
        return ""
    return (f"its header claims {size[0]}x{size[1]} pixels, more than any frame this suite reads (at most "
            f"{MAX_PIXELS:,}); not decoded")


def jpeg_problem(data: np.ndarray) -> str:
    """Why the JPEG file's bytes ``data`` (uint8) cannot be decoded whole: libjpeg's warning that image data was
    lost (the grey it fills in would pass as pixels), or ``""`` (also for data that is not a JPEG, or an error
    OpenCV will meet itself)."""
    if data[:2].tobytes() != _JPEG_SOI:
        return ""
    try:  # strict: libjpeg's warnings raise; grey at 1/8 scale, since only the coded data is checked
        simplejpeg.decode_jpeg(data, colorspace="GRAY", min_factor=8, strict=True)
    except ValueError as error:
        if any(words in str(error).lower() for words in _JPEG_DATA_LOST):
            return f"damaged JPEG data ({error}): part of the image was not decoded"
    return ""


def _image_bytes(path: str | Path, *, what: str) -> np.ndarray:
    """The bytes of the image file at ``path`` (uint8), read no further than :data:`MAX_IMAGE_BYTES`; a
    :class:`FrameReadError` naming the file (``what``: "frame" or "image") when it cannot be read or is larger."""
    try:
        return np.frombuffer(read_regular_bytes(path, max_bytes=MAX_IMAGE_BYTES), dtype=np.uint8)
    except OSError as error:
        raise FrameReadError(f"{path}: cannot read this {what} ({error.strerror or error})", path) from None
    except FileTooLarge as error:
        article = "an" if what[0] in "aeiou" else "a"
        raise FrameReadError(f"{path}: {error}, more than {article} {what} file of at most {MAX_PIXELS:,} pixels "
                             "holds; not read", path) from None


def decode_image(path: str | Path, flag: int) -> np.ndarray | None:
    """``cv2.imdecode`` of the file at ``path`` after :func:`header_size` and :func:`jpeg_problem` (a
    :class:`FrameReadError` naming the file for a header claiming too many pixels, damaged JPEG data, or a file that
    cannot be read), None when OpenCV cannot decode it or it is no image of a format whose size its header gives
    (:func:`header_size`: :data:`SIZED_FORMATS`), which is not decoded."""
    data = _image_bytes(path, what="image")
    size = header_size(data) if data.size else None
    if size is None:  # no image, or one of a format not decoded (its size unchecked)
        return None
    problem = _pixels_problem(size) or jpeg_problem(data)
    if problem:
        raise FrameReadError(f"{path}: {problem}", path)
    return cv2.imdecode(data, flag)


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
        with warnings.catch_warnings():  # Pillow's warning of a large claimed size: refused below, not printed
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                size, found = (int(image.size[0]), int(image.size[1])), str(image.format or "")
    except Image.DecompressionBombError:
        return FrameFileInfo(path, problem=f"its header claims more than {MAX_PIXELS:,} pixels; not decoded")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        cause = "not an image file" if isinstance(error, UnidentifiedImageError) else f"unreadable image ({error})"
        return FrameFileInfo(path, problem=f"{cause}; expected a {expected} image, as its name says")
    if size[0] * size[1] > MAX_PIXELS:
        return FrameFileInfo(path, size, found, f"its header claims {size[0]}x{size[1]} pixels, more than any frame "
                                                f"this suite reads (at most {MAX_PIXELS:,}); not decoded")
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
        with open_regular(path, "rb") as handle:
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
    data = _image_bytes(path, what="frame")
    problem = _bytes_problem(data[:16].tobytes(), data[-_TAIL:].tobytes(), int(data.size))  # an empty file too
    if problem:
        raise FrameReadError(f"{path}: {problem}; expected a complete JPEG/BMP/PNG frame", path)
    size = header_size(data)  # before anything is decoded, simplejpeg's check too
    if size is None:
        raise FrameReadError(f"{path}: cannot read this frame: {_NOT_SIZED}", path)
    problem = _pixels_problem(size) or jpeg_problem(data)
    if problem:
        raise FrameReadError(f"{path}: {problem}; expected a complete JPEG/BMP/PNG frame", path)
    flag = cv2.IMREAD_GRAYSCALE if color == "gray" else cv2.IMREAD_COLOR
    image = cv2.imdecode(data, flag)
    if image is None:
        raise FrameReadError(f"{path}: cannot read this frame (expected a {ACCEPTED} image file)", path)
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
                                 "expected one frame size per clip", path)
        if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
            frame = cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)
        frames.append(frame)
    if not frames:
        raise FrameReadError("no frames to read (empty clip)")
    return np.stack(frames)
