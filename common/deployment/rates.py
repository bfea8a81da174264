"""Frame rates checked against what a method's filters and windows need (``--predict`` and ``--export``).

A rate is a finite number of frames per second above 0, wherever it comes from: ``--fps``, a video's
container, the training corpus's loaders. A method says what its filters and windows ask of the rate in its
own package (``Experiment.frame_rate(config) -> FrameRateNeed``); this module only reads that declaration:

* a rate at or below ``need.above`` is refused, naming the method, the rate, why (``need.why``) and what
  lets a lower rate through (``need.remedy``): per clip at ``--predict`` (:func:`rate_problem`), and for
  every rate of the training selection at ``--export``, before anything trains (:func:`check_corpus_rates`);
* what the method counts in frames whatever the rate (``need.in_frames``: a window, per-frame filter
  coefficients, a resampling) is never refused: :func:`rate_note` records it with the prediction of a clip
  whose rate is not one the model was trained at.
"""
from __future__ import annotations

import math
from typing import Any
from collections.abc import Iterable, Sequence

from common.datasets.sample import Sample
from common.deployment.manifest import DeployError
from common.experiment import Experiment
from common.predict_types import FrameRateNeed


def valid_rate(value: Any) -> bool:
    """True for a finite number above 0 (not a bool, not a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(float(value)) and float(value) > 0


def check_fps_option(fps: float | None) -> float | None:
    """``--fps`` as given: None (not given) or a finite rate above 0; ``nan``, ``inf``, 0 and negative
    values are one :class:`DeployError` line."""
    if fps is None:
        return None
    if not valid_rate(fps):
        raise DeployError(f"--fps {fps}: expected the clip's frame rate, a finite number of frames per second "
                          f"above 0")
    return float(fps)


def method_need(experiment: Experiment, config: Any) -> FrameRateNeed:
    """The method's declared need (``Experiment.frame_rate``), or none (any rate)."""
    return experiment.frame_rate(config) if experiment.frame_rate is not None else FrameRateNeed()


def rate_problem(fps: float, need: FrameRateNeed, method: str) -> str:
    """Why ``method`` cannot take a clip at ``fps``; "" when it can."""
    if not valid_rate(fps):
        return f"frame rate {fps} is not a finite number above 0"
    if fps <= need.above:
        return (f"{fps:g} fps is too low for {method}, which needs more than {need.above:g} fps: {need.why}"
                + (f"; {need.remedy}" if need.remedy else ""))
    return ""


def rate_note(fps: float, need: FrameRateNeed, trained: Sequence[float]) -> str:
    """What the method does with a clip at ``fps`` when the model was trained at other rates (``trained``) and
    it counts something in frames (``need.in_frames``); "" otherwise."""
    if not need.in_frames or any(math.isclose(float(fps), float(rate)) for rate in trained):
        return ""
    rates = ", ".join(f"{float(rate):g}" for rate in trained) or "unrecorded rates"
    return f"{float(fps):g} fps, the model was trained at {rates} fps: {need.in_frames}"


def check_corpus_rates(method: str, experiment: Experiment, config: Any, samples: Iterable[Sample]) -> None:
    """``--export``: every frame rate of the training selection against the method's need, before any
    training; the first rate refused is one :class:`DeployError` line naming its clips' databases."""
    need = method_need(experiment, config)
    counts: dict[str, dict[str, int]] = {}  # repr(fps) -> dataset -> clips (repr: a NaN is one key)
    rates: dict[str, float] = {}
    for sample in samples:
        key = repr(sample.fps)
        rates[key] = sample.fps
        counts.setdefault(key, {})
        counts[key][sample.dataset] = counts[key].get(sample.dataset, 0) + 1
    for key in sorted(rates, key=lambda k: (valid_rate(rates[k]), rates[k] if valid_rate(rates[k]) else 0.0)):
        problem = rate_problem(rates[key], need, method)
        if problem:
            clips = ", ".join(f"{n} clip(s) of {dataset}" for dataset, n in sorted(counts[key].items()))
            raise DeployError(f"{method}: the training selection's {clips} at {rates[key]} fps: {problem}")
