"""The table ``--estimate`` prints (:func:`format_estimate`) and its JSON form (:func:`to_dict`)."""
from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from common.estimate.units import memory, flop, duration, shapes
from common.evaluation.records import jsonable

if TYPE_CHECKING:  # annotations only
    from common.estimate.projection import Estimate
    from common.estimate.timing import ModelTiming


def _rate(t: ModelTiming) -> str:
    """``57 GFLOP/s (48% of 120 GFLOP/s matmul; 40% per CPU-second)``: beside the matmul rate measured next to it."""
    if t.matmul_flops_per_s <= 0:
        return f"{t.flops_per_s / 1e9:.0f} GFLOP/s"
    return (f"{t.flops_per_s / 1e9:.0f} GFLOP/s ({t.flops_per_s / t.matmul_flops_per_s:.0%} of "
            f"{t.matmul_flops_per_s / 1e9:.0f} GFLOP/s matmul; {t.cpu_share:.0%} per CPU-second)")


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
            lines.append(f"  {w.model[:22]:<22} {(shapes(t.inputs) + ' x ' + str(w.batch_size))[:22]:<22} "
                         f"{t.parameters:>11,} {w.folds:>5} {w.samples_per_fold:>10.0f} {w.epochs:>6} {w.steps:>17,} "
                         f"{t.step_s:>8.3f} {duration(w.seconds):>14}")
        per_fold = np.array(e.fold_seconds)
        lines.append(f"  training: {duration(float(per_fold.mean()))} per fold "
                     f"(max {duration(float(per_fold.max()))}), {duration(e.training_seconds)} for {e.folds} folds "
                     f"(CPU time {duration(sum(w.cpu_seconds for w in e.stages))})")
        lines.append(f"  training work: {flop(e.training_flops)} (analytic, common.flops); the timed steps ran at "
                     + ", ".join(f"{w.model} {_rate(w.timing)}"
                                 for w in e.stages if w.timing))
        if e.preprocess is not None:
            p = e.preprocess
            lines.append(f"  preprocessing, first pass: {duration(p.seconds)} for {e.clips} clips "
                         f"({duration(p.per_clip_s)}/clip + {duration(p.per_frame_s)}/frame fitted on "
                         f"{len(p.clips_timed)} clips); later runs read the cache, much cheaper")
        if e.note:
            lines.append(f"  {e.note}")
        if e.gauge:
            lines.append(f"  {e.gauge}")
        lines.append(f"  peak memory: {memory(e.peak_rss_bytes + e.arrays_bytes)} = process peak "
                     f"{memory(e.peak_rss_bytes)} (measured, ru_maxrss) + training inputs {memory(e.arrays_bytes)} "
                     "(float32, estimate)")
        lines.append(f"  total: {duration(e.total_seconds)} (projected)")
        lines.append("")
    estimated = [e for e in est.experiments if e.estimated]
    missing = [f"{e.paper}/{e.experiment}" for e in est.experiments if not e.estimated]
    lines.append(f"OVERALL, PROJECTED ({len(estimated)} of {len(est.experiments)} experiments estimated): "
                 f"preprocessing {duration(est.preprocess_seconds)} (first pass; experiments sharing a cached stage "
                 "pay it once), "
                 f"training {duration(est.training_seconds)}, total "
                 f"{duration(est.training_seconds + est.preprocess_seconds)} (CPU time {duration(est.cpu_seconds)}); "
                 f"peak memory {memory(est.peak_bytes)}")
    lines.append(f"training work overall: {flop(est.training_flops)} (analytic); on a device that sustains R FLOP/s "
                 f"on these models, training takes about work / R (this one: float32 matmul "
                 f"{est.matmul_flops_per_s / 1e9:.0f} GFLOP/s measured)")
    if missing:
        lines.append(f"not estimated: {', '.join(missing)} (the reason is under each)")
    lines.append(f"(this estimate took {duration(est.seconds)})")
    return "\n".join(lines)


def to_dict(est: Estimate) -> dict[str, Any]:
    """JSON-ready form of an :class:`Estimate` (for benchmarks and tools)."""
    return jsonable(dataclasses.asdict(est))
