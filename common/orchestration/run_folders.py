"""Where a ``--paper`` run writes: one folder per kind of run, so that no run replaces another's results.

A run's *kind* is what makes its numbers another run's: the profile, the seed, the corpus (synthetic or real,
and its folder) and the ``--set`` overrides, ``--weights`` among them (``train.weights``: the authors' weights
evaluated instead of training). Runs of one kind resume each other fold by fold (``common.running.runner``); runs
of another kind never share a folder. (``--faces-policy`` is not a kind: it changes a run only through the clips
it selects, which each fold's fingerprint holds, and a run that drops no clip is the same run either way. Nor are
the execution settings that never change a fold's numbers, ``--fold-parallel N`` (``train.fold_parallel``,
``common.running.profiles.EXECUTION_ONLY``), ``--workers``, ``--cluster``, ``--preprocess-workers``: a run resumes
into its own folder whichever it is resumed with.)

- ``<out>/<paper>/`` holds the first kind of run made there (``reports/ID/report.pdf`` for a plain command, as
  before); the kind is recorded in its ``run.json`` when the run starts;
- a run of another kind writes ``<out>/<paper>-<tag>/``, the tag naming the kind: ``<profile>``, then
  ``seed<k>`` where the seed is not 0, ``weights`` with ``--weights``, ``set-<6 hex digits>`` for other ``--set``
  overrides, and the corpus kind (``real`` or ``synthetic``): e.g. ``liong2019-port-weights-real``;
- where that folder too holds another kind (the same tag on another corpus folder), ``<tag>-2``, ``<tag>-3``...:
  the first that is free or holds this kind.

A folder written before run kinds were recorded (no ``run.json``) is read for its kind from its experiments'
``results.json`` (profile, seed, corpus, overrides) or, failing that, a fold record (profile, seed, data root);
one with neither is taken as free. docs/running.md, "Where a run writes".

A ``--benchmark`` writes ``<out>/benchmark/<track>/`` by the same rule (:func:`benchmark_folder`), its kind without
the seed (:func:`benchmark_kind`): each seed has its own folder under a method's, so a benchmark resumed with more
seeds, or another subset of methods, writes where the first did, and one of another profile, corpus or ``--set``
beside it (``<track>-<tag>``), never over its folds.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from common.errors import RunError
from common.files import read_json, write_json_atomic
from common.running.profiles import EXECUTION_ONLY, RunSpec

KIND_FILE = "run.json"
MAX_FOLDERS = 10_000  # the numbered folders first_folder tries: no one keeps that many runs of one name
KIND_SCHEMA = "mersuite.run-kind/1"
# The fields every run.json records (run_kind's, since run.json exists): one without them all holds no kind that
# can be compared, and is another kind's folder, never taken as this run's (an empty {} agreed with every run).
KIND_FIELDS = ("profile", "seed", "corpus", "data_root", "weights", "overrides")


def method_overrides(overrides: Mapping[str, Any]) -> dict[str, str]:
    """``overrides`` as text, sorted, without the execution settings (``EXECUTION_ONLY``: ``train.fold_parallel``)
    that never change a run's numbers and so are no part of its kind."""
    execution = {f"{section}.{name}" for section, name in EXECUTION_ONLY}
    return {str(k): str(v) for k, v in sorted(overrides.items()) if str(k) not in execution}


def run_kind(run: RunSpec) -> dict[str, Any]:
    """The kind of ``run`` (module docstring), as ``run.json`` records it."""
    overrides = method_overrides(run.overrides)
    return {"profile": run.profile, "seed": int(run.seed), "corpus": "synthetic" if run.synthetic else "real",
            "data_root": str(Path(run.root).resolve()), "weights": overrides.pop("train.weights", None),
            "overrides": overrides}


def benchmark_kind(run: RunSpec) -> dict[str, Any]:
    """The kind of a benchmark run under ``run``: :func:`run_kind` without its seed (None; module docstring)."""
    return {**run_kind(run), "seed": None}


def kind_tag(kind: dict[str, Any]) -> str:
    """The folder-name tag of ``kind``: profile, seed, weights, overrides, corpus kind."""
    parts = [str(kind["profile"])]
    if kind.get("seed"):
        parts.append(f"seed{kind['seed']}")
    if kind.get("weights"):
        parts.append("weights")
    if kind.get("overrides"):
        text = json.dumps(kind["overrides"], sort_keys=True)
        parts.append(f"set-{hashlib.sha256(text.encode()).hexdigest()[:6]}")
    parts.append(str(kind["corpus"]))
    return "-".join(parts)


def describe(kind: dict[str, Any] | None) -> str:
    """``kind`` in words, for a log line."""
    if kind is None:
        return "nothing"
    if set(kind) == {"profile"}:  # an unreadable run.json (held_kind): why it cannot be read, not "seed ?"
        return str(kind["profile"])
    seed = kind.get("seed", "?")
    words = [f"profile {kind.get('profile', '?')}", "seeds of their own folders" if seed is None else f"seed {seed}",
             f"corpus {kind.get('corpus', '?')} at {kind.get('data_root', '?')}"]
    if kind.get("weights"):
        words.append(f"the authors' weights {kind['weights']}")
    if kind.get("overrides"):
        words.append("--set " + " ".join(f"{k}={v}" for k, v in kind["overrides"].items()))
    return ", ".join(words)


def _results_kind(results: Path, seeded: bool = True) -> dict[str, Any]:
    """The kind a ``results.json`` (an experiment's, or with ``seeded`` False a benchmark's, whose seeds are
    folders of their own) records; ``OSError``/``ValueError``/``KeyError``/``TypeError`` where it cannot be read."""
    summary = read_json(results)  # bounded: common.files.JSON_BYTES, JSON_DEPTH
    corpus = summary["corpus"]
    overrides = method_overrides(summary.get("overrides") or {})
    return {"profile": summary["profile"], "seed": int(summary["seed"]) if seeded else None, "corpus": corpus["kind"],
            "data_root": str(corpus["root"]), "weights": overrides.pop("train.weights", None), "overrides": overrides}


def _legacy_kind(folder: Path) -> dict[str, Any] | None:
    """The kind of a folder written before ``run.json`` existed: from an experiment's ``results.json``, else a
    fold record; None when it holds neither."""
    for results in sorted(folder.glob("*/results.json")):
        try:
            return _results_kind(results)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    for record in sorted(folder.glob("*/folds/*.json")):
        try:
            stored = read_json(record)
            root = str(stored["data_root"])
            return {"profile": stored["profile"], "seed": int(stored["seed"]), "data_root": root}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def held_kind(folder: Path, *, benchmark: bool = False) -> dict[str, Any] | None:
    """The kind of run ``folder`` holds (its ``run.json``, else :func:`_legacy_kind`, or for a ``benchmark``'s
    folder :func:`_legacy_benchmark_kind`); None when it holds none.
    A ``run.json`` that is no regular file (a folder, a named pipe, a link to one) is unreadable like a damaged
    one: another kind, never written over (``read_json`` refuses it at once: a pipe is never waited on)."""
    path = folder / KIND_FILE
    if path.exists():  # not is_file(): a folder there was taken for no run.json, then written over (a traceback)
        try:
            stored = read_json(path)
        except OSError as exc:  # unreadable: another kind, never written over (the run's log line says why)
            return {"profile": f"unreadable run.json ({exc.strerror or exc})"}
        except ValueError as exc:  # not UTF-8, too large, nested too deep, not JSON
            return {"profile": f"unreadable run.json ({exc})"}
        if not isinstance(stored, dict):
            return {"profile": "unreadable run.json (not a JSON object)"}
        missing = [k for k in KIND_FIELDS if k not in stored]
        if missing:  # no kind to compare: another kind's folder, the log line naming what run.json lacks
            what = ("it records no kind of run" if len(missing) == len(KIND_FIELDS)
                    else f"expected the fields {', '.join(KIND_FIELDS)}")
            return {"profile": f"unreadable run.json (no field {', '.join(missing)}: {what})"}
        return {k: v for k, v in stored.items() if k != "schema"}
    legacy = _legacy_benchmark_kind if benchmark else _legacy_kind
    return legacy(folder) if folder.is_dir() else None


def _same(held: dict[str, Any], kind: dict[str, Any]) -> bool:
    """Whether a folder holding ``held`` may take a run of ``kind``: every field ``held`` records agrees (a
    legacy folder's fold record records fewer; an execution setting a folder recorded as part of its kind, as
    ``train.fold_parallel`` was, is not compared)."""
    if isinstance(held.get("overrides"), dict):
        held = {**held, "overrides": method_overrides(held["overrides"])}
    return all(kind.get(k) == v for k, v in held.items())


def first_folder(base: Path, takes: Callable[[Path], bool], *, before: Sequence[Path] = ()) -> Path:
    """The first of ``before``, then ``base``, ``base-2``, ``base-3``... that ``takes`` (free, or holding this very
    kind of run or score), so that an earlier one is never replaced: a run's folder (:func:`paper_folder`) and a
    score's (``common.orchestration.score_runs.score_folder``). At most :data:`MAX_FOLDERS` are tried: where none
    takes (a path that is no folder, a disk that answers every read with an error), one :class:`RunError` rather
    than a search without end."""
    numbered = (base.with_name(f"{base.name}-{n}") for n in range(2, MAX_FOLDERS + 1))
    for folder in itertools.chain(before, [base], numbered):
        if takes(folder):
            return folder
    raise RunError(f"{base}: none of {base.name}, {base.name}-2 ... {base.name}-{MAX_FOLDERS} can be used (each holds "
                   "another run or cannot be read); expected a folder that can hold the results")


def paper_folder(out: Path, paper_id: str, kind: dict[str, Any]) -> Path:
    """``<out>/<paper>`` when free or holding this kind, else ``<out>/<paper>-<tag>``, ``-<tag>-2``... (module
    docstring): the first folder that is free or holds this kind."""
    plain = Path(out) / paper_id

    def takes(folder: Path) -> bool:
        held = held_kind(folder)
        return held is None or _same(held, kind)

    return first_folder(plain.with_name(f"{paper_id}-{kind_tag(kind)}"), takes, before=[plain])


def _legacy_benchmark_kind(folder: Path) -> dict[str, Any] | None:
    """The kind of a benchmark folder written before ``run.json`` existed: from its ``results.json`` (profile,
    corpus, overrides), else a method's fold record (profile, data root); None when it holds neither."""
    try:
        return _results_kind(folder / "results.json", seeded=False)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for record in sorted(folder.glob("*/seed*/folds/*.json"))[:8]:
        try:
            stored = read_json(record)
            return {"profile": stored["profile"], "data_root": str(stored["data_root"])}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def benchmark_folder(out: Path, track: str, kind: dict[str, Any]) -> Path:
    """``<out>/benchmark/<track>`` when free or holding this kind of benchmark (:func:`benchmark_kind`), else
    ``<track>-<tag>``, ``-<tag>-2``...: the first folder that is free or holds this kind (module docstring)."""
    plain = Path(out) / "benchmark" / track

    def takes(folder: Path) -> bool:
        held = held_kind(folder, benchmark=True)
        return held is None or _same(held, kind)

    return first_folder(plain.with_name(f"{track}-{kind_tag(kind)}"), takes, before=[plain])


def record_kind(folder: Path, kind: dict[str, Any]) -> None:
    """Write ``<folder>/run.json`` (atomic), the kind of run the folder holds."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / KIND_FILE, {"schema": KIND_SCHEMA, **kind})
