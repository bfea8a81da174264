"""common.backbones: reference parameter counts (docs/methods.md §4) and the SE placement."""
from __future__ import annotations

import re

import numpy as np
import pytest

from common.backbones import build_resnet, resnet34, seresnet50
from common.training import trainable_parameters
from helpers import non_trainable_parameters


def test_resnet34_matches_torchvision_counts():
    backbone = resnet34()
    assert trainable_parameters(backbone) == 21_284_672  # docs/methods.md §4: torchvision resnet34 without fc
    assert non_trainable_parameters(backbone) == 21_301_696 - 21_284_672  # BN moving statistics
    assert backbone.output_shape == (None, 7, 7, 512)
    top = resnet34(include_top=True, num_classes=1000)
    assert trainable_parameters(top) == 21_797_672


def test_seresnet50_matches_hu_et_al_counts():
    backbone = seresnet50()
    assert trainable_parameters(backbone) == 26_039_024  # docs/methods.md §4, no top
    assert backbone.output_shape == (None, 7, 7, 2048)
    top = seresnet50(include_top=True, num_classes=1000)
    assert trainable_parameters(top) == 28_088_024  # Hu et al.: about 28.1 M
    assert trainable_parameters(top) + non_trainable_parameters(top) == 28_141_144


def test_se_block_scales_the_residual_branch_before_the_addition():
    model = build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), block="bottleneck", se_ratio=16,
                         strided_conv="1x1")
    layer_configs = {entry["name"]: entry for entry in model.get_config()["layers"]}
    parents = set(re.findall(r"'keras_history': \['([^']+)'", str(layer_configs["conv3_block1_add"]["inbound_nodes"])))
    assert "conv3_block1_se_scale" in parents  # SE output feeds the addition (Hu et al. Fig. 3)
    assert "conv3_block1_proj_bn" in parents  # with the projection shortcut
    # Caffe-style stride on the first 1x1 convolution of the stage's first block.
    assert model.get_layer("conv3_block1_conv1").strides == (2, 2)
    assert model.get_layer("conv3_block1_conv2").strides == (1, 1)
    # Each SE block adds 2C^2/16 + C/16 + C parameters (docs/methods.md §4), C = 512 in stage 3.
    c = 512
    se_params = sum(model.get_layer(f"conv3_block1_se_{n}").count_params() for n in ("reduce", "expand"))
    assert se_params == 2 * c * c // 16 + c // 16 + c


def test_small_input_forward_pass_and_errors():
    model = build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), include_top=True, num_classes=3)
    out = model.predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="block="):
        build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), block="dense")
    with pytest.raises(ValueError, match="num_classes"):
        build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), include_top=True)


def test_load_backbone_weights_names_the_missing_or_unfitting_file(tmp_path):
    import warnings

    import keras
    import pytest

    from common.backbones import WeightsError, load_backbone_weights

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    missing = tmp_path / "none.weights.h5"
    with pytest.raises(WeightsError, match="none.weights.h5: file not found"):
        load_backbone_weights(model, str(missing), "a tiny net")
    other_inputs = keras.Input((8, 8, 3))
    other = keras.Model(other_inputs, keras.layers.Dense(5)(keras.layers.Flatten()(other_inputs)))
    saved = tmp_path / "other.weights.h5"
    other.save_weights(str(saved))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras's own warnings of the mismatch are not shown: the one line says it
        with pytest.raises(WeightsError, match="cannot load it into a tiny net"):
            load_backbone_weights(model, str(saved), "a tiny net")
    # a file that loads with a part skipped (Keras warns, and that part keeps its random weights) is refused
    model.save_weights(str(tmp_path / "own.weights.h5"))

    def partly(path):
        warnings.warn("Skipping nested container at 'x': no matching group found in the saved file. Affected layers "
                      "will retain their freshly-initialized weights.", UserWarning, stacklevel=2)

    model.load_weights = partly
    with pytest.raises(WeightsError, match="own.weights.h5: it does not hold all of a tiny net: Skipping nested"):
        load_backbone_weights(model, str(tmp_path / "own.weights.h5"), "a tiny net")


def test_load_backbone_weights_refuses_the_file_of_a_larger_network(tmp_path):
    """Keras loads the parts a model has from a .weights.h5 and ignores the rest without a word: the file of a
    larger network is refused; the model's own file, with the optimizer's state beside its weights, loads."""
    import keras

    from common.backbones import WeightsError, load_backbone_weights

    def net(depth):
        inputs = keras.Input((8, 8, 3))
        x = inputs
        for _ in range(depth):
            x = keras.layers.Conv2D(3, 3, padding="same")(x)
        return keras.Model(inputs, x)

    larger = net(2)
    larger.save_weights(str(tmp_path / "larger.weights.h5"))
    model = net(1)
    with pytest.raises(WeightsError, match=r"larger.weights.h5: it holds 4 weight arrays, more than the 2 of the "
                                           r"backbone: the weights of another, larger network; expected a Keras "
                                           r"weights file of a tiny net"):
        load_backbone_weights(model, str(tmp_path / "larger.weights.h5"), "a tiny net")
    before = [w.copy() for w in model.get_weights()]
    trained = net(1)
    trained.compile(optimizer="adam", loss="mse")
    trained.fit(np.ones((2, 8, 8, 3)), np.zeros((2, 8, 8, 3)), verbose=0)
    trained.save_weights(str(tmp_path / "trained.weights.h5"))
    assert all((a == b).all() for a, b in zip(model.get_weights(), before))  # refused before Keras read a part
    load_backbone_weights(model, str(tmp_path / "trained.weights.h5"), "a tiny net")
    for got, want in zip(model.get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(got, want)


def _torch_state_dict(model) -> dict:
    """A PyTorch-layout state dict of ``model`` (the inverse of common.backbones' mapping, written out here):
    Conv2d (out, in, kh, kw), Linear (out, in), BN weight/bias/running_mean/running_var."""
    import keras

    from common.backbones import torch_names

    state = {}
    for layer in model.layers:
        if not layer.weights:
            continue
        prefix = torch_names(layer.name)[0]
        values = [np.asarray(w) for w in layer.get_weights()]
        if isinstance(layer, keras.layers.BatchNormalization):
            for key, value in zip(("weight", "bias", "running_mean", "running_var"), values):
                state[f"{prefix}.{key}"] = value
            state[f"{prefix}.num_batches_tracked"] = np.array(7)
            continue
        kernel = values[0].transpose(3, 2, 0, 1) if values[0].ndim == 4 else values[0].T
        state[f"{prefix}.weight"] = kernel
        if len(values) > 1:
            state[f"{prefix}.bias"] = values[1]
    return state


def _randomise(model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if "variance" in w.path
                       else rng.normal(0, 0.1, w.shape).astype("float32") for w in model.weights])


def test_torch_names_follow_cadene_senet_and_torchvision_resnet():
    from common.backbones import torch_names

    assert torch_names("conv1") == ("layer0.conv1", "conv1")  # Cadene's SENet stem, torchvision's
    assert torch_names("conv1_bn") == ("layer0.bn1", "bn1")
    assert torch_names("conv2_block1_conv1") == ("layer1.0.conv1",)
    assert torch_names("conv5_block3_bn3") == ("layer4.2.bn3",)
    assert torch_names("conv3_block1_proj") == ("layer2.0.downsample.0",)
    assert torch_names("conv3_block1_proj_bn") == ("layer2.0.downsample.1",)
    assert torch_names("conv4_block2_se_reduce") == ("layer3.1.se_module.fc1",)
    assert torch_names("conv4_block2_se_expand") == ("layer3.1.se_module.fc2",)
    assert torch_names("predictions") == ("last_linear", "fc")


def test_se_resnet_loads_a_pytorch_state_dict_from_npz(tmp_path):
    """A small SE-ResNet (one bottleneck per stage, Caffe stride) with random weights is written as a
    PyTorch-layout state dict (.npz, Cadene names, with a 1000-way last_linear the no-top model ignores);
    loading it into a fresh network gives the same outputs, and conv1's kernel is read in PyTorch's layout."""
    from common.backbones import WeightsError, load_backbone_weights

    def small():
        return build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), block="bottleneck", se_ratio=16,
                            strided_conv="1x1", pooling="avg")

    source = small()
    _randomise(source, 0)
    state = _torch_state_dict(source)
    assert state["layer0.conv1.weight"].shape == (64, 3, 7, 7) and "layer1.0.se_module.fc1.bias" in state
    state["last_linear.weight"] = np.zeros((1000, 2048), "float32")  # the top a no-top model leaves unused
    path = tmp_path / "se_small.npz"
    np.savez(path, **state)
    target = small()
    load_backbone_weights(target, str(path), "a small SE-ResNet")
    x = np.random.default_rng(1).normal(size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(target.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    # PyTorch layout, checked by hand on one output of conv1 (7x7, stride 2, padding 3): out[o] at pixel (i, j)
    # = sum over c, u, v of W[o, c, u, v] * x_padded[2i + u, 2j + v, c].
    import keras

    conv1 = keras.Model(target.input, target.get_layer("conv1").output)
    out = conv1.predict(x[:1], verbose=0)[0]
    padded = np.pad(x[0], ((3, 3), (3, 3), (0, 0)))
    weight = state["layer0.conv1.weight"]
    i, j, o = 4, 5, 9
    expected = np.einsum("cuv,uvc->", weight[o], padded[2 * i:2 * i + 7, 2 * j:2 * j + 7])
    assert out[i, j, o] == pytest.approx(expected, rel=1e-4, abs=1e-5)
    # A missing layer and a wrong shape: one line naming the file and the layer.
    broken = {k: v for k, v in state.items() if not k.startswith("layer2.0.se_module.fc1")}
    np.savez(tmp_path / "missing.npz", **broken)
    with pytest.raises(WeightsError, match=r"missing.npz: no entry for layer 'conv3_block1_se_reduce'") as info:
        load_backbone_weights(target, str(tmp_path / "missing.npz"), "a small SE-ResNet")
    assert "\n" not in str(info.value)
    wrong = dict(state, **{"layer0.conv1.weight": np.zeros((64, 3, 3, 3), "float32")})
    np.savez(tmp_path / "wrong.npz", **wrong)
    with pytest.raises(WeightsError, match=r"wrong.npz: layer0.conv1 has shapes"):
        load_backbone_weights(target, str(tmp_path / "wrong.npz"), "a small SE-ResNet")
    # A key that no layer takes (beside BatchNorm's counters and the ImageNet classifier): the state dict of a
    # larger network, refused naming the key.
    np.savez(tmp_path / "larger.npz", **dict(state, **{"layer5.0.conv1.weight": np.zeros((8, 8, 1, 1), "float32")}))
    with pytest.raises(WeightsError, match=r"larger.npz: 1 key\(s\) that a small SE-ResNet has no layer for, "
                                           r"the first 'layer5.0.conv1.weight'"):
        load_backbone_weights(target, str(tmp_path / "larger.npz"), "a small SE-ResNet")


def test_resnet_loads_a_torchvision_state_dict():
    """torchvision names (conv1, bn1, layer1.0.conv1, fc) map into a basic-block ResNet with its top."""
    from common.backbones import load_torch_state_dict

    def small():
        return build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), block="basic", include_top=True,
                            num_classes=5)

    source = small()
    _randomise(source, 2)
    state = {k.replace("layer0.", "").replace("last_linear", "fc"): v for k, v in _torch_state_dict(source).items()}
    assert "conv1.weight" in state and "fc.weight" in state and state["fc.weight"].shape == (5, 512)
    target = small()
    left = load_torch_state_dict(target, state)
    assert left == sorted(k for k in state if k.endswith("num_batches_tracked"))
    x = np.random.default_rng(3).normal(size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(target.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_ceil_mode_stem_pool_matches_pytorch_ceil_mode():
    """stem_pool="ceil" = PyTorch MaxPool2d(3, 2, ceil_mode=True) without padding (Cadene's SENet stem): windows
    start at 0, 2, ... and the last one is cut at the border; "pad" (torchvision, padding 1) starts at -1."""
    import keras

    model = build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), block="basic", stem_pool="ceil")
    probe = keras.Model(model.input, [model.get_layer("conv1_relu").output, model.get_layer("pool1").output])
    relu, pooled = probe.predict(np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype("float32"), verbose=0)
    relu, pooled = relu[0], pooled[0]  # (16, 16, 64) -> (8, 8, 64): ceil((16 - 3) / 2) + 1 = 8
    assert pooled.shape == (8, 8, 64)
    expected = np.array([[relu[2 * i:2 * i + 3, 2 * j:2 * j + 3].max(axis=(0, 1)) for j in range(8)] for i in range(8)])
    np.testing.assert_allclose(pooled, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="stem_pool="):
        build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), stem_pool="floor")


def test_a_state_dict_whose_header_claims_more_than_it_holds_is_refused_before_allocating(tmp_path):
    """numpy.load allocates what an .npz member's header claims before reading it (a 400 GB claim in a file of
    a few bytes): the state dict is read by common.files.read_npz, which checks the claim against the member."""
    import io
    import zipfile

    from numpy.lib import format as npy

    from common.backbones import WeightsError, load_backbone_weights

    header = io.BytesIO()
    npy.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**11,)})
    with zipfile.ZipFile(tmp_path / "claims.npz", "w") as archive:
        archive.writestr("conv1.weight.npy", header.getvalue() + bytes(16))
    model = build_resnet(input_shape=(32, 32, 3), stage_blocks=(1, 1, 1, 1), block="basic")
    with pytest.raises(WeightsError, match=r"claims.npz: cannot read it as a .npz state dict: member "
                                           r"'conv1.weight.npy': its header claims shape \(100000000000,\)"):
        load_backbone_weights(model, str(tmp_path / "claims.npz"), "a small ResNet")


def test_a_keras_weights_file_is_surveyed_before_keras_reads_an_array(tmp_path):
    """Keras reads an array whole before it compares its shape with the layer's: a file of a few kB whose compressed
    array claims 2 GB, a link to another object or file, a file that is not HDF5 are each refused from the file's
    metadata (common.files.hdf5_problem), in one line, before Keras reads anything."""
    import resource

    import h5py
    import keras

    from common.backbones import WeightsError, load_backbone_weights

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with h5py.File(tmp_path / "claims.weights.h5", "w") as handle:
        group = handle.create_group("layers/conv2d/vars")
        group.create_dataset("0", shape=(500_000_000,), dtype="f4", chunks=(1_000_000,), compression="gzip")
        group.create_dataset("1", shape=(2,), dtype="f4")
    assert (tmp_path / "claims.weights.h5").stat().st_size < 100_000
    with pytest.raises(WeightsError, match=r"claims.weights.h5: its arrays claim more than its own \d+ bytes "
                                           r"\(compressed or unwritten arrays"):
        load_backbone_weights(model, str(tmp_path / "claims.weights.h5"), "a tiny net")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 500_000  # kB: nothing near 2 GB allocated
    model.save_weights(str(tmp_path / "own.weights.h5"))
    with h5py.File(tmp_path / "own.weights.h5", "a") as handle:
        handle["layers/conv2d/vars/extra"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/data")
    with pytest.raises(WeightsError, match=r"own.weights.h5: 'layers/conv2d/vars/extra' is a link \(ExternalLink"):
        load_backbone_weights(model, str(tmp_path / "own.weights.h5"), "a tiny net")
    # an array whose data h5py would read from another file: external raw storage, or a virtual dataset
    (tmp_path / "secret.bin").write_bytes(bytes(range(64)))
    model.save_weights(str(tmp_path / "external.weights.h5"))
    with h5py.File(tmp_path / "external.weights.h5", "a") as handle:
        del handle["layers/conv2d/vars/1"]
        handle.create_dataset("layers/conv2d/vars/1", shape=(2,), dtype="f4",
                              external=[(str(tmp_path / "secret.bin"), 0, 8)])
    with pytest.raises(WeightsError, match=r"external.weights.h5: 'layers/conv2d/vars/1' keeps its data in other files "
                                           r"\(external storage"):
        load_backbone_weights(model, str(tmp_path / "external.weights.h5"), "a tiny net")
    model.save_weights(str(tmp_path / "virtual.weights.h5"))
    with h5py.File(tmp_path / "virtual.weights.h5", "a") as handle:
        del handle["layers/conv2d/vars/1"]
        layout = h5py.VirtualLayout(shape=(2,), dtype="f4")
        layout[:] = h5py.VirtualSource(str(tmp_path / "own.weights.h5"), "layers/conv2d/vars/1", shape=(2,))
        handle.create_virtual_dataset("layers/conv2d/vars/1", layout)
    with pytest.raises(WeightsError, match=r"virtual.weights.h5: 'layers/conv2d/vars/1' keeps its data in other files "
                                           r"\(a virtual dataset"):
        load_backbone_weights(model, str(tmp_path / "virtual.weights.h5"), "a tiny net")
    (tmp_path / "text.weights.h5").write_text("not weights")
    with pytest.raises(WeightsError, match=r"text.weights.h5: it is not an HDF5 file that can be read \(.*signature"):
        load_backbone_weights(model, str(tmp_path / "text.weights.h5"), "a tiny net")


def test_a_state_dict_that_inflates_beyond_what_a_backbone_can_hold_is_refused_before_it_is_read(tmp_path):
    """A deflated array of zeros inflates a thousand-fold: an .npz is read no further than four times the backbone's
    weights and an ImageNet classifier (64 MiB) together, checked on the archive's directory first."""
    import keras

    from common.backbones import WeightsError, load_backbone_weights

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    np.savez_compressed(tmp_path / "zeros.npz", **{"conv1.weight": np.zeros(20_000_000, "float32")})
    assert (tmp_path / "zeros.npz").stat().st_size < 1_000_000
    with pytest.raises(WeightsError, match=r"zeros.npz: cannot read it as a .npz state dict: its members inflate to "
                                           r"80000128 bytes, more than the \d+ expected"):
        load_backbone_weights(model, str(tmp_path / "zeros.npz"), "a tiny net")


def test_a_weights_file_of_a_million_attributes_is_refused_at_the_bound_not_walked_whole(tmp_path, monkeypatch):
    """Attributes count as objects: a group holding more than HDF5_OBJECTS of them (made small here) is refused,
    the walk stopped at the bound."""
    import h5py
    import keras

    from common import files
    from common.backbones import WeightsError, load_backbone_weights

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    model.save_weights(str(tmp_path / "own.weights.h5"))
    with h5py.File(tmp_path / "own.weights.h5", "a") as handle:
        for i in range(50):
            handle.attrs[f"a{i}"] = i
    monkeypatch.setattr(files, "HDF5_OBJECTS", 40)
    with pytest.raises(WeightsError, match=r"own.weights.h5: it holds more than 40 groups, arrays and attributes"):
        load_backbone_weights(model, str(tmp_path / "own.weights.h5"), "a tiny net")
    monkeypatch.setattr(files, "HDF5_OBJECTS", 100_000)
    load_backbone_weights(model, str(tmp_path / "own.weights.h5"), "a tiny net")
