#!/usr/bin/env python
"""Fold-parallel training (``--fold-parallel N``, ``common.fold_parallel``) against the sequential path, on
the small flow networks: seconds per fold-epoch, the speed-up, the full LOSO projected from them, and the
FLOP floor at this machine's float32 matrix-product rate. Prints, never asserts.

    nice -n 5 .venv/bin/python benchmarks/bench_fold_parallel.py                       # STSTNet, both recipes
    nice -n 5 .venv/bin/python benchmarks/bench_fold_parallel.py --groups 1 4 17 68 --epochs 3
    nice -n 5 .venv/bin/python benchmarks/bench_fold_parallel.py --paper gan2019 --recipes paper
    .venv/bin/python benchmarks/bench_fold_parallel.py --recipes port --groups 1 8 68 --authors /tmp/STSTNet \
        --authors-python /tmp/venv-port/bin/python --data-root HTNet     # the authors' port side by side

Each fold is a STSTNet (or OFF-ApexNet) built and compiled as ``fold_fit`` builds it, on random inputs of the
composite's shape (435 training clips of 28x28, the MEGC 2019 composite's 442 less a subject's 7), trained
``--epochs`` epochs with the recipe's batches: ``paper`` (MATLAB's: batch 256, the partial batch dropped,
1 step an epoch) and ``port`` (the PyTorch port's: batch 256 kept partial, 2 steps an epoch; liong2019 only).
The sequential path is ``common.training.fit`` one fold after another; the parallel path
``common.fold_parallel.train_together`` over groups of N. Timed after one warm-up epoch of each (tracing
excluded: a run traces once per group, seconds, which the projection adds once per group as measured).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

SAMPLES = 435  # a LOSO fold's training clips on the composite (442 less a subject's test clips)
FOLDS = 68  # the composite's subjects
EPOCHS = {"paper": 500, "port": 800}  # the recipes' epochs (config.py)


@dataclasses.dataclass
class _Ctx:
    work_dir: Path | None = None


def _config(paper: str, recipe: str):
    from common.config import apply_overrides

    if paper == "liong2019":
        from papers.liong2019.config import PORT, default_config
    else:
        from papers.gan2019.config import default_config
        PORT = {}
    config = default_config()
    return apply_overrides(config, dict(PORT)) if recipe == "port" else config


def _build(paper: str, config, seed: int):
    from common.training import compile_model, set_seed

    set_seed(seed)
    if paper == "liong2019":
        from papers.liong2019.model import build_model
    else:
        from papers.gan2019.model import build_model
    return compile_model(build_model(config=config, num_classes=3), config.train)


def _data(paper: str, config, seed: int):
    import keras

    rng = np.random.default_rng(seed)
    channels = 3 if paper == "liong2019" else 2
    x = rng.uniform(0, 255, size=(SAMPLES, config.data.size, config.data.size, channels)).astype("float32")
    return x, keras.utils.to_categorical(rng.integers(0, 3, SAMPLES), 3)


def _training(model, x, y, cfg):
    from common.running.fold import FoldTraining

    return FoldTraining(ctx=_Ctx(), model=model, x_train=x, x_test=x[:8], y_train=y, train=cfg, label=model.name,
                        started=0.0)


def sequential(paper: str, recipe: str, folds: int, epochs: int) -> tuple[float, float]:
    """(seconds per fold-epoch, CPU seconds per fold-epoch) of ``fit`` one fold after another."""
    from common.training import fit

    config = _config(paper, recipe)
    cfg = dataclasses.replace(config.train, epochs=epochs)
    models = [(_build(paper, config, k), *_data(paper, config, k)) for k in range(folds)]
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
        x, y = _data(paper, config, k)
        prepared.append(fold_parallel.prepare(_training(_build(paper, config, k), x, y, cfg)))
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
    parser.add_argument("--paper", choices=("liong2019", "gan2019"), default="liong2019")
    parser.add_argument("--recipes", nargs="+", choices=("paper", "port"), default=["paper", "port"])
    parser.add_argument("--groups", nargs="+", type=int, default=[1, 4, 17])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per fold (default 3)")
    parser.add_argument("--authors", type=Path, default=None,
                        help="a clone of christy1206/STSTNet: time its main.py too (time_ststnet_port.py), port recipe")
    parser.add_argument("--authors-python", default=sys.executable, help="a Python with PyTorch, for --authors")
    parser.add_argument("--data-root", type=Path, default=None, help="the released inputs, for --authors")
    parser.add_argument("--authors-folds", type=int, default=2, help="folds of the authors' run (default 2)")
    args = parser.parse_args()

    import keras

    from common import fold_parallel
    from common.flops import matmul_rate, training_flops

    rate = matmul_rate()
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPU(s) seen, load average "
          f"{os.getloadavg()[0]:.2f}; float32 matrix product {rate / 1e9:.0f} GFLOP/s")
    for recipe in args.recipes:
        if recipe == "port" and args.paper != "liong2019":
            continue
        config = _config(args.paper, recipe)
        model = _build(args.paper, config, 0)
        batch = config.train.batch_size
        steps = SAMPLES // batch if config.train.drop_partial_batch else -(-SAMPLES // batch)
        samples = steps * batch if config.train.drop_partial_batch else SAMPLES
        flops = training_flops(model) * samples * FOLDS * EPOCHS[recipe]
        per_fold = fold_parallel.fold_bytes(model, SAMPLES, batch)
        print(f"\n{args.paper} recipe {recipe}: {EPOCHS[recipe]} epochs x {steps} step(s) of {batch} a fold, "
              f"{FOLDS} folds; training FLOPs of the LOSO {flops / 1e12:.2f} TFLOP, floor at the matrix-product "
              f"rate {flops / rate / 60:.1f} min; memory a fold {fold_parallel.memory(per_fold)}")
        authors = None
        if recipe == "port" and args.authors is not None:
            from time_ststnet_port import time_port

            wall, cpu, names, _ = time_port(args.authors, args.data_root, args.authors_python, args.authors_folds)
            authors = wall / (len(names) * EPOCHS[recipe])
            print(f"  authors' port   : {1000 * authors:7.1f} ms a fold-epoch (CPU "
                  f"{1000 * cpu / (len(names) * EPOCHS[recipe]):6.1f} ms; main.py --train True on {len(names)} "
                  f"folds of the released inputs, its per-epoch test pass included); LOSO projected "
                  f"{authors * FOLDS * EPOCHS[recipe] / 60:6.1f} min")
        seq_wall, seq_cpu = sequential(args.paper, recipe, min(args.groups[-1], 4), args.epochs)
        loso = seq_wall * FOLDS * EPOCHS[recipe]
        versus = f", x{authors / seq_wall:4.2f} the authors'" if authors else ""
        print(f"  sequential      : {1000 * seq_wall:7.1f} ms a fold-epoch (CPU {1000 * seq_cpu:6.1f} ms){versus}; "
              f"LOSO projected {loso / 60:6.1f} min")
        for n in args.groups:
            wall, cpu, warm = together(args.paper, recipe, n, args.epochs)
            groups = -(-FOLDS // n)
            projected = wall * FOLDS * EPOCHS[recipe] + groups * warm
            versus = f", x{authors / wall:4.2f} the authors'" if authors else ""
            print(f"  fold-parallel {n:2d}: {1000 * wall:7.1f} ms a fold-epoch (CPU {1000 * cpu:6.1f} ms), "
                  f"x{seq_wall / wall:4.2f} the sequential{versus}; trace {warm:5.1f} s a group; LOSO projected "
                  f"{projected / 60:6.1f} min; memory {fold_parallel.memory(n * per_fold)}")


if __name__ == "__main__":
    main()
