"""Bi-WOOF's classifier as a Keras model (Sec. 4: a linear SVM): the SVM's decision function
(``common.classifiers``, ``Input(200) -> Dense(3)``), into which ``run_fold`` copies the fitted SVM."""
from __future__ import annotations

import keras

from common.classifiers import build_decision_model
from papers.liong2018.config import Liong2018Config, default_config
from papers.liong2018.preprocessing import feature_length

MODEL_NAME = "biwoof_svm"


def build_model(config: Liong2018Config, num_classes: int) -> keras.Model:
    """The linear SVM's decision function for the configured Bi-WOOF vector length."""
    return build_decision_model(feature_length(config), num_classes, config.svm.kind, name=MODEL_NAME)


def models() -> dict[str, keras.Model]:
    """The model at the default Bi-WOOF (5 x 5 blocks x 8 bins: D = 200) for the composite's 3 classes:
    603 trainable parameters."""
    return {MODEL_NAME: build_model(default_config(), 3)}
