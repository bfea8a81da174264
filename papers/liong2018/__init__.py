"""Liong, See, Wong, Phan (2018): Bi-WOOF on the onset and apex frames, on the MEGC 2019 composite, LOSO.

"Less is more: Micro-expression recognition from video using apex frame", Signal Processing: Image
Communication 62, 2018: the TV-L1 optical flow between the onset and apex frames, its bi-weighted
oriented optical flow histograms, a linear SVM. Assembly only: ``PAPER``, and the pipeline
(``common.experiment.Pipeline``) that gives ``EXPERIMENTS``, ``BENCHMARK_MODELS`` and ``benchmark_experiment``.
"""
from __future__ import annotations

from common import svm_baseline
from common.experiment import Pipeline
from common.paper import Paper
from papers.liong2018 import pages, protocol, reported
from papers.liong2018.config import PROFILES, default_config
from papers.liong2018.model import MODEL_BUILDERS, MODEL_NAME
from papers.liong2018.preprocessing import feature_length

PAPER = Paper(
    id="liong2018",
    title="Less is more: Micro-expression recognition from video using apex frame (Bi-WOOF)",
    citation="S.-T. Liong, J. See, K. Wong, R. C.-W. Phan. Signal Processing: Image Communication 62:82-92, "
             "2018. doi:10.1016/j.image.2017.11.006 (arXiv:1606.01721)",
    models=MODEL_BUILDERS,
    parameter_counts=svm_baseline.parameter_counts(
        model_name=MODEL_NAME, features=feature_length(default_config()),
        vector="Bi-WOOF vector (5 x 5 blocks x 8 orientation bins)"),
)

# megc2019_loso and every benchmark entry: protocol.py's select, folds, run_fold and hooks (predict_apex: the flow
# baselines' own apex rule). The published numbers are the megc2019 track's protocol (LOSO on the composite), so
# that track shows them; other tracks none. min_frames, the fewest frames a clip needs: 2, the flow runs from the
# onset frame to the apex frame (Sec. 3). needs_motion, whether the input is the motion from onset to apex
# (common.datasets.invariants rule 6): yes, Bi-WOOF is built from the optical flow and strain from the onset to the
# apex frame (Sec. 3); a clip whose onset and apex frames are identical gives a flow of zero, no feature, and the
# run refuses it.
PIPELINE = Pipeline(
    hooks=protocol.HOOKS, paper_id="liong2018", models=(MODEL_NAME,), config=default_config(), profiles=PROFILES,
    min_frames=2, needs_motion=True, entry="Bi-WOOF + linear SVM (Liong et al. 2018)", stands_for=("Bi-WOOF",),
    reported_on={"megc2019": reported.REPORTED})
EXPERIMENTS, BENCHMARK_MODELS, benchmark_experiment = PIPELINE.megc2019_exports(
    source="the MEGC 2019 results table", report_pages=pages.report_pages)
