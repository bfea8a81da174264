"""See et al. 2019 (FG): the MEGC 2019 LBP-TOP baseline on the composite, leave-one-subject-out.

LBP-TOP (Zhao and Pietikainen, TPAMI 2007) of each clip's face sequence, classified by a linear SVM.
Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``. Configs and profiles: ``config.py``; the SVM's Keras copy:
``model.py``; the clip's LBP-TOP vector: ``preprocessing.py``; selection, folds, the fold and its hooks:
``protocol.py``.
"""
from __future__ import annotations

from common import svm_baseline
from common.experiment import Pipeline
from common.paper import Paper
from papers.see2019 import pages, protocol, reported
from papers.see2019.config import PROFILES, default_config
from papers.see2019.model import MODEL_BUILDERS, MODEL_NAME
from papers.see2019.preprocessing import feature_length, min_frames

PAPER = Paper(
    id="see2019",
    title="MEGC 2019 -- The Second Facial Micro-Expressions Grand Challenge (LBP-TOP baseline)",
    citation="J. See, M. H. Yap, J. Li, X. Hong, S.-J. Wang. 14th IEEE International Conference on Automatic "
             "Face & Gesture Recognition (FG 2019). Features: G. Zhao, M. Pietikainen, \"Dynamic texture "
             "recognition using local binary patterns with an application to facial expressions\", IEEE TPAMI "
             "29(6), 2007.",
    models=MODEL_BUILDERS,
    parameter_counts=svm_baseline.parameter_counts(
        model_name=MODEL_NAME, features=feature_length(default_config()),
        vector="LBP-TOP vector (5 x 5 blocks x 3 planes x 15 labels)"),
)

# megc2019_loso and every benchmark entry: protocol.py's select, folds, run_fold and hooks. The published numbers
# are the megc2019 track's protocol (LOSO on the composite), so that track shows them; other tracks none.
# min_frames, the fewest frames a clip needs: LBP-TOP codes a voxel with R_T frames on either side (Zhao and
# Pietikainen Sec. 3), 2 R_T + 1 = 9 frames at R_T = 4; the runner drops and records shorter clips. On a benchmark
# track the track's own minimum holds (README "In the benchmark").
# needs_motion, whether the input is the motion from onset to apex (common.datasets.invariants rule 6): no, LBP-TOP's
# XY plane codes each frame's texture (Zhao and Pietikainen Sec. 3); a clip without motion still has a feature
# vector, flagged by the run.
PIPELINE = Pipeline(hooks=protocol.HOOKS, paper_id="see2019", models=(MODEL_NAME,), config=default_config(),
                    profiles=PROFILES, min_frames=min_frames(default_config()), needs_motion=False,
                    stands_for=("LBP-TOP",), entry="LBP-TOP + linear SVM (MEGC 2019 baseline)",
                    reported_on={"megc2019": reported.REPORTED})
EXPERIMENTS, BENCHMARK_MODELS, benchmark_experiment = PIPELINE.megc2019_exports(
    source="the MEGC 2019 results table", report_pages=pages.report_pages)
