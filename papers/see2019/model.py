"""The LBP-TOP baseline's classifier as a Keras model: the linear SVM's decision function
(``common.svm_baseline.decision_model``, ``Input(1125) -> Dense(3)``), into which ``run_fold`` copies the fitted SVM."""
from __future__ import annotations

from common import svm_baseline
from papers.see2019.config import default_config
from papers.see2019.preprocessing import feature_length

MODEL_NAME = "lbp_top_svm"

# build_model(*, config, num_classes) for the configured LBP-TOP vector length; MODEL_BUILDERS: the model by name
# (``Paper.models``) at the baseline's default LBP-TOP (5 x 5 blocks, 3 planes of 15 labels: D = 1,125) for the
# composite's 3 classes, 3,378 trainable parameters.
build_model, MODEL_BUILDERS = svm_baseline.decision_model(model_name=MODEL_NAME, feature_length=feature_length,
                                                          default_config=default_config())
