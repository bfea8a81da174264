"""Bi-WOOF's classifier as a Keras model (Sec. 4: a linear SVM): the SVM's decision function
(``common.svm_baseline.decision_model``, ``Input(200) -> Dense(3)``), into which ``run_fold`` copies the fitted SVM."""
from __future__ import annotations

from common import svm_baseline
from papers.liong2018.config import default_config
from papers.liong2018.preprocessing import feature_length

MODEL_NAME = "biwoof_svm"

# build_model(*, config, num_classes) for the configured Bi-WOOF vector length; MODEL_BUILDERS: the model by name
# (``Paper.models``) at the default Bi-WOOF (5 x 5 blocks x 8 bins: D = 200) for the composite's 3 classes,
# 603 trainable parameters.
build_model, MODEL_BUILDERS = svm_baseline.decision_model(model_name=MODEL_NAME, feature_length=feature_length,
                                                          default_config=default_config())
