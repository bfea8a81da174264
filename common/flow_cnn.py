"""A network on the onset-apex optical flow (OFF-ApexNet ``papers/gan2019``, STSTNet ``papers/liong2019``, HTNet
``papers/wang2024``), declared: its model plus its data. What every such network repeats is here once: the data
section of its config (:class:`FlowDataConfig`), the split of a multi-channel flow image into one stream a channel
and their fusion (:func:`flow_streams`), and its pipeline (:func:`flow_network`): the shared flow stage's channels
as inputs, the MEGC 2019 composite's selection and LOSO folds, a fold trained by ``config.train`` with the last
epoch predicting, ``--estimate``, ``--export``, ``--predict`` and ``--fold-parallel`` (``common.network_protocol``).
A package whose inputs or fold differ keeps a ``preprocessing.py`` and a ``protocol.py`` and passes their hooks to
:func:`flow_network_pipeline` (liong2019, wang2024).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from keras import layers

from common.config import Range
from common.experiment import Hooks, Pipeline
from common.network_protocol import OneNetwork, flow_channel_inputs
from common.paper import Reported

U, V, STRAIN = 0, 1, 2  # the shared flow stage's channels (common.preprocessing.motion_stages.flow_images)


@dataclasses.dataclass(frozen=True)
class FlowDataConfig:
    """The data section of a flow network's config (``config.data``): the flow between the onset and the apex frame
    of the clip's grey face crops, each channel min-max scaled to [0, 1] and resized. The apex: the annotation
    (CASME II, SAMM), else the shared motion apex rule (SMIC). A package sets the values its paper gives."""

    flow_method: Literal["tvl1", "farneback"] = "tvl1"  # TV-L1 (IPOL 2013/26) or Farneback
    face_size: Annotated[int, Range(ge=8, le=1024)] = 128  # the square face crop the flow is computed on, in px
    size: Annotated[int, Range(ge=4, le=1024)] = 28  # the network's input side, in pixels


def flow_streams(inputs: Any, stream: Callable[[Any, str], Any], names: tuple[str, ...] = ("u", "v")) -> Any:
    """One stream a channel, fused: ``stream(x, prefix)`` on each channel of ``inputs`` (..., C) alone, as
    (..., 1), its layers named ``<name>_...`` (``names``: a name a channel), the streams' outputs concatenated
    by a layer named "fusion"."""
    features = [stream(inputs[..., channel:channel + 1], f"{name}_") for channel, name in enumerate(names)]
    return layers.Concatenate(name="fusion")(features)


def flow_network(*, paper_id: str, model: str, build_model: Callable[..., Any], channels: tuple[int, ...],
                 config: Any, profiles: Mapping[str, Mapping[str, Any]], entry: str, stands_for: tuple[str, ...],
                 reported: tuple[Reported, ...]) -> Pipeline:
    """The pipeline of a network on ``channels`` of the shared flow stage (e.g. ``(U, V)``), read at
    ``config.data`` (a :class:`FlowDataConfig`): ``build_model(*, config, num_classes)`` is its network, ``model``
    its name, trained in each fold by ``config.train``; ``entry``: its line on a benchmark track; ``stands_for``:
    the published rows it is (names of ``common.evaluation.published``, or none); ``reported``: its numbers on the
    megc2019 track. Then ``PIPELINE.megc2019_exports(source=, report_pages=)`` gives the package's exports."""
    protocol = OneNetwork(model=model, inputs=flow_channel_inputs(channels), build_model=build_model)
    return flow_network_pipeline(hooks=protocol.hooks(), paper_id=paper_id, model=model, config=config,
                                 profiles=profiles, entry=entry, stands_for=stands_for, reported=reported,
                                 input_check=protocol.input_problem)


def flow_network_pipeline(*, hooks: Hooks, paper_id: str, model: str, config: Any,
                          profiles: Mapping[str, Mapping[str, Any]], entry: str, stands_for: tuple[str, ...],
                          reported: tuple[Reported, ...], weights_reported: tuple[Reported, ...] = (),
                          input_check: Callable[[Any], str] | None = None,
                          best_epoch_ties: str = "earliest") -> Pipeline:
    """A flow network's pipeline from its own ``hooks`` (a package's ``protocol.HOOKS``): it enters tracks with
    ``model``, shows ``reported`` on the megc2019 track (``weights_reported``: the numbers of its authors' released
    weights, ``Experiment.weights_reported``). Each needs an onset and an apex frame and motion (invariants rule 6:
    identical frames give zero flow, refused); on the authors' released inputs their 28x28 flow images replace the
    shared flow stage (``reads_released``). ``input_check``: the network against its declared inputs
    (``Pipeline.input_check``; a package's ``protocol.PROTOCOL.input_problem``); ``best_epoch_ties``: the authors' rule
    among a fold's tied best test epochs (``Experiment.best_epoch_ties``)."""
    return Pipeline(hooks=hooks, paper_id=paper_id, models=(model,), config=config, profiles=profiles, min_frames=2,
                    needs_motion=True, reads_released=True, entry=entry, stands_for=stands_for,
                    reported_on={"megc2019": reported}, weights_reported=weights_reported, input_check=input_check,
                    best_epoch_ties=best_epoch_ties)
