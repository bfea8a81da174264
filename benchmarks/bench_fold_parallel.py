#!/usr/bin/env python
"""Fold-parallel training (``--fold-parallel N``, ``common.fold_parallel``) against the sequential path, for a
method that opts in (its first experiment has a ``fold_fit``: the flow networks): seconds per fold-epoch, the
speed-up, the full LOSO projected from them, and the FLOP floor at this machine's float32 matrix-product rate.
Prints, never asserts.

    nice -n 5 .venv/bin/python benchmarks/bench_fold_parallel.py                       # STSTNet, every recipe
    nice -n 5 .venv/bin/python benchmarks/bench_fold_parallel.py --groups 1 4 17 68 --epochs 3
    nice -n 5 .venv/bin/python benchmarks/bench_fold_parallel.py --paper gan2019
    .venv/bin/python benchmarks/bench_fold_parallel.py --recipes port --groups 1 8 68 --authors /tmp/STSTNet \
        --authors-python /tmp/venv-port/bin/python --data-root HTNet     # the authors' port side by side

Each fold is the method's network built and compiled as ``fold_fit`` builds it (``papers.<id>.model``), on
random inputs of its input shape (435 training clips, the MEGC 2019 composite's 442 less a subject's 7),
trained ``--epochs`` epochs with each recipe's batches: ``paper`` and the method's own profiles (liong2019's
``port``: the PyTorch port's batch 256 kept partial, 2 steps an epoch, against MATLAB's partial batch
dropped, 1 step). The sequential path is ``common.training.fit`` one fold after another; the parallel path
``common.fold_parallel.train_together`` over groups of N. Timed after one warm-up epoch of each (tracing
excluded: a run traces once per group, seconds, which the projection adds once per group as measured).
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

SAMPLES = 435  # a LOSO fold's training clips on the composite (442 less a subject's test clips)
FOLDS = 68  # the composite's subjects
NUM_CLASSES = 3  # the composite's classes


def opted_in() -> tuple[str, ...]:
    """The registered methods that may train folds together: their first experiment has a ``fold_fit``."""
    from papers import PAPER_IDS, get_paper

    return tuple(paper for paper in PAPER_IDS if get_paper(paper).EXPERIMENTS[0].fold_fit is not None)


def recipes_of(paper: str) -> tuple[str, ...]:
    """``paper`` and the method's own profiles beyond the three every paper has (liong2019's ``port``)."""
    from papers import get_paper

    return ("paper", *(name for name in get_paper(paper).EXPERIMENTS[0].profiles
                       if name not in ("paper", "quick", "smoke")))


@dataclasses.dataclass
class _Ctx:
    work_dir: Path | None = None


def _config(paper: str, recipe: str):
    """The first experiment's config with the recipe's profile applied, as a run resolves it."""
    from common.config import apply_overrides
    from papers import get_paper

    experiment = get_paper(paper).EXPERIMENTS[0]
    return apply_overrides(experiment.config, dict(experiment.profiles.get(recipe, {})))


def _build(paper: str, config, seed: int):
    from common.training import compile_model, set_seed

    set_seed(seed)
    build_model = importlib.import_module(f"papers.{paper}.model").build_model
    return compile_model(build_model(config=config, num_classes=NUM_CLASSES), config.train)


def _data(model, seed: int):
    """Random inputs of the model's input shape (0..255) and random labels, ``SAMPLES`` of them."""
    import keras

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, size=(SAMPLES, *model.input_shape[1:])).astype("float32")
    return x, keras.utils.to_categorical(rng.integers(0, NUM_CLASSES, SAMPLES), NUM_CLASSES)


def _training(model, x, y, cfg):
    from common.running.fold import FoldTraining

    return FoldTraining(ctx=_Ctx(), model=model, x_train=x, x_test=x[:8], y_train=y, train=cfg, label=model.name,
                        started=0.0)


def sequential(paper: str, recipe: str, folds: int, epochs: int) -> tuple[float, float]:
    """(seconds per fold-epoch, CPU seconds per fold-epoch) of ``fit`` one fold after another."""
    from common.training import fit

    config = _config(paper, recipe)
    cfg = dataclasses.replace(config.train, epochs=epochs)
    built = [_build(paper, config, k) for k in range(folds)]
    models = [(model, *_data(model, k)) for k, model in enumerate(built)]
    for model, x, y in models:  # warm-up: the traces
        fit(model, x, y, dataclasses.replace(cfg, epochs=1))
    wall, cpu = time.perf_counter(), time.process_time()
    for model, x, y in models:
        fit(model, x, y, cfg)
    return (time.perf_counter() - wall) / (folds * epochs), (time.process_time() - cpu) / (folds * epochs)


def together(paper: str, recipe: str, folds: int, epochs: int) -> tuple[float, float, float]:
    """(seconds per fold-epoch, CPU seconds per fold-epoch, warm-up seconds) of ``train_together`` over ``folds``."""
    from common import fold_parallel

    config = _config(paper, recipe)
    cfg = dataclasses.replace(config.train, epochs=epochs + 1)
    prepared = []
    for k in range(folds):
        model = _build(paper, config, k)
        x, y = _data(model, k)
        prepared.append(fold_parallel.prepare(_training(model, x, y, cfg)))
    started = time.perf_counter()
    fold_parallel.train_together(prepared, 1)  # warm-up: the trace of the group's step
    warm = time.perf_counter() - started
    for fold in prepared:
        fold.done = False
    wall, cpu = time.perf_counter(), time.process_time()
    fold_parallel.train_together(prepared, epochs)
    return (time.perf_counter() - wall) / (folds * epochs), (time.process_time() - cpu) / (folds * epochs), warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paper", choices=opted_in(), default="liong2019",
                        help="a method that trains folds together (default liong2019)")
    parser.add_argument("--recipes", nargs="+", default=None,
                        help="profiles of the method to time: paper and its own (default: all of them)")
    parser.add_argument("--groups", nargs="+", type=int, default=[1, 4, 17],
                        help="how many folds to train as one computation, each timed (default 1 4 17)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per fold (default 3)")
    parser.add_argument("--authors", type=Path, default=None,
                        help="a clone of christy1206/STSTNet: time its main.py too (time_ststnet_port.py), port recipe")
    parser.add_argument("--authors-python", default=sys.executable, help="a Python with PyTorch, for --authors")
    parser.add_argument("--data-root", type=Path, default=None, help="the released inputs, for --authors")
    parser.add_argument("--authors-folds", type=int, default=2, help="folds of the authors' run (default 2)")
    args = parser.parse_args()
    recipes = recipes_of(args.paper)
    args.recipes = args.recipes or list(recipes)
    if set(args.recipes) - set(recipes):
        parser.error(f"--recipes: {args.paper} has {', '.join(recipes)}; got {' '.join(args.recipes)}")
    if args.authors is not None and (args.paper, args.recipes) != ("liong2019", ["port"]):
        parser.error("--authors times STSTNet's PyTorch port (its main.py): only with --paper liong2019 --recipes port")

    import keras

    from common import fold_parallel
    from common.flops import matmul_rate, training_flops

    rate = matmul_rate()
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPU(s) seen, load average "
          f"{os.getloadavg()[0]:.2f}; float32 matrix product {rate / 1e9:.0f} GFLOP/s")
    for recipe in args.recipes:
        config = _config(args.paper, recipe)
        epochs = config.train.epochs
        model = _build(args.paper, config, 0)
        batch = config.train.batch_size
        steps = SAMPLES // batch if config.train.drop_partial_batch else -(-SAMPLES // batch)
        samples = steps * batch if config.train.drop_partial_batch else SAMPLES
        flops = training_flops(model) * samples * FOLDS * epochs
        per_fold = fold_parallel.fold_bytes(model, SAMPLES, batch)
        print(f"\n{args.paper} recipe {recipe}: {epochs} epochs x {steps} step(s) of {batch} a fold, "
              f"{FOLDS} folds; training FLOPs of the LOSO {flops / 1e12:.2f} TFLOP, floor at the matrix-product "
              f"rate {flops / rate / 60:.1f} min; memory a fold {fold_parallel.memory(per_fold)}")
        authors = None
        if args.authors is not None:
            from time_ststnet_port import time_port

            wall, cpu, names, _ = time_port(args.authors, args.data_root, args.authors_python, args.authors_folds)
            authors = wall / (len(names) * epochs)
            print(f"  authors' port   : {1000 * authors:7.1f} ms a fold-epoch (CPU "
                  f"{1000 * cpu / (len(names) * epochs):6.1f} ms; main.py --train True on {len(names)} "
                  f"folds of the released inputs, its per-epoch test pass included); LOSO projected "
                  f"{authors * FOLDS * epochs / 60:6.1f} min")
        seq_wall, seq_cpu = sequential(args.paper, recipe, min(args.groups[-1], 4), args.epochs)
        loso = seq_wall * FOLDS * epochs
        versus = f", x{authors / seq_wall:4.2f} the authors'" if authors else ""
        print(f"  sequential      : {1000 * seq_wall:7.1f} ms a fold-epoch (CPU {1000 * seq_cpu:6.1f} ms){versus}; "
              f"LOSO projected {loso / 60:6.1f} min")
        for n in args.groups:
            wall, cpu, warm = together(args.paper, recipe, n, args.epochs)
            groups = -(-FOLDS // n)
            projected = wall * FOLDS * epochs + groups * warm
            versus = f", x{authors / wall:4.2f} the authors'" if authors else ""
            print(f"  fold-parallel {n:2d}: {1000 * wall:7.1f} ms a fold-epoch (CPU {1000 * cpu:6.1f} ms), "
                  f"x{seq_wall / wall:4.2f} the sequential{versus}; trace {warm:5.1f} s a group; LOSO projected "
                  f"{projected / 60:6.1f} min; memory {fold_parallel.memory(n * per_fold)}")


if __name__ == "__main__":
    main()
