"""A paper's report: what it shows that is not in the fold records is computed here, then drawn.

``common.reporting.write_report`` draws records and numbers only (docs/house.md, "The flow from
command to report"); four things a page shows need more than that, and are computed here first:

- the models' layer tables (``common.orchestration.architectures.paper_architectures``: builds every
  model of the paper);
- the 95 % subject-bootstrap interval of every pooled score
  (``common.evaluation.statistics.experiment_intervals``, from the fold records' predictions);
- the frames of the clips the face check flagged (read from disk, only where faces may be shown:
  the synthetic corpus, or ``--allow-faces``); a frame that cannot be read any more is a stated
  note in its cell, not a gap;
- the training curves (``common.evaluation.curves.training_curves``: the folds' median and spread per
  epoch of the loss and the training and test accuracy, from the fold records).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from common.evaluation.curves import training_curves
from common.evaluation.statistics import REPORT_HOW, experiment_intervals
from common.harness import ExperimentResult, ReportContext
from common.orchestration.architectures import paper_architectures
from common.preprocessing.io import FrameReadError, read_frame

logger = logging.getLogger(__name__)

THUMBNAIL_CLIPS = 12  # flagged clips shown per experiment, one row of three frames each (one A4 page)


def architectures(paper_id: str, paper: Any) -> dict[str, dict]:
    """``paper_architectures(paper)``, or ``{}`` (and one logged line) when a model does not build: the
    report then has no architecture section, and the run's numbers are not lost."""
    if paper is None:
        return {}
    try:
        return paper_architectures(paper)
    except Exception as exc:  # boundary: any paper's builder, any error; the numbers come first
        logger.warning(f"report: could not build {paper_id}'s models: {type(exc).__name__}: {exc}")
        return {}


def intervals(results: Mapping[str, ExperimentResult]) -> dict[str, dict]:
    """``{experiment: experiment_intervals(records, summary)}``; an experiment whose intervals cannot be
    computed gets none, with the reason as its note (the scores stand without them)."""
    out = {}
    for name, result in results.items():
        try:
            out[name] = experiment_intervals(result.records, result.summary)
        except ValueError as exc:
            logger.warning(f"report: no intervals for {name}: {exc}")
            out[name] = {"how": REPORT_HOW, "scopes": {}, "notes": {"all": str(exc)}}
    return out


def flagged_frames(summary: Mapping[str, Any], limit: int = THUMBNAIL_CLIPS) -> list[dict]:
    """The first, middle and last sampled frame of the first ``limit`` clips the face check flagged
    (``summary["face_quality"]["flagged"]`` entries that list their frames)::

        [{"key", "cells": [{"position", "face": bool, "first": the clip's first sampled frame,
                            "image": uint8 RGB array | None, "note": why there is no image}]}]

    A frame that cannot be read (moved or deleted since the run) has ``image`` None and a note."""
    faces = summary.get("face_quality") or {}
    clips = []
    for entry in [f for f in faces.get("flagged") or [] if f.get("frames")][:limit]:
        frames, found = entry["frames"], entry.get("found") or []
        cells = []
        for pick in sorted({0, len(frames) // 2, len(frames) - 1}):
            try:
                image, note = read_frame(frames[pick], "rgb"), ""
            except FrameReadError as exc:
                image, note = None, f"frame moved since the run: {exc}"
            cells.append({"position": entry["positions"][pick], "face": pick < len(found) and bool(found[pick]),
                          "first": pick == 0, "image": image, "note": note})
        clips.append({"key": entry["key"], "cells": cells})
    return clips


def thumbnails(results: Mapping[str, ExperimentResult], allow_faces: bool) -> dict[str, list[dict]]:
    """``{experiment: flagged_frames(summary)}`` where faces may be shown; ``{}`` otherwise (no face
    image is read for a report that must not embed one)."""
    if not allow_faces:
        return {}
    return {name: clips for name, result in results.items() if (clips := flagged_frames(result.summary))}


def write_paper_report(paper_id: str, results: Mapping[str, ExperimentResult], out_dir: str | Path,
                       context: ReportContext,
                       pages: list | None = None, folder: Path | None = None) -> Path:
    """Compute the architectures, intervals, thumbnails and training curves of ``results``, then
    ``common.reporting.write_report`` (into ``folder``, default ``<out_dir>/<paper_id>``); returns the PDF's path."""
    from common.reporting import write_report

    return write_report(paper_id, results, out_dir, context, pages=pages, folder=folder,
                        architectures=architectures(paper_id, context.paper), intervals=intervals(results),
                        thumbnails=thumbnails(results, bool(context.allow_faces)),
                        curves={name: training_curves(result.records) for name, result in results.items()})
