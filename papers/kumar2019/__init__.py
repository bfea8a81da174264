"""Kumar, Theagarajan, Peraza, Bhanu 2019: motion-magnified Emotion Avatar Images with ResNet-34.

Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``.

* ``megc2019_loso``: the MEGC 2019 composite (Table 2) under leave-one-subject-out, scored pooled on
  the composite (Table 3's combined column; its per-database slices are shown, not compared).
* ``smic_loso``, ``casme2_loso``, ``samm_loso``: each database alone under its own LOSO (Sec. 4),
  compared with Table 3's column of that database and its confusion matrix (Tables 4-6).
* ``cross_<train>_to_<test>``: the six cells of Table 7 (train on one database, test on another).

Settings and profiles live in ``config.py``, the EAI pipeline in ``preprocessing.py``, selection, folds and
training in ``protocol.py``, the network in ``model.py``, the paper's numbers in ``reported.py`` and the report
pages in ``pages.py``.
"""
from __future__ import annotations

from common.datasets import DATABASE_TITLES
from common.experiment import Experiment, Pipeline
from common.paper import Paper
from papers.kumar2019 import pages, protocol, reported
from papers.kumar2019.config import PROFILES, ProtocolConfig, default_config
from papers.kumar2019.model import MODEL_BUILDERS, MODEL_NAME

CITATION = ("A. J. R. Kumar, R. Theagarajan, O. Peraza, B. Bhanu, \"Classification of facial "
            "micro-expressions using motion magnified emotion avatar images\", IEEE/CVF Conference on "
            "Computer Vision and Pattern Recognition Workshops (CVPRW), 2019, pp. 12-20.")

# Every experiment and every benchmark entry: protocol.py's select, folds, run_fold and hooks on the composite's
# databases. On a track, megc2019_loso's config and profiles (the composite's 3 classes); Table 3's combined
# column on the megc2019 track (the same composite LOSO), nothing on the others.
PIPELINE = Pipeline(
    hooks=protocol.HOOKS, paper_id="kumar2019", models=(MODEL_NAME,), config=default_config(), profiles=PROFILES,
    # Fewest frames a clip needs: Sec. 3.2 magnifies motion with a temporal band-pass filter over the clip's
    # frames (Eulerian), and the EAI (Sec. 3.4) averages those frames; one frame has no motion.
    min_frames=2,
    # Whether the input is the motion from onset to apex (common.datasets.invariants rule 6): the EAI averages
    # the magnified, registered frames (Sec. 3.4); a clip without motion gives the face itself (magnifying no
    # motion changes nothing), a valid input, flagged by the run.
    needs_motion=False,
    entry="magnified EAI + ResNet-34 (Kumar et al. 2019)", reported_on={"megc2019": reported.loso_reported()})


def _loso_experiment() -> Experiment:
    return PIPELINE.experiment(
        name="megc2019_loso", datasets=("megc2019",),
        title="MEGC 2019 composite (SMIC + CASME II + SAMM), LOSO, magnified EAI + ResNet-34 (Table 3, combined)",
        reported=reported.loso_reported(), scopes=("all",) + reported.DATABASES, report_pages=pages.loso_pages)


def _database_experiment(database: str) -> Experiment:
    title = DATABASE_TITLES[database]
    return PIPELINE.experiment(
        name=f"{database}_loso", datasets=("megc2019",),
        title=(f"{title} alone (the composite's 3 classes), LOSO, magnified EAI + ResNet-34 "
               f"(Table 3 {reported.TABLE_COLUMNS[database]} column, {reported.CONFUSION_TABLES[database]})"),
        config=default_config(ProtocolConfig(kind="database", dataset=database)),
        reported=reported.database_reported(database), report_pages=pages.database_pages)


def _cross_experiment(train: str, test: str) -> Experiment:
    return PIPELINE.experiment(
        name=f"cross_{train}_to_{test}", datasets=("megc2019",),
        title=f"Cross-dataset: train {DATABASE_TITLES[train]}, test {DATABASE_TITLES[test]} (Table 7)",
        config=default_config(ProtocolConfig(kind="cross", train_dataset=train, test_dataset=test)),
        reported=reported.cross_reported(train, test), report_pages=pages.cross_pages)


EXPERIMENTS: tuple[Experiment, ...] = (
    (_loso_experiment(),)
    + tuple(_database_experiment(db) for db in reported.DATABASES)
    + tuple(_cross_experiment(train, test) for train, test in reported.CROSS_PAIRS)
)

# The benchmark: the paper's one model; its best-reported (and only) one first.
BENCHMARK_MODELS: tuple[str, ...] = PIPELINE.models
benchmark_experiment = PIPELINE.on_track  # (track, model=None) -> Experiment: README "In the benchmark"


PAPER = Paper(
    id="kumar2019",
    title="Classification of facial micro-expressions using motion magnified emotion avatar images",
    citation=CITATION,
    models=MODEL_BUILDERS,
    architecture_tables={},  # the paper gives no layer table (only "Resnet 34", Table 1's optimiser)
    # The paper gives no count: ResNet-34's (He et al. 2016 Table 1; torchvision resnet34 without its fc,
    # 21,284,672) + Dense(512 -> 3), as model.py builds it.
    parameter_counts={MODEL_NAME: (21_286_211, "He et al. 2016 Table 1 ResNet-34 (21,284,672 without its fc, "
                                                "torchvision) + Dense(512 -> 3); the paper gives no count")},
)
