"""Selection checks: what a run drops or flags between the paper's selection and the folds.

The loaders' drops, clips shorter than ``Experiment.min_frames``, broken or duplicated frame files, clips
without motion between onset and apex, and each clip's face check (``--faces-policy``); every drop and
flag, with its reason and stage, and the clips read through links from outside the data root
(``selection.outside_root``, :func:`outside_root`) go to results.json (``selection``, ``face_quality``; schema in
``common.evaluation.records``) and the report.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from common.datasets.released import holds_released, image_problems, INPUT_KIND, no_motion
from common.errors import first_few, RunError
from common.running.fold import class_counts
from common.experiment import Experiment, Selection
from common.datasets import dropped
from common.datasets.discovery import clips_outside
from common.datasets.invariants import motion_refusal, motion_verdicts, screen_frames
from common.datasets.sample import Dropped
from common.preprocessing import face_quality as fq
from common.preprocessing.io import FrameReadError

logger = logging.getLogger(__name__)

FACES_POLICIES = ("exclude", "keep", "refuse")  # what a run does with a clip without a face
SHOWN = 8  # problems listed per kind in log lines and refusals


def loader_drops(experiment: Experiment, root: Path) -> list:
    """The ``Dropped`` records of the loads of the experiment's databases (``common.datasets.dropped``)."""
    found, seen = [], set()
    for name in experiment.datasets:
        for d in dropped(name, root, **dict(experiment.loader_options.get(name, {}))):
            if (d.key, d.reason) not in seen:
                seen.add((d.key, d.reason))
                found.append(d)
    return found


def _frame_gaps(sample) -> str:
    """Why the clip's frame numbers are not contiguous, or ``""``."""
    missing = int(sample.meta.get("missing_frames", 0) or 0)
    if missing <= 0:
        return ""
    numbers = sample.frame_numbers
    holes = [f"{a + 1}-{b - 1}" if b - a > 2 else str(a + 1) for a, b in zip(numbers, numbers[1:]) if b - a > 1]
    where = f" (number(s) {', '.join(holes[:SHOWN])})" if holes else " (at the ends of onset..offset)"
    return f"{missing} frame(s) missing from the clip's frame numbers{where}; the clip is used with the frames present"


def outside_root(samples, root: Path | str) -> list[str]:
    """The keys of the clips (in ``samples``' order) read through a symbolic link that leads outside the data root
    ``root`` (``common.datasets.discovery.clips_outside``, which ``--check-data`` lists): followed and used, and
    recorded in results.json, so that a reader knows which inputs do not lie under the root the run names."""
    outside = {key for keys in clips_outside(((s.key, s.frames) for s in samples), Path(root)).values()
               for key in keys}
    return [s.key for s in samples if s.key in outside]


def screen_selection(paper_id: str, experiment: Experiment, selection: Selection, root: Path, *,
                     faces_policy: str = "exclude",
                     tag: str = "") -> tuple[Selection, dict, dict]:
    """The selection a run trains on, and what was dropped or flagged on the way.

    In order: the loaders' drops (clips listed but missing, duplicate csv rows merged) and the
    paper's own (``selection.dropped``) are recorded; clips with fewer frames than
    ``experiment.min_frames`` are dropped; every frame file of the remaining clips must be
    a valid image of one size per clip and no clip's frames the copy of another's
    (``common.datasets.invariants.screen_frames``: a ``RunError`` naming the file or clips);
    each clip gets a face-quality verdict (``common.preprocessing.face_quality``, cached) and a
    ``no_face`` clip is dropped (``exclude``), kept and flagged (``keep``), or refused
    (``refuse``); ``fallback``/``face_lost`` clips and frame-number gaps are flagged, kept. A clip without
    motion between onset and apex (``invariants.motion_verdicts``) is refused (``RunError`` naming it)
    when ``experiment.needs_motion``, else flagged (stage ``motion``) and kept.

    Returns ``(selection, selection_record, face_quality_record)``; the records go to
    ``results.json`` under ``"selection"`` and ``"face_quality"`` (schema: ``common.evaluation.records``).
    """
    if faces_policy not in FACES_POLICIES:
        raise RunError(f"faces policy {faces_policy!r}: expected one of {', '.join(FACES_POLICIES)}")
    if holds_released(selection.samples):
        return screen_released(paper_id, experiment, selection, root, faces_policy=faces_policy, tag=tag)
    dropped = loader_drops(experiment, root) + list(selection.dropped)
    flagged: list[dict] = []
    keep: list[int] = []
    linked_out = outside_root(selection.samples, root)  # read through links, recorded (never refused)
    real_root = os.path.realpath(root)
    min_frames = int(getattr(experiment, "min_frames", 2))
    for i, sample in enumerate(selection.samples):
        if len(sample.frames) < min_frames:
            dropped.append(Dropped(sample.key, f"{len(sample.frames)} frame(s); {paper_id}/{experiment.name} needs "
                                   f"at least {min_frames} (Experiment.min_frames)", "frames"))
        else:
            keep.append(i)
    # What a valid sample is (common.datasets.invariants): frame files and content identity.
    frames_screen = screen_frames([selection.samples[i] for i in keep], [int(selection.labels[i]) for i in keep])
    if frames_screen.refused:
        raise RunError(frames_screen.refusal())
    dropped += [v.dropped() for v in frames_screen.dropped]
    keep = [keep[j] for j in frames_screen.kept]
    # Rule 6 (no motion between onset and apex): refused where the input is that motion, else flagged.
    try:
        motionless = {v.key: v for v in motion_verdicts([selection.samples[i] for i in keep])}
    except FrameReadError as exc:
        raise RunError(str(exc)) from None
    if motionless and getattr(experiment, "needs_motion", False):
        raise RunError(motion_refusal(list(motionless.values()), f"{paper_id}/{experiment.name}"))
    verdicts: dict[str, str] = {}
    face_flagged: list[dict] = []
    counts = dict.fromkeys(fq.VERDICTS, 0)
    kept: list[int] = []
    for i in keep:
        sample = selection.samples[i]
        if not sample.frames:  # in-memory samples of tests (min_frames=0): nothing to look at
            verdicts[sample.key] = "unchecked"
            counts["unchecked"] = counts.get("unchecked", 0) + 1
            kept.append(i)
            continue
        try:
            quality = fq.sample_face_quality(sample)
        except FrameReadError as exc:
            raise RunError(f"{exc} (clip {sample.key})") from None
        verdicts[sample.key] = quality.verdict
        counts[quality.verdict] += 1
        if quality.verdict != "ok":
            entry = {"key": sample.key, **quality.as_dict(),
                     "frames": [str(sample.frames[p]) for p in quality.positions]}
            face_flagged.append(entry)
        if quality.verdict == "no_face":
            if faces_policy == "refuse":
                raise RunError(f"{sample.frames[0].parent}: clip {sample.key} has no face ({quality.reason}); "
                               f"refused under --faces-policy refuse (exclude drops such clips, keep trains on them)")
            if faces_policy == "exclude":
                dropped.append(Dropped(sample.key, f"face check no_face: {quality.reason} (--faces-policy exclude)",
                                       "faces"))
                continue
        kept.append(i)
    for i in kept:
        gap = _frame_gaps(selection.samples[i])
        if gap:
            flagged.append({"key": selection.samples[i].key, "reason": gap, "stage": "frames"})
    flagged += [{"key": selection.samples[i].key, "reason": motionless[selection.samples[i].key].reason,
                 "stage": "motion"} for i in kept if selection.samples[i].key in motionless]
    flagged += [{"key": f["key"], "reason": f"face check {f['verdict']}: {f['reason']}", "stage": "faces"}
                for f in face_flagged if not (f["verdict"] == "no_face" and faces_policy == "exclude")]
    index = np.asarray(kept, dtype=int)
    screened = Selection(samples=tuple(selection.samples[i] for i in kept),
                         labels=np.asarray(selection.labels, dtype=int)[index] if len(index) else
                         np.zeros(0, dtype=int), class_names=selection.class_names, dropped=tuple(dropped))
    by_stage: dict[str, int] = {}
    for d in dropped:
        by_stage[d.stage] = by_stage.get(d.stage, 0) + 1
    record = {"selected": len(selection), "kept": len(screened), "min_frames": min_frames,
              "by_class": {"selected": class_counts(selection), "kept": class_counts(screened)},
              "dropped_by_stage": by_stage, "dropped": [d.as_dict() for d in dropped], "flagged": flagged,
              "outside_root": {"root": real_root, "count": len(linked_out), "keys": linked_out[:SHOWN]}}
    if linked_out:
        logger.info(f"{tag} {len(linked_out)} clip(s) read through links from outside {real_root} "
                    f"({first_few(linked_out, SHOWN)}; results.json, 'selection.outside_root')")
    faces = {"policy": faces_policy, "sampled_frames": fq.SAMPLED_FRAMES, "params": fq.params(),
             "counts": counts, "flagged": face_flagged, "verdicts": verdicts}
    if dropped or flagged:
        stages = ", ".join(f"{n} by {stage}" for stage, n in by_stage.items())
        logger.info(f"{tag} checks: {len(selection)} selected, {len(screened)} kept; {len(dropped)} dropped"
                    + (f" ({stages})" if stages else "")
                    + f", {len(flagged)} flagged (listed in results.json and the report)")
        log_listed(tag, dropped, flagged)
    return screened, record, faces


def log_listed(tag: str, dropped: list, flagged: list) -> None:
    """One log line per dropped clip (``Dropped``) and per flagged one, :data:`SHOWN` of each; the rest are in
    results.json (``selection``) and the report."""
    for d in dropped[:SHOWN]:
        logger.info(f"{tag}   dropped {d.key}: {d.reason}")
    for f in flagged[:SHOWN]:
        logger.info(f"{tag}   flagged {f['key']}: {f['reason']}")
    if len(dropped) > SHOWN or len(flagged) > SHOWN:
        logger.info(f"{tag}   ... ({len(dropped)} dropped, {len(flagged)} flagged in all: results.json, 'selection')")


def check_released(paper_id: str, experiment: Experiment, selection: Selection, root: Path | str) -> None:
    """A :class:`RunError` line when ``selection`` holds the authors' released inputs (flow images, no frames)
    and the method needs frames (``Experiment.reads_released`` False); nothing otherwise."""
    if experiment.reads_released or not holds_released(selection.samples):
        return
    raise RunError(f"{paper_id}/{experiment.name} needs the clips' frames (its own preprocessing from the video, at "
                   f"least {experiment.min_frames} frames); {root} holds {INPUT_KIND}: run a method that reads them "
                   "(run_all.py --check-data on that folder lists them) or point --data-root at the databases")


def screen_released(paper_id: str, experiment: Experiment, selection: Selection, root: Path, *,
                    faces_policy: str = "exclude", tag: str = "") -> tuple[Selection, dict, dict]:
    """:func:`screen_selection` of the authors' released inputs (``common.datasets.released``): flow images, no
    frames. A method that needs frames (``Experiment.reads_released`` False) is refused naming why; every
    image must decode at its size (a ``RunError`` naming the first and the count); a flow image without
    motion (u and v constant) is refused when ``experiment.needs_motion``, else flagged. There are no frames
    to check and no face check: each clip's verdict is "released" (the apex crop is the authors')."""
    label = f"{paper_id}/{experiment.name}"
    check_released(paper_id, experiment, selection, root)
    problems = image_problems(list(selection.samples))
    if problems:
        raise RunError(f"{len(problems)} released image(s) cannot be used; first: {problems[0]}")
    dropped = loader_drops(experiment, root) + list(selection.dropped)
    motionless = [s.key for s in selection.samples if no_motion(s)]
    if motionless and experiment.needs_motion:
        raise RunError(f"{label}: {len(motionless)} released flow image(s) show no motion (u and v constant), "
                       f"which the method's input cannot be; first: {motionless[0]}")
    flagged = [{"key": key, "reason": "released flow image without motion (u and v constant)", "stage": "motion"}
               for key in motionless]
    by_stage: dict[str, int] = {}
    for d in dropped:
        by_stage[d.stage] = by_stage.get(d.stage, 0) + 1
    record = {"selected": len(selection), "kept": len(selection), "min_frames": 0, "inputs": INPUT_KIND,
              "by_class": {"selected": class_counts(selection), "kept": class_counts(selection)},
              "dropped_by_stage": by_stage, "dropped": [d.as_dict() for d in dropped], "flagged": flagged}
    faces = {"policy": faces_policy, "counts": {"released": len(selection)}, "flagged": [],
             "verdicts": {s.key: "released" for s in selection.samples},
             "note": "no face check: the released inputs are the authors' flow images and apex crops"}
    logger.info(f"{tag} inputs: {INPUT_KIND}, {len(selection)} clips; {len(dropped)} dropped by the loader, "
                f"{len(flagged)} flagged")
    log_listed(tag, dropped, flagged)
    screened = Selection(samples=selection.samples, labels=selection.labels, class_names=selection.class_names,
                         dropped=tuple(dropped))
    return screened, record, faces


def with_fold_flags(screening: dict, records) -> dict:
    """``screening`` (results.json's ``selection``) with the kept clips the folds themselves flagged: each fold
    record's ``extra["flagged"]`` entries ({"key", "reason", "stage"}; e.g. wang2024's clips whose five points
    are the code's fixed ones, stage "points"), once per clip and stage, after the checks' own. A clip a fold
    reads for training and another tests is flagged once."""
    flagged = list(screening.get("flagged") or [])
    seen = {(f["key"], f["stage"]) for f in flagged}
    for record in records:
        for entry in (record.get("extra") or {}).get("flagged") or []:
            if (entry["key"], entry["stage"]) not in seen:
                seen.add((entry["key"], entry["stage"]))
                flagged.append({"key": entry["key"], "reason": entry["reason"], "stage": entry["stage"]})
    return {**screening, "flagged": flagged}
