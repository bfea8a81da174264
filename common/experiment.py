"""The contract between a paper package and the harness, the paper's side: what it declares (the harness's
side, what a run gives back: ``common.harness``; what --export and --predict hand a hook: ``common.predict_types``).

A paper declares ``EXPERIMENTS``, a tuple of :class:`Experiment`; the runner (``common.running.runner``) does the
rest the same way for every paper (docs/house.md): database -> Sample -> ``select`` -> :class:`Selection` ->
``folds`` -> ``run_fold`` per unfinished fold -> each :class:`FoldOutcome` written atomically -> metrics, report.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common.datasets import megc2019
from common.datasets.sample import Dropped, Sample
from common.paper import Paper as Paper, Reported  # Paper: re-exported for the harness's callers
from common.predict_types import ExportSink, FrameRateNeed, PredictContext, PredictViews

PROFILES = ("paper", "quick", "smoke")
Hook = Callable[..., Any]  # a paper's function (Hooks): the signature of the Experiment field of its name


@dataclasses.dataclass(frozen=True)
class Selection:
    """The samples of one experiment with their integer labels (indices into ``class_names``)."""

    samples: tuple[Sample, ...]
    labels: np.ndarray  # (N,) int
    class_names: tuple[str, ...]
    # Samples the paper's select left out (emotion outside its mapping, too short...), with why;
    # the runner adds the loaders' and its own checks' drops and lists them all in the results.
    dropped: tuple[Dropped, ...] = ()

    def __post_init__(self) -> None:
        if len(self.samples) != len(self.labels):
            raise ValueError(f"{len(self.samples)} samples but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def groups(self) -> np.ndarray:
        """dataset/subject of each sample: the group of leave-one-subject-out."""
        return np.array([f"{s.dataset}/{s.subject}" for s in self.samples])

    @property
    def datasets(self) -> np.ndarray:
        return np.array([s.dataset for s in self.samples])


@dataclasses.dataclass(frozen=True)
class Fold:
    """One train/test partition; ``name`` is used for the fold's result file (``folds/<name>.json``)."""

    name: str
    train: np.ndarray  # indices into the Selection
    test: np.ndarray


@dataclasses.dataclass(frozen=True)
class FoldContext:
    """Everything ``run_fold`` may use. Only ``selection`` rows in ``fold.train`` may inform training."""

    selection: Selection
    fold: Fold
    config: Any  # the experiment config after profile and --set overrides
    profile: str
    seed: int
    work_dir: Path  # reports/<paper>/<experiment>/folds/<fold>/ : CSV history, logs
    # The root ``common.preprocessing.cache.cached(..., root=)`` expects (``cache_root()/"stages"``): pass it on.
    cache_dir: Path
    # Set only by an export (``common.deployment.export``): the fold then keeps its trained models and
    # the fold-level state its test inputs need. None in every evaluation run, where nothing changes.
    export: ExportSink | None = None
    record_epochs: bool = True  # the test part's classes after every epoch (docs/methods.md §9.4; --no-epoch-gauge)


@dataclasses.dataclass(frozen=True)
class FoldOutcome:
    """What one fold produced. ``status`` is "ok", or "empty"/"nan"/"failed" with ``reason``."""

    test_indices: np.ndarray  # indices into the Selection, the order of y_pred
    y_pred: np.ndarray  # (n_test,) int predictions
    probabilities: np.ndarray | None = None  # (n_test, n_classes) or None
    history: Mapping[str, Sequence[float]] = dataclasses.field(default_factory=dict)  # Keras History.history
    parameters: Mapping[str, int] = dataclasses.field(default_factory=dict)  # model name -> trainable params
    seconds: float = 0.0
    status: str = "ok"
    reason: str = ""
    # JSON-serialisable extras. ``extra["selected_on_test"]``: what the fold's predictions were selected by on its
    # test data, in words (e.g. a paper's best test epoch, restored): results.json's warnings and the run's
    # summary line then say the scores are not held-out ones (common.running.runner.fold_warnings)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class TrainingStage:
    """One model trained in one fold, as ``--estimate`` counts it: ``build()`` returns the compiled model at the
    fold's input size; ``samples`` training inputs (after augmentation) for ``epochs`` epochs of ``batch_size``."""

    model: str
    build: Callable[[], Any]
    samples: int
    epochs: int
    batch_size: int
    # True: run_fold keeps the compiled model across folds (common.training.compiled_like): one tracing.
    traced_once: bool = False
    # Samples evaluated after every epoch (validation_data: Reddy's best epoch); --estimate adds their batches.
    validation_samples: int = 0
    # Samples of the pass after training (None: the fold's test samples; Aouayeb's stage 1: every frame).
    predict_samples: int | None = None
    gauge_refit_samples: int = 0  # a forward pass before each gauge pass (after_fit: STSTNet's BN statistics)
    # What the fold does to its network before each gauge pass, given that many training inputs:
    # ``gauge_set_state(model, x_train)`` (STSTNet's MATLAB recipe: its batch-normalisation statistics over them).
    # --estimate times the pass with it (common.training.gauge_predictions), as the fold runs it.
    gauge_set_state: Callable[[Any, Any], None] | None = None


# The rules among a fold's epochs tied on its best test accuracy (Experiment.best_epoch_ties; the epoch gauge's
# epoch_selection.TIES): "earliest" (CausalNet's ``<``) and "latest" (main_HTNet.py's ``<=``).
TIES = ("earliest", "latest")


def check_ties(ties: str, where: str) -> None:
    """A ``ValueError`` naming ``where`` (an experiment or a package) unless ``ties`` is one of :data:`TIES`."""
    if ties not in TIES:
        raise ValueError(f"{where}: best_epoch_ties={ties!r}, expected one of {', '.join(TIES)}")


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment of a paper (a table row, a scenario). Functions, not subclasses."""

    name: str  # directory-safe: "megc2019_loso", "casme2_5fold"
    title: str  # "MEGC 2019 composite, LOSO (Table 2)"
    datasets: tuple[str, ...]  # loader names given to common.datasets.load
    config: Any  # frozen dataclass of sections, each field commented with its paper section
    select: Callable[[Mapping[str, list[Sample]], Any], Selection]
    folds: Callable[[Selection, Any, int], list[Fold]]
    run_fold: Callable[[FoldContext], FoldOutcome]
    profiles: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)  # quick/smoke dotted overrides
    reported: tuple[Reported, ...] = ()
    metrics: tuple[str, ...] = ("uf1", "uar", "accuracy")
    scopes: tuple[str, ...] = ("all",)  # report metrics on these scopes (database names or "all")
    # Extra PDF pages, ``f(pdf, result, context)`` (common.harness): they draw from those two alone.
    report_pages: Callable[..., None] | None = None
    loader_options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)  # per dataset
    # Fewest frames a clip needs (the runner drops, and records, shorter clips), set with the reason.
    min_frames: int = 2
    # True: the input is the onset-to-apex motion, so a clip whose onset and apex frames are identical
    # (common.datasets.invariants, rule 6) is refused by name; False: kept and flagged. Set with the reason.
    needs_motion: bool = False
    # True: it runs on the authors' released flow images (common.datasets.released) in place of its own flow
    # stage; False: it needs frames, and such a run is refused naming why.
    reads_released: bool = False
    # ``released_weights(config, selection, folds, folder) -> problem`` (``--weights``): "" when every fold has
    # its authors' file, of the network the config builds; else one line naming it. None: --weights is refused.
    released_weights: Callable[[Any, Selection, Sequence[Fold], Path], str] | None = None
    # What the released weights' own artefact states they give (its README's numbers, not the paper's): a
    # --weights run is compared with these in place of ``reported``, and its pages say the weights are the authors'.
    weights_reported: tuple[Reported, ...] = ()
    fold_fit: Callable[[FoldContext], Any] | None = None  # --fold-parallel: the fold's FoldTraining, untrained
    # --estimate: the models a fold trains (a TrainingStage each: Aouayeb's two) and the per-clip preprocessing.
    training_stages: Callable[[Any, Selection, Fold], Sequence[TrainingStage]] | None = None
    preprocess_clip: Callable[[Sample, Any], Any] | None = None
    # --preprocess-workers: ``first_pass(selection, folds, config) -> [(clip key, step)]``, a picklable
    # ``step(stages_root)`` per clip caching exactly what run_fold reads (common.running.first_pass).
    first_pass: Callable[[Selection, Sequence[Fold], Any], Sequence[tuple[str, Callable[[Path], Any]]]] | None = None
    # --export / --predict: ``predict_clips(ctx)``, the (N, n_classes) probabilities of ``ctx.samples`` computed
    # exactly as run_fold computes its test ones, from the exported models and state; ``predict_views(ctx,
    # i)``, what the prediction page shows for sample i. None: the experiment cannot be exported.
    predict_clips: Callable[[PredictContext], np.ndarray] | None = None
    predict_views: Callable[[PredictContext, int], PredictViews] | None = None
    # ``predict_apex(ctx, i) -> (position in ctx.samples[i].frames, rule)``: the apex sample i's input was
    # built from, where the method has its own rule (the flow baselines'). None: the recording's apex.
    predict_apex: Callable[[PredictContext, int], tuple[int, str]] | None = None
    # ``frame_rate(config) -> FrameRateNeed``: what the method's filters and windows ask of a clip's frame
    # rate. None: it reads frames only (an onset and an apex frame), at any rate.
    frame_rate: Callable[[Any], FrameRateNeed] | None = None
    # The config fields (dotted) the experiment's name, title and published numbers state (le2020's backbone, a
    # model's name): a ``--set`` giving one another value is refused (common.running.profiles.effective_config), as
    # the run would be filed, titled and compared as this experiment while it trains another network.
    named_by: tuple[str, ...] = ()
    # Which of a fold's epochs tied on its best test accuracy the epoch gauge's (b) keeps (docs/methods.md §9.4):
    # "earliest" (CausalNet's ``<``), or "latest" where the authors' own loop kept the last of them (an ``<=``,
    # main_HTNet.py's), so that the suite's best-test-epoch number is the one their code would print.
    best_epoch_ties: str = "earliest"

    def __post_init__(self) -> None:
        check_ties(self.best_epoch_ties, f"Experiment {self.name}")


@dataclasses.dataclass(frozen=True)
class Track:
    """A shared benchmark protocol (``common.leaderboard.tracks``): every method sees the same samples, labels and
    folds, in the same order, entering through :meth:`Pipeline.on_track`; what a method must adapt (too few
    frames, missing landmarks) it adapts inside its own preprocessing and says so in its README."""

    name: str  # directory-safe: "megc2019"
    title: str
    datasets: tuple[str, ...]  # loader names given to common.datasets.load
    class_names: tuple[str, ...]
    select: Callable[[Mapping[str, list[Sample]]], Selection]  # the track's samples and labels
    folds: Callable[[Selection, int], list[Fold]]  # (selection, seed) -> the shared folds
    scopes: tuple[str, ...] = ("all",)  # metrics per scope: "all" and each database
    loader_options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    min_frames: int = 2
    note: str = ""  # the protocol in one sentence, for the report


@dataclasses.dataclass(frozen=True, kw_only=True)
class Hooks:
    """A paper's functions (``protocol.HOOKS``), each named as the :class:`Experiment` field it fills: a misspelt
    one is a ``TypeError`` at import. Optional ones the method lacks are None (see the field's comment)."""

    select: Hook
    folds: Hook
    run_fold: Hook
    training_stages: Hook | None = None
    preprocess_clip: Hook | None = None
    first_pass: Hook | None = None
    predict_clips: Hook | None = None
    predict_views: Hook | None = None
    predict_apex: Hook | None = None
    frame_rate: Hook | None = None
    released_weights: Hook | None = None
    fold_fit: Hook | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Pipeline:
    """A paper's method as its experiments and benchmark entries run it, declared once in its ``__init__.py``: its
    id, the models it enters a track with, config, profiles, ``min_frames``, ``needs_motion`` and ``hooks``.
    :meth:`experiment` builds an experiment of it on the paper's own databases (a table row, a scenario),
    :meth:`on_track` its entry into a benchmark track (a paper's ``benchmark_experiment``)."""

    paper_id: str
    models: tuple[str, ...]  # BENCHMARK_MODELS: what it may enter a track with, the default first
    hooks: Hooks  # the paper's functions (protocol.HOOKS)
    # Every experiment's config and profiles (quick/smoke dotted overrides, config.PROFILES) unless the experiment
    # names its own; None: each experiment names its own (a paper whose config depends on the experiment).
    config: Any = None
    profiles: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    min_frames: int = 2
    needs_motion: bool = False
    reads_released: bool = False  # Experiment.reads_released
    # On a track: "<track title>: <entry>", and the paper's numbers where the track is the protocol they were
    # measured on (track name -> numbers: the composite LOSO of Table X is the megc2019 track), none elsewhere.
    entry: str = ""
    stands_for: tuple[str, ...] = ()  # the published benchmark rows (by name) that are this method: under its run
    reported_on: Mapping[str, tuple[Reported, ...]] = dataclasses.field(default_factory=dict)
    weights_reported: tuple[Reported, ...] = ()  # Experiment.weights_reported, on every experiment and track
    # ``input_check(config) -> problem``: the network built once at ``config`` (no training) against the inputs the
    # pipeline declares, one line where they differ, "" where they match (a flow network's channels and
    # ``data.size``: ``common.network_protocol.OneNetwork.input_problem``); the registry calls it before any work
    input_check: Callable[[Any], str] | None = None
    # Named options, each off in every profile: name -> its ``--set`` overrides (a run of one is shipped under its
    # name, ``benchmarks/reproduce.py --name``; the results site prints its command from these)
    options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    named_by: tuple[str, ...] = ()  # Experiment.named_by, on every experiment and track entry
    best_epoch_ties: str = "earliest"  # Experiment.best_epoch_ties, on every experiment and track entry

    def __post_init__(self) -> None:
        check_ties(self.best_epoch_ties, f"papers.{self.paper_id}")

    def input_problem(self) -> str:
        """:attr:`input_check` at the pipeline's config, as one line naming the package ("" where the network takes
        what is declared, or nothing is declared); an error while building is that line too."""
        if self.input_check is None or self.config is None:
            return ""
        try:
            problem = self.input_check(self.config)
        except Exception as exc:  # boundary: the package's build_model, run once before any work
            problem = f"building its network at the paper's config failed: {type(exc).__name__}: {exc}"
        return f"papers.{self.paper_id}: {' '.join(problem.split())}" if problem else ""

    def _fields(self) -> dict[str, Any]:
        hooks = {field.name: getattr(self.hooks, field.name) for field in dataclasses.fields(Hooks)}
        return {**hooks, "config": self.config, "profiles": self.profiles, "min_frames": self.min_frames,
                "needs_motion": self.needs_motion, "reads_released": self.reads_released,
                "weights_reported": self.weights_reported, "named_by": self.named_by,
                "best_epoch_ties": self.best_epoch_ties}

    def experiment(self, *, name: str, title: str, datasets: tuple[str, ...], reported: tuple[Reported, ...] = (),
                   metrics: tuple[str, ...] = ("uf1", "uar", "accuracy"), scopes: tuple[str, ...] = ("all",),
                   report_pages: Callable[..., None] | None = None,
                   loader_options: Mapping[str, Mapping[str, Any]] | None = None, **changes: Any) -> Experiment:
        """An experiment of the paper: this method on ``datasets`` with its numbers, scopes and pages;
        ``changes``: the Experiment fields where this one is not the pipeline's (``config``, ``profiles``,
        ``folds``, ``run_fold``, ``training_stages``...)."""
        fields = {**self._fields(), **changes}
        if fields["config"] is None:
            raise ValueError(f"{self.paper_id} {name}: no config (the pipeline has none: name the experiment's)")
        return Experiment(**fields, name=name, title=title, datasets=datasets, reported=reported, metrics=metrics,
                          scopes=scopes, report_pages=report_pages,
                          loader_options={} if loader_options is None else loader_options)

    def megc2019_exports(self, *, source: str, report_pages: Callable[..., None] | None
                         ) -> tuple[tuple[Experiment, ...], tuple[str, ...], Callable[..., Experiment]]:
        """``EXPERIMENTS``, ``BENCHMARK_MODELS``, ``benchmark_experiment`` of a paper measured on the MEGC 2019
        composite, LOSO: ``megc2019_loso`` scored on it and each database, ``reported_on["megc2019"]`` beside."""
        title = f"MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO ({source})"
        return (self.experiment(name="megc2019_loso", title=title, datasets=("megc2019",),
                                reported=self.reported_on.get("megc2019", ()), scopes=megc2019.SCOPES,
                                report_pages=report_pages),), self.models, self.on_track

    def benchmark_model(self, model: str | None) -> str:
        """The model the paper enters a track with: ``model``, or its default (the first of ``models``)."""
        model = model or self.models[0]
        if model not in self.models:
            raise ValueError(f"{self.paper_id}: no benchmark model {model!r}; models: {', '.join(self.models)}")
        return model

    def on_track(self, track: Track, model: str | None = None, *, title: str | None = None, config: Any = None,
                 profiles: Mapping[str, Mapping[str, Any]] | None = None,
                 folds: Callable[[Selection, Any, int], list[Fold]] | None = None) -> Experiment:
        """The method on a benchmark track: the track's databases, samples, labels, folds, scopes and
        ``min_frames``, never changed; named ``<track>`` for the default model, else ``<track>_<model>``; no report
        pages. ``title``, ``config``, ``profiles`` where the model's differ; ``folds`` may wrap the track's (a
        check before them), never replace them. ``needs_motion`` stays the paper's: such a clip is refused."""
        model = self.benchmark_model(model)
        track_fields = {
            "name": track.name if model == self.models[0] else f"{track.name}_{model}",
            "title": f"{track.title}: {self.entry}" if title is None else title,
            "datasets": track.datasets, "select": lambda data, config: track.select(data),
            "folds": folds if folds is not None else (lambda selection, config, seed: track.folds(selection, seed)),
            "reported": self.reported_on.get(track.name, ()), "scopes": track.scopes, "report_pages": None,
            "loader_options": track.loader_options, "min_frames": track.min_frames,
            "config": self.config if config is None else config,
            "profiles": self.profiles if profiles is None else profiles}
        if track_fields["config"] is None:
            raise ValueError(f"{self.paper_id} on {track.name}: no config (the pipeline has none: name the entry's)")
        return Experiment(**{**self._fields(), **track_fields})
