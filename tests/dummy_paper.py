"""A tiny paper for the harness tests (never in the real registry).

24 hand-made samples (2 databases x 2 subjects x 3 classes x 2 clips) whose class is a 2-d
feature stored in ``meta``; a Dense(4)-Dense(3) Keras model trained for 2 epochs per fold
under leave-one-subject-out. ``HOOKS`` lets a test make a fold fail, diverge (NaN loss in the
history) or raise KeyboardInterrupt. ``load`` stands in for ``common.datasets.load``: a root
holds a database when it contains the file ``<name>.present``.
"""
from __future__ import annotations

import dataclasses
import types
from pathlib import Path
from typing import Annotated

import numpy as np

from common.config import Range
from common.datasets.sample import Sample
from common.evaluation.splits import leave_one_subject_out
from common.experiment import Experiment, FoldOutcome, Paper, Reported, Selection, TrainingStage
from common.training import TrainConfig

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
        raise ValueError(f"{root}: no {name} database found (expected {name}.present)")
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


def build_model(units: int = 4):
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

    from common.training import compile_model, fit, trainable_parameters

    name = ctx.fold.name
    HOOKS["ran"].add(name)
    if name in HOOKS["interrupt"]:
        raise KeyboardInterrupt
    if name in HOOKS["fail"]:
        raise RuntimeError(f"planned failure in {name}")
    x = np.array([s.meta["features"] for s in ctx.selection.samples], dtype="float32")
    y = keras.utils.to_categorical(ctx.selection.labels, len(CLASSES))
    model = compile_model(build_model(ctx.config.model.units), ctx.config.train)
    model.run_eagerly = True  # tracing costs more than it saves on 18 samples
    history = fit(model, x[ctx.fold.train], y[ctx.fold.train], ctx.config.train, work_dir=ctx.work_dir,
                  label="dummy_mlp", log=ctx.log)
    if name in HOOKS["nan"]:
        history = {**history, "loss": history["loss"][:-1] + [float("nan")]}
    probabilities = keras.ops.convert_to_numpy(model(x[ctx.fold.test], training=False))
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=probabilities.argmax(axis=1), probabilities=probabilities,
                       history=history, parameters={"dummy_mlp": trainable_parameters(model)})


def nearest_centroid_fold(ctx) -> FoldOutcome:
    """A Keras-free ``run_fold`` (nearest class centre of the training features) for fast tests."""
    HOOKS["ran"].add(ctx.fold.name)
    x = np.array([s.meta["features"] for s in ctx.selection.samples])
    labels = ctx.selection.labels
    centres = np.stack([x[ctx.fold.train][labels[ctx.fold.train] == c].mean(axis=0) for c in range(len(CLASSES))])
    distances = np.linalg.norm(x[ctx.fold.test][:, None, :] - centres[None], axis=2)
    history = {"loss": [1.0, 0.5, 0.25], "accuracy": [0.4, 0.6, 0.8]}
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=distances.argmin(axis=1), history=history,
                       parameters={"centres": int(centres.size)})


def preprocess_clip(sample, config) -> np.ndarray:
    """The per-clip preprocessing ``--estimate`` times: the clip's features, through the stage cache."""
    from common.preprocessing.cache import cached

    HOOKS["ran"].add(f"preprocess:{sample.key}")
    return cached("dummy_features", {"key": sample.key}, {"version": 1},
                  lambda: np.asarray(sample.meta["features"], dtype="float32"))


def training_stages(config, selection, fold) -> list[TrainingStage]:
    """The one model ``run_fold`` trains, as ``--estimate`` counts it (issue 15)."""
    from common.training import compile_model

    def build():
        model = compile_model(build_model(config.model.units), config.train)
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

PAPER = Paper(
    id="dummy", title="A dummy paper for the harness tests", citation="Nobody, A dummy paper, Tests 2024.",
    status="implemented", models=lambda: {"dummy_mlp": build_model()},
    architecture_tables={"dummy_mlp": [{"name": "hidden", "output_shape": [None, 4], "params": 12},
                                       {"name": "scores", "output_shape": [None, 3], "params": 99}]},
)

PLANNED = types.SimpleNamespace(PAPER=Paper(id="planned", title="Planned", citation="", status="planned",
                                            models=dict), EXPERIMENTS=())


def get_paper(paper_id: str):
    import sys

    if paper_id == "dummy":
        return sys.modules[__name__]
    if paper_id == "planned":
        return PLANNED
    if paper_id == "broken":
        raise ImportError("No module named 'papers.broken'")
    raise KeyError(paper_id)


REGISTRY = types.SimpleNamespace(PAPER_IDS=("dummy", "planned", "broken"), get_paper=get_paper)
