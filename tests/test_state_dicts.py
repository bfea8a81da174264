"""The PyTorch state-dict reader (``common.state_dicts``): the arrays of both ``torch.save`` formats back, and
crafted files refused in one line naming the file (and the tensor), never running the code their pickles name,
never reading past their own bytes. Files written without PyTorch (tests/torch_files.py)."""
from __future__ import annotations

import collections
import os
import pickle
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import run_all
from common import state_dicts
from common.state_dicts import StateDictError, read_state_dict
from torch_files import (INFO, RunsCode, inject, legacy_file, state_pickle, unicode, write_legacy_state_dict,
                         zip_file)

REPO = Path(__file__).resolve().parent.parent

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
    (dict(magic=2**200), "its magic number holds an integer of 201 bits; expected at most 128"),
    (dict(protocol=1000), "protocol 1000; expected 1001"),
    (dict(info={**INFO, "little_endian": False}), "expected protocol_version 1001 and little_endian True"),
    (dict(info=[1, 2]), "its system information [1, 2]"),
    (dict(info={1, 2}), "its system information holds __builtin__.set"),  # protocol 2 names a set so
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
    # a storage of 4 MB of zeros deflated to a few kB: refused from its declared size, before it is inflated
    bomb = zip_file(tmp_path / "bomb.pth", state, members={"archive/data/0": bytes(4_000_000)}, compress=True)
    assert bomb.stat().st_size < 10_000
    _refused(bomb, "its members claim 4000", "bytes in all, more than the file's")
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


@pytest.mark.parametrize("protocol", [1, 4, 5])
def test_the_pickle_protocols_torch_save_may_use_read_the_same(tmp_path, protocol):
    """torch.save writes protocol 2 by default; its ``pickle_protocol`` may ask for another (1's marks and
    tuples, 4's frames, memoize and stack globals; not 0, whose persistent records are text)."""
    got = read_state_dict(zip_file(tmp_path / "w.pth", STATE, pickled=state_pickle(STATE, protocol=protocol)))
    assert list(got) == list(STATE)
    for key, array in STATE.items():
        assert got[key].dtype == array.dtype
        np.testing.assert_array_equal(got[key], array)


# --- the pickle reaches nothing live; every storage its type's dtype; weights floating point ------------------------

REBUILD = b"ctorch._utils\n_rebuild_tensor_v2\n"  # GLOBAL opcodes of the globals a state dict names
FLOAT_STORAGE = b"ctorch\nFloatStorage\n"
ORDERED_DICT = b"ccollections\nOrderedDict\n"
# Opcodes acting on a global the reader allows, inserted right after that global's opcode; the refusal expected
ACTS = {
    # setattr(<what the rebuild global gives>, "__init__", OrderedDict): a reader handing out its own class
    # would fail on every later file of the process
    "BUILD on the tensor rebuild": (REBUILD, pickle.NONE + pickle.EMPTY_DICT + unicode("__init__") + ORDERED_DICT
                                    + pickle.SETITEM + pickle.TUPLE2 + pickle.BUILD,
                                    "sets the state of torch._utils._rebuild_tensor_v2"),
    # {"dtype": "<i4"} on torch.FloatStorage: its float32 bytes read as int32 numbers, no error
    "BUILD on a storage type": (FLOAT_STORAGE, pickle.EMPTY_DICT + unicode("dtype") + unicode("<i4") + pickle.SETITEM
                                + pickle.BUILD, "sets the state of torch.FloatStorage"),
    "SETITEM on the tensor rebuild": (REBUILD, unicode("a") + unicode("b") + pickle.SETITEM,
                                      "sets items on torch._utils._rebuild_tensor_v2"),
    "APPEND on OrderedDict": (ORDERED_DICT, unicode("a") + pickle.APPEND, "appends to collections.OrderedDict"),
}


@pytest.mark.parametrize("act", ACTS)
def test_a_pickle_acting_on_an_allowed_global_is_refused_and_the_next_file_reads_right(tmp_path, act):
    after, opcodes, expected = ACTS[act]
    state = {"w": np.arange(3, dtype=np.float32)}
    _refused(legacy_file(tmp_path / "crafted.pth", state, pickled=inject(state_pickle(state), after, opcodes)),
             "its state dict", expected)
    got = read_state_dict(legacy_file(tmp_path / "genuine.pth", state))  # the next file this process reads
    assert got["w"].dtype == np.float32 and got["w"].tolist() == [0.0, 1.0, 2.0]


def test_every_storage_reads_as_the_dtype_its_type_names(tmp_path):
    state = {f"{np.dtype(t).name}.weight": np.arange(4).astype(t) for t in (np.float16, np.float32, np.float64)}
    for kind, write in WRITERS.items():
        got = read_state_dict(write(tmp_path / f"{kind}.pth", state))
        assert {k: v.dtype for k, v in got.items()} == {k: v.dtype for k, v in state.items()}, kind
    mixed = {"a": np.ones(3, np.float32), "b": np.ones(3, np.float64)}  # storage 0 named as both types
    _refused(legacy_file(tmp_path / "mixed.pth", mixed, pickled=state_pickle(mixed, key="0")),
             "storage 0 is named twice with different types or sizes (float32 and float64")


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_weights_that_are_not_floating_point_are_refused_naming_the_key(tmp_path, dtype):
    state = {"fc.weight": np.ones(3, dtype), "bn.num_batches_tracked": np.array(7, np.int64)}  # the counter may be
    _refused(legacy_file(tmp_path / "w.pth", state),
             f"tensor fc.weight: {np.dtype(dtype).name} values; expected floating-point weights")


# --- a memory budget, checked before anything is allocated -------------------------------------------------------


def test_a_storage_named_by_many_keys_is_viewed_not_copied_and_the_total_is_bounded(tmp_path, monkeypatch):
    storage = np.arange(1024, dtype=np.float32)
    many = {f"k{i}": storage for i in range(1000)}
    path = legacy_file(tmp_path / "shared.pth", {"k0": storage}, pickled=state_pickle(many, share=True))
    got = read_state_dict(path)
    assert len(got) == 1000 and all(np.shares_memory(got["k0"], array) for array in got.values())
    assert not got["k999"].flags.writeable
    np.testing.assert_array_equal(got["k999"], storage)
    monkeypatch.setattr(state_dicts, "MAX_ARRAY_BYTES", 4_000_000)
    _refused(path, "its 1000 tensors hold 4096000 bytes in all", "expected at most 4000000")


def test_a_pickle_runs_a_bounded_number_of_opcodes(tmp_path, monkeypatch):
    monkeypatch.setattr(state_dicts, "MAX_OPCODES", 50)  # the state dict's pickle of STATE takes some 100
    _refused(legacy_file(tmp_path / "w.pth", STATE), "its state dict runs past 50 pickle opcodes")


def test_zip_members_may_not_add_up_to_more_than_the_file(tmp_path):
    """Each member within the file's size (what was checked before), all of them eleven times it."""
    noise = np.random.default_rng(0).integers(0, 2**32, 25_000, dtype=np.uint32).view(np.float32)  # deflate keeps
    state = {"noise": noise, **{f"zeros{i}": np.zeros(25_000, np.float32) for i in range(10)}}
    path = zip_file(tmp_path / "w.pth", state, compress=True)
    assert noise.nbytes < path.stat().st_size < 2 * noise.nbytes
    _refused(path, "its members claim 1100", "bytes in all, more than the file's")


def test_a_named_pipe_is_refused_not_read_forever(tmp_path):
    os.mkfifo(tmp_path / "w.pth")
    _refused(tmp_path / "w.pth", "not a regular file")


def test_an_error_in_a_tensor_s_view_is_one_line_naming_the_file_and_the_tensor(tmp_path):
    """An empty tensor with a dimension past NumPy's limit: NumPy's own ValueError, caught with the tensor."""
    path = legacy_file(tmp_path / "w.pth", {"w": np.ones(12, np.float32)}, extent=lambda *_: (0, (0, 2**70), (1, 1)))
    _refused(path, "tensor w: ValueError: Maximum allowed dimension exceeded")


# Reads each file named on its command line in an address space of 300 MB above what the interpreter, NumPy and
# the reader take: one line each, the refusal or "read"; anything else (a MemoryError traceback) on stderr.
LIMITED_READER = """
import resource, sys
from common.state_dicts import StateDictError, read_state_dict
with open("/proc/self/status") as status:
    size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + (300 << 20), resource.getrlimit(resource.RLIMIT_AS)[1]))
for path in sys.argv[1:]:
    try:
        read_state_dict(path)
        print(path, "read")
    except StateDictError as error:
        print(error)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the address space's size from /proc")
def test_crafted_files_are_refused_in_one_line_within_an_address_space_limit(tmp_path):
    state = {"w": np.ones(3, np.float32)}
    storage = np.zeros(1 << 20, np.float32)  # 4 MB
    nested: list = []
    nested.append(nested)
    for _ in range(40):
        nested = [nested, nested]
    files = {  # path: what its line must say
        # one 5-byte opcode, memo index 2^28 (Python's unpickler makes its memo an array that long: 2 GB)
        legacy_file(tmp_path / "memo.pth", state, pickled=inject(
            state_pickle(state), ORDERED_DICT, pickle.LONG_BINPUT + struct.pack("<I", 1 << 28))):
            "its state dict stores memo index 268435456; expected below 262144",
        # 5,000 keys naming one 4 MB storage: 20 GB as copies
        legacy_file(tmp_path / "shared.pth", {"k0": storage},
                    pickled=state_pickle({f"k{i}": storage for i in range(5000)}, share=True)):
            "its 5000 tensors hold 20971520000 bytes in all",
        # a list holding itself, under 40 levels of lists holding the level below twice: 2^40 items as text
        legacy_file(tmp_path / "lists.pth", state, protocol=nested): "torch.save protocol [[[",
    }
    result = subprocess.run([sys.executable, "-c", LIMITED_READER, *map(str, files)], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(files), result.stdout
    for line, (path, expected) in zip(lines, files.items()):
        assert line.startswith(f"{path}: ") and expected in line and len(line) < 400, line


# --- a zip read as PyTorch reads it, or refused ------------------------------------------------------------------


def _rezip(path: Path, members: list[tuple[str, bytes]], compressed: str = "", method: int = 0) -> Path:
    """A zip of ``members`` (name, bytes) in that order, names repeated as given, stored but the member named
    ``compressed``, compressed by ``method``."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of a name written twice: the crafted file's point
        for name, data in members:
            archive.writestr(name, data, method if name == compressed else zipfile.ZIP_STORED)
    return path


def _declare_size(path: Path, name: str, size: int) -> Path:
    """The zip at ``path`` with member ``name``'s declared (uncompressed) size replaced by ``size``, in its local
    header and in its central-directory entry."""
    raw, encoded = bytearray(path.read_bytes()), name.encode()
    for signature, field, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = raw.find(signature)
        while raw[at + name_at:at + name_at + len(encoded)] != encoded:
            at = raw.find(signature, at + 1)
        struct.pack_into("<I", raw, at + field, size)
    path.write_bytes(bytes(raw))
    return path


def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_member_compressed_by_bzip2_or_lzma_is_refused_before_it_is_decompressed(tmp_path, method):
    """zipfile inflates a deflated member no further than the bytes asked for, but decompresses a bzip2 or LZMA
    chunk whole: a storage of 64 MB of zeros in a file of a few kB, its size declared as its record's 12 bytes
    (the members' claims add up to less than the file), would be decompressed whole before any check."""
    state = {"w": np.ones(3, np.float32)}
    genuine = _members(zip_file(tmp_path / "z.pth", state))
    members = [(n, bytes(64 << 20) if n == "archive/data/0" else d) for n, d in genuine]
    path = _declare_size(_rezip(tmp_path / "bomb.pth", members, "archive/data/0", method), "archive/data/0", 12)
    assert path.stat().st_size < 20_000
    _refused(path, f"its member archive/data/0 is compressed by method {method}; expected it stored")


def test_a_file_that_begins_as_a_legacy_file_is_read_as_one_with_a_zip_at_its_end(tmp_path):
    """PyTorch reads a file as a zip only when it begins as one; zipfile.is_zipfile finds a zip's end anywhere
    near the file's end. A legacy file whose last storage holds a whole zip state dict: PyTorch reads w as
    0, 1, 2; a reader asking zipfile would read the zip's 7, 7, 7 instead, without an error."""
    inner = zip_file(tmp_path / "inner.pth", {"w": np.full(3, 7, np.float32)})
    with zipfile.ZipFile(inner, "a") as archive:
        archive.comment = b"x" * (-inner.stat().st_size % 4)  # the zip a whole number of float32s
    tail = np.frombuffer(inner.read_bytes(), np.float32).copy()
    path = legacy_file(tmp_path / "w.pth", {"w": np.arange(3, dtype=np.float32), "tail": tail})
    assert zipfile.is_zipfile(path)
    got = read_state_dict(path)
    assert got["w"].tolist() == [0.0, 1.0, 2.0] and got["tail"].tobytes() == inner.read_bytes()


def test_a_zip_member_named_twice_is_refused(tmp_path):
    """zipfile reads the last member of a name, another reader (PyTorch's miniz) may read the first."""
    state = {"w": np.arange(3, dtype=np.float32)}
    members = [*_members(zip_file(tmp_path / "z.pth", state)), ("archive/data/0", np.full(3, 9, np.float32).tobytes())]
    _refused(_rezip(tmp_path / "twice.pth", members), "its member archive/data/0 is in the zip twice")


def test_data_pkl_is_read_from_the_folder_of_the_first_member_as_pytorch_reads_it(tmp_path):
    """PyTorch reads <folder>/data.pkl, the folder that of the zip's first member: a data.pkl of another folder
    listed before it is not the state dict PyTorch reads."""
    state = {"w": np.arange(3, dtype=np.float32)}
    genuine = _members(zip_file(tmp_path / "z.pth", state))
    other = [("other/data.pkl", state_pickle(state)), ("other/data/0", np.full(3, 9, np.float32).tobytes())]
    version = [(n, d) for n, d in genuine if n == "archive/version"]
    path = _rezip(tmp_path / "w.pth", version + other + [(n, d) for n, d in genuine if n != "archive/version"])
    assert read_state_dict(path)["w"].tolist() == [0.0, 1.0, 2.0]
    _refused(_rezip(tmp_path / "top.pth", [("version", b"3\n"), *genuine]), "a zip without <folder>/data.pkl")


def test_a_state_dict_key_set_twice_is_refused(tmp_path):
    """A pickle of a dict names each key once; a key twice would keep its last tensor without a word."""
    state = {"w": np.arange(3, dtype=np.float32), "v": np.full(3, 5, np.float32)}
    pickled = state_pickle(state).replace(unicode("v"), unicode("w"))
    _refused(legacy_file(tmp_path / "w.pth", state, pickled=pickled), "its state dict sets the key 'w' twice")


# Opcodes declaring a text or bytes item far longer than the file (what a reader must refuse from the length
# alone: a BINUNICODE8 of nearly 1 GB is 4 GB as a Python string), or, for a text ended by a newline, one line
# just past the bound.
DECLARES = "declares a text or bytes item of"
LONG_ITEMS = {
    "BINUNICODE8": (pickle.BINUNICODE8 + struct.pack("<Q", (1 << 30) - 1), f"{DECLARES} 1073741823 bytes"),
    "BINUNICODE": (pickle.BINUNICODE + struct.pack("<I", (1 << 32) - 1), f"{DECLARES} 4294967295 bytes"),
    "BINBYTES8": (pickle.BINBYTES8 + struct.pack("<Q", 1 << 40), f"{DECLARES} 1099511627776 bytes"),
    "BINSTRING": (pickle.BINSTRING + struct.pack("<i", (1 << 31) - 1), f"{DECLARES} 2147483647 bytes"),
    "UNICODE": (pickle.UNICODE + b"k" * (state_dicts.MAX_ITEM_BYTES + 1) + b"\n",
                f"holds a text line of more than {state_dicts.MAX_ITEM_BYTES} bytes"),
}


@pytest.mark.parametrize("kind", WRITERS)
@pytest.mark.parametrize("opcode", LONG_ITEMS)
def test_a_text_or_bytes_item_is_refused_from_its_declared_length(tmp_path, kind, opcode):
    crafted, expected = LONG_ITEMS[opcode]
    state = {"w": np.ones(3, np.float32)}
    path = WRITERS[kind](tmp_path / "w.pth", state, pickled=inject(state_pickle(state), ORDERED_DICT, crafted))
    assert path.stat().st_size < state_dicts.MAX_ITEM_BYTES + 2_000
    _refused(path, f"its state dict {expected} (pickle opcode {opcode}); expected texts and bytes of at most 65536 "
                   "bytes each")


def test_a_key_just_over_the_item_bound_is_refused_and_one_at_it_reads(tmp_path):
    limit = state_dicts.MAX_ITEM_BYTES
    assert limit == 65536  # the bound docs/house.md names
    at = {"k" * limit: np.ones(3, np.float32)}
    assert list(read_state_dict(legacy_file(tmp_path / "at.pth", at))) == list(at)
    over = {"k" * (limit + 1): np.ones(3, np.float32)}
    _refused(legacy_file(tmp_path / "over.pth", over),
             f"its state dict declares a text or bytes item of {limit + 1} bytes (pickle opcode BINUNICODE); "
             f"expected texts and bytes of at most {limit} bytes each (keys and names)")
    _refused(zip_file(tmp_path / "over.pth", over), f"item of {limit + 1} bytes (pickle opcode BINUNICODE)")
