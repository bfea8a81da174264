"""What ``--export`` and ``--predict`` (``common.deployment``) hand a paper's hooks, and what those hooks give
back: the export fold's :class:`ExportSink` (``FoldContext.export``), the :class:`PredictContext` of
``Experiment.predict_clips`` / ``predict_views``, the page's :class:`PredictViews`, and a method's
:class:`FrameRateNeed` (``Experiment.frame_rate``). The paper's side of the contract is ``common.experiment``.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import numpy as np

from common.datasets.sample import Sample


@dataclasses.dataclass
class ExportSink:
    """What an export fold keeps for ``--predict``: the trained models by name and the JSON-serialisable
    fold-level values the test inputs need (e.g. a normalisation scale fitted on the training fold).

    ``common.running.fold.fit_and_predict`` keeps its model itself; a paper that trains outside it
    calls :meth:`keep`, and :meth:`record` for any state its test inputs read."""

    models: dict[str, Any] = dataclasses.field(default_factory=dict)
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    def keep(self, name: str, model: Any) -> None:
        if name in self.models and self.models[name] is not model:
            raise ValueError(f"export: a second model named {name!r}")
        self.models[name] = model

    def record(self, key: str, value: Any) -> None:
        self.state[key] = value


@dataclasses.dataclass(frozen=True)
class PredictContext:
    """Everything ``Experiment.predict_clips`` / ``predict_views`` may use: new samples (a recording has
    ``dataset == "recording"`` and no label), the exported config, models and state."""

    samples: tuple[Sample, ...]
    config: Any  # the experiment config of the export (profile and --set applied)
    models: Mapping[str, Any]  # name -> loaded keras.Model, as ExportSink kept them
    state: Mapping[str, Any]  # ExportSink.state as recorded by the export fold
    class_names: tuple[str, ...]
    cache_dir: Path  # the root common.preprocessing.cache.cached expects, as FoldContext.cache_dir


@dataclasses.dataclass(frozen=True)
class MotionCurve:
    """The curve an apex rule reads (one value per frame of the clip, in ``sample.frames`` order) and the
    position it chose: the page draws it, so a reader sees why the apex is where it is."""

    values: tuple[float, ...]
    rule: str  # e.g. "lbp_spotting", "motion"
    measure: str  # what a value is, in words (the page's axis label)
    chosen: int  # the position the rule picks (its curve's peak)


@dataclasses.dataclass(frozen=True)
class PredictViews:
    """What the one-page prediction figure shows for one sample."""

    frames: tuple[int, ...]  # positions in sample.frames the method used
    face_box: tuple[int, int, int, int] | None = None  # (left, top, right, bottom) in the first used frame
    regions: tuple[tuple[str, np.ndarray], ...] = ()  # (name, (K, 2) corner points, x-y pixels of that frame)
    inputs: tuple[tuple[str, np.ndarray], ...] = ()  # (title, 2-D grey or HxWx3 image the network saw)
    saliency: np.ndarray | None = None  # 2-D map over the first input, where the method has one
    notes: tuple[str, ...] = ()
    fallbacks: tuple[str, ...] = ()  # what the method fell back on for this clip (e.g. fixed points), recorded
    motion: MotionCurve | None = None  # the method's own apex rule's curve, where it has one
    chain: str = ""  # how this clip's input was made, in words (e.g. this suite's TV-L1 flow); "" : not said


@dataclasses.dataclass(frozen=True)
class FrameRateNeed:
    """What a method's filters and windows ask of a clip's frame rate (``Experiment.frame_rate``), checked by
    ``common.deployment.rates`` on a recording at ``--predict`` and on the training corpus at ``--export``.

    ``above``: the rate must be higher than this (fps; 0: any rate), because of ``why`` (what needs it, the
    paper section), quoted by the refusal with ``remedy`` (what lets a lower rate through). ``in_frames``:
    what the method counts in frames whatever the rate (a window, a filter's per-frame coefficients) and
    what it does with a clip at another rate than the training corpus's: never refused, recorded.
    """

    above: float = 0.0
    why: str = ""
    remedy: str = ""
    in_frames: str = ""

