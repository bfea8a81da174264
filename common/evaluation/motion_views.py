"""What the prediction page (``--predict``) shows of a method that reads the onset-apex motion or the
clip's face sequence: the four field baselines (LBP-TOP, Bi-WOOF, OFF-ApexNet, STSTNet).

They all crop every frame with the first frame's 68 landmarks (``common.preprocessing.motion_stages``),
so the page draws that one square on the onset frame and shows the onset and apex frames (the apex
by ``motion_stages.flow_apex_position``: the annotation, else the shared motion rule).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from common.experiment import PredictViews


def landmark_square(points) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of ``regions.landmark_face_crop``'s square in the frame's pixels."""
    from common.preprocessing.regions import as_points

    p = as_points(points)
    lo, hi = p.min(0), p.max(0)
    centre, side = (lo + hi) / 2, float((hi - lo).max()) * 1.1  # the crop's 5 % margin on every side
    left, top = np.rint(centre - side / 2).astype(int)
    side_px = max(int(round(side)), 1)
    return int(left), int(top), int(left) + side_px, int(top) + side_px


def onset_apex_views(sample, inputs: Sequence[tuple[str, np.ndarray]], cache_root: Path | None,
                     notes: Sequence[str] = ()) -> PredictViews:
    """The onset and apex frames, the landmark square every frame was cut to, and ``inputs`` (what the
    method's classifier saw: flow images, strain, an LBP-TOP or Bi-WOOF vector drawn as blocks)."""
    from common.preprocessing.faces import sample_landmarks
    from common.preprocessing.motion_stages import flow_apex_position

    apex = flow_apex_position(sample, cache_root=cache_root)
    points = sample_landmarks(sample, mode="first", root=cache_root).points[0]
    rule = "annotated" if sample.apex is not None else "the shared motion rule (docs/methods.md, motion features)"
    return PredictViews(frames=(0, int(apex)), face_box=landmark_square(points), inputs=tuple(inputs),
                        notes=(f"onset frame {sample.frame_numbers[0]}, apex frame {sample.frame_numbers[apex]} "
                               f"({rule})", *notes))


def block_image(vector: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """A (rows, cols * per_block) image of a block feature vector (block-major order), one row of blocks
    per grid row, for the page: each block's histogram laid out left to right."""
    rows, cols = int(grid[0]), int(grid[1])
    per_block = len(vector) // (rows * cols)
    return np.asarray(vector, dtype=np.float32).reshape(rows, cols * per_block)
