"""Data-layer speed: time to index each database a --mirror corpus holds, and the writer's frames per second.

    python benchmarks/bench_datasets.py [--size smoke|default] [--keep DIR]

Indexing only lists files (no image is decoded), so it should take well under a second per
database even at the real sample counts (a mirror corpus holds CASME II, SMIC-HS and -E, SAMM, CAS(ME)^2 and
the MEGC 2019 composite; the other databases are listed as absent). The writer is timed twice on the smoke
plan: with the synthetic faces (what users get) and with plain frames (the cost of the layouts and image encoding).
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.datasets import DATASETS, load
from common.datasets.tables import DatabaseNotFound
from common.datasets.synthetic import flat_renderer, write_corpus


def writer_fps(work: Path, size: str, renderer, label: str) -> None:
    started = time.perf_counter()
    out = write_corpus(work / label, size=size, renderer=renderer, progress=False)
    seconds = time.perf_counter() - started
    frames = json.loads((out / "corpus.json").read_text())["frames_written"]
    print(f"writer, {size} corpus, {label:>6}: {frames:6d} frames in {seconds:6.2f} s = "
          f"{frames / seconds:7.0f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("smoke", "default"), default="smoke", help="frame size/length of the mirror")
    parser.add_argument("--keep", help="write the corpora here instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        writer_fps(work, "smoke", None, "faces")
        writer_fps(work, "smoke", flat_renderer, "plain")
        started = time.perf_counter()
        mirror = write_corpus(work / "mirror", size=args.size, mirror=True, renderer=flat_renderer, progress=False)
        print(f"mirror corpus ({args.size} frames, plain): written in {time.perf_counter() - started:.1f} s")
        for name in DATASETS:
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    samples = load(name, mirror)
                except DatabaseNotFound:  # a mirror corpus writes the five databases of real counts only
                    print(f"index {name:<9}: not in a mirror corpus")
                    continue
            seconds = time.perf_counter() - started
            frames = sum(len(s.frames) for s in samples)
            print(f"index {name:<9}: {len(samples):4d} samples, {frames:6d} frame paths in {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
