"""``torch.save``'s two formats written without PyTorch, for the tests: state dicts as PyTorch writes them, and
crafted ones with any part replaced (``common.state_dicts`` must refuse those in one line, and never run the code
a pickle names).

The pickles name PyTorch's globals (``torch.FloatStorage``, ``torch._utils._rebuild_tensor_v2``) through stand-in
modules registered only while a file is written: the reader is tested with PyTorch absent.
"""
from __future__ import annotations

import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import types
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization's MAGIC_NUMBER
PROTOCOL = 1001
INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
STORAGE_NAMES = {np.dtype(t): name for t, name in (
    (np.float32, "FloatStorage"), (np.float64, "DoubleStorage"), (np.float16, "HalfStorage"), (np.int64, "LongStorage"),
    (np.int32, "IntStorage"), (np.uint8, "ByteStorage"), (np.bool_, "BoolStorage"))}


class RunsCode:
    """A pickled object that, unpickled by a plain unpickler, runs ``touch <marker>`` (``os.system``): what a
    crafted weights file does to a reader that trusts its pickles."""

    def __init__(self, marker: Path) -> None:
        self.marker = Path(marker)

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


@contextlib.contextmanager
def _fake_torch():
    """Modules named as PyTorch's, so that ``pickle`` writes the globals ``torch.save`` writes."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
    kinds = {}
    for name in set(STORAGE_NAMES.values()):
        kind = type(name, (), {})
        kind.__module__ = "torch"
        kinds[name] = kind
        setattr(torch, name, kind)

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield kinds, _rebuild_tensor_v2
    finally:
        del sys.modules["torch"], sys.modules["torch._utils"]


class _StorageRef:
    def __init__(self, key: str, array: np.ndarray) -> None:
        self.key, self.array = key, array


# args(name, array) -> (offset, size, stride) of one tensor; the default is the array's own, C order or not.
Extent = Callable[[str, np.ndarray], tuple[Any, Any, Any]]


def _own_extent(name: str, array: np.ndarray) -> tuple[int, tuple, tuple]:
    return 0, array.shape, tuple(s // array.itemsize for s in array.strides)


def _normal(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each array C- or Fortran-contiguous (a transposed array keeps its strides), so that its memory order is
    its storage."""
    return {k: v if v.flags.c_contiguous or v.flags.f_contiguous else np.ascontiguousarray(v) for k, v in state.items()}


def _storages(state: dict[str, np.ndarray]) -> dict[str, _StorageRef]:
    """One storage a tensor, keyed "0", "1"... as torch's zip format keys them; each holds the array's values in
    memory order."""
    return {name: _StorageRef(str(i), array.ravel(order="K")) for i, (name, array) in enumerate(_normal(state).items())}


def state_pickle(state: dict[str, np.ndarray], *, extent: Extent = _own_extent, record: Any = None,
                 key: str | None = None, share: bool = False, protocol: int = 2) -> bytes:
    """The pickled OrderedDict of tensors as ``torch.save`` writes it (pickle protocol 2, as torch.save does by
    default). ``extent`` sets each tensor's offset, size and stride; ``record`` replaces every storage's
    persistent record, ``key`` every storage's key in it; ``share`` puts every tensor on the first tensor's
    storage (crafted files)."""
    state = _normal(state)
    refs = _storages(state)
    if share:
        first = next(iter(refs.values()))
        refs = {name: first for name in refs}
    with _fake_torch() as (kinds, rebuild):
        class Tensor:
            def __init__(self, name: str, array: np.ndarray) -> None:
                self.name, self.array = name, array

            def __reduce__(self):
                offset, size, stride = extent(self.name, self.array)
                return rebuild, (refs[self.name], offset, size, stride, False, collections.OrderedDict())

        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, _StorageRef):
                    if record is not None:
                        return record
                    return ("storage", kinds[STORAGE_NAMES[obj.array.dtype]], key or obj.key, "cpu", obj.array.size)
                return None

        handle = io.BytesIO()
        Pickler(handle, protocol=protocol).dump(collections.OrderedDict((k, Tensor(k, v)) for k, v in state.items()))
        return handle.getvalue()


def legacy_file(path: Path, state: dict[str, np.ndarray], *, magic: Any = MAGIC, protocol: Any = PROTOCOL,
                info: Any = None, keys: Any = None, counts: dict[str, int] | None = None, tail: bytes = b"",
                pickled: bytes | None = None, extent: Extent = _own_extent) -> Path:
    """``torch.save(state, path, _use_new_zipfile_serialization=False)``: the released weights' format. Each
    keyword replaces one part (crafted files): the header's three pickles, the state dict's pickle, the storage
    keys, a storage's element count, bytes after the last storage."""
    refs = _storages(state)
    with open(path, "wb") as handle:
        for head in (magic, protocol, INFO if info is None else info):
            pickle.dump(head, handle, protocol=2)
        handle.write(state_pickle(state, extent=extent) if pickled is None else pickled)
        pickle.dump([r.key for r in refs.values()] if keys is None else keys, handle, protocol=2)
        for ref in refs.values():
            handle.write(struct.pack("<q", (counts or {}).get(ref.key, ref.array.size)))
            handle.write(ref.array.tobytes())
        handle.write(tail)
    return path


def zip_file(path: Path, state: dict[str, np.ndarray], *, pickled: bytes | None = None,
             members: dict[str, bytes] | None = None, compress: bool = False, byteorder: bytes = b"little",
             extent: Extent = _own_extent) -> Path:
    """``torch.save(state, path)`` (PyTorch >= 1.6): ``archive/data.pkl``, ``archive/data/<key>``, byteorder and
    version, stored uncompressed. ``pickled`` replaces data.pkl, ``members`` any member's bytes, ``compress``
    deflates every member (crafted files)."""
    refs = _storages(state)
    files = {"archive/data.pkl": state_pickle(state, extent=extent) if pickled is None else pickled,
             "archive/byteorder": byteorder, "archive/version": b"3\n"}
    files.update({f"archive/data/{r.key}": r.array.tobytes() for r in refs.values()})
    files.update(members or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def write_legacy_state_dict(path: Path, state: dict[str, np.ndarray]) -> None:
    """A plain state dict in the legacy format (float32 arrays), as the released weights are."""
    legacy_file(path, {k: np.asarray(v, dtype=np.float32) for k, v in state.items()})


def inject(pickled: bytes, after: bytes, opcodes: bytes) -> bytes:
    """``pickled`` with ``opcodes`` (raw pickle opcodes, e.g. ``pickle.BUILD``) inserted after the first
    occurrence of ``after`` (e.g. the GLOBAL of ``torch.FloatStorage``): a crafted pickle that acts on what the
    reader gives it."""
    assert after in pickled, after
    return pickled.replace(after, after + opcodes, 1)


def unicode(text: str) -> bytes:
    """The BINUNICODE opcode pushing ``text``."""
    data = text.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data
