"""The MEGC 2019 composite protocol of a method whose fold is one network trained by one recipe (OFF-ApexNet,
STSTNet, HTNet), written once as ``common.svm_baseline`` is for the SVMs: the selection (the composite, three
classes), the folds (LOSO; ``evaluation.max_folds`` cuts them in a smoke profile), the fold (its inputs, the
network compiled with ``config.train``, trained and kept by ``common.running.fold``: the epoch gauge, the
export's copy, ``--fold-parallel``'s ``fold_fit``), ``--estimate``'s stage and the inputs' hooks
(:class:`FlowInputs`: the onset-apex flow images, cached per clip). A package keeps its inputs,
``build_model(*, config, num_classes)``, recipe, ledger and numbers, and its own ``run_fold`` where its fold is
genuinely different (:meth:`OneNetwork.hooks`). A network on channels of the shared flow stage alone declares
itself instead (``common.flow_cnn.flow_network``: :func:`flow_channel_inputs` are its inputs).
"""
from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.evaluation.splits import megc_composite, megc_loso
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.motion_views import flow_predict_apex, flow_predict_clips, flow_predict_views
from common.predict_types import PredictContext, PredictViews
from common.preprocessing.motion_stages import flow_image_stack, flow_images
from common.running.first_pass import per_clip
from common.running.fold import FoldTraining, fold_training, n_classes
from common.training import compile_model, trained_samples

# ``network(ctx, x_train) -> (model, after_fit)``: the fold's uncompiled network where it depends on the
# training inputs, and what runs after training and before predicting (None: nothing).
FoldNetwork = Callable[[FoldContext, np.ndarray], tuple[Any, Callable[[Any], None] | None]]


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


# The channels of the shared flow stage (common.preprocessing.motion_stages.flow_images), in its order.
FLOW_CHANNELS = ("horizontal flow u", "vertical flow v", "optical strain")


def flow_channel_images(samples, config: Any, cache_root=None, *, channels: tuple[int, ...]) -> np.ndarray:
    """(N, size, size, len(channels)) float32: ``channels`` of the shared flow stage's images of ``samples`` (TV-L1
    or Farneback flow between the onset and apex face crops at ``data.face_size``, each channel min-max scaled to
    [0, 1] and resized to ``data.size``; cached per clip)."""
    d = config.data
    return flow_image_stack(list(samples), d.face_size, d.size, channels=channels, method=d.flow_method,
                            cache_root=cache_root)


def flow_channel_clip(sample, config: Any, *, channels: tuple[int, ...]) -> np.ndarray:
    """One clip's (size, size, len(channels)) input of :func:`flow_channel_images`, uncached (``--estimate``)."""
    d = config.data
    return flow_images(sample, d.face_size, d.size, method=d.flow_method)[..., list(channels)]


def flow_channel_inputs(channels: tuple[int, ...]) -> FlowInputs:
    """The inputs of a network on ``channels`` of the shared flow stage (0: u, 1: v, 2: strain), read from
    ``config.data`` (``flow_method``, ``face_size``, ``size``); the functions are module-level partials, so that
    the first pass's steps pickle."""
    return FlowInputs(clip_inputs=functools.partial(flow_channel_images, channels=channels),
                      preprocess_clip=functools.partial(flow_channel_clip, channels=channels),
                      titles=tuple(FLOW_CHANNELS[channel] for channel in channels))


@dataclasses.dataclass(frozen=True, kw_only=True)
class OneNetwork:
    """A network method's protocol: ``model`` (its name), ``inputs`` (a ``FlowInputs``), ``build_model`` (the
    paper's ``model.build_model``); ``network`` where the fold's network depends on its training inputs
    (:data:`FoldNetwork`); ``check(config, selection) -> problem`` where a run must be refused before any fold
    (one line; "" when none); ``traced_once`` where the package's own ``run_fold`` keeps the compiled network
    across folds (``common.training.compiled_like``), so that ``--estimate`` counts its tracing once."""

    model: str
    inputs: Any
    build_model: Callable[..., Any]
    network: FoldNetwork | None = None
    check: Callable[[Any, Selection], str] | None = None
    traced_once: bool = False

    def input_problem(self, config: Any) -> str:
        """The network built once at ``config`` (no training) against its declared inputs: one input of shape
        (``data.size``, ``data.size``, one channel a title of ``inputs``), as a fold gives it; one line naming the
        file of ``build_model`` and what was expected where it differs, "" where it matches."""
        size = config.data.size
        expected = (size, size, len(self.inputs.titles))
        built = self.build_model(config=config, num_classes=len(MEGC_CLASSES))
        where = f"{getattr(self.build_model, '__module__', '?').replace('.', '/')}.py"
        shapes = [tuple(tensor.shape[1:]) for tensor in built.inputs]
        if shapes == [expected]:
            return ""
        return (f"{where}: build_model gives the network {self.model!r} input(s) of shape "
                f"{', '.join(map(str, shapes))}; expected one input {expected}: data.size {size} and the "
                f"{len(self.inputs.titles)} declared channel(s) ({', '.join(self.inputs.titles)})")

    def select(self, data: Mapping[str, list], config: Any) -> Selection:
        """Every clip of the composite (442 on the real data), labelled by its composite class."""
        return megc_composite(data)

    def folds(self, selection: Selection, config: Any, seed: int) -> list[Fold]:
        """LOSO over the composite's subjects (68); ``evaluation.max_folds`` (smoke only) keeps the first."""
        return megc_loso(selection, config.evaluation.max_folds)

    def fold_fit(self, ctx: FoldContext) -> FoldTraining:
        """The fold's network and inputs, compiled and ready to train (``Experiment.fold_fit``:
        ``--fold-parallel`` trains several folds' at once)."""
        started = time.perf_counter()
        x_train, x_test = self.inputs.fold(ctx)
        if self.network is None:
            model, after_fit = self.build_model(config=ctx.config, num_classes=n_classes(ctx)), None
        else:
            model, after_fit = self.network(ctx, x_train)
        model = compile_model(model, ctx.config.train)
        return fold_training(ctx, model, x_train, x_test, after_fit=after_fit, started=started)

    def run_fold(self, ctx: FoldContext) -> FoldOutcome:
        """Train the network on the fold's training clips for ``train.epochs`` and predict its test clips with
        the last epoch's weights: :meth:`fold_fit`, run."""
        return self.fold_fit(ctx).run()

    def training_stages(self, config: Any, selection: Selection, fold: Fold) -> list[TrainingStage]:
        """The one network a fold trains (``--estimate``, and the check of every run before its first fold:
        a ``ValueError`` with :attr:`check`'s problem)."""
        problem = self.check(config, selection) if self.check is not None else ""
        if problem:
            raise ValueError(problem)
        classes = len(selection.class_names)
        return [TrainingStage(model=self.model,
                              build=lambda: compile_model(self.build_model(config=config, num_classes=classes),
                                                          config.train),
                              # the clips an epoch reads (drop_partial_batch: the whole batches only, 256 of ~436)
                              samples=trained_samples(config.train, len(fold.train)), epochs=config.train.epochs,
                              batch_size=config.train.batch_size,
                              traced_once=self.traced_once)]

    def hooks(self, **own: Any) -> Hooks:
        """The method's :class:`~common.experiment.Hooks`: these, the inputs', and ``own`` (the package's own
        hooks, e.g. ``released_weights``, or a ``run_fold`` where its fold differs; ``fold_fit=None`` where
        it cannot be trained with other folds)."""
        shared = {"select": self.select, "folds": self.folds, "run_fold": self.run_fold,
                  "training_stages": self.training_stages, "fold_fit": self.fold_fit,
                  "preprocess_clip": self.inputs.preprocess_clip, "first_pass": self.inputs.first_pass,
                  "predict_clips": self.inputs.predict_clips, "predict_views": self.inputs.predict_views,
                  "predict_apex": self.inputs.predict_apex}
        return Hooks(**{**shared, **own})
