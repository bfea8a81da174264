"""Run the benchmark: every method on one track, the same folds and seeds, then the statistics.

    methods = [("aouayeb2019", papers.get_paper("aouayeb2019"), None), ("le2020", module, "resnet50")]
    bench = run_benchmark(get_track("megc2019"), methods, RunSettings(), seeds=3)
    bench.outputs["report"]  # reports/benchmark/megc2019/report.pdf

A method is a paper's own pipeline on the track: ``module.benchmark_experiment(track, model)`` (an
:class:`common.experiment.Experiment`; ``model=None`` is the paper's default, ``BENCHMARK_MODELS[0]``).
Each method x seed runs through :func:`common.running.runner.run_experiment` into
``<out>/benchmark/<track>/<method>/seed<k>/`` (``folds/``, ``results.json``, ``predictions.csv``), so a
rerun reuses every finished fold, per method x seed x fold. Seeds are ``settings.seed .. settings.seed + seeds - 1``.

Every method must see the same folds in the same order with the same test samples (paired
comparisons): checked on the folds before anything trains, and again on the stored predictions
after; a method whose folds differ is refused (:class:`common.errors.RunError`).

Outputs under ``<out>/benchmark/<track>/`` (:func:`benchmark_dir`: ``<track>-<tag>/`` where another kind of
benchmark, another profile, corpus or ``--set``, holds that folder; ``run.json`` records the kind): ``results.json``
(schema ``mersuite.benchmark/1``: the methods with their profile, config and the settings that differ from the
paper profile, per-seed runner summaries, the statistics of :func:`common.leaderboard.summary.analyse`, the cost of each
method, the references, environment and command), ``leaderboard.csv``, ``predictions.csv`` (every
method x seed x test sample, with ``method``, ``paper``, ``model``, ``seed`` columns) and ``report.pdf``
(:mod:`common.leaderboard.report`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import time
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Mapping, Sequence

from common.config import ConfigError, profile_label, to_dict
from common.errors import RunError, WorkSavedError
from common.datasets.released import corpus_inputs, corpus_label, holds_released, INPUT_KIND
from common.running import runner
from common.running.corpus import load_all, load_datasets
from common.environment import environment as run_environment
from common.running.preflight import check_experiment, check_seeds, split
from common.running.profiles import RunSpec, effective_config, resolve_profile
from common.evaluation.records import NOT_SCORED_STATUSES, jsonable
from common.evaluation.splits import safe_name
from common.experiment import Experiment, Track
from common.paper import Reported
from common.harness import ExperimentResult
from common.files import atomic_write, write_json_atomic, write_remedy, csv_writer
from common.leaderboard import summary as summary_module
from common.leaderboard.report import write_report
from common.evaluation.references import Reference, for_track
from common.orchestration.paper_runs import (RunSettings, check_parallel, fold_runner_maker, lock_outputs,
                                             run_spec)
from common.orchestration import run_folders
from common.orchestration.parallel import ExperimentRef, check_ref, share_cards_with_workers

logger = logging.getLogger(__name__)

BENCHMARK_SCHEMA = "mersuite.benchmark/1"


@dataclasses.dataclass(frozen=True)
class Method:
    """One entry of the benchmark: a paper's pipeline with one of its models."""

    paper_id: str
    module: Any
    model: str | None = None  # None: the paper's default (its BENCHMARK_MODELS[0])

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(getattr(self.module, "BENCHMARK_MODELS", ()) or ())

    @property
    def model_name(self) -> str:
        """The model's name ("default" when the paper lists none)."""
        return self.model or (self.models[0] if self.models else "default")

    @property
    def name(self) -> str:
        """``paper`` for the paper's default model, ``paper:model`` otherwise."""
        default = self.models[0] if self.models else None
        return self.paper_id if self.model in (None, default) else f"{self.paper_id}:{self.model}"

    @property
    def folder(self) -> str:
        return safe_name(self.name.replace(":", "-"))


@dataclasses.dataclass(frozen=True)
class MethodRun:
    """A method's runs, one :class:`ExperimentResult` per seed, and its experiment as run."""

    method: Method
    experiment: Experiment
    runs: tuple[ExperimentResult, ...]
    seeds: tuple[int, ...]
    folder: Path


@dataclasses.dataclass(frozen=True)
class BenchmarkResult:
    """What :func:`run_benchmark` returns: ``summary`` is exactly ``results.json``; the report draws
    from it (and nothing else); ``methods`` hold the complete runs in memory."""

    track: Track
    methods: tuple[MethodRun, ...]
    summary: Mapping[str, Any]
    outputs: Mapping[str, Path]

    @property
    def not_scored(self) -> list[tuple[str, str]]:
        """``(method/seed/fold, status)`` of every failed, diverged or refused fold (exit status 3)."""
        return [(f"{m.method.name}/seed{seed}/{f['name']}", f["status"]) for m in self.methods
                for seed, res in zip(m.seeds, m.runs) for f in res.summary["folds"]
                if f["status"] in NOT_SCORED_STATUSES]


def released_methods(methods: list[Method], experiments: Mapping[str, Experiment], loaded: Mapping[Any, list],
                     track: str) -> list[Method]:
    """On the authors' released inputs (``common.datasets.released``: flow images, no frames), the methods that
    can read them (``Experiment.reads_released``), the others listed in a log line; a :class:`RunError` when none
    can. Elsewhere ``methods`` unchanged."""
    if not holds_released(s for samples in loaded.values() for s in samples):
        return methods

    able = [m for m in methods if experiments[m.name].reads_released]
    unable = [m.name for m in methods if not experiments[m.name].reads_released]
    if not able:
        raise RunError(f"benchmark {track}: the data root holds {INPUT_KIND}, and none of the methods "
                       f"({', '.join(unable)}) can read them: they need the clips' frames")
    if unable:
        logger.info(f"[benchmark {track}] on {INPUT_KIND}: runs {', '.join(m.name for m in able)}; cannot run "
                    f"(they need the clips' frames): {', '.join(unable)}")
    return able


def as_methods(methods: Iterable[Method | tuple[str, Any, str | None]]) -> list[Method]:
    """:class:`Method` objects from ``(paper_id, module, model|None)`` tuples; one :class:`RunError` for a
    module without ``benchmark_experiment``, an unknown model or a method given twice."""
    out: list[Method] = []
    for entry in methods:
        method = entry if isinstance(entry, Method) else Method(*entry)
        if not callable(getattr(method.module, "benchmark_experiment", None)):
            raise RunError(f"paper {method.paper_id!r} has no benchmark_experiment(track, model): it cannot enter "
                           "a benchmark track yet")
        if method.model is not None and method.models and method.model not in method.models:
            raise RunError(f"paper {method.paper_id!r} has no benchmark model {method.model!r}; its models: "
                           f"{', '.join(method.models)}")
        if any(m.name == method.name for m in out):
            raise RunError(f"method {method.name!r} is given twice")
        out.append(method)
    if not out:
        raise RunError("no method to benchmark")
    return out


def limit_folds(experiment: Experiment, max_folds: int | None) -> Experiment:
    """``experiment`` with only its first ``max_folds`` folds (``--max-folds``; None: all), for a run and for its
    ``--estimate`` alike."""
    if max_folds is None:
        return experiment
    folds = experiment.folds
    return dataclasses.replace(experiment,
                               folds=lambda selection, config, seed: list(folds(selection, config, seed))[:max_folds])


def fold_signature(selection, folds) -> list[tuple[str, tuple[str, ...]]]:
    """``[(fold name, sorted test sample keys)]``: what must be equal for every method."""
    return [(fold.name, tuple(sorted(selection.samples[i].key for i in fold.test))) for fold in folds]


def _first_difference(a: list, b: list) -> str:
    if len(a) != len(b):
        return f"{len(b)} folds instead of {len(a)}"
    for (name_a, keys_a), (name_b, keys_b) in zip(a, b):
        if name_a != name_b:
            return f"fold {name_b!r} where the others have {name_a!r}"
        if keys_a != keys_b:
            only = sorted(set(keys_b) ^ set(keys_a))
            return f"fold {name_a!r} tests other samples ({len(only)} differ, first {only[0]!r})"
    return ""


def check_same_folds(signatures: Mapping[str, list], what: str) -> None:
    """One :class:`RunError` naming the first method whose folds differ from the first method's."""
    names = list(signatures)
    for name in names[1:]:
        difference = _first_difference(signatures[names[0]], signatures[name])
        if difference:
            raise RunError(f"benchmark refused: {name} does not see the same folds as {names[0]} ({what}): "
                           f"{difference}; every method must see the same folds, samples and order")


def _record_signature(result: ExperimentResult) -> list[tuple[str, tuple[str, ...] | None]]:
    return [(r["fold"], tuple(sorted(r.get("keys") or []))) if r.get("y_pred") else (r["fold"], None)
            for r in result.records]


def _check_records(runs: Mapping[str, ExperimentResult], seed: int) -> None:
    """The stored folds of every method (this seed): same names in the same order, and the same test
    samples wherever both predicted (a failed fold has none; it is left out of the paired statistics)."""
    names = list(runs)
    first = _record_signature(runs[names[0]])
    for name in names[1:]:
        other = _record_signature(runs[name])
        if [f for f, _ in first] != [f for f, _ in other]:
            raise RunError(f"benchmark refused: {name} (seed {seed}) ran folds {[f for f, _ in other][:4]}... but "
                           f"{names[0]} ran {[f for f, _ in first][:4]}...; every method must see the same folds")
        for (fold, a), (_, b) in zip(first, other):
            if a is not None and b is not None and a != b:
                raise RunError(f"benchmark refused: {name} (seed {seed}) tested other samples than {names[0]} in "
                               f"fold {fold!r}; every method must see the same samples")


def paper_config_diff(experiment: Experiment, config: Any) -> list[dict[str, Any]]:
    """Every setting of the effective ``config`` that differs from the experiment's ``paper`` profile:
    ``[{"setting": "section.field", "paper": value, "used": value}]`` (quick-only inputs show up here)."""
    paper = _flatten(to_dict(experiment.config))
    used = _flatten(to_dict(config))
    return [{"setting": key, "paper": paper.get(key), "used": used.get(key)}
            for key in list(dict.fromkeys([*paper, *used])) if paper.get(key) != used.get(key)]


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, Mapping):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: tree}


PREDICTION_COLUMNS = ("method", "paper", "model", "seed", "fold", "index", "key", "dataset", "subject", "y_true",
                      "y_pred", "true_class", "predicted_class", "status")


def write_combined_predictions(path: Path, methods: Sequence[MethodRun]) -> None:
    """Every method x seed x test sample in one CSV (atomic); the per-run files keep the probabilities."""
    with atomic_write(path, newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(PREDICTION_COLUMNS)
        for m in methods:
            for seed, res in zip(m.seeds, m.runs):
                classes = res.selection.class_names
                for r in res.records:
                    for idx, key, ds, subj, yt, yp in zip(r["test_indices"], r["keys"], r["datasets"],
                                                          r["subjects"], r["y_true"], r["y_pred"]):
                        writer.writerow([m.method.name, m.method.paper_id, m.method.model_name, seed, r["fold"], idx,
                                         key, ds, subj, yt, yp, classes[yt], classes[yp], r["status"]])


def benchmark_dir(track: Track, run: RunSpec) -> Path:
    """Where a benchmark of ``track`` under ``run`` writes: ``<out>/benchmark/<track>`` when free or holding this
    kind of benchmark, else beside it (``run_folders.benchmark_folder``: another profile, corpus or ``--set`` never
    writes over its folds)."""
    return run_folders.benchmark_folder(run.out, track.name, run_folders.benchmark_kind(run))


def run_benchmark(track: Track, methods: Iterable[Method | tuple[str, Any, str | None]], settings: RunSettings,
                  seeds: int = 1, max_folds: int | None = None,
                  references: Iterable[Reference] = (), n_resamples: int = summary_module.DEFAULT_RESAMPLES,
                  statistics_seed: int = 0, registry: Any = "papers", left_out: Sequence[str] = ()) -> BenchmarkResult:
    """Run (or resume) every method x seed on ``track``, check the folds are shared, then write the
    statistics, ``results.json``, ``leaderboard.csv``, ``predictions.csv`` and ``report.pdf``.

    ``settings.workers``/``settings.cluster`` compute the folds in worker processes or on a Dask
    cluster (``common.orchestration.parallel``), which find each method through ``registry`` (a module
    name or a picklable registry) as ``benchmark_experiment(track, model)``. ``left_out``: one line per package
    the benchmark left out and why (refused where it was loaded), kept in ``results.json`` and the report.

    Before any training: every method's ``--set`` overrides are checked against its config, the
    output folders are checked and locked, the databases loaded once, each method checked as ``--paper``
    checks an experiment (``common.running.preflight.check_experiment``: folds, ``--weights``, models,
    preprocessing, ``--fold-parallel``), and the folds of every method compared. Raises
    ``ConfigError``/``RunError`` (one line each).
    """
    started = time.perf_counter()
    if not isinstance(seeds, int) or seeds < 1:
        raise RunError(f"--seeds {seeds!r}: expected a positive whole number")
    if max_folds is not None and (not isinstance(max_folds, int) or max_folds < 1):
        raise RunError(f"--max-folds {max_folds!r}: expected a positive whole number")
    check_seeds(settings.seed, seeds)
    methods = as_methods(methods)
    seed_list = tuple(range(settings.seed, settings.seed + seeds))
    experiments: dict[str, Experiment] = {}
    configs: dict[str, Any] = {}
    for method in methods:
        experiment = method.module.benchmark_experiment(track, method.model)
        experiments[method.name] = limit_folds(experiment, max_folds)
    profile = resolve_profile(settings.profile, settings.data_root, list(experiments.values()))
    for method in methods:
        experiment = experiments[method.name]
        try:
            configs[method.name] = effective_config(experiment, profile, settings.overrides)
        except ConfigError as exc:
            raise ConfigError(f"{exc} (method {method.name} on track {track.name})") from None
    if check_parallel(settings):  # a worker must find the very experiment this process runs
        for method in methods:
            check_ref(ExperimentRef(method.paper_id, track=track.name, model=method.model, registry=registry),
                      method.module.benchmark_experiment(track, method.model))
    run = run_spec(settings, list(experiments.values()), profile)
    if settings.cluster is None:
        share_cards_with_workers(settings.workers)  # before this process builds a model (check_models below)
    out = run.out
    bench_dir = benchmark_dir(track, run)
    plain = Path(out) / "benchmark" / track.name
    if bench_dir != plain:  # another kind of benchmark holds <out>/benchmark/<track>: this one writes beside it
        held = run_folders.held_kind(plain, benchmark=True)
        logger.info(f"[benchmark {track.name}] {plain} holds a benchmark of {run_folders.describe(held)}; "
                    f"this one writes {bench_dir}")
    folders = {(m.name, seed): bench_dir / m.folder / f"seed{seed}" for m in methods for seed in seed_list}
    with contextlib.ExitStack() as locks:
        lock_outputs([bench_dir, *folders.values()], out, locks)
        make_fold_runner = fold_runner_maker(settings, out, locks)
        root, synthetic = run.root, run.synthetic
        loaded = load_all(list(experiments.values()), root, settings.loader)
        methods = released_methods(methods, experiments, loaded, track.name)
        built: set = set()
        for seed in seed_list:  # the shared folds, before anything trains
            signatures = {}
            for method in methods:
                experiment, config = experiments[method.name], configs[method.name]
                data = load_datasets(experiment, root, loaded)
                if seed == seed_list[0]:  # every check of --paper's preflight, one method at a time
                    selection, folds = check_experiment(method.paper_id, experiment, data,
                                                        dataclasses.replace(run, seed=seed), built)
                else:
                    selection = experiment.select(data, config)
                    folds = split(method.paper_id, experiment, config, selection, seed)
                signatures[method.name] = fold_signature(selection, folds)
            check_same_folds(signatures, f"seed {seed}, before training")
        run_folders.record_kind(bench_dir, run_folders.benchmark_kind(run))  # once the benchmark is sure to start
        n_folds = len(next(iter(signatures.values())))
        # the protocol's own count, before --max-folds: a shorter run is marked partial wherever it is shown
        n_folds_protocol = len(track.folds(selection, seed_list[0])) if max_folds else n_folds
        logger.info(f"[benchmark {track.name}] {len(methods)} method(s) x {len(seed_list)} seed(s) x {n_folds} fold(s)"
                    f"{f' (the first {max_folds})' if max_folds else ''}, profile "
                    f"{profile_label(profile, settings.overrides)}, "
                    f"corpus {'SYNTHETIC' if synthetic else 'real'} at {root}")
        runs: dict[str, list[ExperimentResult]] = {m.name: [] for m in methods}
        for seed in seed_list:
            this_seed = {}
            for method in methods:
                experiment = experiments[method.name]
                logger.info(f"[benchmark {track.name}] {method.name} (model {method.model_name}), seed {seed}")
                this_seed[method.name] = runner.run_experiment(
                    method.paper_id, experiment, dataclasses.replace(run, seed=seed),
                    loaded=load_datasets(experiment, root, loaded), folder=folders[(method.name, seed)],
                    fold_runner=make_fold_runner(ExperimentRef(method.paper_id, track=track.name, model=method.model,
                                                               registry=registry)))
                runs[method.name].append(this_seed[method.name])
            _check_records(this_seed, seed)
        method_runs = tuple(MethodRun(method=m, experiment=experiments[m.name], runs=tuple(runs[m.name]),
                                      seeds=seed_list, folder=bench_dir / m.folder) for m in methods)
        references = for_track(references, track.name)
        logger.info(f"[benchmark {track.name}] statistics: bootstrap over subjects ({n_resamples} resamples), "
                    "paired comparisons, chance level")
        statistics = summary_module.analyse(track, method_runs, n_resamples=n_resamples, seed=statistics_seed)
        outputs = {"dir": bench_dir, "results": bench_dir / "results.json",
                   "leaderboard": bench_dir / "leaderboard.csv", "predictions": bench_dir / "predictions.csv",
                   "report": bench_dir / "report.pdf"}
        environment = run_environment()
        summary = jsonable({
            "schema": BENCHMARK_SCHEMA, "track": track_dict(track), "profile": profile, "seeds": list(seed_list),
            "max_folds": max_folds, "n_folds": n_folds, "n_folds_protocol": n_folds_protocol,
            "corpus": {"kind": "synthetic" if synthetic else "real", "root": str(Path(root).resolve()),
                       "datasets": _corpus_datasets(method_runs),
                       "inputs": corpus_inputs(s for samples in loaded.values() for s in samples)},
            "overrides": dict(settings.overrides),
            "methods": [_method_dict(m, profile, statistics) for m in method_runs], "left_out": list(left_out),
            "statistics": statistics["json"], "references": [r.to_dict() for r in references],
            "environment": environment, "device": _device(environment), "command": settings.command,
            "seconds": time.perf_counter() - started,
            "finished": datetime.datetime.now().isoformat(timespec="seconds"), "outputs": outputs,
        })
        try:
            write_json_atomic(outputs["results"], jsonable(summary))
            summary_module.write_leaderboard_csv(outputs["leaderboard"], summary)
            write_combined_predictions(outputs["predictions"], method_runs)
        except OSError as exc:  # every method's run is saved in its own folder: a rerun reuses them
            raise WorkSavedError(f"cannot write the benchmark outputs under {bench_dir}: {exc.strerror or exc}; every "
                                 f"method's folds are saved in its folder there; {write_remedy(exc)} and run the same "
                                 "command again (it reuses them)") from None
        bench = BenchmarkResult(track=track, methods=method_runs, summary=summary, outputs=outputs)
        try:
            write_report(bench, outputs["report"])
        except OSError as exc:
            raise WorkSavedError(f"cannot write {outputs['report']}: {exc.strerror or exc}; the benchmark's "
                                 f"results are saved in {outputs['results']}; {write_remedy(exc, outputs['report'])} "
                                 "and run the same command again (it reuses every method's folds)") from None
    logger.info("")
    for row in summary["methods"]:
        logger.info(result_line(summary, row))
    return bench


def result_line(summary: Mapping[str, Any], method: Mapping[str, Any]) -> str:
    """The console's line of one method of a finished benchmark (``summary``: its results.json): its name, marked
    where it is the authors' released weights evaluated (``summary.method_label``), its pooled UF1 and UAR with
    their intervals, and what they are: pooling, interval, folds, selection, profile, corpus."""
    scores = method["scores"].get("all", {})
    line = "  ".join(f"{m.upper()} {summary_module.score_text(scores.get(m))}" for m in ("uf1", "uar"))
    folds_text = summary_module.method_folds_text(summary, method)
    chosen = summary_module.run_selected_on_test(method)
    several = len(summary["seeds"]) > 1
    # the selection is said in words below: the name carries the weights' mark only
    return (f"[benchmark {summary['track']['name']}] {summary_module.method_label(method, selection=False)}: "
            f"{line} (pooled over folds{', mean over seeds' if several else ''}; 95% CI over subjects"
            f"{' x seeds' if several else ''}; {f'folds {folds_text}; ' if folds_text else ''}"
            f"{'SELECTED ON THE TEST DATA' if chosen else 'nothing selected on the test data'}; "
            f"profile {profile_label(summary['profile'], summary.get('overrides'))}, "
            f"corpus {corpus_label(summary['corpus'])})")


def reported_dicts(rows: Iterable[Reported]) -> list[dict[str, Any]]:
    """A method's published numbers as results.json holds them (its ``reported``), each with whether it measures
    what our run does (``comparable``; False: shown, never differenced, ``note`` says why, e.g. selected on the
    test data) and the value the authors' own artefact gives where it differs (``recomputed``)."""
    return [{"metric": r.metric, "value": r.value, "scope": r.scope, "aggregation": r.aggregation,
             "source": r.source, "note": r.note, "comparable": r.comparable, "recomputed": r.recomputed,
             "recomputed_note": r.recomputed_note} for r in rows]


def track_dict(track: Track) -> dict[str, Any]:
    return {"name": track.name, "title": track.title, "datasets": list(track.datasets),
            "class_names": list(track.class_names), "scopes": list(track.scopes), "note": track.note}


def _corpus_datasets(method_runs: Sequence[MethodRun]) -> dict[str, int]:
    datasets: dict[str, int] = {}
    for m in method_runs:
        for res in m.runs:
            for name, count in res.summary["corpus"]["datasets"].items():
                datasets[name] = max(datasets.get(name, 0), count)
    return datasets


def _device(environment: Mapping[str, Any]) -> str:
    gpus = environment.get("gpus") or []
    backend = environment.get("keras_backend", "?")
    where = (f"GPU ({', '.join(gpus)})" if gpus
             else f"CPU ({environment.get('cpu_count', '?')} cores, {environment.get('machine', '?')})")
    return f"Keras backend {backend} on {where}"


def _method_dict(m: MethodRun, profile: str, statistics: Mapping[str, Any]) -> dict[str, Any]:
    first = m.runs[0]
    weights = getattr(getattr(first.config, "train", None), "weights", "") or None
    # the authors' weights are compared with what the artefact's own authors published for them, as --paper does
    reported = reported_dicts(m.experiment.weights_reported if weights else m.experiment.reported)
    return {
        "name": m.method.name, "paper": m.method.paper_id, "model": m.method.model_name,
        "models": list(m.method.models), "experiment": m.experiment.name, "title": m.experiment.title,
        "profile": profile, "seeds": list(m.seeds), "folder": m.folder,
        # --weights: the authors' released weights evaluated, nothing trained (the leaderboard's kind says so)
        "weights": weights,
        "config": to_dict(first.config), "differs_from_paper": paper_config_diff(m.experiment, first.config),
        "reported": reported, "scores": statistics["json"]["methods"][m.method.name]["scores"],
        "left_out": statistics["json"]["methods"][m.method.name]["left_out"],
        "note": statistics["json"]["methods"][m.method.name]["note"],
        "vs_chance": statistics["json"]["methods"][m.method.name]["vs_chance"],
        "confusion": statistics["json"]["methods"][m.method.name]["confusion"],
        # the report's pages: every scope's confusion, each fold's scores, the training curves (summary.analyse)
        **{key: statistics["json"]["methods"][m.method.name][key] for key in ("confusion_by_scope", "per_fold",
                                                                             "curves")},
        "cost": summary_module.cost(m.runs),
        # the epoch-selection gauge of each seed's run (docs/methods.md §9.4), as its results.json holds it
        "epoch_selection": [res.summary.get("epoch_selection") or {"status": "n/a", "reason": "not computed"}
                            for res in m.runs],
        "runs": [{"seed": seed, "dir": res.summary["outputs"]["dir"], "status_counts": res.summary["status_counts"],
                  "warnings": res.summary["warnings"], "selected_on_test": res.summary.get("selected_on_test", ""),
                  "metrics": res.summary["metrics"]["pooled"],
                  "fold_mean": res.summary["metrics"]["fold_mean"],
                  "folds": [{k: f[k] for k in ("name", "status", "reason", "seconds", "reused")}
                            for f in res.summary["folds"]]}
                 for seed, res in zip(m.seeds, m.runs)],
    }
