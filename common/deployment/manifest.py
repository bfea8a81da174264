"""The export manifest's schema and its own hash: what ``--predict`` checks before it trusts ``manifest.json``.

Every field :func:`common.deployment.export.export_experiment` writes is required, with its JSON type and,
where the value has a domain, the domain (:func:`check_manifest`; the fitted ``state`` key by key:
:data:`STATE`). The manifest covers itself:
``manifest_sha256`` is the sha256 of its canonical content without that field (:func:`manifest_digest`),
so an accidental change (a damaged or truncated file, a copy that mixed two exports, an edit made without
knowing of the hash) no longer matches. That hash is a checksum, not a signature: it has no key, so whoever
edits the manifest on purpose and recomputes it (and the files' sha256) forges a folder that passes it. What
else is checked: ``load_export`` checks the config, the class names and ``min_frames`` against the code and
every model against the manifest: its input and output shapes, and the record each model file carries of the
export that wrote it (:data:`MODEL_RECORD`: the manifest's fields that change a prediction, :data:`RECORDED`),
so that an edited manifest (another channel order in its overrides, other class names, another fitted
scaling in its state) is refused even with its hashes recomputed; a deliberate edit of the model files too
cannot be told from an export. ``source_digest`` records the suite's source that trained
(``common.preprocessing.cache.source_digest``): another code's export is read, and said (:func:`source_note`),
since its inputs are then made by this code's preprocessing.

Why hand-written: ``jsonschema`` is not a dependency, and what is checked here is a fixed set of typed fields
with a few ranges, each refusal one line naming the field; a small typed checker says that more plainly than
a schema document plus a second library's error messages rewritten into one line.
"""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import math
import re
import zipfile
from pathlib import Path
from typing import Any, NoReturn
from collections.abc import Callable, Mapping

from common.classifiers import SVM_SCORES
from common.errors import MersuiteError
from common.files import hdf5_problem, parse_json, stored_member, zip_members

HASH_FIELD = "manifest_sha256"
# The member each exported ``.keras`` file carries beside Keras' own (Keras reads only its own members): the
# manifest's fields that change what the model predicts, :data:`RECORDED`, as the export wrote them.
MODEL_RECORD = "mersuite.json"
SOURCE_FIELD = "source_digest"  # the sha256 of the suite's source that trained (common.preprocessing.cache)
RECORDED = ("paper", "experiment", "source", "profile", "overrides", "seed", "config", "config_hash",
            "preprocessing", "class_names", "state", "min_frames", SOURCE_FIELD)
# The most a JSON member of a ``.keras`` archive (Keras' config.json and metadata.json, the record) may inflate to,
# checked from the archive's directory before anything reads it: an exported model's config is kilobytes, and a
# deflated member of spaces claims a thousand times its stored size (1 GiB in a 1 MB file), which Keras would read.
JSON_MEMBER_BYTES = 16 << 20  # a manifest's bound
RECORD_BYTES = JSON_MEMBER_BYTES  # the most a model's record may hold: one of those JSON members
# Every member a ``.keras`` file of an export holds: what Keras 3 writes for a model without assets, and the record.
# Keras extracts a whole archive of more than three members to a temporary folder before it reads it, so a member
# beyond these (a large one of zeros, deflated to a few kB) is refused before Keras opens the file.
MODEL_MEMBERS = ("metadata.json", "config.json", "model.weights.h5", MODEL_RECORD)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a file-safe model name (its file is <name>.keras)

# Every top-level field, its JSON type and what it holds (the refusal says so).
FIELDS: dict[str, tuple[str, str]] = {
    "format_version": ("integer", "the folder format"),
    "mersuite_version": ("string", "the mersuite version that exported"),
    "paper": ("string", "the paper id"),
    "experiment": ("string", "the experiment name"),
    "title": ("string", "the experiment title"),
    "source": ("object", "how the experiment is found: {kind: experiment} or {kind: track, track, model}"),
    "profile": ("string", "the profile: paper, quick or smoke"),
    "overrides": ("object", "the --set values"),
    "seed": ("integer", "the training seed"),
    "config": ("object", "the effective config"),
    "config_hash": ("string", "the config's hash"),
    "preprocessing": ("object", "the config without its training section"),
    "class_names": ("array", "the class names, in the order of the scores"),
    "models": ("object", "model name -> {file, inputs, outputs}"),
    "state": ("object", "the export fold's recorded state"),
    "min_frames": ("integer", "the fewest frames a clip needs"),
    SOURCE_FIELD: ("string", "the sha256 of the suite's source that trained (every .py file under common/ and "
                             "papers/)"),
    "faces_policy": ("string", "the face check's policy: exclude, keep or refuse"),
    "training_corpus": ("object", "the training data: kind, root, datasets, samples, fps, fingerprint, dropped "
                                  "(and inputs: what the inputs were made from, since it was recorded)"),
    "keras": ("object", "{backend, version}"),
    "date": ("string", "when the export was written"),
    "files": ("object", "file name -> sha256"),
    HASH_FIELD: ("string", "the sha256 of the rest of the manifest"),
}
# The folder format that first wrote each field added since format 3: a manifest of an earlier format, still read,
# lacks it (its models' records too), and what it would have said is unknown (source_note says so).
FIELD_SINCE = {SOURCE_FIELD: 4}
_ARTICLE = {"integer": "an integer", "array": "an array", "object": "an object", "string": "a string",
            "number": "a number", "boolean": "a boolean", "null": "null"}


class DeployError(MersuiteError, ValueError):
    """An export or a prediction that cannot be done as asked: one line for the user (exit 2)."""


class ManifestProblem(ValueError):
    """One field of the manifest that is not what the export writes (the message names it)."""


def canonical_json(content: Any) -> str:
    """Keys sorted, no spaces, non-ASCII kept, no NaN: the text :func:`manifest_digest` hashes."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """The sha256 (hex) of the manifest's content without ``manifest_sha256``, as canonical UTF-8 JSON."""
    content = {key: value for key, value in manifest.items() if key != HASH_FIELD}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


# The JSON type of each Python type json.loads gives, bool before int (a bool is an int in Python).
_JSON_KINDS = ((type(None), "null"), (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"))


def json_kind(value: Any) -> str:
    """The JSON type of a parsed value (a bool is a boolean, not an integer); another value's type name."""
    return next((kind for python, kind in _JSON_KINDS if isinstance(value, python)), type(value).__name__)


def _shown(value: Any) -> str:
    kind = json_kind(value)
    if kind in ("integer", "number", "string", "boolean"):
        text = json.dumps(value)
        return f"{_ARTICLE[kind]} ({text if len(text) <= 40 else text[:37] + '...'})"
    return _ARTICLE.get(kind, kind)


def _fail(field: str, value: Any, expected: str) -> NoReturn:
    raise ManifestProblem(f"field '{field}' is {_shown(value)}; expected {expected}")


def _typed(value: Any, field: str, kind: str, expected: str | None = None) -> Any:
    """``value`` if it has JSON type ``kind`` ("number" takes an integer too), else a refusal."""
    found = json_kind(value)
    if found != kind and not (kind == "number" and found == "integer"):
        _fail(field, value, expected or _ARTICLE[kind])
    return value


def _field(manifest: Mapping[str, Any], name: str) -> Any:
    kind, what = FIELDS[name]
    if name not in manifest:
        raise ManifestProblem(f"field '{name}' is missing; expected {_ARTICLE[kind]} ({what})")
    return _typed(manifest[name], name, kind, f"{_ARTICLE[kind]} ({what})")


def _member(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if json_kind(value) != "string" or value not in allowed:
        _fail(field, value, "one of " + ", ".join(allowed))
    return value


def _count(value: Any, field: str, least: int) -> int:
    if json_kind(value) != "integer" or value < least:
        _fail(field, value, f"an integer >= {least}")
    return value


def _sub(parent: Mapping[str, Any], parent_name: str, name: str, kind: str, expected: str | None = None) -> Any:
    field = f"{parent_name}.{name}"
    if name not in parent:
        raise ManifestProblem(f"field '{field}' is missing; expected {expected or _ARTICLE[kind]}")
    return _typed(parent[name], field, kind, expected)


def _shape(value: Any, field: str) -> None:
    """A tensor shape: an array of sizes, each an integer >= 1 or null (the batch)."""
    _typed(value, field, "array", "an array of sizes (integers >= 1, or null)")
    for k, size in enumerate(value):
        if size is not None and (json_kind(size) != "integer" or size < 1):
            _fail(f"{field}[{k}]", size, "an integer >= 1 or null")


def _positive(value: Any, field: str, expected: str) -> None:
    """A finite number above 0 (a JSON integer or number, not a boolean), else a refusal."""
    if json_kind(value) not in ("integer", "number") or not math.isfinite(value) or value <= 0:
        _fail(field, value, expected)


def _svm_classes(value: Any, field: str, classes: int) -> None:
    expected = (f"the classes the SVM was trained on: at least two distinct class indices (integers 0..{classes - 1} "
                f"of the {classes} class_names) in increasing order")
    _typed(value, field, "array", expected)
    if not 2 <= len(value) <= classes:
        _fail(field, value, expected)
    for k, index in enumerate(value):
        if json_kind(index) != "integer" or not 0 <= index < classes:
            _fail(f"{field}[{k}]", index, f"an integer 0..{classes - 1} (the index of one of the {classes} "
                                          "class_names the SVM was trained on)")
        if k and index <= value[k - 1]:
            _fail(f"{field}[{k}]", index, f"an integer above {value[k - 1]} (distinct class indices, in increasing "
                                          "order)")


def _svm_scores(value: Any, field: str, classes: int) -> None:
    if value != SVM_SCORES:
        _fail(field, value, f"{json.dumps(SVM_SCORES)} (what an SVM's scores are, as the export labels them)")


def _array(value: Any, field: str, most: int, expected: str) -> None:
    """A JSON array of 1 to ``most`` items, else a refusal."""
    _typed(value, field, "array", expected)
    if not 1 <= len(value) <= most:
        _fail(field, value, expected)


def _scaling(value: Any, field: str, classes: int) -> None:
    expected = ("an array of 1 to 16 stream scalings, each {std} (std > 0) or {mean, peak} (finite mean, peak > 0): "
                "the scalars fitted on the training fold")
    _array(value, field, 16, expected)
    for k, stream in enumerate(value):
        at = f"{field}[{k}]"
        _typed(stream, at, "object", expected)
        if sorted(stream) == ["std"]:
            _positive(stream["std"], f"{at}.std", "a finite number > 0 (the training fold's standard deviation)")
        elif sorted(stream) == ["mean", "peak"]:
            if json_kind(stream["mean"]) not in ("integer", "number") or not math.isfinite(stream["mean"]):
                _fail(f"{at}.mean", stream["mean"], "a finite number (the training fold's mean)")
            _positive(stream["peak"], f"{at}.peak", "a finite number > 0 (the training fold's peak)")
        else:
            raise ManifestProblem(f"field '{at}' holds the keys {sorted(stream)[:4]}; expected {expected}")


def _motion_scale(value: Any, field: str, classes: int) -> None:
    if value is not None:
        _positive(value, field, "null or a finite number > 0 (the training fold's standard deviation)")


def _feature_scale(value: Any, field: str, classes: int) -> None:
    if value is None:
        return
    expected = ("null or an array of 1 to 64 arrays (one per region) of 1 to 4096 numbers each, all of one length, "
                "each finite and > 0 (the training fold's standard deviations)")
    _array(value, field, 64, expected)
    for k, region in enumerate(value):
        _typed(region, f"{field}[{k}]", "array", expected)
        if not 1 <= len(region) <= 4096 or len(region) != len(value[0]):
            _fail(f"{field}[{k}]", region, expected)
        for j, number in enumerate(region):
            _positive(number, f"{field}[{k}][{j}]", "a finite number > 0 (a standard deviation)")


@dataclasses.dataclass(frozen=True)
class StateKey:
    """One key of the export fold's recorded state (``ExportSink.record``) that a method of this code reads:
    who records it and its check, ``check(value, field, number of classes)``, which raises
    :class:`ManifestProblem` naming the field (``state.<key>`` or deeper) and what was expected."""

    recorded_by: str
    check: Callable[[Any, str, int], None]


# Every state key the methods of this code record, and what each must hold: checked when the manifest is read,
# before any model is loaded, so that a value no export writes is one line naming it, not a traceback in the method
# (a class index out of range, a string where a number goes) or a silent cast. A key this table does not name (a
# new paper's own, before it is added here) is checked as JSON only; a key a method reads and the manifest lacks is
# refused when the method reads it (``common.deployment.predict``).
STATE: dict[str, StateKey] = {
    "svm_classes": StateKey("common.classifiers.svm_fold (the Bi-WOOF and LBP-TOP SVMs)", _svm_classes),
    "scores": StateKey("common.classifiers.svm_fold: what the scores are", _svm_scores),
    "scaling": StateKey("papers.reddy2019 (its inputs' fitted scaling)", _scaling),
    "motion_scale": StateKey("papers.talluri2022 (its motion input's fitted scale)", _motion_scale),
    "feature_scale": StateKey("papers.aouayeb2019 (its LSTM inputs' fitted scale)", _feature_scale),
}


def check_state(state: Mapping[str, Any], classes: int) -> None:
    """Each key of the manifest's ``state`` that :data:`STATE` declares, with its type and range."""
    for key, value in state.items():
        if key in STATE:
            STATE[key].check(value, f"state.{key}", classes)


def safe_relative(name: str) -> bool:
    """A path inside the folder: relative, POSIX, no ``..``, no empty or ``.`` part."""
    parts = name.split("/")
    return bool(name) and "\\" not in name and not name.startswith("/") and all(p not in ("", ".", "..")
                                                                                  for p in parts)


def check_versions(manifest: Any) -> None:
    """The manifest is a JSON object whose ``format_version`` and ``mersuite_version`` have their types
    (checked first: a manifest of another format is refused by its version, not by its fields)."""
    if not isinstance(manifest, dict):
        raise ManifestProblem(f"is {_shown(manifest)}; expected an object (an export manifest)")
    _field(manifest, "format_version")
    _field(manifest, "mersuite_version")


def check_manifest(manifest: Any, *, profiles: tuple[str, ...], faces_policies: tuple[str, ...],
                   manifest_name: str = "manifest.json") -> None:
    """Every field the export writes, present with its type and domain; raises :class:`ManifestProblem`
    naming the first field that is not. Checks the fields alone (the file hashes, the manifest's own hash
    and the code are checked by the caller)."""
    check_versions(manifest)
    for name in FIELDS:
        if name in manifest or manifest["format_version"] >= FIELD_SINCE.get(name, 0):
            _field(manifest, name)
    for name in ("paper", "experiment", "config_hash"):
        if not manifest[name]:
            _fail(name, manifest[name], "a non-empty string")
    source = manifest["source"]
    kind = _member(source.get("kind"), "source.kind", ("experiment", "track"))
    if kind == "track":
        if not _sub(source, "source", "track", "string", "a string (the track name)"):
            _fail("source.track", source["track"], "a non-empty string (the track name)")
        if "model" not in source:
            raise ManifestProblem("field 'source.model' is missing; expected a string or null (the track model)")
        if source["model"] is not None:
            _typed(source["model"], "source.model", "string", "a string or null (the track model)")
    _member(manifest["profile"], "profile", profiles)
    _member(manifest["faces_policy"], "faces_policy", faces_policies)
    _count(manifest["min_frames"], "min_frames", 1)
    names = manifest["class_names"]
    if not names:
        _fail("class_names", names, "a non-empty array of class names")
    for k, name in enumerate(names):
        if json_kind(name) != "string" or not name:
            _fail(f"class_names[{k}]", name, "a non-empty string")
    if len(set(names)) != len(names):
        name, times = collections.Counter(names).most_common(1)[0]
        raise ManifestProblem(f"field 'class_names' repeats a name ({_shown(name)}, {times} times among "
                              f"{len(names)}); expected distinct names")
    check_state(manifest["state"], len(names))
    files = manifest["files"]
    for name, digest in files.items():
        if not safe_relative(name) or name == manifest_name:
            raise ManifestProblem(f"field 'files' lists {name!r}; expected a file inside the folder (a relative "
                                  f"path without '..'), other than {manifest_name}")
        if json_kind(digest) != "string" or not _HEX64.match(digest):
            _fail(f"files.{name}", digest, "a sha256 (64 lower-case hex digits)")
    models = manifest["models"]
    if not models:
        _fail("models", models, "an object with at least one model (name -> {file, inputs, outputs})")
    for name, entry in models.items():
        if not MODEL_NAME.match(name):
            raise ManifestProblem(f"field 'models' names a model {name!r}; expected a file-safe name")
        field = f"models.{name}"
        _typed(entry, field, "object", "an object {file, inputs, outputs}")
        file = _sub(entry, field, "file", "string", f"a string ('{name}.keras')")
        if file != f"{name}.keras":
            _fail(f"{field}.file", file, f"'{name}.keras' (the export names each model's file after the model)")
        if file not in files:
            raise ManifestProblem(f"field '{field}.file' names {file}, which 'files' does not list (every file "
                                  f"is listed with its sha256)")
        inputs = _sub(entry, field, "inputs", "array", "an array of input shapes")
        if not inputs:
            _fail(f"{field}.inputs", inputs, "an array of at least one input shape")
        for k, shape in enumerate(inputs):
            _shape(shape, f"{field}.inputs[{k}]")
        _shape(_sub(entry, field, "outputs", "array", "an array of sizes (the output shape)"), f"{field}.outputs")
    corpus = manifest["training_corpus"]
    _member(corpus.get("kind"), "training_corpus.kind", ("synthetic", "real"))
    _sub(corpus, "training_corpus", "root", "string")
    for dataset, count in _sub(corpus, "training_corpus", "datasets", "object").items():
        _count(count, f"training_corpus.datasets.{dataset}", 0)
    _count(_sub(corpus, "training_corpus", "samples", "integer", "an integer >= 1"), "training_corpus.samples", 1)
    rates = _sub(corpus, "training_corpus", "fps", "array", "an array of frame rates")
    for k, rate in enumerate(rates):
        if json_kind(rate) not in ("integer", "number") or not math.isfinite(rate) or rate <= 0:
            _fail(f"training_corpus.fps[{k}]", rate, "a finite frame rate > 0")
    _sub(corpus, "training_corpus", "fingerprint", "string")
    _count(_sub(corpus, "training_corpus", "dropped", "integer", "an integer >= 0"), "training_corpus.dropped", 0)
    if "inputs" in corpus:  # absent from exports written before it was recorded
        _sub(corpus, "training_corpus", "inputs", "string")
    for name in ("backend", "version"):
        _sub(manifest["keras"], "keras", name, "string")
    for name in (SOURCE_FIELD, HASH_FIELD):
        if name in manifest and not _HEX64.match(manifest[name]):
            _fail(name, manifest[name], "a sha256 (64 lower-case hex digits)")


def model_record(manifest: Mapping[str, Any], model: str) -> dict[str, Any]:
    """What the model file ``model`` of an export records of it (:data:`MODEL_RECORD`): the manifest's
    :data:`RECORDED` fields and the model's name (a field of a later format than the manifest's, which it lacks
    (:data:`FIELD_SINCE`), is left out, as that format's export left it out)."""
    return {"model": model, **{name: manifest[name] for name in RECORDED if name in manifest}}


def write_model_record(path: Path, record: Mapping[str, Any]) -> None:
    """Add :data:`MODEL_RECORD` (``record`` as JSON) to the ``.keras`` archive at ``path``, which Keras wrote."""
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MODEL_RECORD, canonical_json(record))


def read_model_record(path: Path) -> dict[str, Any]:
    """The record a ``.keras`` file carries (:func:`write_model_record`), its archive checked first
    (``common.files.zip_members``) and its JSON bounded (``common.files.parse_json``). ``ValueError`` in a few
    words when it has none or it is not one, or the archive holds a member no export writes (:func:`model_members`);
    the caller names the file."""
    members = {info.filename: info for info in model_members(path)}
    info = members.get(MODEL_RECORD)
    if info is None:
        raise ValueError(f"it carries no {MODEL_RECORD} (the record of the export that wrote it)")
    if info.file_size > RECORD_BYTES:
        raise ValueError(f"its {MODEL_RECORD} holds {info.file_size:,} bytes, more than {RECORD_BYTES:,}")
    with zipfile.ZipFile(path) as archive, archive.open(info) as handle:
        raw = handle.read(RECORD_BYTES + 1)
    try:
        record = parse_json(raw.decode("utf-8"), max_bytes=RECORD_BYTES)
    except UnicodeDecodeError as exc:
        raise ValueError(f"its {MODEL_RECORD} is not UTF-8 text (byte {exc.start})") from None
    if not isinstance(record, dict):
        raise ValueError(f"its {MODEL_RECORD} is {_shown(record)}; expected an object")
    return record


def model_members(path: Path) -> list[zipfile.ZipInfo]:
    """The members of the ``.keras`` archive at ``path``, its directory checked (``common.files.zip_members``), each
    one of :data:`MODEL_MEMBERS` and given once, and all of them inflating to at most what such a file can hold: its
    stored weights (at most the file's own length) and its JSON members (each at most :data:`JSON_MEMBER_BYTES`).
    ``ValueError`` naming the member otherwise; the caller names the file."""
    limit = Path(path).stat().st_size + len(MODEL_MEMBERS) * JSON_MEMBER_BYTES
    members = zip_members(path, limit=limit)
    seen: set[str] = set()
    for info in members:
        if info.filename not in MODEL_MEMBERS:
            raise ValueError(f"it holds a member {info.filename[:80]!r} that no export writes (expected only "
                             f"{', '.join(MODEL_MEMBERS)})")
        if info.filename in seen:
            raise ValueError(f"it holds its member {info.filename} twice (an export writes each once)")
        seen.add(info.filename)
    return members


def weights_problem(path: Path) -> str:
    """Why the members of a ``.keras`` archive are refused before Keras reads them, or ``""``: each JSON member
    (``config.json``, ``metadata.json``, :data:`MODEL_RECORD`) at most :data:`JSON_MEMBER_BYTES` inflated (the
    directory's size, which ``zipfile`` reads no further than), and each HDF5 member (Keras
    writes ``model.weights.h5``, stored) surveyed from its metadata by ``common.files.hdf5_problem`` once the
    archive's directory is checked (``common.files.zip_members``). Keras reads each array whole before it compares
    its shape with the layer's, so a compressed array claiming gigabytes in a few kB would be allocated first.
    ``ValueError`` or ``zipfile.BadZipFile`` for an archive whose directory does not hold, or that holds a member
    other than :data:`MODEL_MEMBERS` or one twice (:func:`model_members`)."""
    members = model_members(path)
    for info in members:
        if info.filename.lower().endswith(".json") and info.file_size > JSON_MEMBER_BYTES:
            return (f"its {info.filename} inflates to {info.file_size:,} bytes, more than a model's JSON "
                    f"({JSON_MEMBER_BYTES:,} at most)")
    for info in members:
        if not info.filename.endswith(".h5"):
            continue
        if info.compress_type != zipfile.ZIP_STORED:
            return f"its {info.filename} is compressed (Keras stores it as it is)"
        with stored_member(path, info) as handle:  # its metadata read in place, not the member copied
            problem, _ = hdf5_problem(handle, info.file_size)
        if problem:
            return f"its {info.filename}: {problem}"
    return ""


def record_difference(manifest: Mapping[str, Any], model: str, record: Mapping[str, Any]) -> str:
    """The first field where the manifest says other than the model file ``model`` records
    (:func:`model_record`), as ``"field 'x'"``; ``""`` when they agree. A field neither holds (an earlier format's,
    :data:`FIELD_SINCE`) agrees; one only either holds (a source digest deleted from the manifest) does not."""
    expected = model_record(manifest, model)
    for name in ("model", *RECORDED):
        if name not in expected and name not in record:
            continue
        try:
            if name in expected and name in record and canonical_json(record[name]) == canonical_json(expected[name]):
                continue
        except ValueError:  # a NaN in the record: not what the export writes
            pass
        return f"field '{name}'"
    return ""


def source_note(manifest: Mapping[str, Any], code_digest: str) -> str:
    """``""`` when the manifest's :data:`SOURCE_FIELD` is ``code_digest`` (this code's source digest: this code
    trained the export); else why its inputs may differ from its training's, in one sentence for every output of
    ``--predict``. Not a refusal: a user's export stays usable across updates of the suite, said."""
    recorded = manifest.get(SOURCE_FIELD)
    if recorded is None:
        return ("source digest not recorded (an export of folder format 3, written before mersuite recorded it): "
                "whether this code trained it is unknown; its inputs are made by this code's preprocessing and may "
                "differ from its training's")
    if recorded == code_digest:
        return ""
    return (f"trained by other code (source digest {str(recorded)[:16]} differs from this code's {code_digest[:16]}): "
            "its inputs are made by this code's preprocessing and may differ from its training's")
