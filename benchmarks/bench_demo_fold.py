#!/usr/bin/env python
"""Where the time of ``make demo`` goes: the per-stage breakdown of demo folds
(Aouayeb et al. 2019, quick profile, synthetic default corpus) and each region CNN's training
throughput as a fraction of this machine's float32 matmul rate.

    .venv/bin/python benchmarks/bench_demo_fold.py                 # folds 1-2, corpus in the cache
    MERSUITE_CACHE=/tmp/c .venv/bin/python benchmarks/bench_demo_fold.py --folds 1   # corpus generation timed too

Stages: corpus generation (only when the corpus is not cached yet), region crops of the fold's
clips (``clip_regions``, cached per clip), then what ``run_fold`` records in
``extra["seconds"]``: building the networks, each region CNN's ``fit`` and its feature pass,
and stage 2 (LSTM fit, predict). Wall and process CPU seconds (CPU = user + sys of all threads:
compare CPU on a shared machine). The second fold shows the steady state: the compiled networks
are kept across folds, so the first fold alone pays for tracing them.

Training FLOPs per frame: ``common.flops.training_flops`` (analytic; the first convolution has no
input gradient). The matmul rate: ``common.flops.matmul_rate`` (float32 through the backend: 2048^2 on the CPU, a
device-resident 8192^2 on an accelerator).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras

from common.flops import accelerator, matmul_rate, training_flops


def _clock():
    return time.perf_counter(), time.process_time()


def _since(mark) -> tuple[float, float]:
    now = _clock()
    return now[0] - mark[0], now[1] - mark[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=2, help="how many of the first LOSO folds to run")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    parser.add_argument("--out", default="/tmp/bench_demo_fold", help="work directory (CSV histories)")
    parser.add_argument("--compile-every-fold", action="store_true",
                        help="build, compile and trace the networks in every fold "
                             "(the behaviour before the demo speed-up)")
    parser.add_argument("--no-epoch-gauge", action="store_true",
                        help="no test pass after every epoch (run_all.py's --no-epoch-gauge; the demo keeps it)")
    args = parser.parse_args(argv)

    from common.config import apply_overrides
    from common.datasets.synthetic import default_corpus
    from common.running.corpus import load_datasets
    from common.experiment import FoldContext
    from common.preprocessing.cache import default_root
    from papers.aouayeb2019 import EXPERIMENTS, preprocessing, protocol
    from papers.aouayeb2019.config import PROFILES
    from papers.aouayeb2019.model import NUM_REGIONS, build_region_cnn, region_input_shape

    protocol.REUSE_COMPILED = not args.compile_every_fold
    peak = matmul_rate()
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPU(s); "
          f"float32 matmul {'8192^2 on the device' if accelerator() else '2048^2'}: {peak / 1e9:.1f} GFLOP/s; "
          f"networks {'compiled every fold' if args.compile_every_fold else 'kept across folds'}; "
          f"epoch gauge {'off' if args.no_epoch_gauge else 'on'}")
    rows: list[tuple[str, float, float]] = []

    mark = _clock()
    root = Path(default_corpus("default"))
    rows.append(("corpus (generated, or found in the cache)", *_since(mark)))
    experiment = EXPERIMENTS[0]
    config = apply_overrides(experiment.config, dict(PROFILES["quick"]))
    mark = _clock()
    selection = experiment.select(load_datasets(experiment, root), config)
    folds = experiment.folds(selection, config, args.seed)[: args.folds]
    rows.append(("load + select", *_since(mark)))
    print(f"{'stage':<44}{'wall s':>9}{'CPU s':>9}")
    for name, wall, cpu in rows:
        print(f"{name:<44}{wall:>9.2f}{cpu:>9.2f}")

    flops = {r: training_flops(build_region_cnn(input_shape=region_input_shape(r, config.data.channels),
                                                num_labels=config.model.region_labels))
             for r in range(NUM_REGIONS)}
    for k, fold in enumerate(folds):
        mark = _clock()
        for i in list(fold.train) + list(fold.test):
            preprocessing.clip_regions(selection.samples[int(i)], config, default_root())
        regions = _since(mark)
        ctx = FoldContext(selection, fold, config, "quick", args.seed, Path(args.out) / fold.name, default_root(),
                          record_epochs=not args.no_epoch_gauge)
        mark = _clock()
        outcome = protocol.run_fold(ctx)
        total = _since(mark)
        seconds = outcome.extra["seconds"]
        n_frames = sum(len(preprocessing.frame_indices(len(selection.samples[int(i)].frames),
                                                       config.data.frames_per_clip))
                       for i in fold.train)
        print(f"\nfold {k + 1} ({fold.name}: {len(fold.train)} training clips, {n_frames} training frames per region)")
        print(f"{'stage':<44}{'wall s':>9}{'CPU s':>9}")
        print(f"{'region crops (clip_regions, cached per clip)':<44}{regions[0]:>9.2f}{regions[1]:>9.2f}")
        for stage, t in seconds.items():
            print(f"{'run_fold ' + stage:<44}{t['wall']:>9.2f}{t['cpu']:>9.2f}")
        print(f"{'run_fold total':<44}{total[0]:>9.2f}{total[1]:>9.2f}")
        print(f"{'region':<8}{'GFLOP/frame':>12}{'frames/s':>10}{'GFLOP/s':>9}{'of matmul':>11}   "
              f"(stage-1 fit, {config.stage1.epochs} epochs)")
        for r in range(NUM_REGIONS):
            wall = seconds[f"stage1_fit_r{r}"]["wall"]
            rate = n_frames * config.stage1.epochs / wall
            achieved = flops[r] * rate
            print(f"r{r:<7}{flops[r] / 1e9:>12.4f}{rate:>10.0f}{achieved / 1e9:>9.1f}{achieved / peak:>10.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
