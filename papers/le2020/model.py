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
  parameters than torchvision's, docs/methods.md §4), global average pooling, Dense(classes).
* ``senet50_roi``: SE-ResNet-50 (Hu et al. 2018, r = 16) from ``common.backbones``, global
  average pooling, Dense(classes).

Weights (``model.weights``; README ledger 11): ``""`` trains from scratch (the quick and smoke
profiles, the tests, ``--architectures``: nothing downloads). ``"imagenet"`` (the paper experiments
of VGG19 and ResNet50) builds the backbone the standard Keras way, ``keras.applications.*(weights=
"imagenet")``, which downloads the weight file once into Keras' cache (``~/.keras/models``); for
VGG19 at 224 x 224 the ImageNet fc1 and fc2 are loaded too (torchvision's fine-tuning replaces only
the last layer). Offline and not cached, that is one ``WeightsError`` line saying what to do. A
path loads a user's file: a Keras weights file of the backbone without top, or for SE-ResNet-50
(no Keras ImageNet weights exist) a PyTorch state dict as ``.npz`` (``common.backbones``).
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import keras
from keras import layers
from keras.src.backend.config import keras_home  # private accessor, the place keras.utils.get_file uses

from common.backbones import WeightsError, load_backbone_weights, seresnet50
from papers.le2020.config import BACKBONES, Backbone, Le2020Config, ModelConfig, RegionConfig

MODEL_NAMES = {backbone: f"{backbone}_roi" for backbone in BACKBONES}  # Table II rows "<net> + ROI"


KERAS_IMAGENET = {"vgg19": "VGG19", "resnet50": "ResNet50"}  # keras.applications with ImageNet weights


def _backbone(*, backbone: str, input_shape: tuple[int, int, int], imagenet: bool = False,
              stem_pool: str = "pad") -> keras.Model:
    """The convolutional part: randomly initialised, or with Keras' ImageNet weights (``imagenet``)."""
    if backbone in KERAS_IMAGENET:
        application = getattr(keras.applications, KERAS_IMAGENET[backbone])
        pooling = "avg" if backbone == "resnet50" else None
        if not imagenet:
            return application(include_top=False, weights=None, input_shape=input_shape, pooling=pooling)
        return _download(lambda: application(include_top=False, weights="imagenet", input_shape=input_shape,
                                             pooling=pooling), KERAS_IMAGENET[backbone] + " without top")
    if backbone == "senet50":
        if imagenet:
            raise WeightsError("model.weights=imagenet: Keras has no ImageNet weights for SE-ResNet-50; convert a "
                               "PyTorch checkpoint you have (e.g. Cadene's se_resnet50-ce0d4300.pth) to .npz and pass "
                               "--set model.weights=PATH.npz (papers/le2020/README.md, ledger 11), or "
                               "--set model.weights= to train from scratch")
        return seresnet50(input_shape=input_shape, include_top=False, pooling="avg", name="seresnet50",
                          stem_pool=stem_pool)
    raise ValueError(f"backbone={backbone!r}: expected one of {BACKBONES}")


def _download(build, what: str):
    """``build()`` (a keras.applications call that may download weights), a failure as one WeightsError line."""
    try:
        return build()
    except Exception as exc:  # Keras' get_file raises a bare Exception("URL fetch failure on ...")
        reason = " ".join(str(exc).split())
        raise WeightsError(f"model.weights=imagenet: could not get Keras' ImageNet weights of {what} ({reason}). "
                           f"Offline? Copy the weight file into {keras_models_dir()}, or pass "
                           f"--set model.weights=PATH (a Keras weights file), or --set model.weights= "
                           f"to train from scratch") from None


def keras_models_dir() -> str:
    """Where ``keras.utils.get_file`` caches application weights (``$KERAS_HOME/models``, default
    ``~/.keras/models``)."""
    return str(Path(keras_home()).expanduser() / "models")


def _imagenet_vgg19_classifier(model: keras.Model) -> None:
    """Copy ImageNet fc1 and fc2 of Keras' VGG19 into ``model`` (224 x 224 input only): torchvision's VGG19
    fine-tuning keeps ``classifier[0]`` and ``classifier[3]`` and replaces only ``classifier[6]``."""
    full = _download(lambda: keras.applications.VGG19(include_top=True, weights="imagenet"), "VGG19 with top")
    for name in ("fc1", "fc2"):
        model.get_layer(name).set_weights(full.get_layer(name).get_weights())


def weights_note(config: ModelConfig) -> str:
    """What the model starts from, in words (logged and stored with every fold)."""
    size = int(config.input_size)
    if not config.weights:
        return "random (from scratch" + (", torchvision initialisation)" if config.torch_init else ")")
    if config.weights != "imagenet":
        return f"from {config.weights} (backbone); classifier head random"
    if config.backbone == "vgg19" and size == 224:
        return "Keras ImageNet VGG19: convolutions, fc1 and fc2; last layer random"
    if config.backbone == "vgg19":
        return f"Keras ImageNet VGG19 convolutions; fc1, fc2 and last layer random (input {size} px, not 224)"
    return f"Keras ImageNet {KERAS_IMAGENET.get(config.backbone, config.backbone)} without top; last layer random"


def resolved_preprocessing(config: ModelConfig) -> str:
    """``model.preprocessing`` with ``auto`` resolved: ``caffe`` for VGG19/ResNet50 with weights (the Keras
    weight files expect ``keras.applications.*.preprocess_input``), ``torch`` otherwise."""
    if config.preprocessing != "auto":
        return config.preprocessing
    return "caffe" if config.weights and config.backbone in KERAS_IMAGENET else "torch"


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
    (Glorot-uniform) leaves a 19-layer plain VGG from scratch unable to learn. Each layer draws anew, as
    torchvision does: one initialiser instance called for every layer would give layers of one shape the same
    numbers (Keras 3 seeds an initialiser once); with ``seed``, layer i of the walk draws with ``seed + i``."""
    for index, layer in enumerate(_all_layers(model)):
        layer_seed = None if seed is None else seed + index
        if isinstance(layer, layers.Conv2D) and not layer.name.endswith(("_se_reduce", "_se_expand")):
            initializer = keras.initializers.VarianceScaling(2.0, mode="fan_out", distribution="untruncated_normal",
                                                             seed=layer_seed)
        elif isinstance(layer, layers.Dense) and layer.name in ("fc1", "fc2"):
            initializer = keras.initializers.RandomNormal(0.0, 0.01, seed=layer_seed)
        else:
            continue
        layer.kernel.assign(initializer(layer.kernel.shape))
        if layer.bias is not None:
            layer.bias.assign(keras.ops.zeros(layer.bias.shape))


def _all_layers(model: keras.Model) -> list:
    found = []
    for layer in model.layers:
        found.extend(_all_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return found


def input_channels(region_config: RegionConfig) -> int:
    """Channels of the CNN input: 3 (one RGB region image), 9 for ``regions.combine=channels``."""
    return 9 if region_config.combine == "channels" else 3


def build_model(*, config: Le2020Config, num_classes: int) -> keras.Model:
    """The experiment's ``<backbone>_roi`` (Sec. III-D) for ``num_classes``, input channels from ``config.regions``."""
    return build_roi_cnn(config=config.model, num_classes=num_classes, channels=input_channels(config.regions))


def _paper_sized_model(*, backbone: Backbone) -> keras.Model:
    """``<backbone>_roi`` at the paper's sizes (224 x 224 x 3), 4 classes (CASME II / SAMM, Sec. IV-A.1), from
    scratch (building never downloads)."""
    base = Le2020Config()
    return build_model(config=dataclasses.replace(base, model=ModelConfig(backbone=backbone)), num_classes=4)


def build_roi_cnn(*, config: ModelConfig, num_classes: int, channels: int = 3) -> keras.Model:
    """``<backbone>_roi``: backbone + classifier head for ``num_classes`` (Sec. III-D).

    Input: (input_size, input_size, channels) float images, already preprocessed with
    :func:`papers.le2020.preprocessing.preprocess` in the mode :func:`resolved_preprocessing` gives
    (Caffe-style for the Keras ImageNet weight files). ``channels=9`` is the channel-concatenation
    option. ``config.weights``: see the module docstring.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes}: expected at least 2")
    if config.weights and channels != 3:
        raise WeightsError(f"model.weights={config.weights}: ImageNet weights need 3 input channels, "
                           f"the region option gives {channels} (regions.combine=channels)")
    size = int(config.input_size)
    imagenet = config.weights == "imagenet"
    base = _backbone(backbone=config.backbone, input_shape=(size, size, channels), imagenet=imagenet,
                     stem_pool=config.senet_stem_pool)
    if config.weights and not imagenet:
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
    if imagenet and config.backbone == "vgg19" and size == 224:
        _imagenet_vgg19_classifier(model)  # at another size fc1 has another input: random (weights_note says so)
    if config.torch_init and not config.weights:
        torchvision_init(model)  # the paper's framework (PyTorch) initialises this way
    return model


# The paper's models by name, each a zero-argument builder (``Paper.models``;
# ``common.harness.build_paper_model`` builds one): ``_paper_sized_model`` of each backbone.
MODEL_BUILDERS = {MODEL_NAMES[b]: functools.partial(_paper_sized_model, backbone=b) for b in BACKBONES}
# tests/test_models.py's save and training step (PAPER.model_checks): VGG19 at 32 x 32 pixels (the paper's: 224;
# 39 M parameters instead of 139 M), every layer kept
VGG19_SMALL = functools.partial(build_roi_cnn, config=ModelConfig(backbone="vgg19", input_size=32), num_classes=4)
