"""CNN classifiers of Le, Tran, Rege, "Dynamic image for micro-expression recognition on
region-based framework", IEEE IRI 2020, Sec. III-D: VGG19, ResNet50 and SENet50 on the region
image of a dynamic image.

The paper fine-tuned these in PyTorch (Sec. IV-A.2) without naming the heads; we follow the
torchvision convention of replacing the last layer of each ImageNet classifier:

* ``vgg19_roi``: ``keras.applications.VGG19`` convolutions, then torchvision's classifier
  (fc1 4096 + ReLU + Dropout 0.5, fc2 4096 + ReLU + Dropout 0.5, Dense(classes)).
  DEVIATION: torchvision pools to 7x7 (``AdaptiveAvgPool2d``) before flattening, so its fc1 has
  25,088 inputs at any size; Keras flattens the last map directly: identical at 224 x 224, smaller
  at the quick profile's reduced input.
* ``resnet50_roi``: ``keras.applications.ResNet50`` (its convolutions carry biases: 26,560 more
  parameters than torchvision's, algorithms.md section 4), global average pooling, Dense(classes).
* ``senet50_roi``: SE-ResNet-50 (Hu et al. 2018, r = 16) from ``common.backbones``, global
  average pooling, Dense(classes).

Weights: ``weights=""`` trains from scratch (the default; nothing is downloaded). ImageNet
weights, which the paper most likely started from (not stated), are an option for users who have
a Keras weights file of the backbone *without top* on disk (``--set model.weights=PATH``).
"""
from __future__ import annotations


import keras
from keras import layers

from common.backbones import WeightsError, load_backbone_weights, seresnet50
from papers.le2020.config import BACKBONES, ModelConfig

MODEL_NAMES = {backbone: f"{backbone}_roi" for backbone in BACKBONES}  # Table II rows "<net> + ROI"


def _backbone(backbone: str, input_shape: tuple[int, int, int]) -> keras.Model:
    """The convolutional part, randomly initialised (weights=None: nothing downloads)."""
    if backbone == "vgg19":
        return keras.applications.VGG19(include_top=False, weights=None, input_shape=input_shape)
    if backbone == "resnet50":
        return keras.applications.ResNet50(include_top=False, weights=None, input_shape=input_shape, pooling="avg")
    if backbone == "senet50":
        return seresnet50(input_shape, include_top=False, pooling="avg", name="seresnet50")
    raise ValueError(f"backbone={backbone!r}: expected one of {BACKBONES}")


def batch_norm_layers(model: keras.Model) -> list[layers.BatchNormalization]:
    """Every BatchNormalization layer of ``model``, nested models included."""
    return [layer for layer in _all_layers(model) if isinstance(layer, layers.BatchNormalization)]


def recompute_batch_norm(model: keras.Model, x) -> None:
    """"Precise BN" (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021): set every BN layer's
    moving mean and variance to the statistics of ``x`` (one forward pass in training mode with
    momentum 0, ``x`` as a single batch). Not in Le et al.: an option (``model.precise_bn``)."""
    norms = batch_norm_layers(model)
    if not norms:
        return
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0  # moving = 0 * moving + 1 * batch statistics
    try:
        model(x, training=True)
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum


def torchvision_init(model: keras.Model, seed: int | None = None) -> None:
    """Re-draw the weights as torchvision initialises VGG/ResNet (``_initialize_weights``):
    convolutions ``kaiming_normal_(mode="fan_out", nonlinearity="relu")`` with zero biases;
    the VGG classifier's linear layers ``normal_(0, 0.01)`` with zero biases. Keras' default
    (Glorot-uniform) leaves a 19-layer plain VGG from scratch unable to learn."""
    he_fan_out = keras.initializers.VarianceScaling(2.0, mode="fan_out", distribution="untruncated_normal", seed=seed)
    small = keras.initializers.RandomNormal(0.0, 0.01, seed=seed)
    for layer in _all_layers(model):
        if isinstance(layer, layers.Conv2D) and not layer.name.endswith(("_se_reduce", "_se_expand")):
            layer.kernel.assign(he_fan_out(layer.kernel.shape))
        elif isinstance(layer, layers.Dense) and layer.name in ("fc1", "fc2"):
            layer.kernel.assign(small(layer.kernel.shape))
        else:
            continue
        if layer.bias is not None:
            layer.bias.assign(keras.ops.zeros(layer.bias.shape))


def _all_layers(model: keras.Model) -> list:
    found = []
    for layer in model.layers:
        found.extend(_all_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return found


def build_model(config: ModelConfig, num_classes: int, channels: int = 3) -> keras.Model:
    """``<backbone>_roi``: backbone + classifier head for ``num_classes`` (Sec. III-D).

    Input: (input_size, input_size, channels) float images, already preprocessed with
    :func:`papers.le2020.protocol.preprocess` (Caffe-style BGR mean subtraction, which is what
    the Keras ImageNet weight files expect). ``channels=9`` is the channel-concatenation option.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes}: expected at least 2")
    if config.weights and channels != 3:
        raise WeightsError(f"model.weights={config.weights}: ImageNet weights need 3 input channels, "
                           f"the region option gives {channels} (regions.combine=channels)")
    size = int(config.input_size)
    base = _backbone(config.backbone, (size, size, channels))
    if config.weights:
        load_backbone_weights(base, config.weights, f"{config.backbone} without its top")
    # PyTorch BN momentum 0.1 == Keras 0.9 (Keras' default is 0.99); SE-ResNet-50 already uses it.
    for layer in batch_norm_layers(base):
        layer.momentum = float(config.bn_momentum)

    inputs = keras.Input((size, size, channels), name="roi_image")
    x = base(inputs)
    if config.backbone == "vgg19":
        x = layers.Flatten(name="flatten")(x)  # (B, s/32 * s/32 * 512)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dropout(config.dropout, name="drop1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dropout(config.dropout, name="drop2")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name=MODEL_NAMES[config.backbone])
    if config.torch_init and not config.weights:
        torchvision_init(model)  # the paper's framework (PyTorch) initialises this way
    return model
