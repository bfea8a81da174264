"""What the prediction page (``--predict``) shows of a method that reads the onset-apex motion or the
clip's face sequence: the four field baselines (LBP-TOP, Bi-WOOF, OFF-ApexNet, STSTNet).

They all crop every frame with the first frame's 68 landmarks (``common.preprocessing.motion_stages``),
so the page draws that one square on the onset frame and shows the onset and apex frames (the apex
by ``motion_stages.flow_apex_position``: the annotation, else the shared motion rule).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from common.predict_types import MotionCurve, PredictViews
from common.preprocessing import motion
from common.preprocessing.faces import sample_landmarks
from common.preprocessing.motion_stages import APEX_SIZE, face_sequence, flow_apex_position, own_apex
from common.preprocessing.regions import as_points
from common.running.fold import predict_probabilities

# The apex rule a flow baseline applies to a recording without --apex (``motion_stages.own_apex``): the one it
# uses on SMIC, Liong et al.'s LBP-difference apex spotting (``motion.motion_apex_position``), as recorded
# with the prediction in place of the recording's generic "motion" rule.
OWN_APEX_RULE = "lbp_spotting"


def landmark_square(points) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of ``regions.landmark_face_crop``'s square in the frame's pixels."""
    p = as_points(points)
    lo, hi = p.min(0), p.max(0)
    centre, side = (lo + hi) / 2, float((hi - lo).max()) * 1.1  # the crop's 5 % margin on every side
    left, top = np.rint(centre - side / 2).astype(int)
    side_px = max(int(round(side)), 1)
    return int(left), int(top), int(left) + side_px, int(top) + side_px


def onset_apex_views(sample, inputs: Sequence[tuple[str, np.ndarray]], cache_root: Path | None,
                     notes: Sequence[str] = (), uses_apex: bool = True, chain: str = "") -> PredictViews:
    """The onset and apex frames (``uses_apex``; else the first and last: LBP-TOP codes every frame), the
    landmark square every frame was cut to, and ``inputs`` (what the method's classifier saw: flow
    images, strain, an LBP-TOP or Bi-WOOF vector drawn as blocks); with the apex, the apex rule's curve
    (:func:`apex_curve`). ``chain``: how the inputs were made, in words (:func:`flow_chain`)."""
    points = sample_landmarks(sample, mode="first", root=cache_root).points[0]
    if not uses_apex:
        return PredictViews(frames=(0, len(sample.frames) - 1), face_box=landmark_square(points),
                            inputs=tuple(inputs), notes=tuple(notes), chain=chain)
    apex = flow_apex_position(sample, cache_root=cache_root)
    rule = ("given" if sample.apex is not None
            else f"{OWN_APEX_RULE}: the baselines' shared rule for a clip without apex")
    return PredictViews(frames=(0, int(apex)), face_box=landmark_square(points), inputs=tuple(inputs),
                        notes=(f"the method's onset frame {sample.frame_numbers[0]} and apex frame "
                               f"{sample.frame_numbers[apex]} ({rule})", *notes),
                        motion=apex_curve(sample, cache_root), chain=chain)


def apex_curve(sample, cache_root: Path | None) -> MotionCurve:
    """The curve of the baselines' own apex rule (:data:`OWN_APEX_RULE`, ``motion.motion_apex_position`` takes
    its peak): each frame's block-LBP chi-square difference from the onset frame, on the same face crops."""
    values = motion.apex_feature_differences(face_sequence(sample, APEX_SIZE, cache_root))
    return MotionCurve(values=tuple(float(v) for v in values), rule=OWN_APEX_RULE,
                       measure="LBP difference from the onset face (chi-square)", chosen=int(np.argmax(values)))


def flow_chain(config: Any) -> str:
    """How a flow CNN's input is made from a clip's frames by this suite, in words (the page says it beside
    what the model was trained on)."""
    data = getattr(config, "data", None)
    method = str(getattr(data, "flow_method", "tvl1")).replace("tvl1", "TV-L1").replace("farneback", "Farneback")
    size = getattr(data, "size", None)
    return (f"this suite's own chain: {method} optical flow and optical strain from the onset to the apex face crop "
            f"(the first frame's 68 landmarks)" + (f", {size} x {size}" if size else ""))


def block_image(vector: np.ndarray, grid: tuple[int, int], block: tuple[int, int]) -> np.ndarray:
    """A (rows * block[0], cols * block[1]) image of a block feature vector (block-major order, each block's
    ``block[0] * block[1]`` values row by row), for the page: the face's grid of blocks, each block's
    histogram drawn as a small tile in its place."""
    rows, cols = int(grid[0]), int(grid[1])
    tiles = np.asarray(vector, dtype=np.float32).reshape(rows, cols, int(block[0]), int(block[1]))
    return tiles.transpose(0, 2, 1, 3).reshape(rows * int(block[0]), cols * int(block[1]))


def flow_predict_clips(ctx: Any, clip_inputs: Callable[..., np.ndarray]) -> np.ndarray:
    """``Experiment.predict_clips`` of a flow CNN (OFF-ApexNet, STSTNet): the paper's ``clip_inputs(samples,
    config, cache_root)`` of ``ctx.samples`` (the function its folds read; a recording's guessed apex gives
    way to the baselines' own rule, ``motion_stages.own_apex``) through the one exported model, the same
    call as a fold's test clips (``common.running.fold.predict_probabilities``)."""
    (model,) = ctx.models.values()
    x = clip_inputs([own_apex(s) for s in ctx.samples], ctx.config, ctx.cache_dir)
    return predict_probabilities(model, x, ctx.config.train.batch_size)


def flow_predict_apex(ctx: Any, index: int) -> tuple[int, str]:
    """``Experiment.predict_apex`` of a method whose input is built from the onset and apex frames by
    ``motion_stages.flow_apex_position`` on ``own_apex(sample)`` (Bi-WOOF, OFF-ApexNet, STSTNet): that
    position, and its rule: the recording's (``given``) where it is kept, else :data:`OWN_APEX_RULE`."""
    sample = ctx.samples[index]
    own = own_apex(sample)
    rule = str(sample.meta.get("apex_rule", "given")) if own is sample else OWN_APEX_RULE
    return flow_apex_position(own, cache_root=ctx.cache_dir), rule


def flow_predict_views(ctx: Any, index: int, clip_inputs: Callable[..., np.ndarray],
                       titles: Sequence[str]) -> PredictViews:
    """``Experiment.predict_views`` of a flow CNN: the onset and apex frames with the face square, and
    each channel of the flow image the network saw, titled by ``titles``."""
    sample = own_apex(ctx.samples[index])
    images = clip_inputs([sample], ctx.config, ctx.cache_dir)[0]
    return onset_apex_views(sample, [(title, images[..., k]) for k, title in enumerate(titles)], ctx.cache_dir,
                            chain=flow_chain(ctx.config))
