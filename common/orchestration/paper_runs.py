"""The one entry point that runs papers' experiments and writes their reports.

``run_all.py`` is a thin CLI over :func:`run_papers`; the benchmark (``common.leaderboard``) runs its
tracks through the same :func:`common.running.runner.run_experiment`. Nothing here imports a
paper: the caller hands over each paper's module (``PAPER``, ``EXPERIMENTS``) from the registry.

    plan = [PaperPlan("aouayeb2019", module.PAPER, tuple(module.EXPERIMENTS))]
    runs = run_papers(plan, RunSettings(profile="quick"))
    runs[0].report  # reports/aouayeb2019/report.pdf
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

from common.errors import RunError, WorkSavedError
from common.running import preflight, runner
from common.running.corpus import Loader, load, load_all, load_datasets
from common.environment import environment
from common.running.profiles import RunSpec, effective_config, resolve_profile, resolve_run
from common.evaluation.records import NOT_SCORED_STATUSES
from common.experiment import Experiment, Paper
from common.harness import ExperimentResult, ReportContext
from common.config import ConfigError, profile_label
from common.files import folder_lock, OutputError, prepare_output_folder, check_inside, write_remedy
from common.orchestration import parallel, run_folders
from common.orchestration.paper_reports import write_paper_report
from common.orchestration.parallel import ExperimentRef
from common.running.first_pass import FirstPass

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PaperPlan:
    """The experiments of one paper to run (``run_all.py --paper ID [--experiment NAME ...]``)."""

    paper_id: str
    paper: Paper | None
    experiments: tuple[Experiment, ...]
    # how worker processes find the experiments (--workers, --cluster): a module name or a picklable
    # registry object (common.orchestration.parallel.ExperimentRef.registry)
    registry: Any = "papers"


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """How to run: the CLI's options, resolved (docs/running.md, "Running a paper")."""

    data_root: Path | None = None  # None: the synthetic corpus (generated on first use)
    profile: str | None = None  # None: paper on real data, quick on a synthetic corpus
    seed: int = 0
    overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # --set, as strings
    out: Path | None = None  # None: common.paths.reports_root()
    fresh: bool = False
    epoch_gauge: bool = True  # --no-epoch-gauge: False (FoldContext.record_epochs)
    faces_policy: str = "exclude"
    allow_faces: bool = False
    command: str = ""  # the command line, shown on the report's last page
    workers: int = 1  # --workers: folds in this many local processes (1: in this process, sequentially)
    cluster: str | None = None  # --cluster: the address of a Dask scheduler that computes the folds
    # --preprocess-workers: the first pass of preprocessing in this many processes before the folds
    # (common.running.first_pass); None: as many as ``workers``; 1: each fold computes what it reads
    preprocess_workers: int | None = None
    gpus: tuple[str, ...] | None = None  # dealt round-robin to the workers; None: those in CUDA_VISIBLE_DEVICES
    loader: Loader = load  # reads a database (common.datasets.load; the tests pass the dummy paper's)


@dataclasses.dataclass(frozen=True)
class PaperRun:
    """One paper's run: its results in memory and where its report went."""

    paper_id: str
    results: Mapping[str, ExperimentResult]
    report: Path
    context: ReportContext

    @property
    def not_scored(self) -> list[tuple[str, str]]:
        """``(paper/experiment/fold, status)`` of every failed, diverged or refused fold (exit status 3)."""
        return [(f"{self.paper_id}/{name}/{f['name']}", f["status"]) for name, res in self.results.items()
                for f in res.summary["folds"] if f["status"] in NOT_SCORED_STATUSES]


def run_spec(settings: RunSettings, experiments: Sequence[Experiment], profile: str | None) -> RunSpec:
    """The run's settings resolved once (``common.running.profiles.resolve_run``): what the runner takes."""
    return resolve_run(data_root=settings.data_root, profile=profile, experiments=experiments, out=settings.out,
                       seed=settings.seed, overrides=settings.overrides, fresh=settings.fresh,
                       record_epochs=settings.epoch_gauge, faces_policy=settings.faces_policy, loader=settings.loader)


def check_settings(plans: list[PaperPlan], settings: RunSettings) -> RunSpec:
    """The run's :class:`RunSpec`, after checking every ``--set`` against every planned experiment's config;
    the data root is checked by ``resolve_run``. A ``common.config.ConfigError`` or :class:`RunError` (one line)
    otherwise."""
    preflight.check_seeds(settings.seed)
    experiments = [e for plan in plans for e in plan.experiments]
    profile = resolve_profile(settings.profile, settings.data_root, experiments)
    for plan in plans:
        for experiment in plan.experiments:
            try:
                effective_config(experiment, profile, settings.overrides)
            except ConfigError as exc:
                raise ConfigError(f"{exc} (experiment {plan.paper_id}/{experiment.name})") from None
    if check_parallel(settings):
        for plan in plans:
            for experiment in plan.experiments:
                parallel.check_ref(parallel.ExperimentRef(plan.paper_id, experiment.name, registry=plan.registry),
                                   experiment)
    return run_spec(settings, experiments, profile)


def check_parallel(settings: RunSettings) -> bool:
    """Whether folds go to worker processes or a cluster; one :class:`RunError` line for a bad choice."""
    if settings.workers < 1:
        raise RunError(f"--workers {settings.workers}: expected a number of processes >= 1")
    if settings.cluster is not None and settings.workers > 1:
        raise RunError("give --workers N (local processes) or --cluster ADDRESS (a Dask cluster), not both")
    return settings.workers > 1 or settings.cluster is not None


def fold_runner_maker(settings: RunSettings, out: Path,
                      locks: contextlib.ExitStack) -> Callable[[Any], runner.FoldRunner | None]:
    """``make(ref) -> fold runner`` for ``--workers``/``--cluster`` (``common.orchestration.parallel``; one
    Dask client or one set of worker processes for the whole run, closed with ``locks``); ``make``
    returns None (sequential, the default) when neither is asked for. ``ref``: a ``parallel.ExperimentRef``."""
    if settings.workers <= 1 and settings.cluster is None:
        return lambda ref: None

    cluster: Any = None
    workers: int | parallel.LocalWorkers = 1  # unused when a cluster takes the folds
    if settings.cluster is not None:
        cluster = parallel.connect(settings.cluster)
        locks.callback(cluster.close)
        logger.info(f"folds go to the Dask cluster at {settings.cluster} "
                    f"({parallel.cluster_workers(cluster)} worker(s) now)")
    else:  # the processes serve every experiment of the run; their output goes to <out>/worker-output.log
        gpus = parallel.gpus_from_environment() if settings.gpus is None else tuple(settings.gpus)
        workers = locks.enter_context(parallel.LocalWorkers(settings.workers, gpus, out / parallel.WORKER_OUTPUT))
    return lambda ref: parallel.fold_runner(ref, workers=workers, cluster=cluster)


def fold_runners(plans: list[PaperPlan], settings: RunSettings, out: Path,
                 locks: contextlib.ExitStack) -> dict[tuple[str, str], runner.FoldRunner | None]:
    """``{(paper, experiment): fold runner or None}`` (:func:`fold_runner_maker`)."""
    make = fold_runner_maker(settings, out, locks)
    return {(p.paper_id, e.name): make(ExperimentRef(p.paper_id, e.name, registry=p.registry))
            for p in plans for e in p.experiments}


def first_pass_maker(settings: RunSettings, locks: contextlib.ExitStack) -> Callable | None:
    """``prepare_clips`` for :func:`runner.run_experiment`: a ``first_pass.FirstPass`` of
    ``preprocess_workers`` (default ``workers``) processes kept for the run and closed with ``locks``,
    or None for one process (the folds then compute their preprocessing, as always)."""
    processes = settings.preprocess_workers if settings.preprocess_workers is not None else settings.workers
    if processes < 1:
        raise RunError(f"--preprocess-workers {processes}: expected a number of processes >= 1")
    if processes == 1:
        return None

    return locks.enter_context(FirstPass(processes)).run


def lock_outputs(folders: list[Path], out: Path, locks: contextlib.ExitStack) -> None:
    """Check that ``out`` is a writable folder, that no symbolic link sends a folder's files (its ``folds/`` among
    them) outside ``out`` (``common.files.check_inside``), and lock each of ``folders`` in it
    (``common.files.folder_lock``) before any work, or one :class:`RunError` line."""
    try:
        prepare_output_folder(out, "--out")
        for folder in folders:
            check_inside(out, folder / "folds")
        for folder in folders:
            locks.enter_context(folder_lock(folder, "output folder"))
    except OutputError as exc:
        raise RunError(str(exc)) from None


def corpus_summary(results: Mapping[str, ExperimentResult], root: Path, synthetic: bool) -> dict[str, Any]:
    """``{"kind", "root", "datasets": {db: largest sample count over the experiments}}``."""
    datasets: dict[str, int] = {}
    for res in results.values():
        for name, count in res.summary["corpus"]["datasets"].items():
            datasets[name] = max(datasets.get(name, 0), count)
    inputs = next((res.summary["corpus"].get("inputs", "frames") for res in results.values()), "frames")
    return {"kind": "synthetic" if synthetic else "real", "root": str(Path(root).resolve()), "datasets": datasets,
            "inputs": inputs}


def run_papers(plans: list[PaperPlan], settings: RunSettings) -> list[PaperRun]:
    """Run (or resume) every planned experiment, then write each paper's report.

    Before any work: the seed and every ``--set`` are checked against every experiment, ``--out`` is
    checked and each experiment's folder locked, every database the plan needs is loaded once (one
    :class:`RunError` listing all that are missing), and each experiment's fold count and
    models are checked on its selection (``common.running.preflight``); with ``--cluster`` the
    scheduler is reached. ``settings.workers``/``cluster`` compute the folds elsewhere
    (``common.orchestration.parallel``), with the same results. Raises ``ConfigError``/``RunError``
    (one line each); Ctrl-C leaves the finished folds on disk.
    """
    run = check_settings(plans, settings)
    if settings.cluster is None:
        parallel.share_cards_with_workers(settings.workers)  # before this process builds a model (the preflight)
    profile, out, root, synthetic = run.profile, run.out, run.root, run.synthetic
    kind = run_folders.run_kind(run)
    folders = {p.paper_id: run_folders.paper_folder(out, p.paper_id, kind) for p in plans}
    for paper_id, folder in folders.items():
        if folder.name != paper_id:  # another kind of run holds <out>/<paper>: this one writes beside it
            logger.info(f"[{paper_id}] {out / paper_id} holds a run of "
                        f"{run_folders.describe(run_folders.held_kind(out / paper_id))}; this run writes {folder}")
    with contextlib.ExitStack() as locks:
        lock_outputs([folders[p.paper_id] / e.name for p in plans for e in p.experiments], out, locks)
        loaded = load_all([e for p in plans for e in p.experiments], root, settings.loader)
        built: set = set()  # fold counts and models, every experiment, before the first fold trains
        for plan in plans:
            for experiment in plan.experiments:
                preflight.check_experiment(plan.paper_id, experiment, load_datasets(experiment, root, loaded), run,
                                           built)
        for folder in folders.values():  # what kind of run the folder holds, once the run is sure to start
            run_folders.record_kind(folder, kind)
        runners = fold_runners(plans, settings, out, locks)
        prepare = first_pass_maker(settings, locks)
        runs = []
        for plan in plans:
            started = time.perf_counter()
            results = {}
            for experiment in plan.experiments:
                results[experiment.name] = runner.run_experiment(
                    plan.paper_id, experiment, run, loaded=load_datasets(experiment, root, loaded),
                    folder=folders[plan.paper_id] / experiment.name,
                    fold_runner=runners[plan.paper_id, experiment.name], prepare_clips=prepare)
            context = ReportContext(paper_id=plan.paper_id, paper=plan.paper, profile=profile, seed=settings.seed,
                                    corpus=corpus_summary(results, root, synthetic),
                                    allow_faces=bool(settings.allow_faces or synthetic),
                                    seconds=time.perf_counter() - started, environment=environment(),
                                    command=settings.command, results=results)
            try:
                pdf = write_paper_report(plan.paper_id, results, out, context, folder=folders[plan.paper_id])
            except OSError as exc:  # the folds and results.json are written: a rerun draws it from them
                raise WorkSavedError(f"cannot write the report under {folders[plan.paper_id]}: "
                                     f"{exc.strerror or exc}; each experiment's results.json and folds are saved "
                                     f"under {folders[plan.paper_id]}; {write_remedy(exc)} and run the same command "
                                     "again (it reuses the folds)") from None
            runs.append(PaperRun(plan.paper_id, results, pdf, context))
    logger.info("")
    for paper_run in runs:
        logger.info(f"{paper_run.paper_id}: report {paper_run.report}")
        logger.info(f"{paper_run.paper_id}: results {paper_run.report.parent / 'results.json'} "
                    "(tables: comparison.csv, scores.csv)")
        for name, res in paper_run.results.items():
            logger.info(f"  {name}: {res.summary['outputs']['dir']} (results.json, predictions.csv, folds/)")
            from common.reporting.tables import run_partial, weights_line  # reporting loads matplotlib

            if res.summary.get("released_weights"):  # whose model these numbers are, on the last lines too
                logger.info(f"  {name}: scores of {weights_line(res.summary['released_weights'])}")
            if run_partial(res.summary):
                logger.info(f"  {name}: {run_partial(res.summary)}")
    logger.info(f"profile {profile_label(profile, settings.overrides)}, corpus {'synthetic' if synthetic else 'real'} "
                f"at {root}")
    return runs
