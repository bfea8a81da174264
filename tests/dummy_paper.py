"""A tiny paper for the harness tests (never in the real registry): a test fixture, not a template.

To add a paper, copy the real package ``papers/see2019/`` (``papers/README.md``).

24 hand-made samples (2 databases x 2 subjects x 3 classes x 2 clips) whose class is a 2-d
feature stored in ``meta``; a Dense(4)-Dense(3) Keras model trained for 2 epochs per fold
under leave-one-subject-out. ``HOOKS`` lets a test make a fold fail, diverge (NaN loss in the
history) or raise KeyboardInterrupt. ``load`` stands in for ``common.datasets.load``: a root
holds a database when it contains the file ``<name>.present``.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import signal
import types
from pathlib import Path
from typing import Annotated

import numpy as np

from common.config import Range
from common.datasets.sample import Sample
from common.datasets.tables import DatabaseNotFound
from common.evaluation.splits import leave_one_subject_out
from common.experiment import Experiment, FoldOutcome, Paper, Reported, Selection, TrainingStage
from common.train_config import TrainConfig

CLASSES = ("negative", "positive", "surprise")
CENTRES = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
SUBJECTS = {"casme2": ("sub01", "sub02"), "samm": ("006", "007")}
HOOKS: dict[str, set] = {"fail": set(), "nan": set(), "interrupt": set(), "ran": set()}


def reset_hooks() -> None:
    for value in HOOKS.values():
        value.clear()


def make_samples(dataset: str) -> list[Sample]:
    rng = np.random.default_rng(len(dataset))
    samples = []
    for subject in SUBJECTS[dataset]:
        for c, emotion in enumerate(CLASSES):
            for k in range(2):
                features = CENTRES[c] + rng.normal(0, 0.3, 2)
                samples.append(Sample(dataset=dataset, subject=subject, clip=f"{emotion}_{k}", emotion=emotion,
                                      onset=1, apex=5, offset=9, fps=100.0, frames=(),
                                      meta={"features": features.tolist()}))
    return samples


def load(name: str, root, **options) -> list[Sample]:
    if not (Path(root) / f"{name}.present").exists():
        raise DatabaseNotFound(f"{root}: no {name} database found (expected {name}.present)")
    if name == "megc2019":  # the composite stands for both databases, as the real megc2019 loader does
        return make_samples("casme2") + make_samples("samm")
    return make_samples(name)


def write_corpus(root: Path, names=("casme2", "samm")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / f"{name}.present").write_text("")
    return root


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    units: Annotated[int, Range(ge=1)] = 4  # hidden units


@dataclasses.dataclass(frozen=True)
class DummyConfig:
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig(optimizer="adam", learning_rate=0.05, batch_size=6, epochs=2)


def build_model(*, units: int = 4):
    import keras

    inputs = keras.Input((2,), name="features")
    hidden = keras.layers.Dense(units, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(len(CLASSES), activation="softmax", name="scores")(hidden)
    return keras.Model(inputs, outputs, name="dummy_mlp")


def select(data, config) -> Selection:
    samples = tuple(data["casme2"]) + tuple(data["samm"])
    labels = np.array([CLASSES.index(s.emotion) for s in samples])
    return Selection(samples=samples, labels=labels, class_names=CLASSES)


def folds(selection, config, seed):
    return leave_one_subject_out(selection)


def run_fold(ctx) -> FoldOutcome:
    import keras

    from common.running.fold import epoch_extra, epoch_recorder
    from common.training import compile_model, fit, trainable_parameters

    name = ctx.fold.name
    HOOKS["ran"].add(name)
    if name in HOOKS["interrupt"]:
        raise KeyboardInterrupt
    if name in HOOKS["fail"]:
        raise RuntimeError(f"planned failure in {name}")
    x = np.array([s.meta["features"] for s in ctx.selection.samples], dtype="float32")
    y = keras.utils.to_categorical(ctx.selection.labels, len(CLASSES))
    model = compile_model(build_model(units=ctx.config.model.units), ctx.config.train)
    model.run_eagerly = True  # tracing costs more than it saves on 18 samples
    x_test = x[ctx.fold.test]
    recorder = epoch_recorder(ctx, lambda trained: keras.ops.convert_to_numpy(trained(x_test, training=False)))
    history = fit(model, x[ctx.fold.train], y[ctx.fold.train], ctx.config.train, work_dir=ctx.work_dir,
                  label="dummy_mlp", epoch_predictions=recorder)
    if name in HOOKS["nan"]:
        history = {**history, "loss": history["loss"][:-1] + [float("nan")]}
    probabilities = keras.ops.convert_to_numpy(model(x[ctx.fold.test], training=False))
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=probabilities.argmax(axis=1), probabilities=probabilities,
                       history=history, parameters={"dummy_mlp": trainable_parameters(model)},
                       extra=epoch_extra(recorder, "dummy_mlp"))


def _centre_distances(ctx, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(distances of the test samples to each class centre, centres)``, the centres those of the
    fold's training features ``x``."""
    labels = ctx.selection.labels
    centres = np.stack([x[ctx.fold.train][labels[ctx.fold.train] == c].mean(axis=0) for c in range(len(CLASSES))])
    return np.linalg.norm(x[ctx.fold.test][:, None, :] - centres[None], axis=2), centres


def nearest_centroid_fold(ctx) -> FoldOutcome:
    """A Keras-free ``run_fold`` (nearest class centre of the training features) for fast tests."""
    HOOKS["ran"].add(ctx.fold.name)
    distances, centres = _centre_distances(ctx, np.array([s.meta["features"] for s in ctx.selection.samples]))
    history = {"loss": [1.0, 0.5, 0.25], "accuracy": [0.4, 0.6, 0.8]}
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=distances.argmin(axis=1), history=history,
                       parameters={"centres": int(centres.size)})


def cached_centroid_fold(ctx) -> FoldOutcome:
    """:func:`nearest_centroid_fold` on features read through the preprocessing cache (stage
    ``dummy_features``), with ``extra["timing"]`` like ``common.running.fold``'s: the benchmark's cost columns."""
    import time

    from common.running.fold import timing_extra
    from common.preprocessing.cache import cached

    started = time.perf_counter()
    for sample in ctx.selection.samples:
        cached("dummy_features", {"key": sample.key}, {"version": 1},
               lambda sample=sample: np.asarray(sample.meta["features"], dtype="float32"), root=ctx.cache_dir)
    fit_started = predict_started = time.perf_counter()
    outcome = nearest_centroid_fold(ctx)
    timing = timing_extra(fit_started, predict_started, time.perf_counter(), len(ctx.fold.test), started)
    return dataclasses.replace(outcome, extra={"timing": timing})


KILL_ENV = "MERSUITE_TEST_KILL_FOLD"  # "fold:pid": seeded_centroid_fold kills a process other than pid in that fold
FAIL_ENV = "MERSUITE_TEST_FAIL_FOLD"  # "fold": seeded_centroid_fold raises in that fold (in any process)


def seeded_centroid_fold(ctx) -> FoldOutcome:
    """A Keras-free ``run_fold`` for the parallel tests: nearest class centre of the training features
    plus NumPy noise drawn after the runner's ``set_seed``, so its predictions and probabilities
    depend on the seed (a worker process must seed each fold as the sequential loop does).

    When ``KILL_ENV`` names this fold and a process id other than its own, it kills its own process
    (a worker killed mid-fold; the test process itself is never killed); it raises in the fold
    ``FAIL_ENV`` names, as ``run_fold`` raises in ``HOOKS["fail"]``. ``extra`` records the
    ``CUDA_VISIBLE_DEVICES`` the fold saw (one GPU per worker), and whether TensorFlow's logger would show
    its retracing warning there.
    """
    fold, _, pid = os.environ.get(KILL_ENV, "").partition(":")
    if fold == ctx.fold.name and pid != str(os.getpid()):
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_ENV) == ctx.fold.name:
        raise RuntimeError(f"planned failure in {ctx.fold.name}")
    x = np.array([s.meta["features"] for s in ctx.selection.samples])
    distances, centres = _centre_distances(ctx, x + np.random.normal(0.0, 0.8, x.shape))
    probabilities = np.exp(-distances) / np.exp(-distances).sum(axis=1, keepdims=True)
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=probabilities.argmax(axis=1), probabilities=probabilities,
                       history={"loss": [1.0, 0.5]}, parameters={"centres": int(centres.size)},
                       extra={"cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                              "retracing_warning_shown": bool(logging.getLogger("tensorflow").filter(_RETRACING))})


def gauged_centroid_fold(ctx) -> FoldOutcome:
    """:func:`seeded_centroid_fold` (Keras-free, its predictions and probabilities depend on the seed) with a
    per-epoch record of three epochs, as the epoch gauge's recorder leaves one (the last epoch the prediction): the
    shipped-fold tests' method (benchmarks/gpu_check.py, benchmarks/reproduce.py). It adds its fold to
    ``HOOKS["ran"]``."""
    HOOKS["ran"].add(ctx.fold.name)
    outcome = seeded_centroid_fold(ctx)
    rows = [[(int(c) + k) % 3 for c in outcome.y_pred] for k in (2, 1, 0)]
    return dataclasses.replace(outcome, extra={"epoch_predictions": {"model": "centroids", "y_pred": rows}})


# TensorFlow's retracing warning as its logger makes it (common.orchestration.logs.drop_retracing_warning)
_RETRACING = logging.LogRecord("tensorflow", logging.WARNING, __file__, 0, "5 out of the last 5 calls to <function f> "
                               "triggered tf.function retracing.", None, None)


def preprocess_clip(sample, config) -> np.ndarray:
    """The per-clip preprocessing ``--estimate`` times: the clip's features, through the stage cache."""
    from common.preprocessing.cache import cached

    HOOKS["ran"].add(f"preprocess:{sample.key}")
    return cached("dummy_features", {"key": sample.key}, {"version": 1},
                  lambda: np.asarray(sample.meta["features"], dtype="float32"))


def training_stages(config, selection, fold) -> list[TrainingStage]:
    """The one model ``run_fold`` trains, as ``--estimate`` counts it."""
    from common.training import compile_model

    def build():
        model = compile_model(build_model(units=config.model.units), config.train)
        model.run_eagerly = True  # as run_fold
        return model

    return [TrainingStage(model="dummy_mlp", build=build, samples=len(fold.train), epochs=config.train.epochs,
                          batch_size=config.train.batch_size)]


def report_pages(pdf, result, context) -> None:
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, f"dummy extra page of {result.name}; faces allowed: {context.allow_faces}")
    pdf.savefig(fig)
    plt.close(fig)
    HOOKS["ran"].add(f"report_pages:{context.allow_faces}")


EXPERIMENTS = (
    Experiment(
        name="toy_loso", title="Toy LOSO (Table 1)", datasets=("casme2", "samm"), config=DummyConfig(),
        select=select, folds=folds, run_fold=run_fold,
        profiles={"quick": {"train.epochs": 2}, "smoke": {"train.epochs": 1}},
        reported=(Reported("uf1", 0.5, "all", "pooled", "Table 1"),
                  Reported("uar", 0.6, "casme2", "fold_mean", "Table 1", note="a dummy number")),
        scopes=("all", "casme2", "samm"), report_pages=report_pages,
        min_frames=0,  # in-memory samples without frame files (their faces are "unchecked")
        training_stages=training_stages, preprocess_clip=preprocess_clip,
    ),
)

# Export and predict (common.deployment): a dummy whose input is made from frame files, so that a
# recording (a folder of frames, a video) can be predicted. Two features per clip: the mean absolute
# grey difference of the apex and of the last frame from the onset frame, divided by their mean over
# the training fold (a fold-level state the export records). Reads the real ``casme2`` loader's clips
# (the smoke corpus); its own registry entry ``dummy_frames`` (DEPLOY_REGISTRY), so runs of ``dummy``
# never see it.
FRAMES_MODEL = "dummy_frames_mlp"


def frame_features(samples) -> np.ndarray:
    """(N, 2) raw features of the clips' frame files (float64)."""
    from common.preprocessing.io import read_frames

    rows = []
    for sample in samples:
        positions = (0, sample.apex_position, len(sample.frames) - 1)
        grey = read_frames([sample.frames[p] for p in positions], "gray", size=(64, 64)).astype(np.float64)
        rows.append([np.abs(grey[1] - grey[0]).mean(), np.abs(grey[2] - grey[0]).mean()])
    return np.asarray(rows, dtype=np.float64)


def frames_inputs(samples, scale) -> np.ndarray:
    """The network's inputs: the features over the training fold's scale (the one input function)."""
    return (frame_features(samples) / np.asarray(scale, dtype=np.float64)).astype("float32")


def frames_select(data, config) -> Selection:
    samples = tuple(data["casme2"])
    labels = np.array([CLASSES.index("positive") if s.emotion == "happiness" else
                       CLASSES.index("surprise") if s.emotion == "surprise" else 0 for s in samples])
    return Selection(samples=samples, labels=labels, class_names=CLASSES)


def frames_run_fold(ctx) -> FoldOutcome:
    from common.running.fold import fit_and_predict
    from common.training import compile_model

    HOOKS["ran"].add(ctx.fold.name)
    train = np.asarray(ctx.fold.train, dtype=int)
    scale = frame_features([ctx.selection.samples[i] for i in train]).mean(axis=0) + 1e-6
    if ctx.export is not None:
        ctx.export.record("scale", scale.tolist())
    x_train = frames_inputs([ctx.selection.samples[i] for i in train], scale)
    x_test = frames_inputs([ctx.selection.samples[i] for i in ctx.fold.test], scale)
    model = compile_model(build_model(units=ctx.config.model.units), ctx.config.train)
    return fit_and_predict(ctx, model, x_train, x_test, label=FRAMES_MODEL)


def frames_predict_clips(ctx) -> np.ndarray:
    from common.running.fold import predict_probabilities

    HOOKS["ran"].add("predict_clips")
    x = frames_inputs(ctx.samples, ctx.state["scale"])
    return predict_probabilities(ctx.models[FRAMES_MODEL], x, ctx.config.train.batch_size)


def frames_predict_views(ctx, i):
    from common.predict_types import PredictViews
    from common.preprocessing.faces import detect_face
    from common.preprocessing.io import read_frame

    sample = ctx.samples[i]
    positions = (0, sample.apex_position, len(sample.frames) - 1)
    first = read_frame(sample.frames[0], "rgb")
    box = detect_face(first)
    face_box = None if box is None else (box.left, box.top, box.right, box.bottom)
    regions = () if box is None else (("upper face", np.array([[box.left, box.top],
                                                                [box.right, (box.top + box.bottom) // 2]])),)
    apex = read_frame(sample.frames[sample.apex_position], "gray").astype(float)
    onset = read_frame(sample.frames[0], "gray").astype(float)
    return PredictViews(frames=positions, face_box=face_box, regions=regions,
                        inputs=(("|apex - onset|", np.abs(apex - onset)),), saliency=None,
                        notes=("dummy features: mean |apex - onset| and |last - onset| over the training scale",))


FRAMES_EXPERIMENT = Experiment(
    name="toy_frames", title="Toy frames, CASME II LOSO", datasets=("casme2",), config=DummyConfig(),
    select=frames_select, folds=folds, run_fold=frames_run_fold,
    profiles={"quick": {"train.epochs": 2}, "smoke": {"train.epochs": 1}},
    min_frames=2,  # an onset and a later frame
    predict_clips=frames_predict_clips, predict_views=frames_predict_views,
)

# The benchmark: the dummy enters any track with one of two models; "mlp" (Keras, the default)
# or "centroid" (nearest class centre, no Keras). BENCHMARK_REFERENCES: published rows for the leaderboard.
BENCHMARK_MODELS = ("mlp", "centroid")


def benchmark_experiment(track, model=None) -> Experiment:
    """The dummy's method on ``track``: the track's databases, samples, labels, folds and scopes."""
    model = model or BENCHMARK_MODELS[0]
    if model not in BENCHMARK_MODELS:
        raise ValueError(f"dummy: unknown benchmark model {model!r}; models: {', '.join(BENCHMARK_MODELS)}")
    return Experiment(
        name=f"{track.name}_{model}", title=f"{track.title}: dummy {model}", datasets=track.datasets,
        config=DummyConfig(), select=lambda data, config: track.select(data),
        folds=lambda selection, config, seed: track.folds(selection, seed),
        run_fold=run_fold if model == "mlp" else cached_centroid_fold,
        profiles={"quick": {"train.epochs": 2}, "smoke": {"train.epochs": 1, "model.units": 3}},
        reported=(Reported("uf1", 0.7, "all", "pooled", "Table 9"), Reported("uar", 0.65, "all", "pooled", "Table 9"))
        if model == "mlp" else (),
        scopes=track.scopes, loader_options=track.loader_options, min_frames=0)


def _references():
    from common.evaluation.references import references_from_table

    rows = (("Dummy-Handcrafted", "[22]", "handcrafted", {"all": (0.5882, 0.5785), "casme2": (0.7026, 0.7429)}),
            ("Dummy (paper)", "", "deep learning", {"all": (0.7, 0.65)}))
    return references_from_table(rows, track="megc2019", source="Dummy et al., Table 9", skip=("Dummy (paper)",))


BENCHMARK_REFERENCES = _references()

PAPER = Paper(
    id="dummy", title="A dummy paper for the harness tests", citation="Nobody, A dummy paper, Tests 2024.",
    models={"dummy_mlp": build_model},
    architecture_tables={"dummy_mlp": [{"name": "hidden", "output_shape": [None, 4], "params": 12},
                                       {"name": "scores", "output_shape": [None, 3], "params": 99}]},
)

PLANNED = types.SimpleNamespace(PAPER=Paper(id="planned", title="Planned", citation="", status="planned",
                                            models={}), EXPERIMENTS=())


# A Keras-free paper for the parallel tests (common.orchestration.parallel): its own registry, which
# worker processes unpickle (dummy_paper.get_paper) and resolve the experiment through.
PARALLEL = types.SimpleNamespace(
    PAPER=dataclasses.replace(PAPER, id="dummy_parallel", title="A Keras-free dummy paper for the parallel tests"),
    EXPERIMENTS=(dataclasses.replace(EXPERIMENTS[0], name="toy_parallel", title="Toy LOSO, Keras-free (parallel runs)",
                                     run_fold=seeded_centroid_fold, report_pages=None, reported=()),))


FRAMES = types.SimpleNamespace(
    PAPER=dataclasses.replace(PAPER, id="dummy_frames",
                              title="A dummy paper whose inputs are frames (export, predict)"),
    EXPERIMENTS=(FRAMES_EXPERIMENT,))


def get_paper(paper_id: str):
    import sys

    if paper_id == "dummy_frames":
        return FRAMES

    if paper_id == "dummy":
        return sys.modules[__name__]
    if paper_id == "dummy_parallel":
        return PARALLEL
    if paper_id == "planned":
        return PLANNED
    if paper_id == "broken":
        raise ImportError("No module named 'papers.broken'")
    raise KeyError(paper_id)


REGISTRY = types.SimpleNamespace(PAPER_IDS=("dummy", "planned", "broken"), get_paper=get_paper)
PARALLEL_REGISTRY = types.SimpleNamespace(PAPER_IDS=("dummy_parallel",), get_paper=get_paper)
DEPLOY_REGISTRY = types.SimpleNamespace(PAPER_IDS=("dummy", "dummy_frames"), get_paper=get_paper)
