"""The PyTorch state-dict reader (``common.state_dicts``): the arrays of both ``torch.save`` formats back, and
crafted files refused in one line naming the file (and the tensor), never running the code their pickles name,
never reading past their own bytes. Files written without PyTorch (tests/torch_files.py)."""
from __future__ import annotations

import collections
import pickle
import sys

import numpy as np
import pytest

import run_all
from common.state_dicts import StateDictError, read_state_dict
from torch_files import INFO, RunsCode, legacy_file, state_pickle, write_legacy_state_dict, zip_file

STATE = {"a.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 4), "a.bias": np.array([1.5, -2.0], np.float32),
         "b": np.arange(6, dtype=np.float32).reshape(2, 3).T,  # a transposed view: strides other than C order
         "bn.num_batches_tracked": np.array(7, dtype=np.int64)}  # a scalar of a LongStorage, as BatchNorm2d saves
WRITERS = {"legacy": legacy_file, "zip": zip_file}


def _refused(path, *expected: str) -> str:
    with pytest.raises(StateDictError) as caught:
        read_state_dict(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message, message
    for text in expected:
        assert text in message, message
    return message


@pytest.mark.parametrize("kind", WRITERS)
def test_both_formats_give_the_arrays_back_without_pytorch(tmp_path, kind):
    path = WRITERS[kind](tmp_path / "w.pth", STATE)
    got = read_state_dict(path)
    assert "torch" not in sys.modules  # the reader needs no PyTorch
    assert list(got) == list(STATE)
    for key, array in STATE.items():
        assert got[key].dtype == array.dtype
        np.testing.assert_array_equal(got[key], array)


def _runs_code_in(position: str, tmp_path, marker):
    """A file whose pickle at ``position`` runs ``touch marker`` when a plain unpickler reads it."""
    evil = RunsCode(marker)
    state = {"w": np.ones(3, np.float32)}
    path = tmp_path / f"{position}.pth"
    record = ("storage", evil, "0", "cpu", 3)
    return {
        "legacy magic number": lambda: legacy_file(path, state, magic=evil),
        "legacy protocol": lambda: legacy_file(path, state, protocol=evil),
        "legacy system information": lambda: legacy_file(path, state, info={**INFO, "type_sizes": evil}),
        "legacy state dict": lambda: legacy_file(path, state, pickled=pickle.dumps(
            collections.OrderedDict(w=evil), protocol=2)),
        "legacy storage record": lambda: legacy_file(path, state, pickled=state_pickle(state, record=record)),
        "legacy storage keys": lambda: legacy_file(path, state, keys=[evil]),
        "zip data.pkl": lambda: zip_file(path, state, pickled=pickle.dumps(evil, protocol=2)),
        "zip storage record": lambda: zip_file(path, state, pickled=state_pickle(state, record=record)),
    }[position]()


POSITIONS = ("legacy magic number", "legacy protocol", "legacy system information", "legacy state dict",
             "legacy storage record", "legacy storage keys", "zip data.pkl", "zip storage record")


def test_the_crafted_pickles_do_run_code_when_trusted(tmp_path):
    """The test's own check: a plain ``pickle.loads`` of the crafted object creates the marker (so the files
    below carry a real threat, and the marker staying absent means the reader refused it)."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(RunsCode(marker), protocol=2))
    assert marker.exists()


@pytest.mark.parametrize("position", POSITIONS)
def test_a_pickle_that_runs_code_is_refused_in_any_position(tmp_path, position):
    marker = tmp_path / "ran"
    path = _runs_code_in(position, tmp_path, marker)
    _refused(path, "system")  # names what the pickle asked for: posix.system
    assert not marker.exists()


def test_through_the_cli_a_crafted_weights_file_is_one_line_and_runs_nothing(tmp_path, capsys):
    from test_released import fake_htnet

    root = fake_htnet(tmp_path / "HTNet")
    weights = tmp_path / "weights"
    weights.mkdir()
    marker = tmp_path / "ran"
    for subject in ("sub01", "sub02", "s01", "s02", "006", "007"):
        legacy_file(weights / f"{subject}.pth", {"w": np.ones(3, np.float32)}, protocol=RunsCode(marker))
    code = run_all.main(["--paper", "liong2019", "--profile", "port", "--data-root", str(root),
                         "--weights", str(weights), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert ".pth: its protocol holds posix.system" in err and len(err.strip().splitlines()) == 1, err
    assert not marker.exists()


@pytest.mark.parametrize("craft, expected", [
    (dict(magic=12345), "no torch.save magic number"),
    (dict(magic=True), "no torch.save magic number"),
    (dict(protocol=1000), "protocol 1000; expected 1001"),
    (dict(info={**INFO, "little_endian": False}), "expected protocol_version 1001 and little_endian True"),
    (dict(info=[1, 2]), "its system information [1, 2]"),
    (dict(info={**INFO, "type_sizes": {"long": "8"}}), "type_sizes"),
    (dict(keys="0"), "storage keys are not a list of distinct names"),
    (dict(keys=["0", "0"]), "storage keys are not a list of distinct names"),
    (dict(keys=["1"]), "the storage keys and the storages the tensors name differ"),
    (dict(counts={"0": 10**9}), "storage 0 claims 1000000000 elements (3 in its record); 3 are left in the file"),
    (dict(counts={"0": -1}), "storage 0 claims -1 elements"),
    (dict(counts={"0": 2}), "storage 0 claims 2 elements (3 in its record)"),
    (dict(tail=b"\0" * 5), "5 bytes after the last storage"),
], ids=lambda v: v if isinstance(v, str) else ",".join(v))
def test_the_legacy_header_keys_and_counts_are_checked(tmp_path, craft, expected):
    _refused(legacy_file(tmp_path / "w.pth", {"w": np.ones(3, np.float32)}, **craft), expected)


# Crafted extents of tensor "w" on a storage of 12 float32 elements (48 bytes)
EXTENTS = {
    "offset past the storage": ((12, (1,), (1,)), "reaches element 12 of its storage 0, which holds 12"),
    "sizes past the storage": ((0, (4, 4), (4, 1)), "16 elements claimed, its storage 0 holds 12"),
    "a stride past the storage": ((0, (2, 2), (11, 1)), "reaches element 12"),
    "a negative stride": ((11, (12,), (-1,)), "a negative size or stride"),
    "a negative offset": ((-1, (2,), (1,)), "expected an offset >= 0"),
    "a zero stride blown up": ((0, (10**9,), (0,)), "1000000000 elements claimed"),
    "a stride that overflows 64 bits": ((0, (2, 2), (2**62, 1)), "reaches element 4611686018427387905"),
    "a size that overflows 64 bits": ((0, (2**70,), (1,)), "1180591620717411303424 elements claimed"),
    "more sizes than strides": ((0, (2, 2), (1,)), "2 sizes and 1 strides"),
    "65 dimensions": ((0, (1,) * 65, (1,) * 65), "at most 64"),
    "a stride not a whole number": ((0, (2,), (1.5,)), "not whole numbers"),
    "an offset past an empty tensor": ((13, (0,), (1,)), "offset 13 past its storage's 12 elements"),
}


@pytest.mark.parametrize("kind", WRITERS)
@pytest.mark.parametrize("name", EXTENTS)
def test_a_tensor_extent_outside_its_storage_is_refused_naming_the_tensor(tmp_path, kind, name):
    extent, expected = EXTENTS[name]
    path = WRITERS[kind](tmp_path / "w.pth", {"w": np.ones(12, np.float32)}, extent=lambda *_: extent)
    _refused(path, "tensor w", expected)


def test_extents_inside_the_storage_read_what_pytorch_reads(tmp_path):
    """Offsets, a size-1 dimension with any stride (PyTorch ignores it), an expanded (zero-stride) tensor and an
    empty one: the same values as NumPy's view of the same storage."""
    storage = np.arange(12, dtype=np.float32)
    cases = {"slice": (2, (5,), (2,)), "one row": (3, (1, 4), (10**6, 1)), "expanded": (1, (3, 2), (0, 1)),
             "empty": (12, (0, 3), (3, 1))}
    for name, (offset, size, stride) in cases.items():
        path = legacy_file(tmp_path / f"{name}.pth", {"w": storage}, extent=lambda *_, e=(offset, size, stride): e)
        got = read_state_dict(path)["w"]
        safe = tuple(s if n > 1 else 0 for n, s in zip(size, stride))
        expected = np.lib.stride_tricks.as_strided(storage[offset:], size, tuple(4 * s for s in safe))
        np.testing.assert_array_equal(got, expected, err_msg=name)
        assert got.shape == size


def test_zip_members_may_not_claim_more_than_the_file_holds(tmp_path):
    state = {"w": np.ones(3, np.float32)}
    # a storage of 40 MB of zeros deflated to a few kB: refused before it is inflated
    bomb = zip_file(tmp_path / "bomb.pth", state, members={"archive/data/0": bytes(40_000_000)}, compress=True)
    assert bomb.stat().st_size < 100_000
    _refused(bomb, "member archive/data/0 claims 40000000 bytes, more than the file's")
    _refused(zip_file(tmp_path / "short.pth", state, members={"archive/data/0": bytes(8)}),
             "storage 0 holds 8 bytes; its record claims 3 elements of 4 bytes")
    _refused(zip_file(tmp_path / "big.pth", state, byteorder=b"big"), "byteorder is not 'little'")
    _refused(zip_file(tmp_path / "empty.pth", state, members={"archive/data/0": b""}), "storage 0 holds 0 bytes")
    _refused(zip_file(tmp_path / "path.pth", state, pickled=state_pickle(state, key="../../x")),
             "a storage key '../../x'; expected letters and digits")
    _refused(zip_file(tmp_path / "other.pth", state, pickled=state_pickle(state, key="7")),
             "storage 7 has no member archive/data/7")
    no_kind = state_pickle(state, record=("storage", None, "0", "cpu", 3))
    _refused(zip_file(tmp_path / "kind.pth", state, pickled=no_kind), "without a storage type")


def test_anything_else_is_refused_in_one_line(tmp_path):
    (tmp_path / "text.pth").write_text("weights")
    _refused(tmp_path / "text.pth", "not a readable PyTorch state dict")
    _refused(tmp_path / "none.pth", "cannot read")
    plain = legacy_file(tmp_path / "list.pth", {}, pickled=pickle.dumps([1, 2], protocol=2))
    _refused(plain, "holds a list, not a state dict of named tensors")


def test_the_released_writer_of_the_tests_is_the_legacy_format(tmp_path):
    """tests/test_released.py's weights: the legacy format, read back as float32."""
    write_legacy_state_dict(tmp_path / "w.pth", {"fc.bias": np.array([1, 2, 3])})
    got = read_state_dict(tmp_path / "w.pth")
    assert got["fc.bias"].dtype == np.float32 and got["fc.bias"].tolist() == [1.0, 2.0, 3.0]
