"""Speed of faces, landmarks, avatar images and the stage cache. Prints, never asserts.

    .venv/bin/python benchmarks/bench_faces.py [--frames 100] [--clips 6]

Per-operation timings use a clip of the astronaut photograph shifted by a few pixels per frame.
The cached pass uses the synthetic corpus (``--size smoke``, CASME II layout) when
``common.datasets.synthetic`` is available, else JPEG clips of the same photograph; everything
is written to a temporary folder with a private cache.

Figures on the 2-core dev machine (shared with other jobs, load ~3.5, so +-30 %), astronaut
clip 512 x 512 RGB, face ~90 px:
    detect_face (HOG, upsample 0)       70 frames/s     (14.3 ms/frame)
    dlib shape_predictor, bare call      1,850 frames/s  (0.54 ms/frame)
    landmarks, known box                 1,650 frames/s  (0.61 ms/frame; target ~0.5 ms)
    clip_landmarks, 100-frame clip       first 17 ms, per_frame 79 ms; track 15 ms/frame
    emotion_avatar_image to 224 x 224    4,800 frames/s  (0.21 ms/frame)
    stage cache, 6 clips x 60 frames     first pass 1.31 s, cached pass 3.5 ms: 375x faster (target >= 20x)
    stage cache, synthetic smoke corpus  6 CASME II clips, 77 frames: 0.34 s vs 4.8 ms, 69x faster;
                                         dlib found the face in all 6 (no fallback)
(stage = read JPEGs + per_frame landmarks + EAI; the cached pass is dominated by the frame
``stat`` calls of the fingerprint and one npz read per clip.)
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import timed  # benchmarks/timing.py, beside this script

from common.preprocessing import faces
from common.preprocessing.avatar import emotion_avatar_image
from common.preprocessing.cache import STATS, cached, sample_fingerprint
from common.preprocessing.io import read_frames



def photo_samples(folder: Path, n_clips: int, n_frames: int):
    """Clips of the astronaut shifted 0..2 px per frame, written as JPEG (CASME II-like names)."""
    import cv2
    from skimage import data

    from common.datasets.sample import Sample

    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    samples = []
    for c in range(n_clips):
        clip = folder / f"sub01/EP{c:02d}"
        clip.mkdir(parents=True)
        paths = []
        for t in range(n_frames):
            path = clip / f"img{t + 1}.jpg"
            cv2.imwrite(str(path), np.roll(image, (t % 3, (t + c) % 3), axis=(0, 1)))
            paths.append(path)
        samples.append(Sample("casme2", "sub01", f"EP{c:02d}", "happiness", 1, n_frames // 2, n_frames, 200.0,
                              tuple(paths)))
    return samples


def corpus_samples(folder: Path, n_clips: int):
    """Samples of the synthetic smoke corpus (CASME II layout), or None when unavailable."""
    try:
        from common.datasets import load
        from common.datasets.synthetic import write_corpus

        write_corpus(folder / "corpus", size="smoke", seed=0)
        candidates = sorted(p for p in (folder / "corpus").iterdir() if p.is_dir())
        for root in candidates:
            try:
                samples = load("casme2", root)
            except Exception:  # another database's folder
                continue
            if samples:
                return samples[:n_clips], root.name
    except Exception as error:  # the corpus is optional here
        print(f"(synthetic corpus unavailable: {type(error).__name__}: {error}; using the astronaut photo)")
    return None


def eai_stage(sample) -> dict[str, np.ndarray]:
    """The Kumar pipeline without magnification: frames -> per-frame landmarks -> EAI."""
    frames = read_frames(sample.frames)
    found = faces.clip_landmarks(frames, "per_frame")
    return {"eai": emotion_avatar_image(frames, found.points), "fallback": np.array(found.fallback or "")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100, help="frames of the photo clip")
    parser.add_argument("--clips", type=int, default=6, help="clips for the cache pass")
    args = parser.parse_args()

    from skimage import data

    image = data.astronaut()
    clip = np.stack([np.roll(image, (t % 3, t % 5), axis=(0, 1)) for t in range(args.frames)])
    faces.landmarks(image)  # load the models outside the timings
    n = args.frames
    print(f"clip: {n} frames of {image.shape} (astronaut, face ~90 px)")

    det = timed(lambda: [faces.detect_face(f) for f in clip[:20]], 2) / 20
    print(f"detect_face (upsample 0)      {1 / det:8.1f} frames/s  {det * 1e3:7.2f} ms/frame")
    box = faces.detect_face(image)
    predictor, rect = faces.landmark_predictor(), box.to_dlib()
    raw = timed(lambda: [predictor(f, rect) for f in clip], 3) / n
    print(f"dlib shape_predictor (raw)    {1 / raw:8.1f} frames/s  {raw * 1e3:7.2f} ms/frame")
    lm = timed(lambda: [faces.landmarks(f, box) for f in clip], 3) / n
    print(f"landmarks (known box)         {1 / lm:8.1f} frames/s  {lm * 1e3:7.2f} ms/frame")
    for mode in faces.CLIP_MODES:
        frames = clip if mode != "track" else clip[:20]
        t = timed(lambda frames=frames, mode=mode: faces.clip_landmarks(frames, mode), 2)
        print(f"clip_landmarks {mode:<10}     {len(frames) / t:8.1f} frames/s  "
              f"{t * 1e3:7.1f} ms per {len(frames)}-frame clip")
    points = faces.clip_landmarks(clip, "per_frame").points
    eai = timed(lambda: emotion_avatar_image(clip, points), 3) / n
    print(f"emotion_avatar_image 224x224  {1 / eai:8.1f} frames/s  {eai * 1e3:7.2f} ms/frame")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        found = corpus_samples(tmp, args.clips)
        if found is None:
            samples, source = photo_samples(tmp / "photo", args.clips, 60), "astronaut photo"
        else:
            samples, source = found
        frames_total = sum(len(s.frames) for s in samples)
        root = tmp / "cache"

        def run_pass():
            return [
                cached("bench_eai", sample_fingerprint(s), {"mode": "per_frame", "size": 224}, lambda s=s: eai_stage(s),
                       root=root)
                for s in samples
            ]

        STATS.reset()
        first = timed(run_pass)
        second = timed(run_pass, 3)
        print(f"stage cache ({source}, {len(samples)} clips, {frames_total} frames): "
              f"first pass {first:.3f} s, cached pass {second * 1e3:.1f} ms, {first / second:.0f}x faster "
              f"(misses {STATS.misses['bench_eai']}, hits {STATS.hits['bench_eai']})")
        fallbacks = [(s.key, str(r["fallback"])) for s, r in zip(samples, run_pass()) if str(r["fallback"])]
        print(f"clips with a face fallback: {len(fallbacks)} of {len(samples)}", *fallbacks, sep="\n  ")


if __name__ == "__main__":
    main()
