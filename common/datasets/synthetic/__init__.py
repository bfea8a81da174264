"""The synthetic corpus: CASME II, SMIC-HS(-E), SAMM, CAS(ME)^2, CASME, CAS(ME)^3, MMEW and 4DME in their real layouts.

``write_corpus(out, size, seed, mirror)`` renders the plan of ``corpus.py`` with the faces of
``faces.py`` and writes it with ``layouts.py``; ``default_corpus(size, seed)`` does so once into the
cache and reuses it. ``python -m common.datasets.synthetic --out DIR`` is the command line.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from collections.abc import Callable, Sequence

import numpy as np

from common.datasets.synthetic import layouts
from common.datasets.synthetic.corpus import EXTRA, FPS, SIZES, Plan, clip_seed, make_plan, megc_rows
from common.datasets.corrections import read_corrections
from common.files import OutputError, linked_out
from common.paths import cache_root

__all__ = ["write_corpus", "default_corpus", "flat_renderer", "FaceRenderer", "VERSION", "SIZES"]

VERSION = 3  # bump when the plan, the layouts or the faces change: default_corpus() then writes a fresh copy

# (identity, (width, height), gray, n_frames, events [(emotion, onset, apex, offset) 0-based], fps, seed) -> frames
Renderer = Callable[[int, tuple[int, int], bool, int, Sequence[tuple[str, int, int, int]], float, int], np.ndarray]


class FaceRenderer:
    """Frames from ``faces.py`` (H2's synthetic faces); one ``SubjectFace`` per identity, reused.

    A long video with several expressions is rendered as consecutive segments, one expression each,
    cut half-way between expressions (``render_clip`` renders one onset-apex-offset course).
    """

    def __init__(self, seed: int = 0) -> None:
        from common.datasets.synthetic import faces  # imported here: the loaders never need it

        self.faces = faces
        self.seed = seed
        self.subjects: dict = {}

    def __call__(self, identity, size, gray, n_frames, events, fps, seed) -> np.ndarray:
        width, height = size
        key = (identity, size, gray)
        if key not in self.subjects:
            self.subjects[key] = self.faces.make_subject(identity, self.seed, size=(width, height), gray=gray)
        subject = self.subjects[key]
        events = sorted(events, key=lambda e: e[1])
        cuts = [0] + [(a[3] + b[1]) // 2 + 1 for a, b in zip(events, events[1:])] + [n_frames]
        parts = []
        for i, (emotion, onset, apex, offset) in enumerate(events):
            start, stop = cuts[i], cuts[i + 1]
            parts.append(self.faces.render_clip(subject, emotion, stop - start, onset - start, apex - start,
                                                offset - start, fps, seed + i))
        frames = np.concatenate(parts)
        if frames.shape[1:3] != (height, width):  # whatever the module's (h, w) convention, deliver ours
            import cv2

            frames = np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames])
        return frames


def flat_renderer(identity, size, gray, n_frames, events, fps, seed) -> np.ndarray:
    """Plain noisy frames (no face, no motion) for loader tests and benchmarks of the writer itself."""
    width, height = size
    base = np.random.default_rng(identity).integers(60, 200, size=3, dtype=np.uint8)
    frames = np.broadcast_to(base, (n_frames, height, width, 3)).copy()
    frames += np.random.default_rng(seed).integers(0, 4, size=frames.shape, dtype=np.uint8)
    return frames


def _excluded_from_megc() -> set[tuple[str, str, str]]:
    return {(c.dataset, c.subject, c.clip) for c in read_corrections()
            if c.applies_to == "megc2019" and c.action == "exclude"}


def _write(out: Path, plan: Plan, render: Renderer, progress: bool) -> dict:
    spec = plan.size
    total = len(plan.clips) + len(plan.videos)
    done = frames = 0
    started = time.perf_counter()

    tty = sys.stderr.isatty()

    def tick() -> None:  # one refreshed counter line on a terminal, ten lines in a log
        if progress and (tty or done % max(1, total // 10) == 0 or done == total):
            line = (f"synthetic corpus ({spec.name}, seed {plan.seed}): "
                    f"{done}/{total} clips, {frames} frames")
            print("\r" + line if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    for clip in plan.clips:
        fps = FPS[clip.dataset]
        seed = clip_seed(plan.seed, clip.dataset, clip.subject, clip.clip)
        events = [(clip.emotion, clip.onset - clip.first, clip.apex - clip.first, clip.offset - clip.first)]
        if clip.second:
            second_onset, second_apex, second_offset = clip.second
            events.append((clip.emotion, second_onset - clip.first, second_apex - clip.first,
                           second_offset - clip.first))
        if clip.dataset in EXTRA:
            video = render(clip.identity, spec.extra_face, clip.dataset == "4dme", clip.offset - clip.onset + 1,
                           [(clip.rendered, *event[1:]) for event in events], fps, seed)
            frames += layouts.write_extra_clip(out, clip, video)
            done += 1
            tick()
            continue
        video = render(clip.identity, spec.face, clip.dataset == "samm", clip.last - clip.first + 1, events, fps, seed)
        if clip.dataset == "casme2":
            frames += layouts.write_casme2_clip(out, clip, video)
        elif clip.dataset == "smic":
            frames += layouts.write_smic_clip(out, clip, video)
        else:
            frames += layouts.write_samm_clip(out, clip, video, plan.samm_padding[clip.subject])
        done += 1
        tick()
    for v in plan.videos:
        seed = clip_seed(plan.seed, "casme_sq", v.subject, v.code)
        events = [(e.render, e.onset - 1, e.apex - 1, e.offset - 1) for e in v.expressions]
        video = render(v.identity, spec.video, False, v.n_frames, events, FPS["casme_sq"], seed)
        frames += layouts.write_casme_sq_video(out, v, video)
        done += 1
        tick()
    if progress and tty:
        print(file=sys.stderr)
    layouts.write_casme2_sheet(out, plan.of("casme2"))
    layouts.write_smic_extras(out, plan.of("smic"))
    layouts.write_samm_sheet(out, plan.of("samm"))
    layouts.write_casme_sq_sheet(out, plan.videos)
    layouts.write_extra_sheets(out, [c for c in plan.clips if c.dataset in EXTRA])
    megc = megc_rows(plan, _excluded_from_megc())
    layouts.write_megc_csv(out, megc)
    counts: dict = {}
    for clip in plan.clips:
        counts.setdefault(clip.dataset, {}).setdefault(clip.emotion, 0)
        counts[clip.dataset][clip.emotion] += 1
    counts["casme_sq"] = {}
    for v in plan.videos:
        for e in v.expressions:
            counts["casme_sq"][e.kind] = counts["casme_sq"].get(e.kind, 0) + 1
    return {"version": VERSION, "size": spec.name, "seed": plan.seed, "mirror": plan.mirror, "clips": len(plan.clips),
            "videos": len(plan.videos), "frames_written": frames, "megc2019": len(megc), "counts": counts,
            "seconds": round(time.perf_counter() - started, 2)}


def write_corpus(out: str | Path, size: str = "default", seed: int = 0, mirror: bool = False, *,
                 renderer: Renderer | None = None, progress: bool = True) -> Path:
    """Write the synthetic corpus into ``out`` (new or empty) and return it.

    ``size``: ``smoke`` or ``default`` (see ``corpus.py``); ``mirror``: the real subject and class
    counts; deterministic for ``seed``. Written to a temporary sibling folder and moved into place, so
    ``out`` never holds half a corpus. ``corpus.json`` in ``out`` records the counts written.
    ``renderer`` replaces the faces (tests pass ``flat_renderer``).
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: expected a new or empty folder for the synthetic corpus")
    plan = make_plan(size, seed, mirror)
    render = renderer if renderer is not None else FaceRenderer(seed)  # looked up here so tests can swap it
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        manifest = _write(tmp, plan, render, progress)
        (tmp / "corpus.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if out.exists():
            for child in tmp.iterdir():
                child.rename(out / child.name)
            tmp.rmdir()
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def corpus_folder(size: str = "default", seed: int = 0) -> Path:
    """Where :func:`default_corpus` keeps the corpus of ``size``,
    ``cache_root()/synthetic/<size>-seed<seed>-v<VERSION>`` (written there once it holds ``corpus.json``)."""
    return cache_root() / "synthetic" / f"{size}-seed{seed}-v{VERSION}"


def default_corpus(size: str = "default", seed: int = 0) -> Path:
    """The corpus of ``size`` in :func:`corpus_folder`, written on first use."""
    target = corpus_folder(size, seed)
    real = linked_out(cache_root(), target)
    if real is not None:  # the corpus would be written (or an older one removed) there
        raise OutputError(f"the cache {cache_root()}: {target} is {real}, outside it, through a symbolic link; remove "
                          "the link, or set MERSUITE_CACHE to the folder it points to")
    if (target / "corpus.json").is_file():
        return target
    if target.exists() and not any(target.iterdir()):
        target.rmdir()
    elif target.exists():  # an interrupted older layout: start again
        shutil.rmtree(target)
    try:
        write_corpus(target, size=size, seed=seed)
    except (FileExistsError, OSError):
        if not (target / "corpus.json").is_file():  # not another process finishing first
            raise
    return target
