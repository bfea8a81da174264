"""Le, Tran, Rege 2020: dynamic images on facial regions with VGG19, ResNet50 and SENet50.

Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS`` (one per
cell of Tables II and III: each database x backbone under 10-fold cross-validation, and each cross-database
direction x backbone the paper reports), ``BENCHMARK_MODELS`` and ``benchmark_experiment``. Settings and
profiles are in ``config.py``, inputs in ``preprocessing.py``, labels, folds and training in
``protocol.py``, the CNNs in ``model.py``, the paper's numbers in ``reported.py``, pages in ``pages.py``.
"""
from __future__ import annotations

from typing import cast

from common.datasets import DATABASE_TITLES
from common.experiment import Experiment, Pipeline, Track
from common.paper import Paper
from papers.le2020 import pages, protocol, reported
from papers.le2020.config import BACKBONES, Backbone, ProtocolConfig, default_config, profiles_for
from papers.le2020.model import MODEL_BUILDERS, VGG19_SMALL

CITATION = ("T. T. Q. Le, T.-K. Tran, M. Rege, \"Dynamic image for micro-expression recognition on "
            "region-based framework\", IEEE 21st International Conference on Information Reuse and "
            "Integration for Data Science (IRI), 2020, pp. 75-81.")
BACKBONE_TITLES = {"vgg19": "VGG19", "resnet50": "ResNet50", "senet50": "SENet50"}
CROSS_PAIRS = (("samm", "casme2"), ("casme2", "samm"))  # Table III columns (train/test)
CROSS_BACKBONES: tuple[Backbone, ...] = ("resnet50", "vgg19")  # Table III rows

# Every experiment and every benchmark entry: protocol.py's select, folds, run_fold and hooks, with the config
# and profiles of its backbone and protocol. The benchmark: VGG19 + ROI first, the paper's best in every column
# of Tables II and III; the others as options.
PIPELINE = Pipeline(
    hooks=protocol.HOOKS, paper_id="le2020", models=("vgg19", "resnet50", "senet50"),
    # Fewest frames a clip needs: Sec. III builds a dynamic image by rank pooling the clip's frames; rank pooling
    # one frame gives the frame itself, not motion.
    min_frames=2,
    # Whether the input is the motion from onset to apex (common.datasets.invariants rule 6): the dynamic image
    # ranks the frames from onset to offset (Sec. III-B), not onset to apex: a clip still between those two may
    # move after; CASME II's EP09_05f (apex = onset) is in the CASME II selection. Such a clip is flagged by the run.
    needs_motion=False,
    # Each experiment and entry is one backbone's (its name, title and Table II/III numbers): another is another
    # experiment, never a --set of this one.
    named_by=("model.backbone",))
BENCHMARK_MODELS: tuple[str, ...] = PIPELINE.models


def _kfold_experiment(dataset: str, backbone: Backbone) -> Experiment:
    return PIPELINE.experiment(
        name=f"{dataset}_10fold_{backbone}", datasets=(dataset,),
        title=f"{DATABASE_TITLES[dataset]}, 10-fold CV, {BACKBONE_TITLES[backbone]} + ROI (Table II)",
        config=default_config(backbone, ProtocolConfig(kind="kfold", dataset=dataset, k=10)),
        profiles=profiles_for(backbone), reported=reported.kfold_reported(dataset, backbone),
        report_pages=pages.report_pages(dataset if backbone == "vgg19" else None))


def _cross_experiment(train: str, test: str, backbone: Backbone) -> Experiment:
    return PIPELINE.experiment(
        name=f"cross_{train}_to_{test}_{backbone}", datasets=(train, test),
        title=(f"Train {DATABASE_TITLES[train]}, test {DATABASE_TITLES[test]}, {BACKBONE_TITLES[backbone]} + ROI "
               "(Table III)"),
        config=default_config(backbone, ProtocolConfig(kind="cross", train_dataset=train, test_dataset=test)),
        profiles=profiles_for(backbone, "cross"), reported=reported.cross_reported(train, test, backbone),
        report_pages=pages.report_pages(None))


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """Le et al. on a benchmark track (README "In the benchmark"): the track's samples, labels and
    folds unchanged; the paper's pipeline and the configuration and profiles of its 3-class experiment
    (SMIC, Table II) with ``model`` (a backbone of ``BENCHMARK_MODELS``; default VGG19). The paper reports
    no number on the MEGC 2019 composite."""
    backbone = cast(Backbone, PIPELINE.benchmark_model(model))  # one of BACKBONES
    return PIPELINE.on_track(track, backbone,
                             title=f"{track.title}: {BACKBONE_TITLES[backbone]} + ROI (Le et al. 2020)",
                             # protocol unused: the track's folds
                             config=default_config(backbone, ProtocolConfig(kind="kfold", dataset="smic", k=10)),
                             profiles=profiles_for(backbone), folds=protocol.track_folds(track))


EXPERIMENTS: tuple[Experiment, ...] = tuple(
    [_kfold_experiment(d, b) for d in ("casme2", "smic", "samm") for b in BACKBONES]
    + [_cross_experiment(train, test, b) for train, test in CROSS_PAIRS for b in CROSS_BACKBONES]
)

PAPER = Paper(
    id="le2020",
    title="Dynamic image for micro-expression recognition on region-based framework",
    citation=CITATION,
    models=MODEL_BUILDERS,
    # The paper gives no counts: each is the verified backbone (docs/methods.md §4) plus the 4-way softmax
    # of the default (CASME II) experiment, 2048 or 4096 inputs x 4 + 4.
    parameter_counts={
        "vgg19_roi": (139_586_628, "keras.applications VGG19 with its two 4096 FC layers (143,667,240 with the "
                                   "1000-way top, docs/methods.md §4) + Dense(4)"),
        "resnet50_roi": (23_542_788, "keras.applications ResNet50, no top, 23,534,592 trainable (docs/methods.md §4) "
                                     "+ Dense(4)"),
        "senet50_roi": (26_047_220, "SE-ResNet-50, no top, 26,039,024 (docs/methods.md §4, Hu et al.) + Dense(4)"),
    },
    model_checks={"vgg19_roi": {"small": VGG19_SMALL}},
)
