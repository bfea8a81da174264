"""Le, Tran, Rege 2020: dynamic images on facial regions with VGG19, ResNet50 and SENet50 (issue 7).

The contract (``common/experiment.py``): ``PAPER`` and ``EXPERIMENTS``. One experiment per cell
of Tables II and III: each database x backbone under 10-fold cross-validation (Table II), and
each cross-database direction x backbone the paper reports (Table III). Everything else lives in
``config.py`` (settings), ``protocol.py`` (labels, inputs, folds, training), ``model.py`` (CNNs)
and ``reported.py`` (the paper's numbers).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from common.experiment import Experiment, Paper
from papers.le2020 import protocol, reported
from papers.le2020.config import BACKBONES, PAPER_WEIGHTS, Le2020Config, ModelConfig, ProtocolConfig, profiles_for

# Fewest frames a clip needs (issue 16; Experiment.min_frames): Sec. III builds a dynamic image by
# rank pooling the clip's frames; rank pooling one frame gives the frame itself, not motion.
MIN_FRAMES = 2

CITATION = ("T. T. Q. Le, T.-K. Tran, M. Rege, \"Dynamic image for micro-expression recognition on "
            "region-based framework\", IEEE 21st International Conference on Information Reuse and "
            "Integration for Data Science (IRI), 2020, pp. 75-81.")
DATABASE_TITLES = {"casme2": "CASME II", "smic": "SMIC-HS", "samm": "SAMM"}
BACKBONE_TITLES = {"vgg19": "VGG19", "resnet50": "ResNet50", "senet50": "SENet50"}
CROSS_PAIRS = (("samm", "casme2"), ("casme2", "samm"))  # Table III columns (train/test)
CROSS_BACKBONES = ("resnet50", "vgg19")  # Table III rows


def _select(datasets: tuple[str, ...]):
    def select(data: Mapping[str, list], config: Any):
        return protocol.make_selection(data, datasets)

    return select


def _config(backbone: str, protocol_config: ProtocolConfig) -> Le2020Config:
    """The paper configuration of one experiment: ImageNet weights where Keras has them (PAPER_WEIGHTS)."""
    base = Le2020Config()
    model = dataclasses.replace(base.model, backbone=backbone, weights=PAPER_WEIGHTS[backbone])
    return dataclasses.replace(base, model=model, protocol=protocol_config)


def _kfold_experiment(dataset: str, backbone: str) -> Experiment:
    return Experiment(
        name=f"{dataset}_10fold_{backbone}",
        title=f"{DATABASE_TITLES[dataset]}, 10-fold CV, {BACKBONE_TITLES[backbone]} + ROI (Table II)",
        datasets=(dataset,),
        config=_config(backbone, ProtocolConfig(kind="kfold", k=10)),
        select=_select((dataset,)),
        folds=protocol.make_folds,
        run_fold=protocol.run_fold,
        profiles=profiles_for(backbone),
        reported=reported.kfold_reported(dataset, backbone),
        report_pages=_report_pages(dataset if backbone == "vgg19" else None),
        min_frames=MIN_FRAMES,
    )


def _cross_experiment(train: str, test: str, backbone: str) -> Experiment:
    profiles = {name: {k: v for k, v in overrides.items() if k != "protocol.k"} for name, overrides in profiles_for(backbone).items()}
    return Experiment(
        name=f"cross_{train}_to_{test}_{backbone}",
        title=f"Train {DATABASE_TITLES[train]}, test {DATABASE_TITLES[test]}, {BACKBONE_TITLES[backbone]} + ROI (Table III)",
        datasets=(train, test),
        config=_config(backbone, ProtocolConfig(kind="cross", train_dataset=train, test_dataset=test)),
        select=_select((train, test)),
        folds=protocol.make_folds,
        run_fold=protocol.run_fold,
        profiles=profiles,
        reported=reported.cross_reported(train, test, backbone),
        report_pages=_report_pages(None),
        min_frames=MIN_FRAMES,
    )


def models() -> dict[str, Any]:
    """Every model with the default (paper) configuration, 4 classes (CASME II / SAMM, Sec. IV-A.1)."""
    from papers.le2020.model import MODEL_NAMES, build_model

    return {MODEL_NAMES[b]: build_model(ModelConfig(backbone=b), num_classes=len(protocol.FOUR_CLASSES))
            for b in BACKBONES}


# ----------------------------------------------------------------------------- report pages
def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _report_pages(dataset: str | None):
    """Extra pages of one experiment: Tables II and III as published (once per report, by the run's first
    experiment), then, for ``dataset``'s VGG19 experiment, Table I beside our counts and example inputs."""
    def report_pages(pdf, result, context: Mapping[str, Any]) -> None:
        results = result.summary  # the experiment's results.json, in memory
        if next(iter(context.results), None) == results.get("experiment"):
            protocol.published_tables_page(pdf)
        if dataset is not None:
            protocol.example_pages(pdf, dataset, results, context, _config_from_results(dataset, results))

    return report_pages


def _config_from_results(dataset: str, results: Mapping[str, Any]) -> Le2020Config:
    """The effective config of a finished run, rebuilt from its results.json ``config``."""
    from common.config import apply_overrides

    values = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in _flatten(results.get("config", {})).items()}
    return apply_overrides(_config("vgg19", ProtocolConfig()), values)


EXPERIMENTS: tuple[Experiment, ...] = tuple(
    [_kfold_experiment(d, b) for d in ("casme2", "smic", "samm") for b in BACKBONES]
    + [_cross_experiment(train, test, b) for train, test in CROSS_PAIRS for b in CROSS_BACKBONES]
)

PAPER = Paper(
    id="le2020",
    title="Dynamic image for micro-expression recognition on region-based framework",
    citation=CITATION,
    status="implemented",
    models=models,
)

__all__ = ["PAPER", "EXPERIMENTS", "CITATION", "models"]
