"""Reading a PyTorch ``state_dict`` file (``torch.save``) into NumPy arrays, without PyTorch.

The authors of STSTNet publish their port's per-subject weights as ``.pth`` files; the suite evaluates them
(``--weights``) without making PyTorch a dependency. Both of ``torch.save``'s formats are read: the legacy
one (a magic number, the protocol, the system info, the pickled object, the storage keys, then each
storage's raw bytes: what the released files use) and the zip one (``archive/data.pkl`` beside
``archive/data/<key>``, PyTorch >= 1.6). Only the classes a state dict holds are accepted (tensors of
plain storages in an ``OrderedDict``): anything else in the pickle is refused, so reading a file never runs
code from it. Written here: no maintained library reads these files without PyTorch itself.
"""
from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization's MAGIC_NUMBER
STORAGES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
            "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
            "ByteStorage": np.uint8, "BoolStorage": np.bool_}


class StateDictError(ValueError):
    """A file that is not a PyTorch state dict this reader can read (one line naming it and why)."""


class _Storage:
    """A storage named by the pickle: its dtype and key; its bytes come later in the file."""

    def __init__(self, dtype: type, key: str) -> None:
        self.dtype, self.key = dtype, key
        self.array: np.ndarray | None = None


class _Tensor:
    """``torch._utils._rebuild_tensor_v2``'s arguments, resolved once the storages are read."""

    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple, *_: object) -> None:
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def array(self) -> np.ndarray:
        data = self.storage.array
        assert data is not None
        if not self.size:
            return np.array(data[self.offset])
        itemsize = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(data[self.offset:], shape=self.size,
                                               strides=tuple(s * itemsize for s in self.stride))
        return np.array(view)


class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = STORAGES[name]


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle, path: Path, storages: dict[str, _Storage]) -> None:
        super().__init__(handle)
        self.path, self.storages = path, storages

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
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise StateDictError(f"{self.path}: an unknown persistent record {pid!r}; expected a PyTorch state dict")
        kind, key = pid[1], str(pid[2])
        if key not in self.storages:
            self.storages[key] = _Storage(kind.dtype, key)
        return self.storages[key]


def _legacy(raw: bytes, path: Path) -> dict[str, np.ndarray]:
    handle = io.BytesIO(raw)
    try:
        if pickle.load(handle) != LEGACY_MAGIC:
            raise StateDictError(f"{path}: not a PyTorch file (no torch.save magic number)")
        pickle.load(handle)  # protocol version
        pickle.load(handle)  # system info: little endian, type sizes
        storages: dict[str, _Storage] = {}
        obj = _Unpickler(handle, path, storages).load()
        keys = pickle.load(handle)
        for key in keys:
            storage = storages[str(key)]
            (count,) = struct.unpack("<q", handle.read(8))
            size = count * np.dtype(storage.dtype).itemsize
            data = handle.read(size)
            if len(data) != size:
                raise StateDictError(f"{path}: cut short in storage {key} (expected {size} bytes, read {len(data)})")
            storage.array = np.frombuffer(data, dtype=storage.dtype)
    except StateDictError:
        raise
    except Exception as error:  # pickle's and struct's many errors on a file that is not one: one line
        raise StateDictError(f"{path}: not a readable PyTorch state dict ({type(error).__name__}: {error})") from None
    return _arrays(obj, path)


def _zipped(path: Path) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if pkl is None:
                raise StateDictError(f"{path}: a zip without data.pkl; expected a PyTorch state dict")
            prefix = pkl[:-len("data.pkl")]
            storages: dict[str, _Storage] = {}
            obj = _Unpickler(io.BytesIO(archive.read(pkl)), path, storages).load()
            for key, storage in storages.items():
                storage.array = np.frombuffer(archive.read(f"{prefix}data/{key}"), dtype=storage.dtype)
    except StateDictError:
        raise
    except Exception as error:  # zipfile's, pickle's and NumPy's many errors on a file that is not one: one line
        raise StateDictError(f"{path}: not a readable PyTorch state dict ({type(error).__name__}: {error})") from None
    return _arrays(obj, path)


def _arrays(obj: object, path: Path) -> dict[str, np.ndarray]:
    if not isinstance(obj, dict) or not all(isinstance(v, _Tensor) for v in obj.values()):
        raise StateDictError(f"{path}: holds a {type(obj).__name__}, not a state dict of tensors")
    return {str(k): v.array() for k, v in obj.items()}


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """``{name: array}`` of a ``torch.save``d state dict (either format), in the file's order;
    :class:`StateDictError` (one line naming the file) for anything else."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise StateDictError(f"{path}: cannot read ({error.strerror or error})") from None
    return _zipped(path) if zipfile.is_zipfile(io.BytesIO(raw)) else _legacy(raw, path)
