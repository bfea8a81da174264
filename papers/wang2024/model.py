"""HTNet (Wang, Zhang, Luo, Sankaranarayana, Neurocomputing 602, 2024; arXiv 2307.14637): the hierarchical
(nested) transformer the authors trained, as their public ``Model.py`` builds it (``HTNet``) and their
``main_HTNet.py`` calls it (image 28, patch 7, dim 256, heads 3, 3 hierarchies, blocks (2, 2, 10), 3 classes).

Written here in Keras 3 layers (``keras.ops`` only, so the JAX and PyTorch backends run it): no maintained
library has the nested transformer of Zhang et al.'s NesT that HTNet adapts. Layer by layer, channels last:

- patch embedding: the 28x28x3 image cut into 7x7 patches (4x4 of them), each patch's 7*7*3 values in the
  order (row, column, channel), a 1x1 projection to ``dim`` (``patch_embedding``);
- ``levels`` levels; level i (0 first) splits the map into 2^(levels-1-i) x 2^(levels-1-i) blocks of equal
  tokens (one token a block at the paper's size: 4x4 patches in 4x4 blocks, then 2x2 in 2x2, then 1x1), adds
  one learned scalar per token (``TokenPosition``) and runs ``block_repeats[i]`` pre-norm transformer blocks
  within each block: LayerNorm -> multi-head self-attention (heads * 2^i heads of ``dim_i // heads_i``
  channels each, so 255 of 256 channels at the paper's size; q, k, v by one bias-free projection; the heads'
  output projected back with a bias) -> residual; LayerNorm -> 1x1 MLP (4 x width, exact GELU) -> residual;
- between levels, the aggregation: 3x3 convolution ('same') doubling the width, LayerNorm over the channels,
  3x3 max pooling of stride 2 with one pixel of padding on every side (``TorchMaxPool``: PyTorch's
  ``MaxPool2d(3, 2, padding=1)``, which Keras' 'same' pooling does not reproduce: it pads after only);
- head: LayerNorm, the mean over the map, a linear layer to the classes (``logits``), softmax (``output``).

Every LayerNorm normalises over the channels with epsilon 1e-5 and the biased variance (the code's own
``LayerNorm``). ``load_official_weights`` copies a state dict of the official network into this one (the
test fixture, ``tests/test_wang2024.py``). Trainable parameters at the paper's size: 139,582,982 (the official
network built by ``benchmarks/make_wang2024_fixture.py``; the paper prints no count).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import keras
import numpy as np
from keras import layers, ops

from papers.wang2024.config import HTNetConfig, default_config

# The official network at main_HTNet.py's sizes (Model.py HTNet), counted by benchmarks/make_wang2024_fixture.py.
OFFICIAL_TRAINABLE = 139_582_982
LAYER_NORM_EPSILON = 1e-5  # Model.py LayerNorm(eps=1e-5), biased variance
INITIALIZERS = ("pytorch", "glorot_uniform")


@keras.saving.register_keras_serializable(package="wang2024")
class TokenPosition(layers.Layer):
    """One learned scalar per token of a block, added to every channel of that token in every block
    (Model.py ``Transformer.pos_emb``: a vector of the block's sequence length, initialised N(0, 1)).
    Input and output (batch, blocks, tokens, channels)."""

    def __init__(self, tokens: int, **kwargs):
        super().__init__(**kwargs)
        self.tokens = int(tokens)

    def build(self, input_shape):
        self.embedding = self.add_weight(shape=(self.tokens,), initializer=keras.initializers.RandomNormal(0.0, 1.0),
                                         name="embedding")

    def call(self, x):
        return x + ops.cast(ops.reshape(self.embedding, (1, 1, self.tokens, 1)), x.dtype)

    def get_config(self):
        return {**super().get_config(), "tokens": self.tokens}


@keras.saving.register_keras_serializable(package="wang2024")
class BlockAttention(layers.Layer):
    """Multi-head self-attention among the tokens of each block, from the joint q, k, v projection
    (batch, blocks, tokens, 3 * heads * head_dim) to (batch, blocks, tokens, heads * head_dim): per head,
    softmax(q k^T / sqrt(head_dim)) v; q, k and v are the projection's three consecutive thirds, and each
    third's channels are head-major (Model.py ``Attention``: ``chunk(3)``, then ``(h d)``). No weights."""

    def __init__(self, heads: int, head_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.heads, self.head_dim = int(heads), int(head_dim)

    def call(self, qkv):
        inner = self.heads * self.head_dim
        blocks, tokens = qkv.shape[1], qkv.shape[2]

        def heads_first(t):  # (B, n, T, h*d) -> (B, n, h, T, d)
            return ops.transpose(ops.reshape(t, (-1, blocks, tokens, self.heads, self.head_dim)), (0, 1, 3, 2, 4))

        q, k, v = (heads_first(qkv[..., i * inner:(i + 1) * inner]) for i in range(3))
        dots = ops.matmul(q, ops.transpose(k, (0, 1, 2, 4, 3))) * (self.head_dim ** -0.5)
        # One token a block (every level at the paper's size): the softmax over one key is exactly 1, its
        # gradient 0 (q and k never learn there, as in the official network); written as ones so that Keras
        # does not warn about a softmax over an axis of size 1.
        weights = ops.softmax(dots, axis=-1) if tokens > 1 else ops.ones_like(dots)
        out = ops.transpose(ops.matmul(weights, v), (0, 1, 3, 2, 4))
        return ops.reshape(out, (-1, blocks, tokens, inner))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.heads * self.head_dim)

    def get_config(self):
        return {**super().get_config(), "heads": self.heads, "head_dim": self.head_dim}


@keras.saving.register_keras_serializable(package="wang2024")
class TorchMaxPool(layers.Layer):
    """PyTorch's ``MaxPool2d(pool_size, strides, padding)`` on a channels-last map: ``padding`` pixels of
    the lowest float on every side (never the maximum), then a 'valid' pooling. Keras' 'same' pooling pads
    only after, which shifts every window by one pixel here."""

    def __init__(self, pool_size: int = 3, strides: int = 2, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.padding = int(pool_size), int(strides), int(padding)

    def call(self, x):
        p = self.padding
        lowest = float(np.finfo(np.float32).min)
        x = ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=lowest)
        return ops.max_pool(x, self.pool_size, self.strides, padding="valid")

    def compute_output_shape(self, input_shape):
        def side(n):
            return None if n is None else (n + 2 * self.padding - self.pool_size) // self.strides + 1
        return (input_shape[0], side(input_shape[1]), side(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


def _initializers(initializer: str, fan_in: int) -> tuple[keras.initializers.Initializer, ...]:
    """(kernel, bias) initialisers. "pytorch": PyTorch's default of ``nn.Linear`` / ``nn.Conv2d`` (what the
    official network starts from: no initialiser is set in Model.py): kernel and bias uniform in
    +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)). "glorot_uniform": Keras' default, zero biases."""
    if initializer == "pytorch":
        bound = 1.0 / math.sqrt(fan_in)
        return (keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform"),
                keras.initializers.RandomUniform(-bound, bound))
    return keras.initializers.GlorotUniform(), keras.initializers.Zeros()


def _dense(units: int, fan_in: int, initializer: str, name: str, use_bias: bool = True) -> layers.Dense:
    kernel, bias = _initializers(initializer, fan_in)
    return layers.Dense(units, use_bias=use_bias, kernel_initializer=kernel, bias_initializer=bias, name=name)


def _norm(name: str) -> layers.LayerNormalization:
    return layers.LayerNormalization(axis=-1, epsilon=LAYER_NORM_EPSILON, name=name)


def level_shapes(*, image_size: int, patch_size: int, levels: int) -> list[tuple[int, int]]:
    """(blocks per side, tokens per block side) of each level, first level first; ValueError (one line
    naming the field) where the sizes do not divide as the official network needs."""
    if image_size % patch_size:
        raise ValueError(f"model.patch_size={patch_size}: must divide the input size {image_size}")
    side = image_size // patch_size
    if side % 2 ** (levels - 1):
        raise ValueError(f"model.levels={levels}: {image_size // patch_size} patches a side cannot be cut into "
                         f"{2 ** (levels - 1)} blocks a side")
    token_side = side // 2 ** (levels - 1)  # constant across levels (Model.py: "seq_len ... held constant")
    return [(2 ** (levels - 1 - i), token_side) for i in range(levels)]


def build_htnet(*, image_size: int = 28, channels: int = 3, num_classes: int = 3, patch_size: int = 7,
                dim: int = 256, heads: int = 3, levels: int = 3, block_repeats: Sequence[int] = (2, 2, 10),
                mlp_mult: int = 4, initializer: str = "pytorch", name: str = "htnet") -> keras.Model:
    """The official HTNet (Model.py ``HTNet``) at these sizes; the defaults are main_HTNet.py's."""
    if initializer not in INITIALIZERS:
        raise ValueError(f"model.initializer={initializer!r}: expected one of {INITIALIZERS}")
    block_repeats = tuple(int(b) for b in block_repeats)
    if len(block_repeats) != levels:
        raise ValueError(f"model.block_repeats={block_repeats}: one count per level ({levels} levels)")
    if dim < heads:
        raise ValueError(f"model.dim={dim}: at least model.heads={heads} (one channel a head)")
    shapes = level_shapes(image_size=image_size, patch_size=patch_size, levels=levels)
    side = image_size // patch_size
    inputs = keras.Input(shape=(image_size, image_size, channels), name="four_areas")
    # patches: (side, p, side, p, C) -> (side, side, p, p, C) -> one vector a patch in the order (p1 p2 c)
    x = layers.Reshape((side, patch_size, side, patch_size, channels), name="patches")(inputs)
    x = layers.Permute((1, 3, 2, 4, 5), name="patches_grouped")(x)
    x = layers.Reshape((side, side, patch_size * patch_size * channels), name="patch_vectors")(x)
    x = _dense(dim, patch_size * patch_size * channels, initializer, "patch_embedding")(x)
    width = dim
    for i, ((blocks, token_side), repeats) in enumerate(zip(shapes, block_repeats)):
        level_heads, map_side = heads * 2 ** i, blocks * token_side
        head_dim = width // level_heads
        inner = head_dim * level_heads
        tokens = token_side * token_side
        # the map cut into blocks: (b1 h, b2 w, C) -> (b1 b2, h w, C)
        x = layers.Reshape((blocks, token_side, blocks, token_side, width), name=f"level{i}_cut")(x)
        x = layers.Permute((1, 3, 2, 4, 5), name=f"level{i}_blocks")(x)
        x = layers.Reshape((blocks * blocks, tokens, width), name=f"level{i}_tokens")(x)
        x = TokenPosition(tokens, name=f"level{i}_position")(x)
        for j in range(repeats):
            prefix = f"level{i}_block{j}"
            y = _norm(f"{prefix}_attention_norm")(x)
            y = _dense(3 * inner, width, initializer, f"{prefix}_qkv", use_bias=False)(y)
            y = BlockAttention(level_heads, head_dim, name=f"{prefix}_attention")(y)
            y = _dense(width, inner, initializer, f"{prefix}_attention_out")(y)
            x = layers.Add(name=f"{prefix}_attention_residual")([x, y])
            y = _norm(f"{prefix}_mlp_norm")(x)
            y = _dense(width * mlp_mult, width, initializer, f"{prefix}_mlp_in")(y)
            y = layers.Activation("gelu", name=f"{prefix}_gelu")(y)  # keras.activations.gelu: exact (erf)
            y = _dense(width, width * mlp_mult, initializer, f"{prefix}_mlp_out")(y)
            x = layers.Add(name=f"{prefix}_mlp_residual")([x, y])
        # the blocks back into one map: (b1 b2, h w, C) -> (b1 h, b2 w, C)
        x = layers.Reshape((blocks, blocks, token_side, token_side, width), name=f"level{i}_uncut")(x)
        x = layers.Permute((1, 3, 2, 4, 5), name=f"level{i}_map_order")(x)
        x = layers.Reshape((map_side, map_side, width), name=f"level{i}_map")(x)
        if i < levels - 1:  # Model.py Aggregate between levels; the last level has none (nn.Identity)
            kernel, bias = _initializers(initializer, width * 9)
            x = layers.Conv2D(2 * width, 3, padding="same", kernel_initializer=kernel, bias_initializer=bias,
                              name=f"level{i}_aggregate_conv")(x)
            x = _norm(f"level{i}_aggregate_norm")(x)
            x = TorchMaxPool(3, 2, 1, name=f"level{i}_aggregate_pool")(x)
            width *= 2
    x = _norm("head_norm")(x)
    x = layers.GlobalAveragePooling2D(name="head_mean")(x)
    x = _dense(num_classes, width, initializer, "logits")(x)
    outputs = layers.Activation("softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_model(*, config: HTNetConfig, num_classes: int) -> keras.Model:
    """The configured HTNet at ``data.size`` x ``data.size`` x (number of ``data.channels``)."""
    m, d = config.model, config.data
    return build_htnet(image_size=d.size, channels=len(d.channels), num_classes=num_classes,
                       patch_size=m.patch_size, dim=m.dim, heads=m.heads, levels=m.levels,
                       block_repeats=m.block_repeats, mlp_mult=m.mlp_mult, initializer=m.initializer)


def official_names(model: keras.Model) -> dict[str, tuple[str, str]]:
    """Each weight of ``model`` (by its path ``layer/variable``) -> (official state-dict name, how it is laid
    out: "dense" a 1x1 convolution or linear layer, "conv" a 3x3 convolution, "vector" as is). The official
    names are Model.py's module tree: ``to_patch_embedding.1``, ``layers.<level>.0`` (the Transformer:
    ``pos_emb``, ``layers.<block>.0`` the attention's PreNorm, ``layers.<block>.1`` the MLP's), ``layers.<level>.1``
    (Aggregate: ``0`` conv, ``1`` LayerNorm), ``mlp_head.0`` (LayerNorm) and ``mlp_head.2`` (Linear)."""
    names: dict[str, tuple[str, str]] = {}

    def add(layer: str, pairs: Mapping[str, tuple[str, str]]) -> None:
        for variable, official in pairs.items():
            names[f"{layer}/{variable}"] = official

    def linear(prefix: str, bias: bool = True) -> dict[str, tuple[str, str]]:
        pairs = {"kernel": (f"{prefix}.weight", "dense")}
        return {**pairs, "bias": (f"{prefix}.bias", "vector")} if bias else pairs

    def norm(prefix: str) -> dict[str, tuple[str, str]]:
        return {"gamma": (f"{prefix}.g", "vector"), "beta": (f"{prefix}.b", "vector")}

    for layer in model.layers:
        n = layer.name
        if n == "patch_embedding":
            add(n, linear("to_patch_embedding.1"))
        elif n == "head_norm":
            add(n, norm("mlp_head.0"))
        elif n == "logits":
            add(n, linear("mlp_head.2"))
        elif n.startswith("level"):
            level, _, rest = n[len("level"):].partition("_")
            if rest == "position":
                add(n, {"embedding": (f"layers.{level}.0.pos_emb", "vector")})
            elif rest == "aggregate_conv":
                add(n, {"kernel": (f"layers.{level}.1.0.weight", "conv"),
                        "bias": (f"layers.{level}.1.0.bias", "vector")})
            elif rest == "aggregate_norm":
                add(n, norm(f"layers.{level}.1.1"))
            elif rest.startswith("block"):
                block, _, part = rest[len("block"):].partition("_")
                base = f"layers.{level}.0.layers.{block}"
                table = {"attention_norm": norm(f"{base}.0.norm"), "qkv": linear(f"{base}.0.fn.to_qkv", bias=False),
                         "attention_out": linear(f"{base}.0.fn.to_out.0"), "mlp_norm": norm(f"{base}.1.norm"),
                         "mlp_in": linear(f"{base}.1.fn.net.0"), "mlp_out": linear(f"{base}.1.fn.net.3")}
                if part in table:
                    add(n, table[part])
    return names


def _variable_name(weight) -> str:
    return weight.path.split("/")[-1]


def load_official_weights(model: keras.Model, state: Mapping[str, np.ndarray]) -> None:
    """Copy the official network's ``state_dict`` (name -> array, PyTorch layout) into ``model``, built at the
    same sizes: a 1x1 convolution or linear weight (out, in[, 1, 1]) becomes a Dense kernel (in, out); a 3x3
    convolution (out, in, 3, 3) a Conv2D kernel (3, 3, in, out); LayerNorm's (1, C, 1, 1) scale and shift,
    biases and the position scalars are flattened. ValueError naming the tensor where a name is missing, left
    over or of another size."""
    names = official_names(model)
    used = set()
    for layer in model.layers:
        for weight in layer.weights:
            key = f"{layer.name}/{_variable_name(weight)}"
            if key not in names:
                raise ValueError(f"{key}: no official tensor is mapped to this weight")
            official, layout = names[key]
            if official not in state:
                raise ValueError(f"{official}: not in the official state dict")
            value = np.asarray(state[official], dtype=np.float32)
            if layout == "dense":
                value = value.reshape(value.shape[0], value.shape[1]).T
            elif layout == "conv":
                value = value.transpose(2, 3, 1, 0)
            else:
                value = value.reshape(-1)
            if tuple(value.shape) != tuple(weight.shape):
                raise ValueError(f"{official}: shape {tuple(value.shape)} after the layout change, "
                                 f"our {key} is {tuple(weight.shape)}")
            weight.assign(value)
            used.add(official)
    left = sorted(set(state) - used)
    if left:
        raise ValueError(f"{left[0]}: an official tensor with no weight here ({len(left)} left over)")


# The paper's model by name (``Paper.models``; ``common.harness.build_paper_model``): HTNet at main_HTNet.py's
# sizes, 3 classes, 139,582,982 trainable parameters.
MODEL_BUILDERS = {"htnet": functools.partial(build_model, config=default_config(), num_classes=3)}
# tests/test_models.py (PAPER.model_checks): HTNet at width 32 (the paper's: 256; 2.2 M parameters instead of
# 139.6 M), every layer kept. Its last level adds its position scalar to every channel of a token and only
# LayerNorms read it (the blocks' pre-norms, the head's norm), which remove it: no gradient reaches it, in the
# official network too.
MODEL_CHECKS = {"htnet": {"small": functools.partial(build_htnet, dim=32), "dead": ("level2_position/embedding",)}}
