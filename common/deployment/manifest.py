"""The export manifest's schema and its own hash: what ``--predict`` checks before it trusts ``manifest.json``.

Every field :func:`common.deployment.export.export_experiment` writes is required, with its JSON type and,
where the value has a domain, the domain (:func:`check_manifest`). The manifest covers itself:
``manifest_sha256`` is the sha256 of its canonical content without that field (:func:`manifest_digest`),
so a hand edit (a reordered ``class_names``, a changed input shape, a file entry pointing elsewhere) no
longer matches. That hash is a checksum, not a signature: whoever recomputes it can forge a folder, which is
why ``load_export`` also checks the config, the class names and ``min_frames`` against the code and every
model against the manifest.

Why hand-written: ``jsonschema`` is not a dependency, and what is checked here is a fixed set of typed fields
with a few ranges, each refusal one line naming the field; a small typed checker says that more plainly than
a schema document plus a second library's error messages rewritten into one line.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, NoReturn
from collections.abc import Mapping

from common.errors import MersuiteError

HASH_FIELD = "manifest_sha256"
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
    "faces_policy": ("string", "the face check's policy: exclude, keep or refuse"),
    "training_corpus": ("object", "the training data: kind, root, datasets, samples, fps, fingerprint, dropped "
                                  "(and inputs: what the inputs were made from, since it was recorded)"),
    "keras": ("object", "{backend, version}"),
    "date": ("string", "when the export was written"),
    "files": ("object", "file name -> sha256"),
    HASH_FIELD: ("string", "the sha256 of the rest of the manifest"),
}
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
        raise ManifestProblem(f"field 'class_names' repeats a name ({', '.join(names)}); expected distinct names")
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
    if not _HEX64.match(manifest[HASH_FIELD]):
        _fail(HASH_FIELD, manifest[HASH_FIELD], "a sha256 (64 lower-case hex digits)")
