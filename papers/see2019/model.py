"""The LBP-TOP baseline's classifier as a Keras model: the linear SVM's decision function
(``common.classifiers``, ``Input(1125) -> Dense(3)``), into which ``run_fold`` copies the fitted SVM."""
from __future__ import annotations

import functools

import keras

from common.classifiers import build_decision_model
from papers.see2019.config import See2019Config, default_config
from papers.see2019.preprocessing import feature_length

MODEL_NAME = "lbp_top_svm"


def build_model(*, config: See2019Config, num_classes: int) -> keras.Model:
    """The linear SVM's decision function for the configured LBP-TOP vector length."""
    return build_decision_model(features=feature_length(config), num_classes=num_classes, kind=config.svm.kind,
                                name=MODEL_NAME)


# The model by name, a zero-argument builder (``Paper.models``; ``common.experiment.build_paper_model`` builds
# one): the decision function at the baseline's default LBP-TOP (5 x 5 blocks, 3 planes of 15 labels: D = 1,125)
# for the composite's 3 classes, 3,378 trainable parameters.
MODEL_BUILDERS = {MODEL_NAME: functools.partial(build_model, config=default_config(), num_classes=3)}
