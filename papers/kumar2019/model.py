"""ResNet-34 classifier of Kumar, Theagarajan, Peraza, Bhanu, "Classification of facial
micro-expressions using motion magnified emotion avatar images", CVPR Workshops 2019, Sec. 3.5
and Table 1.

``resnet34_eai``: the Emotion Avatar Image (224 x 224 x 3) -> random horizontal flip (training
only; Sec. 3.5 "the training data are randomly flipped") -> ResNet-34 (He et al. 2016 Table 1,
``common.backbones.resnet34``: basic blocks [3, 4, 6, 3], 21,284,672 trainable parameters) ->
global average pooling -> Dense(3, softmax) for negative / positive / surprise.

The paper names only "Resnet 34" and its 224 x 224 input; the head is the standard ResNet one
(global average pooling and one fully connected layer, He et al. Table 1), with 3 outputs
(512 x 3 + 3 = 1,539 parameters): 21,286,211 trainable parameters in all.

Sec. 3.5 says "batch normalization is carried out before each convolution layer ... ReLU is
also used after each convolutional layer": that loosely describes the standard ResNet, whose
convolutions are each followed by BN and ReLU (He et al. Sec. 3.4); we build the standard one.

Weights: ``weights=""`` trains from scratch (default; nothing downloads). The paper does not say
whether it started from ImageNet weights; ``--set model.weights=PATH`` loads a Keras weights file
of the backbone without top.
"""
from __future__ import annotations

import functools

import keras
from keras import layers

from common.backbones import WeightsError, load_backbone_weights, resnet34
from papers.kumar2019.config import Kumar2019Config

MODEL_NAME = "resnet34_eai"
BACKBONE_NAME = "resnet34"
RESNET34_BACKBONE_PARAMS = 21_284_672  # He et al. Table 1 / torchvision resnet34 without its fc (docs/methods.md §4)


def build_resnet34_eai(*, input_size: int, num_classes: int = 3, weights: str = "",
                       random_flip: bool = True) -> keras.Model:
    """``resnet34_eai`` for ``num_classes`` (Sec. 3.5): input (input_size, input_size, 3) float,
    already normalised by :func:`papers.kumar2019.protocol.preprocess`; ``weights``: a Keras weights file of
    ResNet-34 without top ("" = from scratch)."""
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes}: expected at least 2")
    size = int(input_size)
    backbone = resnet34(input_shape=(size, size, 3), include_top=False, pooling="avg", name=BACKBONE_NAME)  # (B, 512)
    if weights:
        load_backbone_weights(backbone, weights, "ResNet-34 without top")

    inputs = keras.Input((size, size, 3), name="eai")
    x = inputs
    if random_flip:
        # Sec. 3.5: random horizontal flips; RandomFlip is active only in training (identity in predict).
        x = layers.RandomFlip("horizontal", name="random_flip")(x)
    x = backbone(x)  # (B, 512) after global average pooling
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)  # (B, 3)
    return keras.Model(inputs, outputs, name=MODEL_NAME)


def build_model(*, config: Kumar2019Config, num_classes: int) -> keras.Model:
    """``resnet34_eai`` of an experiment config (Sec. 3.5): ``model.input_size``, ``model.weights``, ``random_flip``."""
    return build_resnet34_eai(input_size=config.model.input_size, num_classes=num_classes,
                              weights=config.model.weights, random_flip=bool(config.random_flip))


# The paper's model by name, a zero-argument builder (``Paper.models``; ``common.harness.build_paper_model``
# builds one): ``resnet34_eai`` at the paper's 224 x 224 input, 3 classes (Sec. 3.5, Table 1; the MEGC 2019
# composite's negative, positive and surprise, Sec. 4.1, ``protocol.CLASSES``).
MODEL_BUILDERS = {MODEL_NAME: functools.partial(build_model, config=Kumar2019Config(), num_classes=3)}


__all__ = ["MODEL_NAME", "BACKBONE_NAME", "RESNET34_BACKBONE_PARAMS", "WeightsError", "build_resnet34_eai",
           "build_model", "MODEL_BUILDERS"]
