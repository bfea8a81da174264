"""Kumar, Theagarajan, Peraza, Bhanu 2019: motion-magnified Emotion Avatar Images with ResNet-34.

Assembly only (``common/experiment.py``): ``PAPER``, ``EXPERIMENTS``, ``benchmark_experiment``, ``BENCHMARK_MODELS``.

* ``megc2019_loso``: the MEGC 2019 composite (Table 2) under leave-one-subject-out, scored pooled on
  the composite (Table 3's combined column; its per-database slices are shown, not compared).
* ``smic_loso``, ``casme2_loso``, ``samm_loso``: each database alone under its own LOSO (Sec. 4),
  compared with Table 3's column of that database and its confusion matrix (Tables 4-6).
* ``cross_<train>_to_<test>``: the six cells of Table 7 (train on one database, test on another).

Settings and profiles live in ``config.py``, the EAI pipeline in ``preprocessing.py``, selection, folds and
training in ``protocol.py``, the network in ``model.py``, the paper's numbers in ``reported.py`` and the report
pages in ``report.py``.
"""
from __future__ import annotations

from typing import Any

from common.datasets import DATABASE_TITLES
from common.experiment import Experiment, Paper, Track, benchmark_model, on_track
from papers.kumar2019 import protocol, report, reported
from papers.kumar2019.config import PROFILES, ProtocolConfig, default_config
from papers.kumar2019.model import MODEL_BUILDERS, MODEL_NAME

# Fewest frames a clip needs (Experiment.min_frames): Sec. 3.2 magnifies motion with a
# temporal band-pass filter over the clip's frames (Eulerian), and the EAI (Sec. 3.4) averages
# those frames; one frame has no motion.
MIN_FRAMES = 2
# Whether the input is the motion from onset to apex (Experiment.needs_motion; common.datasets.invariants
# rule 6): the EAI averages the magnified, registered frames (Sec. 3.4); a clip without
# motion gives the face itself (magnifying no motion changes nothing), a valid input, flagged by the run.
NEEDS_MOTION = False

CITATION = ("A. J. R. Kumar, R. Theagarajan, O. Peraza, B. Bhanu, \"Classification of facial "
            "micro-expressions using motion magnified emotion avatar images\", IEEE/CVF Conference on "
            "Computer Vision and Pattern Recognition Workshops (CVPRW), 2019, pp. 12-20.")

# The hooks every experiment shares: the pipeline (protocol.py) and the --estimate hooks.
_PIPELINE: dict[str, Any] = dict(
    datasets=("megc2019",), select=protocol.select, folds=protocol.folds, run_fold=protocol.run_fold,
    profiles=PROFILES, metrics=("uf1", "uar", "accuracy"), min_frames=MIN_FRAMES, needs_motion=NEEDS_MOTION,
    training_stages=protocol.training_stages, preprocess_clip=protocol.preprocess_clip,
    first_pass=protocol.first_pass, predict_clips=protocol.predict_clips, predict_views=protocol.predict_views,
    frame_rate=protocol.frame_rate)


def _loso_experiment() -> Experiment:
    return Experiment(
        name="megc2019_loso",
        title="MEGC 2019 composite (SMIC + CASME II + SAMM), LOSO, magnified EAI + ResNet-34 (Table 3, combined)",
        config=default_config(), reported=reported.loso_reported(), scopes=("all",) + reported.DATABASES,
        report_pages=report.loso_pages, **_PIPELINE)


def _database_experiment(database: str) -> Experiment:
    config = default_config(ProtocolConfig(kind="database", dataset=database))
    title = DATABASE_TITLES[database]
    return Experiment(
        name=f"{database}_loso",
        title=(f"{title} alone (the composite's 3 classes), LOSO, magnified EAI + ResNet-34 "
               f"(Table 3 {reported.TABLE_COLUMNS[database]} column, {reported.CONFUSION_TABLES[database]})"),
        config=config, reported=reported.database_reported(database), report_pages=report.database_pages,
        **_PIPELINE)


def _cross_experiment(train: str, test: str) -> Experiment:
    config = default_config(ProtocolConfig(kind="cross", train_dataset=train, test_dataset=test))
    return Experiment(
        name=f"cross_{train}_to_{test}",
        title=f"Cross-dataset: train {DATABASE_TITLES[train]}, test {DATABASE_TITLES[test]} (Table 7)",
        config=config, reported=reported.cross_reported(train, test), report_pages=report.cross_pages,
        **_PIPELINE)


EXPERIMENTS: tuple[Experiment, ...] = (
    (_loso_experiment(),)
    + tuple(_database_experiment(db) for db in reported.DATABASES)
    + tuple(_cross_experiment(train, test) for train, test in reported.CROSS_PAIRS)
)

# The benchmark: the paper's one model; its best-reported (and only) one first.
BENCHMARK_MODELS: tuple[str, ...] = (MODEL_NAME,)


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """The method on a shared benchmark track: ``megc2019_loso``'s config and profiles (the composite's 3 classes)
    and ``run_fold``, the track's samples, labels and folds unchanged. ``reported``: Table 3's combined column
    on the ``megc2019`` track (the same composite LOSO), nothing on the others (README "In the benchmark")."""
    model = benchmark_model("kumar2019", model, BENCHMARK_MODELS)
    base = _loso_experiment()
    return on_track(track, needs_motion=NEEDS_MOTION, model=model, default_model=BENCHMARK_MODELS[0],
                    title=f"{track.title}: magnified EAI + ResNet-34 (Kumar et al. 2019)", config=base.config,
                    run_fold=base.run_fold, profiles=base.profiles,
                    reported=base.reported if track.name == "megc2019" else (),
                    training_stages=base.training_stages, preprocess_clip=base.preprocess_clip,
                    first_pass=base.first_pass, predict_clips=base.predict_clips, predict_views=base.predict_views,
                    frame_rate=base.frame_rate)


PAPER = Paper(
    id="kumar2019",
    title="Classification of facial micro-expressions using motion magnified emotion avatar images",
    citation=CITATION,
    status="implemented",
    models=MODEL_BUILDERS,
    architecture_tables={},  # the paper gives no layer table (only "Resnet 34", Table 1's optimiser)
    # The paper gives no count: ResNet-34's (He et al. 2016 Table 1; torchvision resnet34 without its fc,
    # 21,284,672) + Dense(512 -> 3), as model.py builds it.
    parameter_counts={MODEL_NAME: (21_286_211, "He et al. 2016 Table 1 ResNet-34 (21,284,672 without its fc, "
                                                "torchvision) + Dense(512 -> 3); the paper gives no count")},
)

__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "CITATION", "MIN_FRAMES",
           "MODEL_BUILDERS"]
