"""Kumar, Theagarajan, Peraza, Bhanu 2019: motion-magnified Emotion Avatar Images with ResNet-34 (issue 8).

The contract (``common/experiment.py``): ``PAPER`` and ``EXPERIMENTS``.

* ``megc2019_loso``: the MEGC 2019 composite (Table 2) under leave-one-subject-out, scored pooled on
  the composite (Table 3's combined column; its per-database slices are shown, not compared).
* ``smic_loso``, ``casme2_loso``, ``samm_loso``: each database alone under its own LOSO (Sec. 4),
  compared with Table 3's column of that database and its confusion matrix (Tables 4-6).
* ``cross_<train>_to_<test>``: the six cells of Table 7 (train on one database, test on another).

Settings live in ``config.py``, the pipeline and training in ``protocol.py``, the network in
``model.py``, the paper's numbers in ``reported.py`` and the extra report pages in ``report.py``.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from common.experiment import Experiment, Paper
from papers.kumar2019 import protocol, report, reported
from papers.kumar2019.config import PROFILES, Kumar2019Config, ModelConfig, ProtocolConfig

# Fewest frames a clip needs (issue 16; Experiment.min_frames): Sec. 3.2 magnifies motion with a
# temporal band-pass filter over the clip's frames (Eulerian), and the EAI (Sec. 3.4) averages
# those frames; one frame has no motion.
MIN_FRAMES = 2

CITATION = ("A. J. R. Kumar, R. Theagarajan, O. Peraza, B. Bhanu, \"Classification of facial "
            "micro-expressions using motion magnified emotion avatar images\", IEEE/CVF Conference on "
            "Computer Vision and Pattern Recognition Workshops (CVPRW), 2019, pp. 12-20.")
TITLES = reported.DATABASE_TITLES


def _loso_experiment() -> Experiment:
    return Experiment(
        name="megc2019_loso",
        title="MEGC 2019 composite (SMIC + CASME II + SAMM), LOSO, magnified EAI + ResNet-34 (Table 3, combined)",
        datasets=("megc2019",),
        config=Kumar2019Config(),
        select=protocol.make_selection,
        folds=protocol.make_folds,
        run_fold=protocol.run_fold,
        profiles=PROFILES,
        reported=reported.loso_reported(),
        metrics=("uf1", "uar", "accuracy"),
        scopes=("all",) + reported.DATABASES,
        report_pages=report.loso_pages,
        min_frames=MIN_FRAMES,
    )


def _database_experiment(database: str) -> Experiment:
    config = dataclasses.replace(Kumar2019Config(), protocol=ProtocolConfig(kind="database", dataset=database))
    return Experiment(
        name=f"{database}_loso",
        title=(f"{TITLES[database]} alone (the composite's 3 classes), LOSO, magnified EAI + ResNet-34 "
               f"(Table 3 {TITLES[database]} column, {reported.CONFUSION_TABLES[database]})"),
        datasets=("megc2019",),
        config=config,
        select=protocol.make_selection,
        folds=protocol.make_folds,
        run_fold=protocol.run_fold,
        profiles=PROFILES,
        reported=reported.database_reported(database),
        metrics=("uf1", "uar", "accuracy"),
        report_pages=report.database_pages,
        min_frames=MIN_FRAMES,
    )


def _cross_experiment(train: str, test: str) -> Experiment:
    config = dataclasses.replace(Kumar2019Config(), protocol=ProtocolConfig(kind="cross", train_dataset=train,
                                                                           test_dataset=test))
    return Experiment(
        name=f"cross_{train}_to_{test}",
        title=f"Cross-dataset: train {TITLES[train]}, test {TITLES[test]} (Table 7)",
        datasets=("megc2019",),
        config=config,
        select=protocol.make_selection,
        folds=protocol.make_folds,
        run_fold=protocol.run_fold,
        profiles=PROFILES,
        reported=reported.cross_reported(train, test),
        metrics=("uf1", "uar", "accuracy"),
        report_pages=report.cross_pages,
        min_frames=MIN_FRAMES,
    )


def models() -> dict[str, Any]:
    """``resnet34_eai`` at the paper's 224 x 224 input, 3 classes (Sec. 3.5, Table 1)."""
    from papers.kumar2019.model import MODEL_NAME, build_model

    return {MODEL_NAME: build_model(ModelConfig(), num_classes=len(protocol.CLASSES))}


EXPERIMENTS: tuple[Experiment, ...] = (
    (_loso_experiment(),)
    + tuple(_database_experiment(db) for db in reported.DATABASES)
    + tuple(_cross_experiment(train, test) for train, test in reported.CROSS_PAIRS)
)

PAPER = Paper(
    id="kumar2019",
    title="Classification of facial micro-expressions using motion magnified emotion avatar images",
    citation=CITATION,
    status="implemented",
    models=models,
    architecture_tables={},  # the paper gives no layer table (only "Resnet 34", Table 1's optimiser)
)

__all__ = ["PAPER", "EXPERIMENTS", "CITATION", "models"]
