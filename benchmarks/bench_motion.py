"""Speed of the shared motion features (common/preprocessing/motion.py), in ms per clip. Prints, never asserts.

    .venv/bin/python benchmarks/bench_motion.py [--clips 3] [--frames 30] [--sizes 28 64 128] [--repeat 3]

Clips: synthetic, the astronaut's face (skimage.data) resized to size x size, grey, with a Gaussian
bump of brightness that rises and falls over the clip (its peak is the apex) and a sub-pixel
horizontal sway; content barely changes these costs. Per clip, as the baselines use them:
    flow tvl1 / farneback   onset -> apex frame, ``motion.optical_flow``
    strain                  ``motion.optical_strain`` of that flow
    orientation histograms  Bi-WOOF, 5 x 5 blocks, 8 bins
    lbp-top                 the whole clip, 5 x 5 blocks, radii (1, 1, 4), 4 points per plane, nri_uniform
    apex rule               ``motion.motion_apex_position`` over the whole clip
Each figure is the best of ``--repeat`` passes over the clips, divided by the number of clips.
Figures: docs/performance.md, "Motion features".
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import timed  # benchmarks/timing.py, beside this script

from common.preprocessing import motion


def synthetic_clip(n_frames: int, size: int, seed: int) -> np.ndarray:
    """(T, size, size) uint8 grey face whose bump of brightness peaks at a frame set by ``seed``."""
    from skimage import data

    face = cv2.cvtColor(data.astronaut()[20:240, 140:360], cv2.COLOR_RGB2GRAY)
    face = cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    rng = np.random.default_rng(seed)
    apex = int(rng.integers(n_frames // 4, 3 * n_frames // 4))
    y, x = np.mgrid[0:size, 0:size]
    bump = 40 * np.exp(-((x - 0.6 * size) ** 2 + (y - 0.7 * size) ** 2) / (2 * (0.12 * size) ** 2))
    frames = []
    for t in range(n_frames):
        amplitude = np.exp(-((t - apex) / (n_frames / 6)) ** 2)
        matrix = np.float64([[1, 0, 0.3 * np.sin(2 * np.pi * t / n_frames)], [0, 1, 0]])
        frame = cv2.warpAffine(face + amplitude * bump, matrix, (size, size), borderMode=cv2.BORDER_REFLECT_101)
        frames.append(np.clip(frame, 0, 255))
    return np.stack(frames).astype(np.uint8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=3, help="synthetic clips per size (default 3)")
    parser.add_argument("--frames", type=int, default=30, help="frames per clip (default 30)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 64, 128],
                        help="frame sides in pixels, each timed (default 28 64 128)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the clips; the best is printed (default 3)")
    args = parser.parse_args()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{datetime.date.today()}  {platform.node()}  {os.cpu_count()} cores  load {load:.1f}  "
          f"cv2 {cv2.__version__}  {args.clips} clips x {args.frames} frames, best of {args.repeat}")
    print(f"{'stage':<24}" + "".join(f"{f'{s}x{s}':>12}" for s in args.sizes) + "   (ms/clip)")
    rows: dict[str, list[float]] = {}
    for size in args.sizes:
        clips = [synthetic_clip(args.frames, size, seed) for seed in range(args.clips)]
        apexes = [motion.motion_apex_position(clip) for clip in clips]
        flows = [motion.optical_flow(clip[0], clip[a]) for clip, a in zip(clips, apexes)]
        strains = [motion.optical_strain(flow) for flow in flows]
        stages = {  # the lambdas bind this size's inputs (called in this iteration)
            "flow tvl1": lambda clips=clips, apexes=apexes: [motion.optical_flow(c[0], c[a], "tvl1")
                                                             for c, a in zip(clips, apexes)],
            "flow farneback": lambda clips=clips, apexes=apexes: [motion.optical_flow(c[0], c[a], "farneback")
                                                                  for c, a in zip(clips, apexes)],
            "strain": lambda flows=flows: [motion.optical_strain(f) for f in flows],
            "orientation histograms": lambda flows=flows, strains=strains: [
                motion.weighted_orientation_histograms(f, s, (5, 5), 8) for f, s in zip(flows, strains)],
            "lbp-top": lambda clips=clips: [motion.lbp_top(c, (5, 5), (1, 1, 4), (4, 4, 4)) for c in clips],
            "apex rule": lambda clips=clips: [motion.motion_apex_position(c) for c in clips],
        }
        for name, stage in stages.items():
            rows.setdefault(name, []).append(1000 * timed(stage, args.repeat) / args.clips)
    for name, values in rows.items():
        print(f"{name:<24}" + "".join(f"{v:>12.2f}" for v in values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
