"""The table ``--estimate`` prints (:func:`format_estimate`) and its JSON form (:func:`to_dict`)."""
from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from common.evaluation.records import jsonable

if TYPE_CHECKING:  # annotations only: estimate and timing import the formatting helpers here
    from common.evaluation.estimate import Estimate
    from common.evaluation.timing import ModelTiming

def _seconds(seconds: float | None) -> str:
    """A duration for people: 12 ms, 3.4 s, 5 min 12 s, 3 h 20 min, 4.2 days."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{seconds / 86400:.1f} days"


def _bytes(n: int) -> str:
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _flops(flops: float) -> str:
    """FLOPs for people: 3.2 TFLOP, 1.4 PFLOP."""
    for unit, size in (("EFLOP", 1e18), ("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6),
                       ("kFLOP", 1e3)):
        if flops >= size:
            return f"{flops / size:.1f} {unit}"
    return f"{flops:.0f} FLOP"


def _rate(t: ModelTiming) -> str:
    """``57 GFLOP/s (48% of 120 GFLOP/s matmul; 40% per CPU-second)``: beside the matmul rate measured next to it."""
    if t.matmul_flops_per_s <= 0:
        return f"{t.flops_per_s / 1e9:.0f} GFLOP/s"
    return (f"{t.flops_per_s / 1e9:.0f} GFLOP/s ({t.flops_per_s / t.matmul_flops_per_s:.0%} of "
            f"{t.matmul_flops_per_s / 1e9:.0f} GFLOP/s matmul; {t.cpu_share:.0%} per CPU-second)")


def _plain(shapes: tuple) -> str:
    return "+".join("x".join(map(str, s)) for s in shapes)


def format_estimate(est: Estimate) -> str:
    """The table ``--estimate`` prints: per experiment, then overall. Every figure is a projection."""
    lines = [f"PROJECTION (not a measurement of a run): profile {est.profile}, corpus {est.corpus}",
             f"device {est.device}; backend {est.backend}; wall times on this machine as loaded now",
             f"load: while its steps were timed this process used {est.cpu_per_wall:.2f} CPU-s per wall-s on "
             f"{os.cpu_count()} cores; other processes on the machine inflate every wall figure (the CPU-time "
             "figures, user + sys, much less)", ""]
    header = (f"  {'model':<22} {'input x batch':<22} {'params':>11} {'folds':>5} {'train/fold':>10} {'epochs':>6} "
              f"{'steps (all folds)':>17} {'s/step':>8} {'training':>14}")
    for e in est.experiments:
        lines.append(f"{e.paper}/{e.experiment}: {e.title}")
        dropped = f" ({e.dropped_short} shorter than min_frames left out)" if e.dropped_short else ""
        lines.append(f"  work: {e.clips} clips, {e.frames:,} frames, {e.folds} folds{dropped}")
        if not e.estimated:
            lines.append(f"  {e.note}")
            lines.append("")
            continue
        lines.append(header)
        for w in e.stages:
            t = w.timing
            if t is None:  # estimate_experiment times every stage of an estimated experiment
                raise AttributeError(f"{e.paper}/{e.experiment}: model {w.model} has no timing")
            lines.append(f"  {w.model[:22]:<22} {(_plain(t.inputs) + ' x ' + str(w.batch_size))[:22]:<22} "
                         f"{t.parameters:>11,} {w.folds:>5} {w.samples_per_fold:>10.0f} {w.epochs:>6} {w.steps:>17,} "
                         f"{t.step_s:>8.3f} {_seconds(w.seconds):>14}")
        per_fold = np.array(e.fold_seconds)
        lines.append(f"  training: {_seconds(float(per_fold.mean()))} per fold "
                     f"(max {_seconds(float(per_fold.max()))}), {_seconds(e.training_seconds)} for {e.folds} folds "
                     f"(CPU time {_seconds(sum(w.cpu_seconds for w in e.stages))})")
        lines.append(f"  training work: {_flops(e.training_flops)} (analytic, common.flops); the timed steps ran at "
                     + ", ".join(f"{w.model} {_rate(w.timing)}"
                                 for w in e.stages if w.timing))
        if e.preprocess is not None:
            p = e.preprocess
            lines.append(f"  preprocessing, first pass: {_seconds(p.seconds)} for {e.clips} clips "
                         f"({_seconds(p.per_clip_s)}/clip + {_seconds(p.per_frame_s)}/frame fitted on "
                         f"{len(p.clips_timed)} clips); later runs read the cache, much cheaper")
        if e.note:
            lines.append(f"  {e.note}")
        lines.append(f"  peak memory: {_bytes(e.peak_rss_bytes + e.arrays_bytes)} = process peak "
                     f"{_bytes(e.peak_rss_bytes)} (measured, ru_maxrss) + training inputs {_bytes(e.arrays_bytes)} "
                     "(float32, estimate)")
        lines.append(f"  total: {_seconds(e.total_seconds)}")
        lines.append("")
    estimated = [e for e in est.experiments if e.estimated]
    missing = [f"{e.paper}/{e.experiment}" for e in est.experiments if not e.estimated]
    lines.append(f"OVERALL ({len(estimated)} of {len(est.experiments)} experiments estimated): preprocessing "
                 f"{_seconds(est.preprocess_seconds)} (first pass; experiments sharing a cached stage pay it once), "
                 f"training {_seconds(est.training_seconds)}, total "
                 f"{_seconds(est.training_seconds + est.preprocess_seconds)} (CPU time {_seconds(est.cpu_seconds)}); "
                 f"peak memory {_bytes(est.peak_bytes)}")
    lines.append(f"training work overall: {_flops(est.training_flops)} (analytic); on a device that sustains R FLOP/s "
                 f"on these models, training takes about work / R (this one: float32 matmul "
                 f"{est.matmul_flops_per_s / 1e9:.0f} GFLOP/s measured)")
    if missing:
        lines.append(f"not estimated: {', '.join(missing)} (the reason is under each)")
    lines.append(f"(this estimate took {_seconds(est.seconds)})")
    return "\n".join(lines)


def to_dict(est: Estimate) -> dict[str, Any]:
    """JSON-ready form of an :class:`Estimate` (for benchmarks and tools)."""
    return jsonable(dataclasses.asdict(est))
