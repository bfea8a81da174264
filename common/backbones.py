"""Hand-written ResNet backbones for Keras 3: ResNet-34 and SE-ResNet-50.

* ResNet-34: He, Zhang, Ren, Sun, "Deep residual learning for image recognition", CVPR 2016,
  Table 1 (basic blocks, stages [3, 4, 6, 3], widths 64/128/256/512). Used by Kumar et al. 2019.
* SE-ResNet-50: Hu, Shen, Sun, "Squeeze-and-excitation networks", CVPR 2018, Fig. 3 and Table 1
  (ResNet-50 bottlenecks with an SE block, reduction r = 16). Le et al. 2020's "Senet50".

Why hand-written (docs/house.md, Library first): no maintained Keras 3 package provides SE-ResNet-50
(keras-hub has no SENet; keras-cv is deprecated; kecam places SE after the middle 3x3 and does not
support Keras 3 out of the box; image-classifiers is Keras 2). keras-hub's ``ResNetBackbone``
builds ResNet-34, but it would pull in tensorflow-text, kagglehub, sentencepiece, tokenizers and
regex for a 60-line network (docs/methods.md §4), so both live here. VGG19 and ResNet50 come
from ``keras.applications`` and are not rebuilt.

Both networks are torchvision/Caffe-equivalent, so their parameter counts equal the reference ones
(docs/methods.md §4, verified by tests/test_backbones.py):

================  ====================  =========================
network           trainable, no top     trainable, 1000-way top
================  ====================  =========================
ResNet-34         21,284,672            21,797,672
SE-ResNet-50      26,039,024            28,088,024
================  ====================  =========================

* convolutions have no bias; every convolution is followed by BatchNormalization with PyTorch's
  defaults (epsilon 1e-5, momentum 0.1 in PyTorch's convention = 0.9 in Keras');
* padding is explicit (``ZeroPadding2D`` + "valid"), as PyTorch pads, so a stride-2 convolution
  sees the same pixels (Keras' "same" would pad asymmetrically);
* the projection shortcut is a strided 1x1 convolution + BN wherever the shape changes;
* SE block (Hu et al. Fig. 3): global average pooling -> FC(C/r) + ReLU -> FC(C) + sigmoid ->
  channel-wise scaling of the residual branch, **before** the addition with the shortcut; the
  two FCs are 1x1 convolutions **with** biases (as in the authors' Caffe models);
* bottleneck stride: torchvision's ResNet-50 ("v1.5") strides the 3x3 convolution; the SENet
  authors' Caffe models (and Cadene's ``pretrainedmodels`` port, and keras-vggface's SENET50)
  stride the first 1x1. ``seresnet50`` follows the SENet authors (``strided_conv="1x1"``); the
  parameter count does not depend on it.

Weights (nothing here downloads): ``load_backbone_weights`` loads a user's Keras weights file, or
a PyTorch state dict saved as ``.npz`` through ``load_torch_state_dict``, which maps Cadene's
``pretrainedmodels`` SE-ResNet-50 (the public ImageNet port of the SENet authors' Caffe model) and
torchvision's ResNets layer by layer into these networks. To make the ``.npz`` from a ``.pth``
(where PyTorch is installed)::

    python -c "import sys, numpy, torch; s = torch.load(sys.argv[1], map_location='cpu'); \\
        numpy.savez(sys.argv[2], **{k: v.numpy() for k, v in s.items()})" se_resnet50-ce0d4300.pth se_resnet50.npz
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from collections.abc import Mapping, Sequence

import keras
import numpy as np
from keras import layers

from common.batch_norm import FusedBatchNormalization
from common.errors import MersuiteError
from common.files import hdf5_problem, read_npz
from common.state_dicts import COUNTERS

BN_EPSILON = 1e-5  # PyTorch BatchNorm2d default
BN_MOMENTUM = 0.9  # PyTorch momentum=0.1 means moving = 0.9 * moving + 0.1 * batch, i.e. Keras momentum 0.9

STAGE_WIDTHS = (64, 128, 256, 512)  # He et al. Table 1
RESNET34_BLOCKS = (3, 4, 6, 3)  # He et al. Table 1, 34-layer
RESNET50_BLOCKS = (3, 4, 6, 3)  # He et al. Table 1, 50-layer (bottlenecks)
SE_REDUCTION = 16  # Hu et al. Sec. 6.4: r = 16
# The ImageNet classifier's prefix in Cadene's SENet and in torchvision's ResNet: a notop backbone has no layer for it.
TOP_NAMES = ("last_linear", "fc")


def _bn(x, name: str):
    # Keras' BatchNormalization, with TensorFlow's fused kernel in a float32 training step: the same function
    # within round-off (common.batch_norm), a ResNet-34 step x0.89 and an SE-ResNet-50 step x0.78 on a CPU
    # (docs/performance.md, "The backbones' batch normalisation fused too").
    return FusedBatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)(x)


def _conv(x, filters: int, kernel: int, stride: int, name: str):
    """A bias-free convolution with PyTorch's symmetric padding ``kernel // 2``."""
    pad = kernel // 2
    if pad:
        x = layers.ZeroPadding2D(pad, name=f"{name}_pad")(x)
    return layers.Conv2D(filters, kernel, strides=stride, padding="valid", use_bias=False, name=name)(x)


def squeeze_excitation(x, ratio: int, name: str):
    """Hu et al. Fig. 3: ``x * sigmoid(FC(relu(FC(GAP(x)))))``, FCs as biased 1x1 convolutions."""
    channels = x.shape[-1]
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_squeeze")(x)  # (B, 1, 1, C)
    s = layers.Conv2D(channels // ratio, 1, use_bias=True, name=f"{name}_reduce")(s)
    s = layers.Activation("relu", name=f"{name}_relu")(s)
    s = layers.Conv2D(channels, 1, use_bias=True, name=f"{name}_expand")(s)
    s = layers.Activation("sigmoid", name=f"{name}_gate")(s)
    return layers.Multiply(name=f"{name}_scale")([x, s])


def basic_block(x, filters: int, stride: int, se_ratio: int | None, name: str):
    """He et al. Fig. 2 (left): 3x3 -> BN -> ReLU -> 3x3 -> BN (+ SE) + shortcut -> ReLU."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv(x, filters, 1, stride, f"{name}_proj")
        shortcut = _bn(shortcut, f"{name}_proj_bn")
    y = _conv(x, filters, 3, stride, f"{name}_conv1")
    y = layers.Activation("relu", name=f"{name}_relu1")(_bn(y, f"{name}_bn1"))
    y = _bn(_conv(y, filters, 3, 1, f"{name}_conv2"), f"{name}_bn2")
    if se_ratio:
        y = squeeze_excitation(y, se_ratio, f"{name}_se")
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def bottleneck_block(x, filters: int, stride: int, se_ratio: int | None, name: str, strided_conv: str = "3x3"):
    """He et al. Fig. 5 (right): 1x1 -> 3x3 -> 1x1 (4x filters), each with BN; SE before the addition."""
    out_channels = 4 * filters  # expansion 4 (He et al. Table 1)
    shortcut = x
    if stride != 1 or x.shape[-1] != out_channels:
        shortcut = _bn(_conv(x, out_channels, 1, stride, f"{name}_proj"), f"{name}_proj_bn")
    first_stride, middle_stride = (stride, 1) if strided_conv == "1x1" else (1, stride)
    y = _conv(x, filters, 1, first_stride, f"{name}_conv1")
    y = layers.Activation("relu", name=f"{name}_relu1")(_bn(y, f"{name}_bn1"))
    y = _conv(y, filters, 3, middle_stride, f"{name}_conv2")
    y = layers.Activation("relu", name=f"{name}_relu2")(_bn(y, f"{name}_bn2"))
    y = _bn(_conv(y, out_channels, 1, 1, f"{name}_conv3"), f"{name}_bn3")
    if se_ratio:
        y = squeeze_excitation(y, se_ratio, f"{name}_se")  # Hu et al. Fig. 3: SE on the residual branch
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def build_resnet(*, input_shape: Sequence[int], stage_blocks: Sequence[int], block: str = "basic",
                 se_ratio: int | None = None, include_top: bool = False, num_classes: int | None = None,
                 pooling: str | None = None, strided_conv: str = "3x3", name: str = "resnet",
                 stem_pool: str = "pad") -> keras.Model:
    """A ResNet v1 (He et al. Table 1) as a Keras functional model.

    ``block`` is "basic" (ResNet-18/34) or "bottleneck" (ResNet-50/101/152); ``se_ratio`` adds a
    squeeze-and-excitation block with that reduction to every residual block (Hu et al.).
    Without top the output is the last stage's feature map ``(B, H/32, W/32, C)``, or its
    global average/max (``pooling="avg"|"max"``), like ``keras.applications``. With
    ``include_top`` a global average pooling and a ``Dense(num_classes, softmax)`` follow.
    ``strided_conv`` ("3x3" torchvision, "1x1" Caffe/SENet) places a bottleneck's stride.
    ``stem_pool``: "pad" (torchvision: ``MaxPool2d(3, 2, padding=1)``) or "ceil" (the SENet
    authors' Caffe model and Cadene's port: ``MaxPool2d(3, 2, ceil_mode=True)``, no padding; one
    zero row/column at the bottom/right gives the same windows because the input is post-ReLU, >= 0).
    """
    if block not in ("basic", "bottleneck"):
        raise ValueError(f"block={block!r}: expected 'basic' or 'bottleneck'")
    if strided_conv not in ("1x1", "3x3"):
        raise ValueError(f"strided_conv={strided_conv!r}: expected '1x1' or '3x3'")
    if len(stage_blocks) != len(STAGE_WIDTHS):
        raise ValueError(f"stage_blocks={tuple(stage_blocks)}: expected {len(STAGE_WIDTHS)} stages")
    if include_top and not num_classes:
        raise ValueError(f"include_top=True needs num_classes (got {num_classes!r})")
    if stem_pool not in ("pad", "ceil"):
        raise ValueError(f"stem_pool={stem_pool!r}: expected 'pad' or 'ceil'")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling={pooling!r}: expected None, 'avg' or 'max'")
    if len(input_shape) != 3 or min(input_shape[:2]) < 32:
        raise ValueError(f"input_shape={tuple(input_shape)}: expected (H, W, C) with H, W >= 32")

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    # Stem (He et al. Table 1 "conv1" and the max pool of "conv2_x").
    x = _conv(inputs, 64, 7, 2, "conv1")  # (B, H/2, W/2, 64)
    x = layers.Activation("relu", name="conv1_relu")(_bn(x, "conv1_bn"))
    x = layers.ZeroPadding2D(1 if stem_pool == "pad" else ((0, 1), (0, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)  # (B, H/4, W/4, 64)
    for stage, (blocks, width) in enumerate(zip(stage_blocks, STAGE_WIDTHS), start=2):
        for index in range(blocks):
            stride = 2 if index == 0 and stage > 2 else 1
            block_name = f"conv{stage}_block{index + 1}"
            if block == "basic":
                x = basic_block(x, width, stride, se_ratio, block_name)
            else:
                x = bottleneck_block(x, width, stride, se_ratio, block_name, strided_conv)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return keras.Model(inputs, x, name=name)


def resnet34(*, input_shape: Sequence[int] = (224, 224, 3), include_top: bool = False,
             num_classes: int | None = None, pooling: str | None = None, name: str = "resnet34") -> keras.Model:
    """ResNet-34 (He et al. Table 1): basic blocks [3, 4, 6, 3]; 21,284,672 trainable without top."""
    return build_resnet(input_shape=input_shape, stage_blocks=RESNET34_BLOCKS, block="basic", include_top=include_top,
                        num_classes=num_classes, pooling=pooling, name=name)


def seresnet50(*, input_shape: Sequence[int] = (224, 224, 3), include_top: bool = False,
               num_classes: int | None = None, pooling: str | None = None, name: str = "seresnet50",
               stem_pool: str = "pad") -> keras.Model:
    """SE-ResNet-50 (Hu et al. Table 1, r = 16): 26,039,024 trainable without top, 28,088,024 with 1000 classes."""
    return build_resnet(input_shape=input_shape, stage_blocks=RESNET50_BLOCKS, block="bottleneck",
                        se_ratio=SE_REDUCTION, include_top=include_top, num_classes=num_classes, pooling=pooling,
                        strided_conv="1x1", name=name, stem_pool=stem_pool)


class WeightsError(MersuiteError, ValueError):
    """``model.weights`` names a file that is missing or does not fit the backbone."""


def load_backbone_weights(backbone: keras.Model, path: str, description: str) -> None:
    """Load a user's weights file (e.g. ImageNet, on disk: nothing downloads) into ``backbone``.

    A Keras weights file (``*.weights.h5``, a Keras 2 ``*_notop.h5``) is loaded with
    ``Model.load_weights``; a ``.npz`` is read as a PyTorch state dict and mapped layer by layer
    (:func:`load_torch_state_dict`, for the hand-written ResNets of this module). A missing file
    or one that does not fit is one ``WeightsError`` naming the file and what was expected
    (``description``, e.g. "ResNet-34 without top"); so is a file that holds more than the backbone (the
    weights of a larger network, whose first layers would load and the rest be dropped without a word).
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise WeightsError(f"model.weights={path}: file not found (expected a Keras weights file of "
                           f"{description}, e.g. a *_notop.h5 or .weights.h5, or a PyTorch state dict saved as .npz)")
    if file.suffix.lower() == ".npz":
        try:
            # each array's claimed extent checked before it is allocated; all of them at most four times the
            # backbone's weights and an ImageNet classifier (a deflated member of zeros inflates 1,000-fold)
            state = read_npz(file, limit=4 * _weight_bytes(backbone) + (64 << 20))
        except Exception as exc:  # a corrupt or non-numpy file
            raise WeightsError(f"model.weights={path}: cannot read it as a .npz state dict: {_one_line(exc)}") from None
        left = load_torch_state_dict(backbone, state, source=str(path), description=description)
        # Left over may be BatchNorm's counters and an ImageNet classifier the backbone has no layer for; any other
        # key is a part of another, larger network that this file was saved from: refused, not silently dropped.
        foreign = [k for k in left if k.rsplit(".", 1)[-1] not in COUNTERS and k.split(".", 1)[0] not in TOP_NAMES]
        if foreign:
            raise WeightsError(f"model.weights={path}: {len(foreign)} key(s) that {description} has no layer "
                               f"for, the first {foreign[0]!r}; expected a state dict of this network alone")
        return
    problem = _weights_file_problem(file, backbone)
    if problem:
        raise WeightsError(f"model.weights={path}: {problem}; expected a Keras weights file of {description}")
    # Keras warns of the parts of the model it found nothing for in the file ("Skipping ...": they keep their
    # random initial weights), and of a mismatching file before it raises. A part skipped is a refusal (a backbone
    # half pretrained would train and score as if it were); the warnings of a refused file are not shown, its
    # one line says why; any other warning is passed on.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            backbone.load_weights(str(file))
        except Exception as exc:  # Keras raises several types for a mismatching file
            raise WeightsError(f"model.weights={path}: cannot load it into {description} "
                               f"(input {backbone.input_shape[1:]}): {_one_line(exc)}") from None
    skipped = [str(w.message) for w in caught if "freshly-initialized" in str(w.message)]
    if skipped:
        raise WeightsError(f"model.weights={path}: it does not hold all of {description}: "
                           f"{' '.join(skipped[0].split())[:200]}")
    for w in caught:
        warnings.warn(w.message, stacklevel=2)


def _weight_bytes(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in model.weights)


def _weights_file_problem(file: Path, backbone: keras.Model) -> str:
    """Why a Keras weights file is refused before Keras reads it, or ``""``: what ``common.files.hdf5_problem`` finds
    in its metadata; and, in a Keras 3 ``.weights.h5``, more arrays than the backbone has outside the ``optimizer``
    group (Keras reads the parts the model has and ignores the rest without a word: the file of a larger network
    would load its first layers). A Keras 2 file of another layer count is refused by Keras itself."""
    problem, arrays = hdf5_problem(file, file.stat().st_size)
    if not problem and file.name.lower().endswith(".weights.h5") and arrays > len(backbone.weights):
        problem = (f"it holds {arrays} weight arrays, more than the {len(backbone.weights)} of the backbone: the "
                   "weights of another, larger network")
    return problem


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# ----------------------------------------------------------------------------- PyTorch state dicts
# Written by hand (no maintained converter from PyTorch state dicts to Keras 3 exists; the mapping
# is a table of names and two transposes). Two naming schemes are understood:
# * Cadene's ``pretrainedmodels`` SENet (also timm's ``legacy_seresnet50``), the public PyTorch port
#   of the SENet authors' Caffe models (``se_resnet50-ce0d4300.pth``): ``layer0.conv1``,
#   ``layer0.bn1``, ``layer1.0.conv1`` ... ``layer1.0.se_module.fc1``, ``downsample.0/1``,
#   ``last_linear``. Its bottleneck strides the first 1x1 like ``seresnet50``.
# * torchvision's ResNet (``resnet34-b627a593.pth`` ...): ``conv1``, ``bn1``, ``layer1.0.conv1`` ...,
#   ``fc``.
_BLOCK_LAYER = re.compile(r"^conv(\d)_block(\d+)_(conv\d|bn\d|proj|proj_bn|se_reduce|se_expand)$")
_BLOCK_PART = {"proj": "downsample.0", "proj_bn": "downsample.1", "se_reduce": "se_module.fc1",
               "se_expand": "se_module.fc2"}


def torch_names(layer_name: str) -> tuple[str, ...]:
    """The state-dict prefixes (Cadene's SENet first, then torchvision's ResNet) of one of our layers."""
    if layer_name == "conv1":
        return "layer0.conv1", "conv1"
    if layer_name == "conv1_bn":
        return "layer0.bn1", "bn1"
    if layer_name == "predictions":
        return TOP_NAMES
    match = _BLOCK_LAYER.match(layer_name)
    if not match:
        return ()
    stage, block, part = int(match.group(1)), int(match.group(2)), match.group(3)
    return (f"layer{stage - 1}.{block - 1}.{_BLOCK_PART.get(part, part)}",)


def _torch_arrays(layer, prefix: str, state: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """``layer``'s Keras weights from the state dict entries under ``prefix`` (transposed)."""
    if isinstance(layer, layers.BatchNormalization):  # gamma, beta, moving mean, moving variance
        return [state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
    kernel = np.asarray(state[f"{prefix}.weight"])
    if isinstance(layer, layers.Conv2D):
        kernel = kernel.transpose(2, 3, 1, 0)  # PyTorch (out, in, kh, kw) -> Keras (kh, kw, in, out)
    elif isinstance(layer, layers.Dense):
        kernel = kernel.T  # PyTorch (out, in) -> Keras (in, out)
    arrays = [kernel]
    if getattr(layer, "use_bias", False):
        arrays.append(state[f"{prefix}.bias"])
    return arrays


def load_torch_state_dict(model: keras.Model, state: Mapping[str, np.ndarray], source: str = "state dict",
                          description: str = "the backbone") -> list[str]:
    """Copy a PyTorch ResNet/SE-ResNet state dict (arrays, e.g. ``dict(np.load("x.npz"))``) into a
    model built by :func:`build_resnet` (``seresnet50``, ``resnet34``); return the keys not used.

    Every weighted layer of ``model`` must find its arrays with the same shapes (one
    ``WeightsError`` naming the first that does not); keys left over (``num_batches_tracked``,
    a 1000-way ``last_linear``/``fc`` when ``model`` has no top) are returned, not an error.
    Note: Cadene's SENet stem pools with ``MaxPool2d(3, 2, ceil_mode=True)`` (no padding): build
    the network with ``stem_pool="ceil"`` to compute what the PyTorch model computes; with the
    default "pad" (torchvision) the weights fit as well but the pooling grid is one pixel off.
    """
    state = {str(k): np.asarray(v) for k, v in state.items()}
    used: set[str] = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        prefixes = [p for p in torch_names(layer.name) if f"{p}.weight" in state]
        if not prefixes:
            tried = ", ".join(f"{p}.weight" for p in torch_names(layer.name)) or "no known PyTorch name"
            raise WeightsError(f"model.weights={source}: no entry for layer {layer.name!r} of {description} "
                               f"(looked for {tried}); expected a state dict of Cadene's se_resnet50 "
                               f"(pretrainedmodels) or of a torchvision ResNet")
        try:
            arrays = _torch_arrays(layer, prefixes[0], state)
        except KeyError as exc:
            raise WeightsError(f"model.weights={source}: layer {layer.name!r} of {description} needs {exc}") from None
        expected = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != expected:
            raise WeightsError(f"model.weights={source}: {prefixes[0]} has shapes {[a.shape for a in arrays]} "
                               f"after transposing, layer {layer.name!r} of {description} needs {expected}")
        layer.set_weights(arrays)
        keys = ("weight", "bias", "running_mean", "running_var") if isinstance(layer, layers.BatchNormalization) \
            else ("weight", "bias")[:len(arrays)]
        used.update(f"{prefixes[0]}.{k}" for k in keys)
    return sorted(set(state) - used)


# ---------------------------------------------------------------------------------------------
# MicroExpSTCNN (Reddy et al. 2019, Sec. III-A, Table I), shared by papers.reddy2019 (its own
# model) and papers.talluri2022 (Model-B is this network at Talluri's frame counts): one builder
# here, since no paper imports another. The FuseNets stay in papers.reddy2019.model.

# Keras 2's ``init='normal'`` used by the authors' Dense layers: RandomNormal(0, 0.05).
_CODE_DENSE_INIT = 0.05


def code_dense_initializer(seed: int | None = None) -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(mean=0.0, stddev=_CODE_DENSE_INIT, seed=seed)


def check_3d_input(input_shape: tuple[int, ...], kernel_size: tuple[int, ...], pool_size: int, name: str) -> None:
    """One clear error when a (H, W, T, 1) input is too small for the valid conv and the pooling."""
    if len(input_shape) != 4:
        raise ValueError(f"{name}: input_shape must be (height, width, frames, channels), got {input_shape}")
    for axis, (size, k) in enumerate(zip(input_shape[:3], kernel_size)):
        if (size - k + 1) // pool_size < 1:
            raise ValueError(
                f"{name}: input_shape {input_shape} is too small on axis {axis} for a valid {kernel_size} "
                f"convolution followed by {pool_size}x{pool_size}x{pool_size} max-pooling"
            )


def conv3d_stream(x, prefix: str, filters: int, kernel_size: tuple[int, ...], pool_size: int,
                 dropout: float):
    """One 3D-CNN stream of Sec. III: Conv3D (valid, ReLU) -> MaxPool3D -> Dropout -> Flatten."""
    x = layers.Conv3D(filters, kernel_size, padding="valid", activation="relu", name=f"{prefix}conv3d")(x)
    x = layers.MaxPooling3D(pool_size=pool_size, name=f"{prefix}maxpool3d")(x)  # 'valid': floor
    x = layers.Dropout(dropout, name=f"{prefix}dropout")(x)
    return layers.Flatten(name=f"{prefix}flatten")(x)


def build_microexpstcnn(*, input_shape: tuple[int, int, int, int] = (64, 64, 96, 1), num_classes: int = 3,
                        kernel_size: tuple[int, int, int] = (3, 3, 15), filters: int = 32, pool_size: int = 3,
                        dense_units: int = 128, dropout: float = 0.5,
                        name: str = "microexpstcnn") -> keras.Model:
    """MicroExpSTCNN, Sec. III-A, Table I, Fig. 1.

    Conv3D 32@3x3x15 (valid, ReLU) -> MaxPool3D 3 -> Dropout -> Flatten -> Dense 128 (ReLU) ->
    Dropout -> Dense ``num_classes`` -> softmax. CAS(ME)^2 (64, 64, 96, 1): 44,241,667 trainable
    parameters; SMIC (64, 64, 18, 1): 1,643,267. Dropout 0.5 and the Dense ReLU come from the
    authors' code (the paper gives neither).
    """
    check_3d_input(tuple(input_shape), tuple(kernel_size), pool_size, name)
    inputs = keras.Input(shape=tuple(input_shape), name="input")  # (B, H, W, T, 1): frames last
    x = conv3d_stream(inputs, "", filters, tuple(kernel_size), pool_size, dropout)  # Table I: 345,600
    x = layers.Dense(dense_units, activation="relu", kernel_initializer=code_dense_initializer(), name="dense")(x)
    x = layers.Dropout(dropout, name="dropout_dense")(x)
    x = layers.Dense(num_classes, kernel_initializer=code_dense_initializer(), name="dense_out")(x)
    # DEVIATION: Table I lists "Dropout -> 3" after the last Dense; the text says the final layer
    # gives the class scores, and the authors' code ends in Activation('softmax'). See README.
    outputs = layers.Activation("softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)
