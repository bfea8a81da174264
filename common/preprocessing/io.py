"""Reading frames from disk (shared by every pipeline).

OpenCV reads JPEG and BMP; a file that cannot be decoded is one clear error naming it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np


class FrameReadError(OSError):
    """A frame file is missing or cannot be decoded."""


def read_frame(path: str | Path, color: str = "rgb") -> np.ndarray:
    """One frame as uint8: ``color="rgb"`` -> (H, W, 3) RGB, ``"gray"`` -> (H, W)."""
    flag = cv2.IMREAD_GRAYSCALE if color == "gray" else cv2.IMREAD_COLOR
    image = cv2.imread(str(path), flag)
    if image is None:
        raise FrameReadError(f"{path}: cannot read this frame (expected a JPEG/BMP/PNG image file)")
    if color == "rgb":
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif color != "gray":
        raise ValueError(f"color={color!r}: expected 'rgb' or 'gray'")
    return image


def read_frames(paths: Sequence[str | Path], color: str = "rgb", size: tuple[int, int] | None = None) -> np.ndarray:
    """Frames stacked to (T, H, W[, 3]) uint8; ``size=(width, height)`` resizes with INTER_AREA."""
    frames = []
    for path in paths:
        frame = read_frame(path, color)
        if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
            frame = cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA)
        elif frames and frame.shape != frames[0].shape:
            frame = cv2.resize(frame, (frames[0].shape[1], frames[0].shape[0]), interpolation=cv2.INTER_AREA)
        frames.append(frame)
    if not frames:
        raise FrameReadError("no frames to read (empty clip)")
    return np.stack(frames)
