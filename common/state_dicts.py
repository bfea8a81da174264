"""Reading a PyTorch ``state_dict`` file (``torch.save``) into NumPy arrays, without PyTorch.

The authors of STSTNet publish their port's per-subject weights as ``.pth`` files; the suite evaluates them
(``--weights``) without making PyTorch a dependency. Both of ``torch.save``'s formats are read: the legacy
one (five pickles: the magic number, the protocol, the system information, the state dict, the storage keys;
then each storage's element count and raw bytes: what the released files use) and the zip one
(``archive/data.pkl`` beside ``archive/data/<key>``, PyTorch >= 1.6). Written here: no maintained library reads
these files without PyTorch itself.

A weights file is someone else's file, so nothing it says is trusted (docs/running.md, "What --weights trusts"):

- **No code runs.** Every pickle of either format goes through a restricted unpickler: the header's pickles
  and the storage keys may hold plain numbers, strings, lists and dicts only, the state dict only the classes
  a state dict holds (``collections.OrderedDict``, ``torch._utils._rebuild_tensor[_v2]`` and the storage
  types of :data:`STORAGES`). Any other class or function is refused by name, before anything is built.
- **The header is checked by type and value**: the magic number, the protocol (1001) and a system
  information that says little endian (the storages are read as little-endian numbers).
- **No byte is read that the file does not hold**: each storage's element count against the bytes left
  (legacy) or against its zip member's size, which may not exceed the file's own size (no member is
  inflated past it); every storage a tensor names must be stored once, with the element count its
  record claims, and nothing may follow the last storage.
- **Every tensor's extent is checked against its storage before any view is made**: offset, sizes and
  strides whole numbers, none negative (PyTorch has no negative strides), at most 64 dimensions (NumPy's
  limit), the last element it reaches inside the storage and no more elements than the storage holds (a
  zero stride may not blow a few bytes up into a huge array). The arithmetic is on Python's integers,
  which do not overflow; the byte strides handed to NumPy are then bounded by the storage's size.

Each refusal is one :class:`StateDictError` line naming the file (and the tensor or storage).
"""
from __future__ import annotations

import collections
import io
import math
import pickle
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization's MAGIC_NUMBER
LEGACY_PROTOCOL = 1001  # torch.serialization's PROTOCOL_VERSION
MAX_DIMS = 64  # numpy's limit on an array's dimensions (numpy.lib.stride_tricks.as_strided takes no more)
STORAGES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
            "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
            "ByteStorage": np.uint8, "BoolStorage": np.bool_}
# A storage's key names a zip member (``data/<key>``) and is matched against the legacy key list: torch writes
# decimal numbers; anything with a path separator or other punctuation is refused.
_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class StateDictError(ValueError):
    """A file that is not a PyTorch state dict this reader can read (one line naming it and why)."""


def _whole(value: Any) -> bool:
    """A Python integer that is not a bool (pickles give ``True`` for 1 where a file says so)."""
    return isinstance(value, int) and not isinstance(value, bool)


class _Storage:
    """A storage named by the pickle's persistent record: its dtype, key and claimed element count; its
    bytes come later in the file."""

    def __init__(self, dtype: type, key: str, numel: int) -> None:
        self.dtype, self.key, self.numel = dtype, key, numel
        self.array: np.ndarray | None = None


class _Tensor:
    """``torch._utils._rebuild_tensor[_v2]``'s arguments, kept as the pickle gives them; checked and resolved
    by :func:`_tensor_array` once the storages are read."""

    def __init__(self, *args: Any) -> None:
        self.args = args


class _StorageType:
    """A storage type named by the pickle (``torch.FloatStorage``...): its NumPy dtype. Not callable."""

    def __init__(self, name: str) -> None:
        self.dtype = STORAGES[name]


class _PlainUnpickler(pickle.Unpickler):
    """Numbers, strings, bytes, lists, tuples and dicts only: no class, no function, no persistent record
    (the legacy header's pickles and its storage keys)."""

    def __init__(self, handle, path: Path, part: str) -> None:
        super().__init__(handle)
        self.path, self.part = path, part

    def find_class(self, module: str, name: str):
        raise StateDictError(f"{self.path}: its {self.part} holds {module}.{name}; expected a PyTorch state dict "
                             "(plain values there)")

    def persistent_load(self, pid):
        raise StateDictError(f"{self.path}: its {self.part} holds a persistent record; expected a PyTorch state dict")


class _Unpickler(_PlainUnpickler):
    """The state dict itself: an OrderedDict of tensors, each on a storage named by a persistent record."""

    def __init__(self, handle, path: Path, storages: dict[str, _Storage]) -> None:
        super().__init__(handle, path, "state dict")
        self.storages = storages

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) in (("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")):
            return _Tensor
        if module == "torch" and name in STORAGES:
            return _StorageType(name)
        raise StateDictError(f"{self.path}: holds {module}.{name}; expected a PyTorch state dict (tensors only)")

    def persistent_load(self, pid):
        # ('storage', storage type, key, location, number of elements[, view metadata])
        if not isinstance(pid, tuple) or len(pid) not in (5, 6) or pid[0] != "storage":
            raise StateDictError(f"{self.path}: an unknown persistent record {str(pid)[:80]}; expected a PyTorch "
                                 "state dict")
        kind, key, numel = pid[1], pid[2], pid[4]
        if not isinstance(kind, _StorageType):
            raise StateDictError(f"{self.path}: a storage record without a storage type; expected a PyTorch state dict")
        if not isinstance(key, str) or not _KEY.match(key):
            raise StateDictError(f"{self.path}: a storage key {str(key)[:40]!r}; expected letters and digits")
        if not _whole(numel) or numel < 0:
            raise StateDictError(f"{self.path}: storage {key} claims {str(numel)[:40]} elements; expected a whole "
                                 "number >= 0")
        if len(pid) == 6 and pid[5] is not None:
            raise StateDictError(f"{self.path}: storage {key} is a view of another storage (PyTorch < 0.4); "
                                 "expected plain storages")
        known = self.storages.get(key)
        if known is None:
            known = self.storages[key] = _Storage(kind.dtype, key, numel)
        elif known.dtype != kind.dtype or known.numel != numel:
            raise StateDictError(f"{self.path}: storage {key} is named twice with different types or sizes")
        return known


def _plain(handle, path: Path, part: str) -> Any:
    return _PlainUnpickler(handle, path, part).load()


def _check_header(handle, path: Path) -> None:
    """The legacy format's three header pickles, by type and value."""
    magic = _plain(handle, path, "magic number")
    if not _whole(magic) or magic != LEGACY_MAGIC:
        raise StateDictError(f"{path}: not a PyTorch file (no torch.save magic number)")
    protocol = _plain(handle, path, "protocol")
    if not _whole(protocol) or protocol != LEGACY_PROTOCOL:
        raise StateDictError(f"{path}: torch.save protocol {str(protocol)[:40]}; expected {LEGACY_PROTOCOL}")
    info = _plain(handle, path, "system information")
    if (not isinstance(info, dict) or info.get("protocol_version") != LEGACY_PROTOCOL
            or info.get("little_endian") is not True):
        raise StateDictError(f"{path}: its system information {str(info)[:80]}; expected protocol_version "
                             f"{LEGACY_PROTOCOL} and little_endian True (the storages are read as little-endian)")
    sizes = info.get("type_sizes", {})
    if not isinstance(sizes, dict) or not all(isinstance(k, str) and _whole(v) for k, v in sizes.items()):
        raise StateDictError(f"{path}: its system information's type_sizes {str(sizes)[:80]}; expected names and "
                             "whole numbers")


def _legacy(raw: bytes, path: Path) -> dict[str, np.ndarray]:
    handle = io.BytesIO(raw)
    try:
        _check_header(handle, path)
        storages: dict[str, _Storage] = {}
        obj = _Unpickler(handle, path, storages).load()
        keys = _plain(handle, path, "storage keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
            raise StateDictError(f"{path}: its storage keys are not a list of distinct names")
        if set(keys) != set(storages):
            missing = sorted(set(storages) - set(keys)) or sorted(set(keys) - set(storages))
            raise StateDictError(f"{path}: the storage keys and the storages the tensors name differ (first: "
                                 f"{missing[0]})")
        for key in keys:
            storage = storages[key]
            head = handle.read(8)
            if len(head) != 8:
                raise StateDictError(f"{path}: cut short before storage {key}")
            (count,) = struct.unpack("<q", head)
            left = len(raw) - handle.tell()
            itemsize = np.dtype(storage.dtype).itemsize
            if count != storage.numel or count * itemsize > left:
                raise StateDictError(f"{path}: storage {key} claims {count} elements ({storage.numel} in its record); "
                                     f"{left // itemsize} are left in the file")
            storage.array = np.frombuffer(handle.read(count * itemsize), dtype=storage.dtype)
        trailing = len(raw) - handle.tell()
        if trailing:
            raise StateDictError(f"{path}: {trailing} bytes after the last storage; expected none")
    except StateDictError:
        raise
    except Exception as error:  # pickle's and struct's many errors on a file that is not one: one line
        raise StateDictError(f"{path}: not a readable PyTorch state dict ({type(error).__name__}: "
                             f"{str(error)[:120]})") from None
    return _arrays(obj, path)


def _member(archive: zipfile.ZipFile, name: str, path: Path, limit: int) -> bytes:
    """A zip member's bytes, refused when its declared size exceeds ``limit`` (the file's own size: a
    member inflated past it is a bomb, not a state dict) or when the bytes read differ from it."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise StateDictError(f"{path}: its member {name} claims {info.file_size} bytes, more than the file's "
                             f"{limit}; expected the uncompressed members torch.save writes")
    data = archive.read(info)
    if len(data) != info.file_size:
        raise StateDictError(f"{path}: its member {name} holds {len(data)} bytes, not the {info.file_size} declared")
    return data


def _zipped(raw: bytes, path: Path) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
            pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if pkl is None:
                raise StateDictError(f"{path}: a zip without data.pkl; expected a PyTorch state dict")
            prefix = pkl[:-len("data.pkl")]
            if f"{prefix}byteorder" in names and _member(archive, f"{prefix}byteorder", path, len(raw)) != b"little":
                raise StateDictError(f"{path}: its byteorder is not 'little'; the storages are read as little-endian")
            storages: dict[str, _Storage] = {}
            obj = _Unpickler(io.BytesIO(_member(archive, pkl, path, len(raw))), path, storages).load()
            for key, storage in storages.items():
                name = f"{prefix}data/{key}"
                if name not in names:
                    raise StateDictError(f"{path}: storage {key} has no member {name}")
                data = _member(archive, name, path, len(raw))
                itemsize = np.dtype(storage.dtype).itemsize
                if len(data) != storage.numel * itemsize:
                    raise StateDictError(f"{path}: storage {key} holds {len(data)} bytes; its record claims "
                                         f"{storage.numel} elements of {itemsize} bytes")
                storage.array = np.frombuffer(data, dtype=storage.dtype)
    except StateDictError:
        raise
    except Exception as error:  # zipfile's, pickle's and NumPy's many errors on a file that is not one: one line
        raise StateDictError(f"{path}: not a readable PyTorch state dict ({type(error).__name__}: "
                             f"{str(error)[:120]})") from None
    return _arrays(obj, path)


def _tensor_array(tensor: _Tensor, name: str, path: Path) -> np.ndarray:
    """The tensor's values, a copy, once its offset, sizes and strides are checked against its storage."""
    where = f"{path}: tensor {name}"
    args = tensor.args
    if not 4 <= len(args) <= 7:
        raise StateDictError(f"{where}: {len(args)} arguments to rebuild it; expected 4 to 7")
    storage, offset, size, stride = args[:4]
    if not isinstance(storage, _Storage) or storage.array is None:
        raise StateDictError(f"{where}: not on a stored storage")
    if not isinstance(size, tuple) or not isinstance(stride, tuple) or not all(_whole(v) for v in (*size, *stride)):
        raise StateDictError(f"{where}: sizes and strides not whole numbers")
    if not _whole(offset) or offset < 0 or len(size) != len(stride) or len(size) > MAX_DIMS:
        raise StateDictError(f"{where}: offset {str(offset)[:40]}, {len(size)} sizes and {len(stride)} strides; "
                             f"expected an offset >= 0 and as many sizes as strides, at most {MAX_DIMS}")
    if any(v < 0 for v in (*size, *stride)):
        raise StateDictError(f"{where}: a negative size or stride {size} / {stride}")
    data = storage.array
    elements = math.prod(size)
    if elements > len(data):
        raise StateDictError(f"{where}: {elements} elements claimed, its storage {storage.key} holds {len(data)}")
    if elements == 0:
        if offset > len(data):
            raise StateDictError(f"{where}: offset {offset} past its storage's {len(data)} elements")
        return np.zeros(size, dtype=data.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= len(data):
        raise StateDictError(f"{where}: reaches element {last} of its storage {storage.key}, which holds {len(data)}")
    # A dimension of size 1 never steps: its stride (unchecked above) is not handed to NumPy.
    strides = tuple(s * data.itemsize if n > 1 else 0 for n, s in zip(size, stride))
    return np.array(np.lib.stride_tricks.as_strided(data[offset:], shape=size, strides=strides))


def _arrays(obj: object, path: Path) -> dict[str, np.ndarray]:
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, _Tensor) for k, v in obj.items()):
        raise StateDictError(f"{path}: holds a {type(obj).__name__}, not a state dict of named tensors")
    return {k: _tensor_array(v, k, path) for k, v in obj.items()}


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """``{name: array}`` of a ``torch.save``d state dict (either format), in the file's order;
    :class:`StateDictError` (one line naming the file) for anything else."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise StateDictError(f"{path}: cannot read ({error.strerror or error})") from None
    return _zipped(raw, path) if zipfile.is_zipfile(io.BytesIO(raw)) else _legacy(raw, path)
