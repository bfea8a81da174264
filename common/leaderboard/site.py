"""The results site's numbers: every shipped run, per-epoch record, published number and run under ``reports/``,
scored with the suite's own statistics, handed to ``common.reporting.site`` to lay out (``run_all.py --site DIR``).

    index = build_site(Path("site"), registry=papers)   # site/index.html

What it reads:

- the shipped predictions (``docs/predictions/``; ``runs.json`` lists each file's method, recipe, seed, folds,
  command and commit, and its per-epoch record where one is shipped, ``"epochs"``): one entry per method and
  recipe, scored exactly as ``benchmarks/reproductions.py`` scores them (``statistics.describe`` of the runs that
  finished every fold: the pooled score per scope, the mean over seeds, the 95 % percentile interval of a bootstrap
  over subjects crossed with seeds, 2,000 resamples, seed 0), and beside it the same at each subject's best test
  epoch (``epoch_selection.at_best_epoch_per_fold``) over the seeds whose per-epoch record is shipped; a run that
  did not finish every fold is an entry of its own, marked partial;
- the numbers the methods' packages transcribe (the registry's ``Experiment.reported``, and for the port recipe
  the port's own ``weights_reported``): the authors' artefacts, one entry each, marked where the authors chose the
  epoch on the test data (``Reported.comparable`` False); and the composite's published rows
  (``common.evaluation.published``) that no package stands for, marked where their code selects on test data;
- every ``results.json`` under the reports folder (``--out``, default ``reports/``): a benchmark's methods, a
  ``--score`` of outside predictions (the authors' log, anyone's file), a paper's run (the authors' weights where it
  ran ``--weights``), each marked when its corpus is synthetic or its run partial. Every number shown is computed
  from the predictions files it links, never taken from a results.json: a benchmark method's from each seed's
  ``<method>/seed<k>/predictions.csv`` beside the benchmark (on the clips every seed predicted, as the benchmark
  computes them; its best test epoch and curves from the seeds' fold records, ``folds/``), a score's from its
  ``predictions.csv``, a paper run's from its ``predictions.csv`` as above (its best test epoch and curves from its
  fold records, as a benchmark method's). Which of a fold's epochs tied on its best test accuracy is kept is the one
  thing read from a results.json: the rule its run's gauge recorded (``epoch_selection.ties``, its package's
  ``best_epoch_ties``; "earliest" where none is recorded); a shipped run's is its package's. A benchmark's method
  folder is found by
  its name beside the benchmark's results.json (the folder it records is an absolute path, stale once the reports
  folder is moved). A file that cannot be read, and one whose class names (in order, or its predictions' class ids
  and names) are not its track's, is left out, named in one line on the front page and in one WARNING line on the
  console (a benchmark's method alone where only its files are);
- a run shipped fold by fold as it trains (``docs/predictions/<method>-<recipe>-seed<k>[-<option>].folds/``, one fold
  record a file) whose predictions file runs.json does not list: the seeds of a method, recipe and option that hold
  every fold are one entry, scored as a runs.json recipe's; a seed still short of folds is an entry of its own,
  marked partial.

A file name a listing gives (runs.json, a benchmark's method folder) must stay inside its folder (:func:`inside`).

Then the paired test (``statistics.compare``, UF1 and UAR, all clips) between every two entries of a track on the
same samples, on the seeds both ran (or their first runs). Entries on other samples share a track's leaderboard but
are never paired: one on the synthetic corpus beside one on real data, or two whose clips of the same names have
another true class, subject or database (another corpus); each such entry's page names the entries it was not paired
with and why (:func:`pair_or_reason`). Every file a number comes from is copied into the site's ``files/`` and
linked.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from common.datasets import DATABASE_TITLES
from common.datasets.megc2019 import REAL_COUNTS
from common.datasets.released import INPUT_KIND
from common.datasets.tables import ascii_digits
from common.evaluation import curves as curves_module
from common.evaluation import epoch_selection, metrics
from common.evaluation import statistics as st
from common.evaluation import shipped_folds
from common.evaluation.records import load_fold_record
from common.evaluation.published import REFERENCES, TABLE
from common import files
from common.config import profile_label, set_arguments
from common.leaderboard.summary import method_partial, run_selected_on_test, scope_entry, source_name
from common.leaderboard.tracks import TRACKS, fold_word
from common.paths import REPO_ROOT, reports_root
from common.reporting import site as pages
from common.reporting.site import Cell, Entry, Pair, Published, Run, TrackPages
from common.reporting.tables import run_partial, seeds_words

logger = logging.getLogger(__name__)

SHIPPED = REPO_ROOT / "docs" / "predictions"
SHIPPED_TRACK = "megc2019"  # the shipped runs: the MEGC 2019 composite from the authors' released inputs
SHIPPED_FOLDS = 68  # its leave-one-subject-out folds: a run with fewer is partial (as benchmarks/reproductions.py)
METRICS = ("uf1", "uar")
# a scope's column heading: its database's name as every table and report gives it (SMIC-HS, CAS(ME)^3 part A)
SCOPE_NAMES = {"all": "all clips", **{s: DATABASE_TITLES[s] for s in ("casme2", "smic", "samm", "casme", "4dme", "mmew",
                                                                      "casme3")}}
MEGC_SCOPES = ("all", "casme2", "smic", "samm")
MAX_RESULTS = 500  # results.json files read under the reports folder, at most
SYNTHETIC = "ran on the suite's synthetic corpus (generated clips, not a database): it tests the code, not the method"


def read_document(path: Path, max_bytes: int = files.JSON_BYTES) -> Any:
    """A JSON file the site reads (runs.json, a results.json, a shipped fold), through ``common.files.read_json``
    (bounded in size and depth); one ``ValueError`` naming the file otherwise."""
    try:
        return files.read_json(path, max_bytes=max_bytes)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as JSON ({exc})") from None


def inside(folder: Path, name: Any) -> Path:
    """``folder / name`` for a file name a runs.json or results.json gives, refused (``ValueError``) unless it stays
    inside ``folder``: a listed name never reaches a file elsewhere (``../``, an absolute path, a link out)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{folder}: a listed file name is {name!r}; expected a file name inside the folder")
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents:
        raise ValueError(f"{folder}: the listed file {name!r} is not inside that folder")
    return path


def cells(described: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Cell]]:
    """``statistics.describe``'s numbers (or a results.json's, which hold the same) as the site's cells."""
    out: dict[str, dict[str, Cell]] = {}
    for scope, by_metric in described.items():
        for metric, entry in by_metric.items():
            if metric not in METRICS or not entry or entry.get("pooled") is None:
                continue
            interval = entry.get("interval") or {}
            out.setdefault(scope, {})[metric] = Cell(
                value=float(entry["pooled"]), low=interval.get("low"), high=interval.get("high"),
                per_seed=tuple(float(v) for v in entry.get("per_seed") or ()))
    return out


def uf1_per_epoch(records: Sequence[Mapping[str, Any]], k: int) -> list[float]:
    """The pooled UF1 of all scored folds' test clips after each epoch every fold recorded: each epoch's confusion
    matrix counted at once (``np.bincount`` over epoch, true and predicted class: ``metrics.confusion`` per epoch
    would take a second per hundred epochs), scored at once by ``metrics.score_arrays``."""
    scored = st.scored_records(records)
    rows = [epoch_selection.epoch_rows(r) for r in scored]
    if not scored or any(r is None for r in rows):
        return []
    present = [np.asarray(r) for r in rows if r is not None]
    common = min(len(r) for r in present)
    y_true = np.concatenate([np.asarray(r["y_true"], dtype=int) for r in scored])
    stacked = np.concatenate([r[:common] for r in present], axis=1)  # (epochs, clips)
    if stacked.size == 0 or stacked.min() < 0 or stacked.max() >= k or y_true.min() < 0 or y_true.max() >= k:
        return []
    codes = (np.arange(common)[:, None] * k + y_true[None, :]) * k + stacked
    matrices = np.bincount(codes.ravel(), minlength=common * k * k).reshape(common, k, k)
    return [float(v) for v in metrics.score_arrays(matrices)["uf1"]]


def run_curves(records: Sequence[Mapping[str, Any]], k: int) -> dict[str, list[float]]:
    """A run's curves for its page: the training curves its fold records hold and the pooled test UF1 per epoch."""
    return {**curves_module.training_curves(records), "uf1 per epoch": uf1_per_epoch(records, k)}


def known_ties(ties: Any, what: str) -> str:
    """``ties`` (read from a file or a package) when it is one of ``epoch_selection.TIES``; else one ``ValueError``
    naming ``what`` and the value, bounded."""
    if ties not in epoch_selection.TIES:
        raise ValueError(f"{what} is {str(ties)[:40]!r}; expected one of {', '.join(epoch_selection.TIES)}")
    return str(ties)


def gauge_ties(gauge: Any) -> str:
    """The tie rule a run's epoch gauge (its results.json's ``epoch_selection``) kept a fold's best test epoch
    by (``epoch_selection.TIES``; "earliest" where it names none: a gauge written before gauges named it);
    ``ValueError`` for another value."""
    return known_ties(gauge.get("ties", "earliest") if isinstance(gauge, Mapping) else "earliest",
                      "epoch_selection.ties")


def registry_ties(registry: Any, method: str) -> str:
    """The tie rule ``method``'s package names for a fold's best test epoch (``Pipeline.best_epoch_ties``:
    its authors' own), "earliest" where the registry has no such package; ``ValueError`` for a rule that is not
    one of ``epoch_selection.TIES``."""
    try:
        pipeline = getattr(registry.get_paper(method), "PIPELINE", None)
    except Exception:  # boundary: any package of the registry; a broken one keeps the gauge's default
        return "earliest"
    return known_ties(getattr(pipeline, "best_epoch_ties", "earliest"), f"papers.{method}: best_epoch_ties")


def best_epoch_predictions(records: Sequence[Mapping[str, Any]], predictions: st.Predictions,
                           folder: Path, ties: str = "earliest") -> st.Predictions | None:
    """Each fold of ``predictions`` at its best test epoch (the gauge's (b), from the fold records in
    ``folder/folds``; ``ties``: its rule among tied epochs), or None unless a scored record of every one of its
    folds holds its per-epoch predictions."""
    scored = st.scored_records(records)
    folds = set() if predictions.folds is None else set(predictions.folds.tolist())
    if not scored or {r["fold"] for r in scored} != folds or any(epoch_selection.epoch_rows(r) is None
                                                                   for r in scored):
        return None
    return st.from_records(epoch_selection.at_best_epoch_per_fold(records, ties=ties),
                           source=f"{folder / 'folds'} at each fold's best test epoch")


def pooled_only(predictions: st.Predictions) -> st.Predictions:
    """``predictions`` without their fold names: ``statistics.describe`` then skips the fold mean, which the site
    does not show (and which costs most of its time, a confusion matrix a fold); the pooled scores and the
    intervals, computed from the subjects, are the same."""
    return dataclasses.replace(predictions, folds=None)


def scope_cells(runs: Sequence[st.Predictions], k: int, scopes: Sequence[str],
                n_resamples: int) -> dict[str, dict[str, Cell]]:
    """The cells of each of ``scopes`` that the runs (one a seed, on the same clips) hold, computed as the benchmark
    and ``--score`` compute their results.json's (``summary.scope_entry``: the pooled score, the mean over seeds,
    the interval over subjects crossed with seeds; a scope of one subject has no interval)."""
    pooled = [pooled_only(r) for r in runs]
    present = [s for s in scopes if s == "all" or bool(np.any(pooled[0].datasets == s))]
    return cells({scope: scope_entry(pooled, k, scope, n_resamples, 0) for scope in present})


def track_classes(name: str, track_info: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...] | None:
    """The class names, in order, of track ``name``: a registered track's (``common.leaderboard.tracks``), else
    those of the first results.json read for it (``track_info``); None before any."""
    if name not in track_info and all(track.name != name for track in TRACKS):
        return None
    return _track_meta(name, track_info.get(name))[2]


def check_classes(given: Any, expected: Sequence[str] | None, track: str) -> tuple[str, ...]:
    """A results.json's class names as a tuple, refused (``ValueError`` giving both lists) unless they are its
    track's, in the track's order: a class id of its predictions would be shown as another class's (the confusion
    matrices, the subject pages), and an id past the track's classes would stop the site."""
    if not isinstance(given, list) or not given or not all(isinstance(c, str) for c in given):
        raise ValueError(f"its class names are {str(given)[:200]}; expected a list of names")
    if expected is not None and tuple(given) != tuple(expected):
        raise ValueError(f"its class names {given} are not its track {track}'s {list(expected)} (the same names in "
                         "the same order: a class id means the class of that place)")
    return tuple(given)


def read_predictions(path: Path, class_names: Sequence[str], whose: str = "its track's") -> st.Predictions:
    """A predictions.csv under the reports folder (``statistics.read_predictions_csv``), refused (``ValueError``
    naming the file and both lists) unless its class ids are ``class_names``' (0 to k - 1) and the class names it
    writes (the runner's ``true_class``, ``predicted_class`` and ``p_<class>`` columns, where present) are those, in
    that order; ``whose`` says whose they are in the message."""
    rows = st.read_prediction_rows(path)  # read once: the rows' class names are checked below
    predictions = st.predictions_of_rows(rows, path)
    k = len(class_names)
    named: dict[int, set[str]] = {}  # each class id of a row (scored or not) with the names the file gives it
    for row in rows:
        for id_column, name_column in (("y_true", "true_class"), ("y_pred", "predicted_class")):
            if ascii_digits(str(row.get(id_column))):
                named.setdefault(int(row[id_column]), set()).update([str(row[name_column])] if row.get(name_column)
                                                                    else [])
    ids = {int(i) for i in np.concatenate([predictions.y_true, predictions.y_pred])} | set(named)
    outside = sorted(i for i in ids if not 0 <= i < k)
    if outside:
        raise ValueError(f"{path}: class ids {outside[:10]} are not among {whose} {k} classes {list(class_names)} "
                         f"(ids 0 to {k - 1})")
    probability_names = [c[2:] for c in (rows[0] if rows else {}) if isinstance(c, str) and c.startswith("p_")]
    if (probability_names and probability_names != list(class_names)) or any(
            names - {class_names[i]} for i, names in named.items()):
        written = probability_names or ["/".join(sorted(named.get(i) or {"?"})) for i in range(k)]
        raise ValueError(f"{path}: its class names {written} (by id) are not {whose} {list(class_names)}")
    return predictions


def registry_published(registry: Any, method: str, recipe: str) -> dict[tuple[str, str], Published]:
    """``{(metric, scope): Published}`` that ``method``'s package transcribes for its composite experiment (for the
    port recipe the port's own): each number as printed, and where the authors' own artefact gives another (the
    package's ``Reported.recomputed``) that one too, the value ours is compared with; the same numbers as
    ``benchmarks/reproductions.py``'s ``published_numbers``; {} where the registry has no such package."""
    try:
        experiment = registry.get_paper(method).EXPERIMENTS[0]
    except Exception as exc:  # boundary: any package of the registry; a broken one loses its published numbers only
        logger.info(f"[site] {method}: its package cannot be loaded ({type(exc).__name__}); no published numbers")
        return {}
    rows = experiment.weights_reported if recipe == "port" else experiment.reported
    out = {}
    for r in rows:
        if r.aggregation == "pooled" and r.metric in METRICS and r.scope in MEGC_SCOPES:
            out[(r.metric, r.scope)] = Published(value=r.value, source=r.source, test_selected=not r.comparable,
                                                 recomputed=r.recomputed)
    return out


class Sources:
    """The files the site copies: ``add(path, under)`` gives each its site-relative path under ``files/``."""

    def __init__(self) -> None:
        self.copies: dict[str, Path] = {}

    def add(self, path: Path, relative: str) -> str:
        site_path = f"files/{relative}"
        self.copies[site_path] = Path(path)
        return site_path


def run_key(run: Mapping[str, Any]) -> str:
    """A runs.json entry's (or planned seeds') method and recipe, ``<method>-<recipe>``, and for a run of an option
    of the recipe (its ``name``, as ``benchmarks/reproduce.py --name`` ships it) ``<method>-<recipe>-<name>``: one
    entry of the site, one row of benchmarks/reproductions.py's tables."""
    return "-".join(str(part) for part in (run["method"], run["recipe"], run.get("name")) if part)


def shipped_entries(folder: Path, registry: Any, sources: Sources, n_resamples: int,
                    k: int = 3) -> tuple[list[Entry], list[Entry], set[str], dict[str, str]]:
    """The shipped runs' entries (one per method and recipe, one per partial run), the authors' artefacts
    their packages transcribe (one per method and recipe that has any), the files runs.json lists, and each recipe's
    label there by its :func:`run_key` (a recipe's seeds still shipped fold by fold take it)."""
    manifest_path = folder / "runs.json"
    if not manifest_path.is_file():
        return [], [], set(), {}
    manifest = read_document(manifest_path)
    runs_json = sources.add(manifest_path, "predictions/runs.json")
    groups: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, tuple[str, str, str]] = {}
    for plan in manifest.get("planned", []):
        key = run_key(plan)
        groups[key] = []
        labels[key] = (plan["method"], plan["recipe"], plan["label"])
    for run in manifest["runs"]:
        key = run_key(run)
        groups.setdefault(key, []).append(run)
        labels.setdefault(key, (run["method"], run["recipe"], run["label"]))
    ours: list[Entry] = []
    artefacts: list[Entry] = []
    for key, group in groups.items():
        method, recipe, label = labels[key]
        done = [r for r in group if r["folds"] == SHIPPED_FOLDS]
        runs = [shipped_run(folder, r, sources, k) for r in done]
        # each command with the commit it ran at (seeds of one recipe may have run at several)
        commands = list(dict.fromkeys(f"{r['command']} (at commit {r['commit']})" for r in group))
        published = registry_published(registry, method, recipe)
        ties = registry_ties(registry, method)
        files = [("runs.json: each file's method, recipe, seed, folds, command and commit", runs_json)]
        files += [(f"predictions, seed {r.seed}", r.file) for r in runs]
        files += [(f"per-epoch record, seed {r.seed}", r.epochs_file) for r in runs if r.epochs_file]
        if runs:
            scores = st.describe([pooled_only(r.predictions) for r in runs], k, METRICS, MEGC_SCOPES,
                                 n_resamples=n_resamples)
            with_epochs = [(r, run) for r, run in zip(done, runs) if run.epochs_file]
            best = None
            if with_epochs:
                selected = [at_best_epochs(folder, r, ties) for r, _ in with_epochs]
                best = cells(st.describe(selected, k, METRICS, MEGC_SCOPES, n_resamples=n_resamples))
            planned: list[int] = next((p["seeds"] for p in manifest.get("planned", [])
                                       if run_key(p) == key), [])
            not_run = [s for s in planned if s not in {r["seed"] for r in group}]
            notes = [f"Planned seeds not run: {', '.join(map(str, not_run))}."] if not_run else []
            left_out = [f"seed {r['seed']}: {r['folds']} of {SHIPPED_FOLDS} folds" for r in group if r not in done]
            if left_out:
                notes.append("Left out of these numbers (partial runs, each an entry of its own): "
                             f"{'; '.join(left_out)}.")
            # what runs.json says of a run beyond its command (a profile changed since, a defect of its commit)
            notes += [f"Seed {r['seed']}: {r['note']}" for r in done if isinstance(r.get("note"), str) and r["note"]]
            ours.append(Entry(
                slug=key, label=label, kind=pages.OUR_RUN, scores=cells(scores), seeds=tuple(r.seed for r in runs
                                                                                          if r.seed is not None),
                corpus=f"real: {group[0].get('corpus', '')}", best_epoch=best,
                best_epoch_seeds=tuple(int(r["seed"]) for r, _ in with_epochs), best_epoch_ties=ties,
                published=published,
                runs=tuple(runs), command="\n".join(commands), sources=tuple(files),
                notes=tuple(notes + [f"Machine: {group[0].get('machine', '')}."])))
        for r in group:
            if r in done:
                continue
            run = shipped_run(folder, r, sources, k)
            scores = st.describe([pooled_only(run.predictions)], k, METRICS, None, n_resamples=n_resamples)
            # its best test epoch from its per-epoch record, as a whole run's, on the same clips
            chosen = (cells(st.describe([at_best_epochs(folder, r, ties)], k, METRICS, None, n_resamples=n_resamples))
                      if run.epochs_file else None)
            ours.append(Entry(
                slug=f"{key}-seed{r['seed']}-partial", label=f"{label}, seed {r['seed']} (partial)", kind=pages.OUR_RUN,
                scores=cells(scores), seeds=(int(r["seed"]),), corpus=f"real: {r.get('corpus', '')}",
                coverage=composite_coverage(run.predictions, list(scores)), best_epoch=chosen,
                best_epoch_seeds=(int(r["seed"]),) if chosen else (), best_epoch_ties=ties,
                partial=f"{r['folds']} of {SHIPPED_FOLDS} folds finished: scored on the clips of those folds only, "
                        "and left out of its recipe's means", runs=(run,), published=published,
                command=f"{r['command']} (at commit {r['commit']})",
                sources=(("runs.json", runs_json), ("predictions", run.file))))
        if published and key == f"{method}-{recipe}":  # one artefact entry a recipe, not one per option of it
            artefacts.append(artefact_entry(method, recipe, label, published, sources))
    return ours, artefacts, {run["file"] for run in manifest["runs"]}, {key: label for key, (_, _, label) in
                                                                         labels.items()}


MAX_FOLD_FILES = 1000  # fold files read of one shipped folder (the composite has 68)


def read_shipped_fold(path: Path) -> dict[str, Any]:
    """One fold of a run shipped fold by fold (``docs/predictions/<run>.folds/<fold>.json``) as the fold record the
    metrics, the epoch gauge and the curves read (``common.evaluation.shipped_folds``: checked and bounded as the
    resume reads it). Anything else is one ``ValueError`` naming the file."""
    shipped, problem = shipped_folds.read_shipped_fold(path)
    if shipped is None:
        raise ValueError(f"{path}: {problem}")
    return shipped_folds.unship_fold(shipped, "", "")


def folds_name(folder: Path) -> tuple[str, str, int, str]:
    """The method, recipe, seed and option ("" for none) a shipped folder's name ``<method>-<recipe>-seed<k>[-<option>]
    .folds`` gives; ``ValueError`` for another name."""
    method, recipe, seed_name, option = (folder.name.removesuffix(".folds").split("-", 3) + ["", "", ""])[:4]
    if not seed_name.startswith("seed") or not ascii_digits(seed_name[4:]):
        raise ValueError(f"{folder}: expected a name <method>-<recipe>-seed<k>[-<option>].folds")
    return method, recipe, int(seed_name[4:]), option


@dataclasses.dataclass(frozen=True)
class FoldsRun:
    """One folder of a run shipped fold by fold, read: its site run, its fold files (site paths), how many folds it
    holds and how many of them scored, its predictions at each subject's best test epoch (None without a
    per-epoch record in every scored fold), and the machines that trained its folds, in a sentence."""

    folder: Path
    seed: int
    run: Run
    files: tuple[str, ...]
    folds: int
    scored: int
    best: st.Predictions | None
    machines: str = ""

    @property
    def complete(self) -> bool:
        return self.folds == self.scored == SHIPPED_FOLDS


def read_folds_run(folder: Path, sources: Sources, k: int, ties: str = "earliest") -> FoldsRun | None:
    """A folder of fold records (:func:`read_shipped_fold` each) as a :class:`FoldsRun`, each fold's best test epoch
    kept by ``ties`` (:func:`registry_ties`); None when it holds none. A ``ValueError`` (one line) for a fold file
    that cannot be read, and for records none of which is scored (each fold refused or diverged so far: nothing to
    score yet)."""
    seed = folds_name(folder)[2]
    paths = sorted(folder.glob("*.json"))[:MAX_FOLD_FILES]
    records = [read_shipped_fold(path) for path in paths]
    if not records:
        return None
    scored = st.scored_records(records)
    if not scored:
        statuses = ", ".join(sorted({str(r.get("status")) for r in records}))
        raise ValueError(f"none of its {len(records)} fold record(s) is scored (status {statuses}): nothing to "
                         "score yet")
    files = tuple(sources.add(path, f"predictions/{folder.name}/{path.name}") for path in paths)
    predictions = st.from_records(records, source=str(folder))
    scopes = [s for s in MEGC_SCOPES if s == "all" or s in set(predictions.datasets.tolist())]
    best = None
    if scored and all(epoch_selection.epoch_rows(r) is not None for r in scored):
        best = st.from_records(epoch_selection.at_best_epoch_per_fold(records, ties=ties),
                               source=f"{folder} best epochs")
    curves = run_curves(records, k)
    run = Run(name=f"seed {seed}", seed=seed, predictions=predictions, file=files[0],
              epochs_file=files[0] if best is not None else "", folds=len(files), curves=curves,
              confusion=pages.confusions(predictions, scopes, k))
    return FoldsRun(folder=folder, seed=seed, run=run, files=files, folds=len(records), scored=len(scored), best=best,
                    machines=shipped_folds.machines_text(records))


def composite_coverage(predictions: st.Predictions, scopes: Sequence[str]) -> dict[str, str]:
    """What a partial run's numbers on the MEGC 2019 composite rest on, each of ``scopes``: its clips and subjects
    out of the composite's (``megc2019.REAL_COUNTS``), e.g. ``{"samm": "74 of 133 clips, 10 of 28 subjects"}``."""
    out = {}
    for scope in scopes:
        databases = list(REAL_COUNTS) if scope == "all" else [scope]
        if not all(db in REAL_COUNTS for db in databases):
            continue
        inside = np.isin(predictions.datasets, databases)
        subjects = set(zip(predictions.datasets[inside].tolist(), predictions.subjects[inside].tolist()))
        total_subjects = sum(REAL_COUNTS[db][0] for db in databases)
        total_clips = sum(REAL_COUNTS[db][1] for db in databases)
        out[scope] = f"{int(inside.sum())} of {total_clips} clips, {len(subjects)} of {total_subjects} subjects"
    return out


def run_label(registry: Any, method: str, recipe: str, option: str = "") -> str:
    """A run's label as runs.json's recipes are labelled (``"STSTNet, paper + fixed_subset"``): the published row its
    package stands for (``Pipeline.stands_for``), else its id; the recipe; the option, if any."""
    try:
        names = tuple(getattr(getattr(registry.get_paper(method), "PIPELINE", None), "stands_for", ()) or ())
    except Exception:  # boundary: any package; the run keeps its id for a name
        names = ()
    return f"{names[0] if names else method}, {recipe}" + (f" + {option}" if option else "")


def folds_entries(folders: Sequence[Path], registry: Any, sources: Sources, n_resamples: int,
                  k: int = 3, label: str = "") -> tuple[list[Entry], list[str]]:
    """Runs shipped fold by fold (``<method>-<recipe>-seed<k>[-<option>].folds/``, one fold record a file, as it
    trains) of one method, recipe and option: the seeds that hold every fold scored together, one entry as a
    runs.json recipe's (the mean over seeds, the interval over subjects and seeds); each partial seed an entry of its
    own, marked partial and scored on its folds only; then its authors' published numbers. ``label``: the recipe's
    label in runs.json, where it plans the recipe (else :func:`run_label`). Returns the entries and a
    note for each folder left out (a fold file that cannot be read, no fold scored yet): one seed's folder never
    takes the others with it."""
    method, recipe, _, option = folds_name(folders[0])
    ties = registry_ties(registry, method)
    read: list[FoldsRun] = []
    left_out: list[str] = []
    for folder in folders:
        try:
            run = read_folds_run(folder, sources, k, ties)
        except ValueError as exc:  # a fold file that cannot be read, or no fold scored: this seed left out, named
            left_out.append(f"left out {folder}: {exc}")
            continue
        if run is not None:
            read.append(run)
    if not read:
        return [], left_out
    published = registry_published(registry, method, recipe)
    try:
        pipeline = getattr(registry.get_paper(method), "PIPELINE", None)
        overrides = dict(getattr(pipeline, "options", {}) or {}).get(option) if option else {}
    except Exception:  # boundary: any package; its options unnamed
        overrides = None
    # the option's own --set overrides, as the package names them (Pipeline.options)
    option_arguments = ""
    if option and overrides:
        option_arguments = f" --name {option} " + " ".join(set_arguments(overrides))
    elif option:
        option_arguments = f" --name {option} --set ... (papers/{method} names no option {option})"
    label = label or run_label(registry, method, recipe, option)
    complete = [r for r in read if r.complete]
    groups = ([complete] if complete else []) + [[r] for r in read if not r.complete]
    entries = []
    for group in groups:
        first = group[0]  # a partial group is one seed
        seeds = tuple(r.seed for r in group)
        runs = [r.run.predictions for r in group]
        scopes = [s for s in MEGC_SCOPES if s == "all" or any(s in set(p.datasets.tolist()) for p in runs)]
        # a partial run's database may hold one subject so far: its scores without an interval (scope_cells)
        scores = scope_cells(runs, k, scopes, n_resamples)
        with_best = [r for r in group if r.best is not None]
        best = scope_cells([r.best for r in with_best if r.best is not None], k, scopes,
                           n_resamples) if with_best else None
        partial = ""
        coverage = {} if first.complete else composite_coverage(runs[0], scopes)
        if not first.complete:
            partial = (f"{first.scored} of {SHIPPED_FOLDS} folds scored ({len(runs[0])} clips): the run is shipped "
                       "fold by fold as it trains, and every number here rests on those folds only")
        # the command that writes (and resumes) such a folder: HTNet's on a card or, slowly, on the CPU, every other
        # recipe's on the CPU (HTNet: HTNet's clone; a run without a per-epoch record in its folds ran without the
        # gauge)
        commands = [("benchmarks/gpu_htnet.sh prepare HTNet, then benchmarks/gpu_htnet.sh run on a card; or "
                     "benchmarks/gpu_check.py --released-only --released HTNet --workers 1 on the CPU"
                     if method == "wang2024" else
                     f"benchmarks/reproduce.py --method {method} --recipe {recipe} --seed {r.seed}"
                     + (" --no-epoch-gauge" if r.best is None else "") + option_arguments
                     + " --data-root HTNet --out OUT")
                    + f" (writes {r.folder.name}/ as folds finish)" for r in group]
        several = len(group) > 1
        slug = (f"{method}-{recipe}" + (f"-{option}" if option else "") if several
                else first.folder.name.removesuffix(".folds")) + "-folds"
        sources_listed = [(f"fold records{f' of seed {r.seed}' if several else ''} ({len(r.files)} files, one a fold; "
                           "the first)", r.files[0]) for r in group] + [("every fold record", "files/index.html")]
        # a partial run's count in its label, so that each place that names it (the leaderboard, the pairs) says it
        shown = label if first.complete else f"{label}, seed {first.seed}: {first.scored} of {SHIPPED_FOLDS} folds"
        entries.append(Entry(
            slug=slug, label=shown, kind=pages.OUR_RUN, scores=scores, seeds=seeds,
            corpus=f"real: {INPUT_KIND}", partial=partial, coverage=coverage, best_epoch=best,
            best_epoch_seeds=tuple(r.seed for r in with_best), best_epoch_ties=ties, published=published,
            runs=tuple(r.run for r in group), command="\n".join(commands), sources=tuple(sources_listed),
            notes=(f"Fold records of {', '.join(r.folder.name + '/' for r in group)}: the predictions, "
                   + ("the per-epoch test classes " if with_best else "")
                   + "and the training history of each fold that finished"
                   + ("" if len(with_best) == len(group) else
                      f" (no per-epoch record in {'its' if not with_best else 'some'} folds: run without the gauge)")
                   + ".", *(f"Seed {r.seed}: {r.machines}" if several else r.machines for r in group))))
    artefacts = [artefact_entry(method, recipe, label, published, sources)] if published else []
    return [*entries, *artefacts], left_out


def at_best_epochs(folder: Path, run: Mapping[str, Any], ties: str) -> st.Predictions:
    """A shipped run's predictions (``runs.json``'s ``file``) with each fold at its best test epoch, read from its
    per-epoch record (``epochs``), tied epochs kept by ``ties``."""
    records = epoch_selection.records_of_files(inside(folder, run["file"]), inside(folder, run["epochs"]))
    return pooled_only(st.from_records(epoch_selection.at_best_epoch_per_fold(records, ties=ties),
                                       source=f"{run['file']} at each subject's best test epoch"))


def shipped_run(folder: Path, run: Mapping[str, Any], sources: Sources, k: int) -> Run:
    """One shipped predictions file (and its per-epoch record, where ``runs.json`` names one) as a site run."""
    predictions = st.read_predictions_csv(inside(folder, run["file"]))
    site_file = sources.add(inside(folder, run["file"]), f"predictions/{run['file']}")
    epochs_file, curves = "", None
    if run.get("epochs"):
        records = epoch_selection.records_of_files(inside(folder, run["file"]), inside(folder, run["epochs"]))
        epochs_file = sources.add(inside(folder, run["epochs"]), f"predictions/{run['epochs']}")
        curves = run_curves(records, k)
    return Run(name=f"seed {run['seed']}", seed=int(run["seed"]), predictions=predictions, file=site_file,
               epochs_file=epochs_file, curves=curves, confusion=pages.confusions(predictions, MEGC_SCOPES, k))


def artefact_entry(method: str, recipe: str, label: str, published: Mapping[tuple[str, str], Published],
                   sources: Sources) -> Entry:
    """The numbers a package transcribes for one method and recipe, as an entry: the authors' weights (the port
    recipe's own published numbers), the authors' log (its numbers: the published ones, and where the log gives
    another, that one, the printed number named beside it), or published."""
    names = list(dict.fromkeys(p.source for p in published.values()))
    recomputed = [f"{metric.upper()} {scope}: printed {p.value:.4f}, the log gives {p.reference_value:.4f}"
                  for (metric, scope), p in published.items() if p.recomputed is not None]
    if recipe == "port":
        kind, what = pages.AUTHORS_WEIGHTS, "The numbers the authors' released weights give, as they published them."
    elif recomputed:
        kind, what = pages.AUTHORS_LOG, ("The authors' published numbers, and where their own log of predictions "
                                         "gives another, that one, recomputed from the log (what ours is compared "
                                         f"with): {'; '.join(recomputed)}.")
    else:
        kind, what = pages.PUBLISHED, "Published, not run by us."
    reported = REPO_ROOT / "papers" / method / "reported.py"
    files = (("the package's transcription", sources.add(reported, f"papers/{method}/reported.py")),) \
        if reported.is_file() else ()
    scores: dict[str, dict[str, Cell]] = {}
    for (metric, scope), p in published.items():
        scores.setdefault(scope, {})[metric] = Cell(value=p.reference_value)
    selected = [f"{metric.upper()} {scope}" for (metric, scope), p in published.items() if p.test_selected]
    shown = f"{label}: its authors' log" if kind == pages.AUTHORS_LOG else f"{label}: as its authors published"
    return Entry(slug=f"{method}-{recipe}-published", label=shown, kind=kind,
                 scores=scores, published=published, sources=files,
                 command=f"transcribed in papers/{method}/reported.py",
                 test_selected=(f"its authors chose the epoch on the test data ({', '.join(selected)})"
                                if selected else ""),
                 notes=(what, f"Sources: {'; '.join(names)}."))


def published_entries(stood_for: set[str], sources: Sources) -> list[Entry]:
    """The composite's published rows (``common.evaluation.published``) that no shipped method's package stands for."""
    table = sources.add(TABLE, "published/published.json")
    out = []
    for ref in REFERENCES:
        if ref.name in stood_for:
            continue
        scores = {scope: {metric: Cell(value=v) for metric, v in zip(METRICS, values) if v is not None}
                  for scope, values in ref.scores.items()}
        selected = ref.selects_on_test == "yes"
        notes = ["Published, not run by us.", f"Source: {ref.source}."] + ([ref.note] if ref.note else [])
        if ref.recomputed:
            notes.append(f"Recomputed from the authors' artefact: {json.dumps(ref.recomputed)} "
                         f"({ref.recomputed_note}).")
        out.append(Entry(
            slug=f"published-{pages.safe(ref.name)}", label=f"{ref.name} ({ref.ref})" if ref.ref else ref.name,
            kind=pages.PUBLISHED, scores=scores, sources=(("the published rows, transcribed", table),),
            command="transcribed in common/evaluation/published.json",
            test_selected=f"its authors' code selects on the test data: {ref.selection_source}" if selected else "",
            notes=tuple(notes)))
    return out


def _synthetic(corpus: Mapping[str, Any]) -> str:
    return SYNTHETIC if corpus.get("kind") == "synthetic" else ""


def _corpus(corpus: Mapping[str, Any]) -> str:
    return f"{corpus.get('kind', '?')}: {corpus.get('inputs', '')}".rstrip(": ")


def method_folder(folder: Path, stored: Any) -> Path:
    """A benchmark's method folder: the last part of the one its results.json names (run_all writes an absolute
    path, ``<benchmark folder>/<method>``), taken beside that results.json, so that a reports folder moved or copied
    keeps its benchmarks; never a folder elsewhere (:func:`inside`)."""
    if not isinstance(stored, str) or not stored.strip("/\\"):
        raise ValueError(f"a method's folder is {str(stored)[:200]!r}; expected its folder's path")
    return inside(folder, stored.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])


def _fold_predictions(predictions: st.Predictions) -> dict[str, list[tuple[str, int]]]:
    """Each fold's sorted (key, predicted class) pairs of a predictions.csv ({} without fold names; a fold's pairs
    empty without keys: then nothing is compared)."""
    if predictions.folds is None:
        return {}
    keys = predictions.keys.tolist() if predictions.keys is not None else [None] * len(predictions.y_pred)
    out: dict[str, list[tuple[str, int]]] = {}
    for fold, key, predicted in zip(predictions.folds.tolist(), keys, predictions.y_pred.tolist()):
        out.setdefault(str(fold), [])
        if key is not None:
            out[str(fold)].append((str(key), int(predicted)))
    return {fold: sorted(pairs) for fold, pairs in out.items()}


def seed_fold_records(seed_folder: Path, predictions: st.Predictions, sources: Sources,
                      site_folder: str) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The runner's fold records of one seed of a benchmark's method (``<seed folder>/folds/<fold>.json``,
    ``records.load_fold_record``: bounded and checked) of the folds its predictions.csv holds, whose predictions
    are that file's (a record of another training, left by a rerun stopped before it rewrote predictions.csv, would
    put another run's epochs and curves beside these numbers: left out), and their site paths; ``ValueError`` naming
    a damaged one."""
    expected = _fold_predictions(predictions)
    records, site_paths = [], []
    for path in sorted((seed_folder / "folds").glob("*.json"))[:MAX_FOLD_FILES]:
        record, problem = load_fold_record(inside(seed_folder / "folds", path.name))
        if record is None:
            raise ValueError(f"{path}: {problem or 'cannot be read'}")
        fold = record.get("fold")
        if fold not in expected:
            continue
        shown = sorted(zip(map(str, record.get("keys") or ()), map(int, record["y_pred"])))
        if expected[fold] and shown != expected[fold]:
            continue
        records.append(record)
        site_paths.append(sources.add(path, f"{site_folder}/folds/{path.name}"))
    return records, tuple(site_paths)


def benchmark_method(folder: Path, relative: str, m: Mapping[str, Any], summary: Mapping[str, Any],
                     class_names: Sequence[str], sources: Sources, results: str, n_resamples: int) -> Entry:
    """One method of a benchmark: every number computed from its seeds' files beside the benchmark (each
    ``<method>/seed<k>/predictions.csv``, and the fold records in ``folds/`` for the best test epoch and the curves),
    as the benchmark computes its results.json's (the seeds' common clips; ``summary.scope_entry``)."""
    k = len(class_names)
    method_dir = method_folder(folder, m["folder"])
    seeds = [int(s) for s in m["seeds"]]
    if not seeds:
        raise ValueError("it lists no seed")
    runs: list[Run] = []
    best_runs: list[st.Predictions] = []
    fold_files: list[tuple[int, str, int]] = []  # (seed, the first fold record's site path, how many)
    gauges = m.get("epoch_selection") or []
    # the rule each seed's measured gauge kept its folds' best epochs by (one a method: its authors')
    ties = {gauge_ties(g) for g in (gauges if isinstance(gauges, list) else [gauges])
            if isinstance(g, Mapping) and g.get("status") == "measured"} or {"earliest"}
    if len(ties) > 1:
        raise ValueError(f"its seeds' epoch gauges keep tied best epochs by different rules "
                         f"({', '.join(sorted(ties))})")
    (tie_rule,) = ties
    for seed in seeds:
        csv_path = inside(folder, f"{method_dir.name}/seed{seed}/predictions.csv")
        if not csv_path.is_file():
            raise ValueError(f"{csv_path}: no such file; the method's numbers are computed from each seed's")
        predictions = read_predictions(csv_path, class_names)
        site_folder = f"reports/{relative}/{method_dir.name}/seed{seed}"
        records, record_files = seed_fold_records(csv_path.parent, predictions, sources, site_folder)
        best = best_epoch_predictions(records, predictions, csv_path.parent, tie_rule)
        if best is not None:
            best_runs.append(best)
        if record_files:
            fold_files.append((seed, record_files[0], len(record_files)))
        runs.append(Run(name=f"seed {seed}", seed=seed, predictions=predictions,
                        file=sources.add(csv_path, f"{site_folder}/predictions.csv"),
                        epochs_file=record_files[0] if best is not None else "",
                        curves=run_curves(records, k) if records else None,
                        confusion=pages.confusions(predictions, summary["track"]["scopes"], k)))
    aligned, left_out = st.common_samples([r.predictions for r in runs])
    scopes = [str(s) for s in summary["track"]["scopes"]]
    best_cells = None
    if len(best_runs) == len(runs):  # every seed's folds hold a per-epoch record
        best_cells = scope_cells(st.common_samples(best_runs)[0], k, scopes, n_resamples)
    # the folds --max-folds cut and those not scored in every seed, as the benchmark's PDF and CSV say them
    partial = method_partial(summary, m)
    if not partial and left_out:
        partial = f"left out: {left_out} clip(s) not predicted by every seed (a fold failed or diverged)"
    chosen = run_selected_on_test(m)  # what its seeds predict with where it was picked on their test data
    several = len(fold_files) > 1
    return Entry(
        slug=f"bench-{pages.safe(relative)}-{pages.safe(m['name'])}",
        label=f"{m['name']} ({profile_label(summary.get('profile'), summary.get('overrides'))})",
        kind=pages.AUTHORS_WEIGHTS if m.get("weights") else pages.OUR_RUN,
        scores=scope_cells(aligned, k, scopes, n_resamples), seeds=tuple(seeds), corpus=_corpus(summary["corpus"]),
        synthetic=_synthetic(summary["corpus"]), partial=partial, best_epoch=best_cells,
        test_selected=f"predicts with {chosen}: selected on the test data" if chosen else "",
        best_epoch_seeds=tuple(seeds) if best_cells else (), best_epoch_ties=tie_rule, runs=tuple(runs),
        command=str(summary.get("command", "")),
        sources=(("the benchmark's results.json (what ran: the command, profile and folds)", results),)
        + tuple((f"predictions, {r.name}", r.file) for r in runs)
        + tuple((f"fold records{f' of seed {seed}' if several else ''} ({n} files, one a fold; the first)", first)
                for seed, first, n in fold_files)
        + ((("every fold record", "files/index.html"),) if fold_files else ()),
        notes=(f"Benchmark folder reports/{relative}; profile {summary.get('profile')}. Every number here is "
               "computed from the files listed below (the seeds' predictions, on the clips every seed predicted), "
               "not taken from the benchmark's results.json.",))


def benchmark_entries(path: Path, summary: Mapping[str, Any], root: Path, sources: Sources,
                      class_names: Sequence[str], n_resamples: int, notes: list[str]) -> list[Entry]:
    """A benchmark's methods (``mersuite.benchmark/1``), each computed from its seeds' files
    (:func:`benchmark_method`); a method whose files cannot give its numbers is left out, named in ``notes``."""
    folder = path.parent
    relative = path.relative_to(root).parent.as_posix()
    results = sources.add(path, f"reports/{relative}/results.json")
    out = []
    for m in summary["methods"]:
        kept = dict(sources.copies)
        try:
            out.append(benchmark_method(folder, relative, m, summary, class_names, sources, results, n_resamples))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            sources.copies = kept  # a method left out leaves no file in the site's files/
            name = m.get("name") if isinstance(m, dict) else None
            notes.append(f"left out {path}, method {str(name)[:80]!r}: {type(exc).__name__}: {exc}")
    return out


def score_entry(path: Path, summary: Mapping[str, Any], root: Path, sources: Sources, class_names: Sequence[str],
                n_resamples: int) -> Entry:
    """A ``--score`` of predictions made outside (``mersuite.score/1``): its numbers computed from the
    predictions.csv beside its results.json (the scored clips), as ``--score`` computes them."""
    folder = path.parent
    relative = path.relative_to(root).parent.as_posix()
    csv_path = inside(folder, "predictions.csv")
    if not csv_path.is_file():
        raise ValueError(f"{csv_path}: no such file; a score's numbers are computed from the clips it scored")
    k = len(class_names)
    predictions = read_predictions(csv_path, class_names)
    results = sources.add(path, f"reports/{relative}/results.json")
    site_csv = sources.add(csv_path, f"reports/{relative}/predictions.csv")
    scopes = [str(s) for s in summary["track"]["scopes"]]
    source = summary.get("source", {})
    matching = summary.get("matching", {})
    kind = pages.AUTHORS_LOG if source.get("format") == "ststnet_log" else pages.OUTSIDE
    # The track's clip count cannot be recomputed without the corpus: it is the score's, and what it implies is
    # checked against the scored clips' file (an edited left_out of 0 would have shown a partial score as whole).
    track_clips, scored = matching.get("track_clips"), len(predictions.y_true)
    if not isinstance(track_clips, int) or isinstance(track_clips, bool) or track_clips < scored:
        raise ValueError(f"matching.track_clips is {track_clips!r}; expected the track's clip count, at "
                         f"least the {scored} clips of {csv_path.name}")
    if matching.get("left_out") != track_clips - scored:
        raise ValueError(f"matching.left_out is {matching.get('left_out')!r}, but {csv_path.name} holds "
                         f"{scored} of the track's {track_clips} clips, so {track_clips - scored} were left out")
    partial = (f"{track_clips - scored} of the track's {track_clips} clips not scored (--partial; the track's count as "
               "the score recorded it)" if track_clips > scored else "")
    return Entry(slug=f"score-{pages.safe(relative)}", label=f"{source_name(source) or folder.name} (scored)",
                 kind=kind, scores=scope_cells([predictions], k, scopes, n_resamples),
                 corpus=_corpus(summary.get("corpus", {})), synthetic=_synthetic(summary.get("corpus", {})),
                 partial=partial, selection=str(summary.get("selection") or "unknown"),
                 runs=(Run(name=folder.name, seed=None, predictions=predictions, file=site_csv,
                           confusion=pages.confusions(predictions, scopes, k)),),
                 command=str(summary.get("command", "")),
                 sources=(("the score's results.json (what was scored, and how it matched the track)", results),
                          ("the scored clips, in the runner's columns", site_csv)),
                 notes=("Predictions made outside the suite, scored by run_all.py --score exactly as its own runs "
                        "are scored (the track's clips, folds and subjects); every number here is computed from the "
                        "scored clips' file, not taken from the score's results.json.",
                        f"Source file {source.get('path')} (sha256 {source.get('sha256')}).",
                        f"Selection: {summary.get('selection', 'unknown')}."))


def paper_run_entry(path: Path, summary: Mapping[str, Any], root: Path, sources: Sources,
                    n_resamples: int) -> Entry | None:
    """One experiment of a paper's run (``mersuite.results/1``): its predictions.csv described as the shipped runs
    (a scope of one subject without an interval). Its class names are checked against its track's by the caller,
    which knows the track only once the clips are read."""
    folder = path.parent
    csv_path = folder / "predictions.csv"
    if not csv_path.is_file():
        return None
    relative = path.relative_to(root).parent.as_posix()
    class_names = check_classes(summary["class_names"], None, "")
    k = len(class_names)
    predictions = read_predictions(inside(folder, "predictions.csv"), class_names, "its results.json's")
    scopes = [s for s in summary.get("scopes") or ["all"] if s == "all" or s in set(predictions.datasets.tolist())]
    site_csv = sources.add(csv_path, f"reports/{relative}/predictions.csv")
    weights = ((summary.get("config") or {}).get("train") or {}).get("weights")
    failed = {s: n for s, n in (summary.get("status_counts") or {}).items() if s != "ok"}
    # fewer folds than the protocol's (its folds_protocol, or an older results.json's evaluation.max_folds)
    partial = "; ".join(filter(None, [run_partial(summary), f"folds not scored: {failed}" if failed else ""]))
    selected = str(summary.get("selected_on_test") or "")
    # each fold at its best test epoch, as the report's epoch gauge shows it (as a benchmark method's)
    records, record_files = seed_fold_records(folder, predictions, sources, f"reports/{relative}")
    ties = gauge_ties(summary.get("epoch_selection"))
    best = best_epoch_predictions(records, predictions, folder, ties)
    return Entry(
        slug=f"run-{pages.safe(relative)}", label=f"{summary['paper']} / {summary['experiment']} "
                                                 f"({profile_label(summary.get('profile'), summary.get('overrides'))}, "
                                                 f"seed {summary.get('seed')})",
        kind=pages.AUTHORS_WEIGHTS if weights else pages.OUR_RUN,
        scores=scope_cells([predictions], k, scopes, n_resamples),
        seeds=(int(summary.get("seed", 0)),), corpus=_corpus(summary.get("corpus", {})),
        synthetic=_synthetic(summary.get("corpus", {})),
        partial=partial, test_selected=f"predicts with {selected}: selected on the test data" if selected else "",
        best_epoch=scope_cells([best], k, scopes, n_resamples) if best is not None else None,
        best_epoch_seeds=(int(summary.get("seed", 0)),) if best is not None else (), best_epoch_ties=ties,
        runs=(Run(name=f"seed {summary.get('seed')}", seed=int(summary.get("seed", 0)), predictions=predictions,
                  file=site_csv, epochs_file=record_files[0] if best is not None else "",
                  curves=run_curves(records, k) if records else None,
                  confusion=pages.confusions(predictions, scopes, k)),),
        sources=(("the run's results.json", sources.add(path, f"reports/{relative}/results.json")),
                 ("predictions", site_csv)),
        notes=(f"{summary.get('title', '')}.",) + (("The authors' released weights, evaluated by the suite "
                                                     "(--weights): nothing trained.",) if weights else ()))


def report_entries(root: Path, shipped_keys: set[str] | None, sources: Sources, n_resamples: int,
                   site: Path | None = None) -> tuple[dict[str, list[Entry]], dict[str, Mapping[str, Any]], list[str]]:
    """Every results.json under ``root`` but those under ``site`` (a site written there holds copies):
    ``({track: entries}, {track: its track dict}, notes)``. A paper's run joins the shipped track when it predicted
    exactly the shipped clips, else a track of its own. A results.json whose class names are not its track's (a
    registered track's, else those of the first results.json read for it) is left out, named in ``notes``."""
    by_track: dict[str, list[Entry]] = {}
    track_info: dict[str, Mapping[str, Any]] = {}
    notes: list[str] = []
    if not root.is_dir():
        return by_track, track_info, notes
    paths = sorted(p for p in root.rglob("results.json")
                   if site is None or site.resolve() not in p.resolve().parents)
    if len(paths) > MAX_RESULTS:
        notes.append(f"{len(paths)} results.json files under {root}: the first {MAX_RESULTS} read")
        paths = paths[:MAX_RESULTS]
    documents = []
    for path in paths:
        try:
            inside(root, path.relative_to(root).as_posix())  # a link out of the reports folder is not followed
        except ValueError as exc:
            notes.append(f"left out {path}: {exc}")
            continue
        try:  # the note names the file once: read_document's message would name it again
            documents.append((path, files.read_json(path)))
        except OSError as exc:
            notes.append(f"left out {path}: cannot be read ({exc.strerror or exc})")
        except ValueError as exc:
            notes.append(f"left out {path}: cannot be read as JSON ({exc})")
    benchmarks = [p.parent for p, d in documents if isinstance(d, dict) and d.get("schema") == "mersuite.benchmark/1"]
    for path, summary in documents:
        schema = summary.get("schema") if isinstance(summary, dict) else None
        kept = dict(sources.copies)
        try:
            if schema in ("mersuite.benchmark/1", "mersuite.score/1"):
                track = summary["track"]["name"]
                if not isinstance(track, str):
                    raise ValueError(f"its track's name is {str(track)[:80]!r}; expected a name")
                classes = check_classes(summary["track"]["class_names"], track_classes(track, track_info), track)
                entries = (benchmark_entries(path, summary, root, sources, classes, n_resamples, notes)
                           if schema == "mersuite.benchmark/1" else
                           [score_entry(path, summary, root, sources, classes, n_resamples)])
                by_track.setdefault(track, []).extend(entries)
                track_info.setdefault(track, summary["track"])
            elif schema == "mersuite.results/1" and not any(b in path.parents for b in benchmarks):
                entry = paper_run_entry(path, summary, root, sources, n_resamples)
                if entry is None:  # no number to compute: said, as any other results.json left out
                    notes.append(f"left out {path}: no predictions.csv beside it, from which a run's numbers are "
                                 "computed")
                    continue
                keys = entry.runs[0].predictions.keys
                if shipped_keys and keys is not None and set(keys.tolist()) == shipped_keys:
                    check_classes(summary["class_names"], track_classes(SHIPPED_TRACK, track_info), SHIPPED_TRACK)
                    by_track.setdefault(SHIPPED_TRACK, []).append(entry)
                else:
                    name = f"{summary['paper']}/{summary['experiment']}"
                    check_classes(summary["class_names"], track_classes(name, track_info), name)
                    by_track.setdefault(name, []).append(entry)
                    track_info.setdefault(name, {"name": name, "title": f"{summary['paper']}: {summary.get('title')}",
                                                 "class_names": summary["class_names"], "scopes": summary["scopes"],
                                                 "note": ""})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            sources.copies = kept  # a file left out leaves no copy in the site's files/
            notes.append(f"left out {path}: {type(exc).__name__}: {exc}")
    return by_track, track_info, notes


def paired_runs(a: Entry, b: Entry) -> tuple[list[st.Predictions], list[st.Predictions], str]:
    """The runs of two entries to pair: the seeds both ran, in order, or else each one's first run."""
    seeds_a = {r.seed: r for r in a.runs if r.seed is not None}
    seeds_b = {r.seed: r for r in b.runs if r.seed is not None}
    shared = sorted(set(seeds_a) & set(seeds_b))
    if shared:
        return ([seeds_a[s].predictions for s in shared], [seeds_b[s].predictions for s in shared],
                f"{seeds_words(shared)} of both")
    return [a.runs[0].predictions], [b.runs[0].predictions], f"{a.runs[0].name} with {b.runs[0].name}"


OTHER_CORPUS = ("one ran on the suite's synthetic corpus, the other on real data: clips of the same names, not the "
                "same clips")


def other_samples(runs: Sequence[st.Predictions]) -> str:
    """Why runs aligned on their common clip names (``statistics.common_samples``) are still not on the same samples,
    "" when they are: a clip that one run gives another true class, subject or database than the first run does is
    another corpus's clip of that name (a --score of the synthetic corpus beside real runs), never a sample to pair."""
    first = runs[0]
    for field, what in (("y_true", "true class"), ("subjects", "subject"), ("datasets", "database")):
        # each clip counted once, however many seeds (runs) give it another value than the first run
        differ = int(np.count_nonzero(np.any([getattr(run, field) != getattr(first, field) for run in runs[1:]],
                                             axis=0))) if len(runs) > 1 else 0
        if differ:
            return (f"of the {len(first)} clip names both hold, {differ} have another {what} in one than in the "
                    "other: another corpus's clips of those names")
    return ""


def pair_or_reason(a: Entry, b: Entry, k: int, n_resamples: int) -> tuple[list[Pair], str]:
    """The paired tests of two entries (UF1, UAR; all clips) and "", or no test and why not: two entries on different
    corpora (the synthetic one and real data), with no clip in common, whose common clip names are other clips
    (another true class, subject or database: :func:`other_samples`), or whose common clips hold fewer than two
    subjects, which ``statistics.compare`` refuses."""
    if bool(a.synthetic) != bool(b.synthetic):
        return [], OTHER_CORPUS
    runs_a, runs_b, how = paired_runs(a, b)
    keys_a, keys_b = (set() if r[0].keys is None else set(r[0].keys.tolist()) for r in (runs_a, runs_b))
    if not keys_a & keys_b:
        return [], "no clip in common"
    try:
        aligned, left_out = st.common_samples(runs_a + runs_b)
    except ValueError as exc:  # a clip predicted twice, or none predicted by every seed of both
        return [], f"their clips cannot be aligned ({' '.join(str(exc).split())})"
    reason = other_samples(aligned)
    if reason:
        return [], reason
    if len(st.subject_units(aligned[0])[1]) < 2:  # the bootstrap and the permutations resample subjects
        return [], "their common clips hold one subject; the paired test resamples subjects and needs two"
    found = []
    for metric in METRICS:
        try:
            comparison = st.compare(aligned[:len(runs_a)], aligned[len(runs_a):], k, metric, names=(a.label, b.label),
                                    n_resamples=n_resamples, n_permutations=n_resamples)
        except ValueError as exc:  # on the same clips but still refused (other fold names): said, never fatal
            return [], f"not comparable ({' '.join(str(exc).split())})"
        found.append(Pair(a=a.slug, b=b.slug, comparison=comparison, runs=how, clips=len(aligned[0]),
                          left_out=left_out))
    return found, ""


def pairs(entries: Sequence[Entry], k: int,
          n_resamples: int) -> tuple[list[Pair], dict[str, list[tuple[str, str]]]]:
    """The paired test of every two entries holding predictions on the same samples (:func:`pair_or_reason`), and
    for each entry the others it was not paired with and why (``{slug: [(other's label, reason)]}``). An entry on
    other samples is shown, never paired: a pair that ``compare`` refused used to stop the whole site."""
    out: list[Pair] = []
    apart: dict[str, list[tuple[str, str]]] = {}
    for a, b in itertools.combinations([e for e in entries if e.runs and e.runs[0].predictions.keys is not None], 2):
        found, reason = pair_or_reason(a, b, k, n_resamples)
        out += found
        if reason:
            apart.setdefault(a.slug, []).append((b.label, reason))
            apart.setdefault(b.slug, []).append((a.label, reason))
    return out, apart


LISTED_APART = 3  # the entries named in an entry's note of those it was not paired with (the rest counted)


def apart_note(apart: Sequence[tuple[str, str]]) -> str:
    """One line for an entry's page: the entries of its track it was not paired with, by reason (the first
    :data:`LISTED_APART` of each named, the rest counted)."""
    by_reason: dict[str, list[str]] = {}
    for label, reason in apart:
        by_reason.setdefault(reason, []).append(label)
    parts = []
    for reason, labels in by_reason.items():
        named = ", ".join(labels[:LISTED_APART]) + (f" and {len(labels) - LISTED_APART} more"
                                                    if len(labels) > LISTED_APART else "")
        parts.append(f"{named} ({reason})")
    return (f"Not paired with {len(apart)} entr{'y' if len(apart) == 1 else 'ies'} of this track (pairs.html "
            f"compares entries on the same samples only): {'; '.join(parts)}.")


def _entry_page(track: str, entry: Entry, slug: str) -> str:
    return pages.entry_page_name(track, dataclasses.replace(entry, slug=slug))


def own_pages(by_track: Mapping[str, Sequence[Entry]]) -> dict[str, list[Entry]]:
    """Every entry with a page and a row id of its own (``entries/<track>--<slug>.html``): its slug made file-name
    safe, and numbered (``-2``, ``-3``) where an entry before it has that page already. Two folders under the reports
    whose names differ only where ``safe`` writes ``_`` (``a/b``, ``a_b``), or only in case (which a file system may
    ignore), give one slug: without the number the later entry's page would overwrite the earlier's, and the earlier's
    row would link to numbers not its own."""
    taken: set[str] = set()
    out: dict[str, list[Entry]] = {}
    for name, entries in by_track.items():
        kept = out.setdefault(name, [])
        for entry in entries:
            slug = pages.numbered(pages.safe(entry.slug), taken, functools.partial(_entry_page, name, entry))
            kept.append(entry if slug == entry.slug else dataclasses.replace(entry, slug=slug))
    return out


def scope_order(scopes: Sequence[str]) -> tuple[str, ...]:
    """``scopes`` in the site's one order, in every table of every track: all clips and the composite's databases as
    the README's tables give them (:data:`MEGC_SCOPES`), then any other in its track's order (a track's own order,
    SMIC first on the megc2019 track, put its tables' columns in another order than the shipped runs')."""
    return tuple([s for s in MEGC_SCOPES if s in scopes] + [s for s in scopes if s not in MEGC_SCOPES])


def _track_meta(name: str, info: Mapping[str, Any] | None) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    for track in TRACKS:
        if track.name == name:
            scopes = MEGC_SCOPES if name == SHIPPED_TRACK else scope_order(track.scopes)
            return track.title, track.note, tuple(track.class_names), scopes
    info = info or {}
    return (str(info.get("title", name)), str(info.get("note", "")), tuple(info.get("class_names", ())),
            scope_order([str(s) for s in info.get("scopes", ("all",))]))


def build_site(out: Path, registry: Any, *, shipped: Path = SHIPPED, reports: Path | None = None,
               n_resamples: int = st.DEFAULT_RESAMPLES, command: str = "run_all.py --site DIR") -> Path:
    """Gather every number (module docstring) and write the site into ``out``; returns its ``index.html``."""
    pages.check_site_folder(out)  # before any work
    started = time.perf_counter()
    reports = reports_root() if reports is None else reports
    sources = Sources()
    # listed: runs.json's files. A finished run of a recipe as it stands is its own entry (shipped_entries); the
    # finished runs of an option that runs.json does not list (benchmarks/reproduce.py --name) are one entry from
    # their folds (folds_entries)
    ours, artefacts, listed, labels = shipped_entries(shipped, registry, sources, n_resamples)
    notes: list[str] = []
    unlisted: dict[tuple[str, str, str], list[Path]] = {}  # (method, recipe, option): its seeds' folders
    for folds in sorted(shipped.glob("*.folds")) if shipped.is_dir() else []:
        if f"{folds.name.removesuffix('.folds')}.csv" in listed:
            continue  # the run finished: its predictions file (runs.json) is its entry
        try:
            method, recipe, _, option = folds_name(folds)
        except ValueError as exc:
            notes.append(f"left out {folds}: {exc}")
            continue
        unlisted.setdefault((method, recipe, option), []).append(folds)
    for (method, recipe, option), folders in unlisted.items():
        key = run_key({"method": method, "recipe": recipe, "name": option})
        try:
            entries, left_out = folds_entries(folders, registry, sources, n_resamples, label=labels.get(key, ""))
        except ValueError as exc:  # past each folder's reading (which names its own): the runs left out, named
            notes.append(f"left out {', '.join(map(str, folders))}: {exc}")
            continue
        notes += left_out  # a seed's folder that cannot be read, named on the front page; the others kept
        ours += [e for e in entries if e.kind == pages.OUR_RUN]
        artefacts += [e for e in entries if e.kind != pages.OUR_RUN and e.slug not in {a.slug for a in artefacts}]
    logger.info(f"[site] {len(ours)} shipped entries scored ({time.perf_counter() - started:.0f} s)")
    stood_for: set[str] = set()
    for entry in artefacts:
        method = entry.slug.split("-")[0]
        try:
            stood_for |= set(getattr(getattr(registry.get_paper(method), "PIPELINE", None), "stands_for", ()) or ())
        except Exception:  # boundary: any package; its published row then stays in the table
            continue
    shipped_keys = set(ours[0].runs[0].predictions.keys.tolist()) if ours and ours[0].runs and \
        ours[0].runs[0].predictions.keys is not None else None
    from_reports, track_info, report_notes = report_entries(reports, shipped_keys, sources, n_resamples, site=out)
    notes += report_notes
    # every folder or file left out, one line each on the console as well as on the front page: a site built
    # from fewer entries than the reports hold is never said to be whole in silence
    for note in notes:
        logger.warning(f"[site] WARNING: {' '.join(note.splitlines())}")
    logger.info(f"[site] {sum(len(v) for v in from_reports.values())} entries from {reports} "
                + (f"({len(notes)} left out, each named above and on the front page) " if notes else "")
                + f"({time.perf_counter() - started:.0f} s)")
    by_track: dict[str, list[Entry]] = {}
    if ours or artefacts:
        by_track[SHIPPED_TRACK] = ours + from_reports.pop(SHIPPED_TRACK, []) + artefacts + published_entries(
            stood_for, sources)
    for name, entries in from_reports.items():
        by_track.setdefault(name, []).extend(entries)
    tracks = []
    for name, entries in own_pages(by_track).items():
        title, note, class_names, scopes = _track_meta(name, track_info.get(name))
        found, apart = pairs(entries, len(class_names), n_resamples)
        # each entry not paired with some others says with which and why, on its page
        shown = [dataclasses.replace(e, notes=(*e.notes, apart_note(apart[e.slug]))) if e.slug in apart else e
                 for e in entries]
        tracks.append(TrackPages(
            name=name, title=title, note=note, class_names=class_names,
            scopes=tuple((s, SCOPE_NAMES.get(s, s)) for s in scopes), entries=tuple(shown),
            pairs=tuple(found), fold_unit=fold_word(name)))
        unpaired = sum(len(v) for v in apart.values()) // 2
        logger.info(f"[site] {name}: {len(entries)} entries, paired tests done"
                    + (f"; {unpaired} pairs of entries not on the same samples, not paired (each entry's page says "
                       "why)" if unpaired else "") + f" ({time.perf_counter() - started:.0f} s)")
    index = pages.write_site(out, tracks, sources.copies, command, notes, resamples=n_resamples)
    logger.info(f"[site] {index} ({time.perf_counter() - started:.0f} s)")
    return index
