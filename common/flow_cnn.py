"""What the onset-apex optical-flow networks (OFF-ApexNet ``papers/gan2019``, STSTNet ``papers/liong2019``, HTNet
``papers/wang2024``) share: each reads the cached flow images (``common.preprocessing.motion_stages.flow_images``)
through its own ``clip_inputs``, and :class:`FlowInputs` wires that once into the hooks (``OneNetwork``): a fold's
inputs, ``--preprocess-workers``' first pass, ``--predict``'s probabilities, page and apex;
:func:`flow_network_pipeline` declares their pipeline once."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common.motion_views import flow_predict_apex, flow_predict_clips, flow_predict_views
from common.experiment import FoldContext, Hooks, Pipeline, Reported
from common.predict_types import PredictContext, PredictViews
from common.running.first_pass import per_clip


@dataclasses.dataclass(frozen=True, kw_only=True)
class FlowInputs:
    """A flow CNN's inputs: ``clip_inputs(samples, config, cache_root=None)``, the paper's (N, size, size, C)
    float32 images of a list of clips (the flow cached per clip); ``preprocess_clip(sample, config)``, one
    clip's, uncached (``Experiment.preprocess_clip``, what ``--estimate`` times); and the title of each of the
    C channels (the prediction page's captions). Both functions are module-level, so that first-pass steps
    pickle."""

    clip_inputs: Callable[..., np.ndarray]
    preprocess_clip: Callable[[Any, Any], np.ndarray]
    titles: tuple[str, ...]
    # ``fallbacks(sample, config, cache_root=None) -> tuple[str, ...]``: what the paper's inputs fell back on
    # for one clip (fixed points where no face was found), recorded with its prediction; None: nothing
    fallbacks: Callable[..., tuple[str, ...]] | None = None

    # Experiment.predict_apex: the apex the flow was computed to, by the flow baselines' own rule where a
    # recording gives none (the same function as Bi-WOOF's).
    predict_apex = staticmethod(flow_predict_apex)

    def fold(self, ctx: FoldContext) -> tuple[np.ndarray, np.ndarray]:
        """The fold's training and test inputs (cached per clip)."""
        samples = ctx.selection.samples
        train, test = (self.clip_inputs([samples[i] for i in indices], ctx.config, ctx.cache_dir)
                       for indices in (ctx.fold.train, ctx.fold.test))
        return train, test

    def cache_clip(self, sample: Any, config: Any, cache_root: Path) -> None:
        """The cached onset-apex flow of one clip (what a fold reads; the normalised images are cheap)."""
        self.clip_inputs([sample], config, cache_root)

    def first_pass(self, selection: Any, folds: Sequence[Any], config: Any) -> list[tuple[str, Callable[[Path], Any]]]:
        """``Experiment.first_pass``: :meth:`cache_clip` of every clip the folds read
        (``common.running.first_pass.per_clip``)."""
        return per_clip(self.cache_clip)(selection, folds, config)

    def predict_clips(self, ctx: PredictContext) -> np.ndarray:
        """``Experiment.predict_clips``: ``clip_inputs`` of ``ctx.samples`` through the exported model
        (``common.motion_views.flow_predict_clips``)."""
        return flow_predict_clips(ctx, self.clip_inputs)

    def predict_views(self, ctx: PredictContext, index: int) -> PredictViews:
        """``Experiment.predict_views``: the onset and apex frames with the face square, and each channel of
        the flow image the network saw, titled by ``titles``."""
        views = flow_predict_views(ctx, index, self.clip_inputs, self.titles)
        if self.fallbacks is None:
            return views
        return dataclasses.replace(views, fallbacks=self.fallbacks(ctx.samples[index], ctx.config, ctx.cache_dir))


def flow_network_pipeline(*, hooks: Hooks, paper_id: str, model: str, config: Any,
                          profiles: Mapping[str, Mapping[str, Any]], entry: str, stands_for: tuple[str, ...],
                          reported: tuple[Reported, ...]) -> Pipeline:
    """A flow network's pipeline: it enters tracks with ``model``, shows ``reported`` on the megc2019 track. Each
    needs an onset and an apex frame and motion (invariants rule 6: identical frames give zero flow, refused);
    on the authors' released inputs their 28x28 flow images replace the shared flow stage (``reads_released``)."""
    return Pipeline(hooks=hooks, paper_id=paper_id, models=(model,), config=config, profiles=profiles, min_frames=2,
                    needs_motion=True, reads_released=True, entry=entry, stands_for=stands_for,
                    reported_on={"megc2019": reported})
