"""Reading a PyTorch ``state_dict`` file (``torch.save``) into NumPy arrays, without PyTorch.

The authors of STSTNet publish their port's per-subject weights as ``.pth`` files; the suite evaluates them
(``--weights``) without making PyTorch a dependency. Both of ``torch.save``'s formats are read: the legacy
one (five pickles: the magic number, the protocol, the system information, the state dict, the storage keys;
then each storage's element count and raw bytes: what the released files use) and the zip one
(``archive/data.pkl`` beside ``archive/data/<key>``, PyTorch >= 1.6). Written here, pickle machine included: no
maintained library reads these files without PyTorch itself, and Python's unpickler hands a pickle the live
objects it names and lets it act on them (set their attributes, fill them).

A weights file is someone else's file, so nothing it says is trusted (docs/running.md, "What --weights trusts"):

- **No code runs, and nothing the file reaches is live.** Every pickle of either format is run by this
  module's own small pickle machine (:func:`_unpickle`, over :func:`pickletools.genops`, which decodes opcodes
  without acting on them). It builds numbers, strings, bytes, tuples, lists and dicts only. The globals a state
  dict names (``collections.OrderedDict``, ``torch._utils._rebuild_tensor[_v2]`` and the storage types of
  :data:`STORAGES`) become frozen markers (:class:`_Global`), never the classes themselves; any other global is
  refused by name. The only calls are ``OrderedDict()`` (a new dict) and ``_rebuild_tensor[_v2](...)`` (its
  arguments kept as a record). APPEND(S) and SETITEM(S) act only on lists and dicts the machine built, BUILD
  only on an OrderedDict it built (torch records the modules' versions there; they are dropped), and every
  other opcode (INST, OBJ, NEWOBJ, extensions, sets, buffers) is refused. The legacy header's pickles and the
  storage keys may name no global and no persistent record at all.
- **Every storage's dtype is the one its type names** (:data:`STORAGES`; nothing in the file can change it),
  and every tensor is floating point but the counters of :data:`COUNTERS`.
- **A memory budget, checked before anything is allocated.** The file is a regular file of at most
  :data:`MAX_FILE_BYTES`, read once. Each pickle runs at most :data:`MAX_OPCODES` opcodes, its memo indices
  below :data:`MAX_MEMO` (the memo is a dict of the entries made, never an array sized by the largest index),
  its integers at most :data:`MAX_NUMBER_BITS` bits, each text or bytes item at most :data:`MAX_ITEM_BYTES`
  (checked on the length its opcode declares, or on the line read so far, before the item is read or decoded:
  a text of 1 GB is 4 GB as a Python string). A zip holds at most :data:`MAX_MEMBERS` members (counted
  in the file's bytes before :mod:`zipfile` reads its directory) whose declared sizes add up to no more than
  the file itself (torch stores them uncompressed: a deflated member is never inflated past the file; bzip2 and
  LZMA, which zipfile decompresses a chunk at a time whole, are refused), each read no further than its
  declared size. Every tensor is a read-only view of its storage, never a copy (a
  thousand keys naming one storage cost nothing), and all tensors together hold at most
  :data:`MAX_ARRAY_BYTES`, summed before any view is made (so a caller that copies them stays bounded too).
- **The header is checked by type and value**: the magic number, the protocol (1001) and a system
  information that says little endian (the storages are read as little-endian numbers).
- **The file means what it means to PyTorch**: a zip when it begins as one; its state dict the ``data.pkl`` of
  its first member's folder; no member name twice in the zip and no key twice in a dict (the last would win).
- **No byte is read that the file does not hold**: each storage's element count against the bytes left
  (legacy) or against its zip member's size; every storage a tensor names must be stored once, with the
  element count its record claims, and nothing may follow the last storage.
- **Every tensor's extent is checked against its storage before any view is made**: offset, sizes and
  strides whole numbers, none negative (PyTorch has no negative strides), at most 64 dimensions (NumPy's
  limit), the last element it reaches inside the storage and no more elements than the storage holds (a
  zero stride may not blow a few bytes up into a huge array). The arithmetic is on Python's integers,
  which do not overflow; the byte strides handed to NumPy are then bounded by the storage's size.

All of the reading, the per-tensor checks and views included, runs inside one handler: whatever fails is one
:class:`StateDictError` line naming the file (and the tensor or storage). A value from the file is described
by :func:`_brief` (reprlib's bounded repr), never by its whole text (a list holding itself twice, forty levels
deep, is 2^40 items long as text).
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
import pickletools
import reprlib
import stat
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization's MAGIC_NUMBER
LEGACY_PROTOCOL = 1001  # torch.serialization's PROTOCOL_VERSION
MAX_DIMS = 64  # numpy's limit on an array's dimensions (numpy.lib.stride_tricks.as_strided takes no more)
STORAGES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
            "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
            "ByteStorage": np.uint8, "BoolStorage": np.bool_}
# The only tensors of a state dict of weights that are not floating point: BatchNorm's count of batches seen
# (an int64 scalar PyTorch saves beside each BatchNorm's statistics), matched by the key's last part.
COUNTERS = ("num_batches_tracked",)
# The memory budget (docs/house.md, "Files from outside"). A state dict of weights is far below each bound (the
# released STSTNet files: 10 KB, about 300 opcodes and 230 memo entries a pickle, 23 tensors).
MAX_FILE_BYTES = 1 << 30  # the file, read once into memory
MAX_ARRAY_BYTES = 1 << 30  # all tensors together, as NumPy arrays (each a view: what a caller's copy would cost)
MAX_OPCODES = 1 << 18  # a pickle's opcodes (some 30 a tensor): at most about 20 MB of objects and 2 s, however crafted
MAX_MEMO = 1 << 18  # a pickle's memo indices (pickle numbers its entries 0, 1, 2...)
MAX_NUMBER_BITS = 128  # an integer in a pickle (the legacy magic number has 77 bits)
# A text or bytes item of a pickle (a key, a global's or storage type's name, a device, a storage key): keys of
# weights are under a hundred characters. Any one read from a pickle is bounded so, the opcode's own lengths
# included; no item of a state dict's pickles holds tensor data (the legacy storages follow the pickles, the zip
# ones are members of their own).
MAX_ITEM_BYTES = 1 << 16
MAX_MEMBERS = 100_000  # a zip archive's members (torch writes one a storage, and three more)
ZIP_DIRECTORY_ENTRY = b"PK\x01\x02"  # the signature every central-directory entry of a zip begins with
ZIP_LOCAL_HEADER = b"PK\x03\x04"  # the signature a zip's first member begins with (torch.serialization._is_zipfile)
# A storage's key names a zip member (``data/<key>``) and is matched against the legacy key list: torch writes
# decimal numbers; anything with a path separator or other punctuation is refused.
_KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_REBUILDS = (("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"))
_ORDERED_DICT = ("collections", "OrderedDict")
# Opcodes that push the value genops decoded from the file: a number, a string or bytes.
_VALUES = frozenset({"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT", "STRING",
                     "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
                     "BINBYTES", "SHORT_BINBYTES", "BINBYTES8"})
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False, "EMPTY_TUPLE": ()}
_SMALL_TUPLES = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}
_OPCODE_NAMES = {opcode.code.encode("latin-1"): opcode.name for opcode in pickletools.opcodes}


class StateDictError(ValueError):
    """A file that is not a PyTorch state dict this reader can read (one line naming it and why)."""


class _ItemTooLong(Exception):
    """A read of a pickle past :data:`MAX_ITEM_BYTES`: ``size`` the length its opcode declares, None for a line
    (a text opcode ended by a newline) longer than that."""

    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


class _PickleBytes(io.BytesIO):
    """The bytes :func:`pickletools.genops` reads pickles from, every read no longer than :data:`MAX_ITEM_BYTES`:
    genops reads an item's declared length, then that many bytes (a BINUNICODE8 may declare the whole file), or
    a line however long; refused here before anything is read (:class:`_ItemTooLong`)."""

    def read(self, size: int | None = -1) -> bytes:
        if size is None or not 0 <= size <= MAX_ITEM_BYTES:
            raise _ItemTooLong(size)
        return super().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(MAX_ITEM_BYTES + 1)  # the item, then its newline
        if len(line) > MAX_ITEM_BYTES and not line.endswith(b"\n"):
            raise _ItemTooLong(None)
        return line

    def opcode_at(self, position: int) -> str:
        """The name of the opcode at ``position`` (read without moving)."""
        with self.getbuffer() as view:
            code = bytes(view[position:position + 1])
        return _OPCODE_NAMES.get(code, repr(code))


def _opcodes(handle: _PickleBytes, where: str) -> Iterator[tuple[pickletools.OpcodeInfo, Any]]:
    """``(opcode, argument)`` of the pickle at ``handle``'s position (:func:`pickletools.genops`), an item longer
    than :data:`MAX_ITEM_BYTES` refused in one line naming its opcode."""
    ops = pickletools.genops(handle)
    while True:
        start = handle.tell()  # genops waits before the next opcode: what it reads next starts here
        try:
            opcode, arg, _ = next(ops)
        except StopIteration:
            return
        except _ItemTooLong as error:
            name = handle.opcode_at(start)
            claim = (f"declares a text or bytes item of {error.size} bytes" if error.size is not None
                     else f"holds a text line of more than {MAX_ITEM_BYTES} bytes")
            raise StateDictError(f"{where} {claim} (pickle opcode {name}); expected texts and bytes of at most "
                                 f"{MAX_ITEM_BYTES} bytes each (keys and names)") from None
        yield opcode, arg


def _whole(value: Any) -> bool:
    """A Python integer that is not a bool (pickles give ``True`` for 1 where a file says so)."""
    return isinstance(value, int) and not isinstance(value, bool)


class _Brief(reprlib.Repr):
    """reprlib's bounded repr (a few items of a few levels; strings and numbers cut), and any object it has no
    rule for by its type only: never that object's own repr, whose length a crafted file chooses."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxtuple, self.maxlist, self.maxdict = 3, 4, 4, 4
        self.maxstring = self.maxlong = self.maxother = 40

    def repr_instance(self, x: Any, level: int) -> str:
        if x is None or isinstance(x, (bool, float, _Global, _Storage)):
            return repr(x)  # short by construction
        return f"<{type(x).__name__}>"

    def repr__Ordered(self, x: Any, level: int) -> str:  # reprlib's method for the type named _Ordered
        return self.repr_dict(x, level)


_BRIEFLY = _Brief()


def _brief(value: Any) -> str:
    """A value from the file, described in at most a few hundred characters whatever it is."""
    return _BRIEFLY.repr(value)


def _short(text: str, limit: int = 100) -> str:
    """A string from the file (a key, a global's name), cut to ``limit`` characters on one line."""
    text = text.replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _error_text(error: BaseException) -> str:
    """``Type: message`` of an exception a crafted file provoked, bounded: the message of Python, zipfile or
    NumPy when its arguments are strings, else the arguments described by :func:`_brief` (a ``KeyError``'s
    argument is the file's own value)."""
    args = error.args
    text = ("; ".join(_short(a, 200) for a in args) if all(isinstance(a, str) for a in args) else _brief(args))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@dataclasses.dataclass(frozen=True)
class _Global:
    """A global the pickle named and the reader allows: its name only, frozen (not the class or function of
    that name: nothing the pickle does reaches those)."""

    module: str
    name: str

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclasses.dataclass(frozen=True)
class _Tensor:
    """``torch._utils._rebuild_tensor[_v2]``'s arguments, kept as the pickle gives them; checked and resolved
    by :func:`_tensor_view` once the storages are read."""

    args: tuple


class _Storage:
    """A storage named by the pickle's persistent record: its dtype (from its type's name), key and claimed
    element count; its bytes come later in the file (``array``, set by the reader only)."""

    __slots__ = ("dtype", "key", "numel", "array")

    def __init__(self, dtype: np.dtype, key: str, numel: int) -> None:
        self.dtype, self.key, self.numel = dtype, key, numel
        self.array: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"storage {self.key}"


class _Ordered(dict):
    """An ``OrderedDict`` the pickle built (a dict keeps its order): the one object BUILD may act on."""


def _global(module: Any, name: Any, where: str, state_dict: bool) -> _Global:
    if not isinstance(module, str) or not isinstance(name, str):
        raise StateDictError(f"{where} names a global by {_brief(module)} and {_brief(name)}; expected names")
    if state_dict and ((module, name) in (_ORDERED_DICT, *_REBUILDS) or (module == "torch" and name in STORAGES)):
        return _Global(module, name)
    expected = "tensors only" if state_dict else "plain values there"
    raise StateDictError(f"{where} holds {_short(module)}.{_short(name)}; expected a PyTorch state dict ({expected})")


def _call(function: Any, args: Any, where: str) -> Any:
    """REDUCE: ``OrderedDict()`` is a new dict, ``_rebuild_tensor[_v2](...)`` the record of its arguments;
    nothing else is called."""
    if isinstance(function, _Global) and type(args) is tuple:
        if (function.module, function.name) == _ORDERED_DICT and not args:
            return _Ordered()
        if (function.module, function.name) in _REBUILDS:
            return _Tensor(args)
    raise StateDictError(f"{where} calls {_brief(function)} with {_brief(args)}; expected OrderedDict() and "
                         "_rebuild_tensor(...) only")


def _set_items(target: Any, items: list, where: str) -> None:
    """SETITEM(S): ``items`` (key, value, key, value...) into a dict the machine built, keys strings or
    integers (hashing a crafted tuple could take as long as the file wants)."""
    if type(target) not in (dict, _Ordered) or len(items) % 2:
        raise StateDictError(f"{where} sets items on {_brief(target)}; expected a dict it built, keys and values "
                             "in pairs")
    for key, value in zip(items[::2], items[1::2]):
        if type(key) not in (str, int):
            raise StateDictError(f"{where} uses {_brief(key)} as a dict key; expected strings")
        # A pickle of a dict names each key once: a key set twice would silently keep only its last value.
        if key in target:
            raise StateDictError(f"{where} sets the key {_brief(key)} twice; expected each key once")
        target[key] = value


def _unpickle(handle: _PickleBytes, path: Path, part: str, storages: dict[str, _Storage] | None = None) -> Any:
    """The object of the pickle at ``handle``'s position, built from plain values only (the module's
    docstring); ``handle`` is left after its STOP. ``storages`` None: no global and no persistent record
    allowed (the legacy header, the storage keys); else the state dict's, each persistent record resolved
    into it (:func:`_storage`)."""
    where = f"{path}: its {part}"
    stack: list[Any] = []
    marks: list[list[Any]] = []
    memo: dict[int, Any] = {}
    for count, (opcode, arg) in enumerate(_opcodes(handle, where), start=1):
        if count > MAX_OPCODES:
            raise StateDictError(f"{where} runs past {MAX_OPCODES} pickle opcodes; expected a PyTorch state dict")
        op = opcode.name
        # the most frequent first: memo entries, values, marks
        if op in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
            index = len(memo) if op == "MEMOIZE" else arg
            if type(index) is not int or not 0 <= index < MAX_MEMO:
                raise StateDictError(f"{where} stores memo index {_brief(index)}; expected below {MAX_MEMO}")
            memo[index] = stack[-1]
        elif op in ("GET", "BINGET", "LONG_BINGET"):
            if arg not in memo:
                raise StateDictError(f"{where} fetches memo index {_brief(arg)}, never stored")
            stack.append(memo[arg])
        elif op in _VALUES:
            if type(arg) is int and arg.bit_length() > MAX_NUMBER_BITS:
                raise StateDictError(f"{where} holds an integer of {arg.bit_length()} bits; expected at most "
                                     f"{MAX_NUMBER_BITS}")
            stack.append(arg)
        elif op in _CONSTANTS:
            stack.append(_CONSTANTS[op])
        elif op in ("PROTO", "FRAME"):  # the protocol's number; a frame's length (genops reads on through it)
            continue
        elif op == "MARK":
            marks.append(stack)
            stack = []
        elif op == "POP_MARK" or (op == "POP" and not stack):
            stack = marks.pop()
        elif op == "POP":
            stack.pop()
        elif op == "DUP":
            stack.append(stack[-1])
        elif op in ("TUPLE", "LIST", "DICT", "APPENDS", "SETITEMS"):
            items, stack = stack, marks.pop()
            if op == "TUPLE":
                stack.append(tuple(items))
            elif op == "LIST":
                stack.append(items)
            elif op == "DICT":
                stack.append({})
                _set_items(stack[-1], items, where)
            elif op == "APPENDS":
                _append(stack[-1], items, where)
            else:
                _set_items(stack[-1], items, where)
        elif op in _SMALL_TUPLES:
            size = _SMALL_TUPLES[op]
            if len(stack) < size:
                raise StateDictError(f"{where} builds a tuple from an empty stack; expected a PyTorch state dict")
            stack[-size:] = [tuple(stack[-size:])]
        elif op == "EMPTY_LIST":
            stack.append([])
        elif op == "EMPTY_DICT":
            stack.append({})
        elif op == "APPEND":
            value = stack.pop()
            _append(stack[-1], [value], where)
        elif op == "SETITEM":
            value, key = stack.pop(), stack.pop()
            _set_items(stack[-1], [key, value], where)
        elif op in ("GLOBAL", "STACK_GLOBAL"):
            if op == "GLOBAL":  # genops gives "module name"
                module, _, name = str(arg).partition(" ")
            else:
                name, module = stack.pop(), stack.pop()
            stack.append(_global(module, name, where, storages is not None))
        elif op == "REDUCE":
            args, function = stack.pop(), stack.pop()
            stack.append(_call(function, args, where))
        elif op == "BUILD":
            state = stack.pop()
            if type(stack[-1]) is not _Ordered or not isinstance(state, dict):
                raise StateDictError(f"{where} sets the state of {_brief(stack[-1])}; expected only an OrderedDict's "
                                     "own")
        elif op in ("PERSID", "BINPERSID"):
            if storages is None:
                raise StateDictError(f"{where} holds a persistent record; expected a PyTorch state dict")
            stack.append(_storage(arg if op == "PERSID" else stack.pop(), storages, path))
        elif op == "STOP":
            if len(stack) != 1 or marks:
                raise StateDictError(f"{where} ends with {len(stack)} objects on its stack; expected one")
            return stack[0]
        else:
            raise StateDictError(f"{where} uses the pickle opcode {op}; expected a PyTorch state dict (no objects "
                                 "but numbers, strings, tuples, lists and dicts)")
    raise StateDictError(f"{where} has no STOP")  # genops ends only at STOP or raises: not reached


def _append(target: Any, items: list, where: str) -> None:
    """APPEND(S): ``items`` onto a list the machine built."""
    if type(target) is not list:
        raise StateDictError(f"{where} appends to {_brief(target)}; expected a list it built")
    target.extend(items)


def _storage(pid: Any, storages: dict[str, _Storage], path: Path) -> _Storage:
    """A persistent record ``('storage', storage type, key, location, number of elements[, view metadata])``:
    the storage of that key, made once, its dtype the one its type names."""
    if type(pid) is not tuple or len(pid) not in (5, 6) or pid[0] != "storage":
        raise StateDictError(f"{path}: an unknown persistent record {_brief(pid)}; expected a PyTorch state dict")
    kind, key, numel = pid[1], pid[2], pid[4]
    if not isinstance(kind, _Global) or kind.module != "torch" or kind.name not in STORAGES:
        raise StateDictError(f"{path}: a storage record without a storage type; expected a PyTorch state dict")
    if not isinstance(key, str) or not 1 <= len(key) <= 64 or not set(key) <= _KEY_CHARACTERS:
        raise StateDictError(f"{path}: a storage key {_brief(key)}; expected letters and digits")
    if not _whole(numel) or numel < 0:
        raise StateDictError(f"{path}: storage {key} claims {_brief(numel)} elements; expected a whole number >= 0")
    if len(pid) == 6 and pid[5] is not None:
        raise StateDictError(f"{path}: storage {key} is a view of another storage (PyTorch < 0.4); "
                             "expected plain storages")
    dtype = np.dtype(STORAGES[kind.name])
    known = storages.get(key)
    if known is None:
        known = storages[key] = _Storage(dtype, key, numel)
    elif known.dtype != dtype or known.numel != numel:
        raise StateDictError(f"{path}: storage {key} is named twice with different types or sizes "
                             f"({known.dtype.name} and {dtype.name}, {known.numel} and {numel} elements)")
    return known


def _check_header(handle: _PickleBytes, path: Path) -> None:
    """The legacy format's three header pickles, by type and value."""
    magic = _unpickle(handle, path, "magic number")
    if not _whole(magic) or magic != LEGACY_MAGIC:
        raise StateDictError(f"{path}: not a PyTorch file (no torch.save magic number)")
    protocol = _unpickle(handle, path, "protocol")
    if not _whole(protocol) or protocol != LEGACY_PROTOCOL:
        raise StateDictError(f"{path}: torch.save protocol {_brief(protocol)}; expected {LEGACY_PROTOCOL}")
    info = _unpickle(handle, path, "system information")
    if (not isinstance(info, dict) or info.get("protocol_version") != LEGACY_PROTOCOL
            or info.get("little_endian") is not True):
        raise StateDictError(f"{path}: its system information {_brief(info)}; expected protocol_version "
                             f"{LEGACY_PROTOCOL} and little_endian True (the storages are read as little-endian)")
    sizes = info.get("type_sizes", {})
    if not isinstance(sizes, dict) or not all(isinstance(k, str) and _whole(v) for k, v in sizes.items()):
        raise StateDictError(f"{path}: its system information's type_sizes {_brief(sizes)}; expected names and "
                             "whole numbers")


def _legacy(raw: bytes, path: Path) -> Any:
    """The legacy format's state dict object, its storages' arrays set (views of ``raw``)."""
    handle = _PickleBytes(raw)
    _check_header(handle, path)
    storages: dict[str, _Storage] = {}
    obj = _unpickle(handle, path, "state dict", storages)
    keys = _unpickle(handle, path, "storage keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
        raise StateDictError(f"{path}: its storage keys are not a list of distinct names")
    if set(keys) != set(storages):
        missing = sorted(set(storages) - set(keys)) or sorted(set(keys) - set(storages))
        raise StateDictError(f"{path}: the storage keys and the storages the tensors name differ (first: "
                             f"{_short(missing[0])})")
    position = handle.tell()
    for key in keys:
        storage = storages[key]
        head = raw[position:position + 8]
        if len(head) != 8:
            raise StateDictError(f"{path}: cut short before storage {key}")
        (count,) = struct.unpack("<q", head)
        position += 8
        left = len(raw) - position
        itemsize = storage.dtype.itemsize
        if count != storage.numel or count * itemsize > left:
            raise StateDictError(f"{path}: storage {key} claims {count} elements ({storage.numel} in its record); "
                                 f"{left // itemsize} are left in the file")
        storage.array = np.frombuffer(raw, dtype=storage.dtype, count=count, offset=position)
        position += count * itemsize
    if position != len(raw):
        raise StateDictError(f"{path}: {len(raw) - position} bytes after the last storage; expected none")
    return obj


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """A zip member's bytes, read no further than its declared size, which they must fill; stored or deflated
    only (zipfile inflates those no further than the bytes asked for, but decompresses a bzip2 or LZMA chunk
    whole: a few hundred bytes of bzip2 are gigabytes)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise StateDictError(f"{path}: its member {_short(info.filename)} is compressed by method "
                             f"{info.compress_type}; expected it stored (as torch.save writes it) or deflated")
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise StateDictError(f"{path}: its member {_short(info.filename)} holds {len(data)} bytes, not the "
                             f"{info.file_size} declared")
    return data


def _zipped(raw: bytes, path: Path) -> Any:
    """The zip format's state dict object, its storages' arrays set (views of the members' bytes)."""
    entries = raw.count(ZIP_DIRECTORY_ENTRY)  # zipfile builds one object an entry: counted before it reads them
    if entries > MAX_MEMBERS:
        raise StateDictError(f"{path}: a zip of up to {entries} members; expected at most {MAX_MEMBERS}")
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        infos = archive.infolist()
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:  # a name twice: zipfile reads the last of them, another reader may read the first
            if info.filename in members:
                raise StateDictError(f"{path}: its member {_short(info.filename)} is in the zip twice; expected "
                                     "each once")
            members[info.filename] = info
        declared = sum(info.file_size for info in infos)
        if declared > len(raw):
            raise StateDictError(f"{path}: its members claim {declared} bytes in all, more than the file's "
                                 f"{len(raw)}; expected the uncompressed members torch.save writes")
        # The folder of the first member holds the archive, as PyTorch reads it (not the first data.pkl found
        # anywhere: a file PyTorch reads from archive/data.pkl is read from the same place here).
        folder = infos[0].filename.partition("/")[0] if infos and "/" in infos[0].filename else None
        pkl = f"{folder}/data.pkl"
        if folder is None or pkl not in members:
            raise StateDictError(f"{path}: a zip without <folder>/data.pkl in the folder of its first member; "
                                 "expected a PyTorch state dict")
        prefix = f"{folder}/"
        byteorder = members.get(f"{prefix}byteorder")
        if byteorder is not None and _member(archive, byteorder, path) != b"little":
            raise StateDictError(f"{path}: its byteorder is not 'little'; the storages are read as little-endian")
        storages: dict[str, _Storage] = {}
        obj = _unpickle(_PickleBytes(_member(archive, members[pkl], path)), path, "state dict", storages)
        for key, storage in storages.items():
            name = f"{prefix}data/{key}"
            if name not in members:
                raise StateDictError(f"{path}: storage {key} has no member {_short(name)}")
            data = _member(archive, members[name], path)
            itemsize = storage.dtype.itemsize
            if len(data) != storage.numel * itemsize:
                raise StateDictError(f"{path}: storage {key} holds {len(data)} bytes; its record claims "
                                     f"{storage.numel} elements of {itemsize} bytes")
            storage.array = np.frombuffer(data, dtype=storage.dtype)
    return obj


@dataclasses.dataclass(frozen=True)
class _Extent:
    """A tensor's place in its storage, checked: the view :func:`_tensor_view` makes of it."""

    data: np.ndarray
    offset: int
    size: tuple[int, ...]
    strides: tuple[int, ...]  # in bytes

    @property
    def nbytes(self) -> int:
        return math.prod(self.size) * self.data.itemsize


def _extent(tensor: _Tensor, key: str, path: Path) -> _Extent:
    """The tensor's offset, sizes and strides, checked against its storage before any view is made."""
    where = f"{path}: tensor {_short(key)}"
    args = tensor.args
    if not 4 <= len(args) <= 7:
        raise StateDictError(f"{where}: {len(args)} arguments to rebuild it; expected 4 to 7")
    storage, offset, size, stride = args[:4]
    if not isinstance(storage, _Storage) or storage.array is None:
        raise StateDictError(f"{where}: not on a stored storage")
    if storage.dtype.kind != "f" and key.rsplit(".", 1)[-1] not in COUNTERS:
        raise StateDictError(f"{where}: {storage.dtype.name} values; expected floating-point weights (an integer "
                             f"tensor only as {' or '.join(COUNTERS)})")
    if type(size) is not tuple or type(stride) is not tuple:
        raise StateDictError(f"{where}: sizes and strides not whole numbers")
    if not _whole(offset) or offset < 0 or len(size) != len(stride) or len(size) > MAX_DIMS:
        raise StateDictError(f"{where}: offset {_brief(offset)}, {len(size)} sizes and {len(stride)} strides; "
                             f"expected an offset >= 0 and as many sizes as strides, at most {MAX_DIMS}")
    if not all(_whole(v) for v in (*size, *stride)):
        raise StateDictError(f"{where}: sizes and strides not whole numbers")
    if any(v < 0 for v in (*size, *stride)):
        raise StateDictError(f"{where}: a negative size or stride {_brief(size)} / {_brief(stride)}")
    data = storage.array
    elements = 1
    for n in size:
        elements *= n
    if elements > len(data):
        raise StateDictError(f"{where}: {elements} elements claimed, its storage {storage.key} holds {len(data)}")
    if elements == 0:
        if offset > len(data):
            raise StateDictError(f"{where}: offset {offset} past its storage's {len(data)} elements")
        return _Extent(data[:0], 0, size, (0,) * len(size))
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= len(data):
        raise StateDictError(f"{where}: reaches element {last} of its storage {storage.key}, which holds {len(data)}")
    # A dimension of size 1 never steps: its stride (unchecked above) is not handed to NumPy.
    strides = tuple(s * data.itemsize if n > 1 else 0 for n, s in zip(size, stride))
    return _Extent(data[offset:], offset, size, strides)


def _tensor_view(extent: _Extent) -> np.ndarray:
    """The tensor's values: a read-only view of its storage (an empty tensor: an empty array of its shape)."""
    if not extent.data.size:
        return np.zeros(extent.size, dtype=extent.data.dtype)
    return np.lib.stride_tricks.as_strided(extent.data, shape=extent.size, strides=extent.strides, writeable=False)


def _arrays(obj: Any, path: Path) -> dict[str, np.ndarray]:
    """``{key: array}`` of the state dict object: every extent checked and the total bounded first, then the
    views made; an error of either step names its tensor."""
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, _Tensor) for k, v in obj.items()):
        raise StateDictError(f"{path}: holds {_brief(obj) if isinstance(obj, _Global) else 'a ' + type(obj).__name__}"
                             ", not a state dict of named tensors")
    extents: dict[str, _Extent] = {}
    for key, tensor in obj.items():
        with _naming(path, key):
            extents[key] = _extent(tensor, key, path)
    total = sum(extent.nbytes for extent in extents.values())
    if total > MAX_ARRAY_BYTES:
        raise StateDictError(f"{path}: its {len(extents)} tensors hold {total} bytes in all (a storage may be named "
                             f"by many); expected at most {MAX_ARRAY_BYTES}")
    arrays = {}
    for key, extent in extents.items():
        with _naming(path, key):
            arrays[key] = _tensor_view(extent)
    return arrays


@contextlib.contextmanager
def _naming(path: Path, key: str) -> Iterator[None]:
    """Any error of a tensor's checks or views as one line naming the file and the tensor."""
    try:
        yield
    except StateDictError:
        raise
    except Exception as error:  # boundary: whatever a crafted tensor provokes in the checks or in NumPy, one line
        raise StateDictError(f"{path}: tensor {_short(key)}: {_error_text(error)}") from None


def _read_bytes(path: Path) -> bytes:
    """The file's bytes: a regular file (a pipe would be read forever) of at most :data:`MAX_FILE_BYTES`."""
    try:
        # O_NONBLOCK: opening a named pipe does not wait for a writer (it is refused below, as not regular)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(descriptor, "rb") as handle:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                raise StateDictError(f"{path}: not a regular file; expected a PyTorch state dict")
            if status.st_size > MAX_FILE_BYTES:
                raise StateDictError(f"{path}: {status.st_size} bytes; expected a state dict of weights, at most "
                                     f"{MAX_FILE_BYTES}")
            raw = handle.read(status.st_size + 1)  # read(n) reserves n bytes first: never more than the file
    except OSError as error:
        raise StateDictError(f"{path}: cannot read ({error.strerror or error})") from None
    if len(raw) != status.st_size:
        raise StateDictError(f"{path}: changed while it was read ({status.st_size} bytes, then {len(raw)})")
    return raw


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """``{name: array}`` of a ``torch.save``d state dict (either format), in the file's order, each array a
    read-only view; :class:`StateDictError` (one line naming the file) for anything else."""
    path = Path(path)
    raw = _read_bytes(path)
    try:
        # A zip archive when the file begins as one, as PyTorch decides (zipfile.is_zipfile looks for a zip's
        # end anywhere near the file's end: inside a legacy file's last storage too, which PyTorch reads as legacy)
        obj = _zipped(raw, path) if raw.startswith(ZIP_LOCAL_HEADER) else _legacy(raw, path)
        return _arrays(obj, path)
    except StateDictError:
        raise
    except Exception as error:  # boundary: pickletools', zipfile's, struct's and NumPy's errors on a crafted file
        raise StateDictError(f"{path}: not a readable PyTorch state dict ({_error_text(error)})") from None
