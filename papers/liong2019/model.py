"""STSTNet (Liong, Gan, See, Khor, Huang, FG 2019): the network the authors trained (``STSTNet.mat``,
the MATLAB layer graph their ``main.m`` loads and trains), Table I's layers plus what the text omits.

One 28x28x3 input (horizontal flow u, vertical flow v, optical strain) centred on the training set's
mean image (``STSTNet.mat`` imageinput: Normalization 'zerocenter'); three parallel streams, each a 3x3
convolution ('same', 3 / 5 / 8 kernels) -> ReLU -> batch normalisation (epsilon 1e-5) -> 3x3 max pooling
of stride 3 ('same', 28 -> 10) -> dropout 0.5; the three outputs concatenated (10x10x16), a 2x2 average
pooling (5x5x16 = 400), one fully connected softmax layer of 3. Trainable parameters: 1,683 (Table I's
1,651 plus 2 x 16 batch-normalisation scales and offsets); the paper prints 1,670 (Sec. IV, Table V:
0.00167 M), which neither reading gives (README ledger 1). The text reading (Table I alone: no
centring, no batch normalisation, no dropout, 1,651) is ``config.TEXT_READING``. The streams are computed as
one layer of each kind, their channels side by side (``streams="one_layer"``, the same function; README).
"""
from __future__ import annotations

import functools
import weakref

import keras
import numpy as np
from keras import layers

from common.batch_norm import FusedBatchNormalization
from common.state_dicts import COUNTERS
from common.training import predict_on_batches
from papers.liong2019.config import STSTNetConfig, default_config

# Table I derived: convolutions 3x3x3 x (3 + 5 + 8) + 16 biases = 448; FC 400 x 3 + 3 = 1,203.
TABLE1_TRAINABLE = 1_651
# STSTNet.mat / main.m: Table I's 1,651 + batchnorm_1 / batchnorm_2_1 / batchnorm_2_2 Scale and Offset (2 x 16).
AUTHORS_TRAINABLE = 1_683
# The authors' PyTorch port (main.py): the same layers without the centring, padding 2 on each convolution
# (30x30 maps), so the same 1,683 trainable parameters (its batch normalisations' running statistics aside).
AUTHORS_PORT_TRAINABLE = 1_683
PORT_FILTERS = (3, 5, 8)  # main.py: conv1, conv2, conv3 (out channels), the streams of Table I
PRINTED_TRAINABLE = 1_670  # Sec. IV "1670 of weights and biases"; Table V "0.00167" million
BATCH_NORM_EPSILON = 1e-5  # STSTNet.mat: every batchnorm layer's Epsilon (MATLAB's default; Keras' is 1e-3)


INITIALIZERS = ("matlab_r2018b", "glorot_uniform", "pytorch")
PADDINGS = ("matlab", "port", "matlab_zero_pool")
STREAMS = ("one_layer", "three_layers")
BATCH_NORM_KERNELS = ("fused", "keras")


@keras.saving.register_keras_serializable(package="mersuite_liong2019")
class EdgePadding2D(layers.Layer):
    """Pads height and width by ``pad`` on each side with -inf: in front of a max pooling it is PyTorch's
    padding of max pooling (the port's ``MaxPool2d(3, stride=3, padding=1)``, main.py), which Keras'
    MaxPooling2D does not offer. (The name is its first form, a copy of the edge values: the same maxima and
    the same gradients, byte for byte, but its gradient cost about a third of a port training step on an
    AVX2 CPU, docs/performance.md.)"""

    def __init__(self, pad: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, inputs):
        p = self.pad
        return keras.ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], constant_values=float("-inf"))

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return n, None if h is None else h + 2 * self.pad, None if w is None else w + 2 * self.pad, c

    def get_config(self) -> dict:
        return {**super().get_config(), "pad": self.pad}


def _initializers(initializer: str, fan_in: int):
    """(kernel, bias) initialisers: "matlab_r2018b" normal 0.01 and zeros; "glorot_uniform" and zeros;
    "pytorch" PyTorch's reset_parameters (kaiming_uniform, a = sqrt 5: uniform +-1/sqrt(fan_in), the bias the
    same bound)."""
    if initializer == "matlab_r2018b":
        return keras.initializers.RandomNormal(mean=0.0, stddev=0.01), "zeros"
    if initializer == "pytorch":
        bound = 1.0 / float(np.sqrt(fan_in))
        return (keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform"),
                keras.initializers.RandomUniform(-bound, bound))
    return "glorot_uniform", "zeros"


def build_ststnet(*, input_shape: tuple[int, int, int] = (28, 28, 3), num_classes: int = 3,
                  filters: tuple[int, ...] = (3, 5, 8), kernel_size: int = 3, pool_size: int = 3,
                  average_pool: int = 2, zero_center: bool = True, mean_image: np.ndarray | None = None,
                  batch_norm: bool = True, dropout: float = 0.5, batch_norm_weight_decay: float = 0.0,
                  initializer: str = "matlab_r2018b", padding: str = "matlab", batch_norm_momentum: float = 0.99,
                  streams: str = "one_layer", batch_norm_kernel: str = "fused", name: str = "ststnet") -> keras.Model:
    """The authors' STSTNet (``STSTNet.mat``); ``zero_center=False, batch_norm=False, dropout=0`` is Table I.

    ``zero_center``: a ``Normalization`` layer ("zerocenter") subtracts ``mean_image`` (the fold's
    training mean image, ``input_shape``; zeros when None, a model not yet fitted to data) with variance
    1, MATLAB's 'zerocenter'. The mean is a constant of the layer's config, so a saved ``.keras`` carries
    it and reloads with built-in layers only. ReLU after each convolution (Table I lists no activation;
    STSTNet.mat relu_1 / relu_2_1 / relu_2_2). ``batch_norm_weight_decay``: the L2 coefficient on the
    batch-normalisation scales and offsets (MATLAB's L2Regularization reaches them: their L2Factor is 1
    in STSTNet.mat), ``weight_decay / 2 * ||w||^2`` as ``common.training.add_weight_decay`` puts it on
    the kernels. ``initializer``: the kernels' initial weights, "matlab_r2018b" (normal, mean 0, standard
    deviation 0.01, biases 0: the default of MATLAB's convolution2dLayer and fullyConnectedLayer before
    R2019a made Glorot the default; main.m names R2018b and STSTNet.mat's layers carry no initialiser
    property), "glorot_uniform" (Keras' default, MATLAB's from R2019a: uniform of variance 2 / (fan in + fan
    out), each stream's kernels with their own fan out also when the streams are one layer) or "pytorch" (the
    port's). ``padding``: "matlab" ('same' convolutions and max pooling, STSTNet.mat; the pooling's padded cells
    are never a maximum), "matlab_zero_pool" (the same, the pooling's padded cells holding 0) or "port" (the
    PyTorch port, main.py: each convolution pads 2, 28 -> 30, the max pooling pads 1 with -inf,
    :class:`EdgePadding2D`). ``batch_norm_momentum``: the moving
    averages' (the port's PyTorch momentum 0.1 is 0.9). ``streams``: "one_layer" (the three streams' kernels
    side by side in one convolution ``c1``, then ``bn1``, ``p1``, ``dropout1``: the same function, twice as
    fast) or "three_layers" (STSTNet.mat's layer graph, ``c1_1`` ... ``dropout1_3`` and ``concatenate``).
    ``batch_norm_kernel``: "fused" (:class:`common.batch_norm.FusedBatchNormalization`, TensorFlow's fused
    kernel for a float32 training step, the same function) or "keras" (``keras.layers.BatchNormalization``).
    """
    for option, value, choices in (("initializer", initializer, INITIALIZERS), ("padding", padding, PADDINGS),
                                   ("streams", streams, STREAMS), ("batch_norm_kernel", batch_norm_kernel,
                                                                   BATCH_NORM_KERNELS)):
        if value not in choices:
            raise ValueError(f"{option}={value!r}: expected one of {choices}")
    port, zero_pool = padding == "port", padding == "matlab_zero_pool"
    norm_layer = FusedBatchNormalization if batch_norm_kernel == "fused" else layers.BatchNormalization
    inputs = keras.Input(shape=tuple(input_shape), name="flow_u_v_strain")
    x = inputs
    if zero_center:
        mean = np.zeros(input_shape, np.float32) if mean_image is None else np.asarray(mean_image, np.float32)
        if mean.shape != tuple(input_shape):
            raise ValueError(f"mean_image: shape {mean.shape}, expected the input's {tuple(input_shape)}")
        x = layers.Normalization(axis=(1, 2, 3), mean=mean, variance=np.ones_like(mean), name="zerocenter")(x)
    regularizer = keras.regularizers.L2(batch_norm_weight_decay / 2) if batch_norm_weight_decay > 0 else None
    # The port's padding 2 of every convolution: one layer shared by the three streams (no weights).
    x_padded = layers.ZeroPadding2D(2, name="conv_padding")(x) if port else x

    def stream(tensor, count: int, suffix: str):
        """conv -> ReLU -> batchnorm -> [pool padding] -> max pooling -> dropout (STSTNet.mat's order)."""
        # Initialisers made per layer: one instance shared by layers draws the same numbers for each (Keras 3
        # seeds an unseeded initialiser once), where MATLAB and PyTorch draw every layer anew.
        conv_kernel, conv_bias = _initializers(initializer, input_shape[-1] * kernel_size * kernel_size)
        tensor = layers.Conv2D(count, kernel_size, padding="valid" if port else "same", activation="relu",
                               kernel_initializer=conv_kernel, bias_initializer=conv_bias, name=f"c1{suffix}")(tensor)
        if batch_norm:  # after the ReLU (STSTNet.mat: relu -> batchnorm)
            tensor = norm_layer(epsilon=BATCH_NORM_EPSILON, momentum=batch_norm_momentum, gamma_regularizer=regularizer,
                                beta_regularizer=regularizer, name=f"bn1{suffix}")(tensor)
        if port:
            tensor = EdgePadding2D(1, name=f"pool_padding{suffix}")(tensor)
        elif zero_pool:  # 'same' pooling's padding, written out with zeros in front of a 'valid' pooling
            tensor = layers.ZeroPadding2D(same_padding(input_shape[:2], pool_size),
                                          name=f"pool_padding{suffix}")(tensor)
        tensor = layers.MaxPooling2D(pool_size, strides=pool_size, padding="same" if padding == "matlab" else "valid",
                                     name=f"p1{suffix}")(tensor)
        if dropout > 0:  # after the max pooling (STSTNet.mat: maxpool -> dropout)
            tensor = layers.Dropout(dropout, name=f"dropout1{suffix}")(tensor)
        return tensor

    if streams == "one_layer":
        # The three streams as one: each reads the same input with its own 3x3 kernels, and every layer after
        # the convolution (ReLU, batch normalisation, max pooling, dropout) works channel by channel, so one
        # convolution of the 3 + 5 + 8 kernels side by side followed by one of each layer is the same function,
        # channels in depthcat's order 3, 5, 8 (tests/test_liong2019.py holds it to "three_layers" with the same
        # weights). Twice as fast a training step on a CPU (docs/performance.md): one kernel call instead of
        # three small ones, and the per-stream copies of concatenation gone. What differs is only which random
        # numbers are drawn: one dropout mask and one initial kernel draw for the 16 channels.
        x = stream(x_padded, sum(filters), "")
    else:
        # STSTNet.mat's layer graph: conv_1 (3 kernels), conv_2_1 (5), conv_2_2 (8), joined by depthcat_1
        # (conv_1's, conv_2_1's) then depthcat_2 (that, conv_2_2's): channels in the order 3, 5, 8.
        x = layers.Concatenate(name="concatenate")(
            [stream(x_padded, count, f"_{index}") for index, count in enumerate(filters, start=1)])
    x = layers.AveragePooling2D(average_pool, strides=average_pool, padding="valid", name="p2")(x)
    x = layers.Flatten(name="fc_input")(x)  # Table I: FC 400 x 1
    dense_kernel, dense_bias = _initializers(initializer, int(np.prod(x.shape[1:])))
    outputs = layers.Dense(num_classes, activation="softmax", kernel_initializer=dense_kernel,
                           bias_initializer=dense_bias, name="output")(x)
    model = keras.Model(inputs, outputs, name=name)
    if streams == "one_layer" and initializer == "glorot_uniform":
        # Glorot's bound depends on the fan out, a stream's own kernel count (MATLAB R2019a's 'glorot' of each
        # convolution2dLayer; "three_layers" draws it so): each stream's slice of ``c1`` drawn anew with it.
        conv = model.get_layer("c1")
        height, width, channels, _ = (int(d) for d in conv.kernel.shape)
        conv.kernel.assign(keras.ops.concatenate(
            [keras.initializers.GlorotUniform()((height, width, channels, count)) for count in filters], axis=-1))
    return model


def same_padding(size: tuple[int, int], pool_size: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The rows and columns a 'same' pooling of ``pool_size`` with stride ``pool_size`` pads a ``size`` map
    with, before and after ((top, bottom), (left, right)): to ceil(size / stride) windows, the odd cell after,
    as TensorFlow and MATLAB place it."""
    def pads(n: int) -> tuple[int, int]:
        total = max((-(-n // pool_size) - 1) * pool_size + pool_size - n, 0)
        return total // 2, total - total // 2

    return pads(int(size[0])), pads(int(size[1]))


def build_model(*, config: STSTNetConfig, num_classes: int, mean_image: np.ndarray | None = None) -> keras.Model:
    """The configured STSTNet at ``data.size`` x ``data.size`` x 3; ``mean_image``: the fold's training
    mean image (``model.zero_center``; None before any data, e.g. ``--architectures``, ``--estimate``)."""
    m, size = config.model, config.data.size
    return build_ststnet(input_shape=(size, size, 3), num_classes=num_classes, filters=m.filters,
                         kernel_size=m.kernel_size, pool_size=m.pool_size, average_pool=m.average_pool,
                         zero_center=m.zero_center, mean_image=mean_image, batch_norm=m.batch_norm,
                         dropout=m.dropout, batch_norm_weight_decay=config.train.weight_decay,
                         initializer=m.initializer, padding=m.padding, batch_norm_momentum=m.batch_norm_momentum,
                         streams=m.streams, batch_norm_kernel=m.batch_norm_kernel)


def training_mean_image(x_train: np.ndarray) -> np.ndarray:
    """MATLAB's 'zerocenter' statistic: the mean over the training images, pixel by pixel and channel
    by channel (STSTNet.mat imageinput: IsAverageImageMeanPerChannel false), float32."""
    return np.asarray(x_train, dtype=np.float64).mean(axis=0).astype(np.float32)


_PROBES: weakref.WeakKeyDictionary[keras.Model, keras.Model] = weakref.WeakKeyDictionary()


def set_population_statistics(model: keras.Model, x_train: np.ndarray, batch_size: int = 256) -> None:
    """Set every batch normalisation's moving mean and variance to the mean and (biased) variance of its
    input over all of ``x_train``, every pixel of every clip: what MATLAB's ``trainNetwork`` (R2018b, the
    authors' ``main.m``) stores as TrainedMean / TrainedVariance once training ends, the statistics its
    ``classify`` uses. The layers before a batch normalisation (centring, convolution, ReLU) have no
    training-time behaviour, so one inference pass gives its inputs. Written here: Keras' layer keeps
    only moving averages (momentum 0.99)."""
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    if not norms:
        return
    # One probe a model, kept: the per-epoch gauge calls this every epoch, and a new probe (a new traced
    # function) each time cost 0.26 s a fold-epoch, ten times STSTNet's training epoch. ``predict_on_batches``
    # runs ``predict``'s traced step on ``predict``'s batches, without its data pipeline: the same numbers.
    probe = _PROBES.get(model)
    if probe is None:
        probe = _PROBES[model] = keras.Model(model.inputs, [layer.input for layer in norms])
    activations = predict_on_batches(probe, np.asarray(x_train), batch_size)
    for layer, values in zip(norms, activations if len(norms) > 1 else [activations]):
        # In float64, every pixel of every clip a row: the mean as a matrix product and the variance as the
        # mean square deviation (``np.var``'s numbers in float32, four times faster on few channels).
        rows = np.asarray(values, dtype=np.float64).reshape(-1, values.shape[-1])
        mean = np.ones(len(rows)) @ rows / len(rows)
        deviation = rows - mean
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign((np.einsum("ij,ij->j", deviation, deviation) / len(rows)).astype(np.float32))


# The paper's model by name, a zero-argument builder (``Paper.models``; ``common.harness.build_paper_model``
# builds one): STSTNet at the paper's 28x28x3 input, 3 classes, as the authors trained it: 1,683 trainable
# parameters (STSTNet.mat; Table I alone: 1,651).
MODEL_BUILDERS = {"ststnet": functools.partial(build_model, config=default_config(), num_classes=3)}


def load_port_state_dict(model: keras.Model, state: dict[str, np.ndarray], source: str = "state dict") -> None:
    """Copy a state dict of the authors' PyTorch port (main.py's ``STSTNet``: ``conv1..3``, ``bn1..3`` with
    running statistics, ``fc``) into ``model`` (``padding="port"``, batch normalisation, no centring). Kernels
    go from PyTorch's (out, in, h, w) to Keras' (h, w, in, out); the FC's input from PyTorch's flattening
    (channel, row, column) to Keras' (row, column, channel). A ``ValueError`` naming ``source`` and the first
    key that is missing, of another shape or not the port's (a state dict of another network)."""
    expected = {f"conv{i}.weight" for i in (1, 2, 3)} | {f"conv{i}.bias" for i in (1, 2, 3)} | {"fc.weight", "fc.bias"}
    expected |= {f"bn{i}.{k}" for i in (1, 2, 3) for k in ("weight", "bias", "running_mean", "running_var")}
    missing = sorted(expected - set(state))
    if missing:
        raise ValueError(f"{source}: no {missing[0]} ({len(missing)} key(s) missing); expected the state dict of "
                         "STSTNet's PyTorch port (conv1..3, bn1..3, fc)")
    # Beside them only BatchNorm's counters (PyTorch saves one a BatchNorm); a key more is a part of another,
    # larger network (torch's load_state_dict refuses it too, strict by default).
    extra = sorted(set(state) - expected - {f"bn{i}.{c}" for i in (1, 2, 3) for c in COUNTERS})
    if extra:
        raise ValueError(f"{source}: {extra[0]!r} is not a part of STSTNet's PyTorch port ({len(extra)} key(s) more "
                         "than conv1..3, bn1..3, fc); expected the state dict of that network alone")
    # A NaN or an infinity in a weight makes every prediction NaN: refused as such before any prediction, not
    # reported afterwards as a fold that diverged (nothing is trained with --weights).
    for key in sorted(expected):
        values = np.asarray(state[key], dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"{source}: {key} holds {int(np.isnan(values).sum())} NaN and "
                             f"{int(np.isinf(values).sum())} infinite value(s); expected finite weights")

    def check(array: np.ndarray, shape: tuple[int, ...], key: str) -> None:
        if tuple(array.shape) != tuple(shape):
            raise ValueError(f"{source}: {key} has shape {tuple(array.shape)}, the port's network needs "
                             f"{tuple(shape)}; expected the state dict of STSTNet's PyTorch port")

    def put(weights, arrays: list[np.ndarray], key: str) -> None:
        for variable, array in zip(weights, arrays):
            check(array, tuple(variable.shape), key)
            variable.assign(np.asarray(array, dtype=np.float32))

    conv_arrays = [[np.transpose(state[f"conv{i}.weight"], (2, 3, 1, 0)), state[f"conv{i}.bias"]] for i in (1, 2, 3)]
    norm_arrays = [[state[f"bn{i}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")] for i in (1, 2, 3)]
    names = {layer.name for layer in model.layers}
    if "c1" in names:  # streams "one_layer": the three streams' kernels and statistics side by side (3, 5, 8)
        norm = model.get_layer("bn1")
        for i, (count, (kernel, _)) in enumerate(zip(PORT_FILTERS, conv_arrays), start=1):  # each key by name
            check(kernel, (*model.get_layer("c1").kernel.shape[:3], count), f"conv{i}")
        put(model.get_layer("c1").weights, [np.concatenate([a[k] for a in conv_arrays], axis=-1) for k in (0, 1)],
            "conv1..3")
        put([norm.gamma, norm.beta, norm.moving_mean, norm.moving_variance],
            [np.concatenate([a[k] for a in norm_arrays]) for k in range(4)], "bn1..3")
    else:
        for i in (1, 2, 3):
            norm = model.get_layer(f"bn1_{i}")
            put(model.get_layer(f"c1_{i}").weights, conv_arrays[i - 1], f"conv{i}")
            put([norm.gamma, norm.beta, norm.moving_mean, norm.moving_variance], norm_arrays[i - 1], f"bn{i}")
    dense = model.get_layer("output")
    fc = np.asarray(state["fc.weight"])
    rows, cols, channels = (int(d) for d in model.get_layer("p2").output.shape[1:])
    if fc.shape[1:] != (rows * cols * channels,):
        raise ValueError(f"{source}: fc.weight has shape {fc.shape}, the port's network needs "
                         f"(classes, {rows * cols * channels}); expected the state dict of STSTNet's PyTorch port")
    kernel = fc.reshape(fc.shape[0], channels, rows, cols).transpose(2, 3, 1, 0).reshape(-1, fc.shape[0])
    put(dense.weights, [kernel, state["fc.bias"]], "fc")
