"""Bi-WOOF's classifier as a Keras model (Sec. 4: a linear SVM): the SVM's decision function
(``common.classifiers``, ``Input(200) -> Dense(3)``), into which ``run_fold`` copies the fitted SVM."""
from __future__ import annotations

import functools

import keras

from common.classifiers import build_decision_model
from papers.liong2018.config import Liong2018Config, default_config
from papers.liong2018.preprocessing import feature_length

MODEL_NAME = "biwoof_svm"


def build_model(*, config: Liong2018Config, num_classes: int) -> keras.Model:
    """The linear SVM's decision function for the configured Bi-WOOF vector length."""
    return build_decision_model(features=feature_length(config), num_classes=num_classes, kind=config.svm.kind,
                                name=MODEL_NAME)


# The model by name, a zero-argument builder (``Paper.models``; ``common.experiment.build_paper_model`` builds
# one): the decision function at the default Bi-WOOF (5 x 5 blocks x 8 bins: D = 200)
# for the composite's 3 classes, 603 trainable parameters.
MODEL_BUILDERS = {MODEL_NAME: functools.partial(build_model, config=default_config(), num_classes=3)}
