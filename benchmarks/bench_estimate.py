#!/usr/bin/env python
"""Does ``--estimate`` tell the truth? Its projection beside a real short run.

    .venv/bin/python benchmarks/bench_estimate.py                           # talluri2022, 2 folds, 2 epochs
    .venv/bin/python benchmarks/bench_estimate.py --paper aouayeb2019 --set stage1.epochs=2 --set stage2.epochs=20
    .venv/bin/python benchmarks/bench_estimate.py --paper le2020 --data-root /data/me --profile paper

For one experiment (the paper's first, or ``--experiment``) and the same settings (profile,
``--set train.epochs=E`` and any other ``--set``): ``common.estimate.projection`` projects the
first ``--folds`` folds, then ``runner.run_experiment`` really runs those folds (the same code path
as ``run_all.py``: the experiment with its fold list cut to the first N) with the preprocessing
cache pointed at an empty folder, so the run pays the first pass the estimate projects. Printed:
projected and measured seconds (wall; the measured figure is the sum of the folds' ``run_fold``
times, as the fold files record them) and their ratio, per fold and in all; target: within 25 %; and,
where ``run_fold`` records them (``extra["seconds"]``), each fold's CPU time (user + sys) by stage.
Only the experiment's own clips are preprocessed by the run, as projected; a run's face check
(cached, outside ``run_fold``) is counted in neither. On a shared machine wall times are disturbed:
run it on an idle one, or read the ratio as approximate.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET = 0.25  # |projected / measured - 1| within this


def first_folds(experiment, n: int):
    """The experiment with only its first ``n`` folds (the runner checks subsets like any fold list)."""
    return dataclasses.replace(experiment, folds=lambda selection, config, seed: experiment.folds(
        selection, config, seed)[:n])


def _by_stage(seconds: dict) -> dict:
    """run_fold's ``extra["seconds"]`` (stage -> {"wall", "cpu"}) as CPU seconds per stage, ``name_r<k>`` summed."""
    import re

    stages: dict[str, float] = {}
    for key, value in seconds.items():
        name = re.sub(r"_r\d+$", "", key)
        stages[name] = stages.get(name, 0.0) + float(value.get("cpu", 0.0))
    return stages


def compare(paper_id: str, experiment, *, data_root=None, profile: str | None = None, folds: int = 2,
            overrides: dict | None = None, seed: int = 0, log=print) -> dict:
    """Projected and measured seconds of the first ``folds`` folds of ``experiment`` (see the docstring)."""
    from common.estimate import projection as est
    from common.running import runner
    from common.running.profiles import resolve_run
    from common.running.corpus import default_data_root
    from common.running.profiles import resolve_profile

    profile = resolve_profile(profile, data_root)
    root = Path(data_root) if data_root is not None else default_data_root(profile)
    short = first_folds(experiment, folds)
    projection = est.estimate([(paper_id, short)], data_root=root, profile=profile, seed=seed, overrides=overrides)
    (e,) = projection.experiments
    if not e.estimated:
        raise SystemExit(f"{paper_id}/{experiment.name}: {e.note}")
    with tempfile.TemporaryDirectory(prefix="bench-estimate-") as scratch:
        old = os.environ.get("MERSUITE_CACHE")
        os.environ["MERSUITE_CACHE"] = str(Path(scratch) / "cache")  # an empty preprocessing cache
        try:
            started = time.perf_counter()
            result = runner.run_experiment(paper_id, short, resolve_run(data_root=root, profile=profile, seed=seed,
                                           overrides=overrides, out=Path(scratch) / "out", fresh=True,
                                           experiments=(short,)))
            wall = time.perf_counter() - started
        finally:
            if old is None:
                os.environ.pop("MERSUITE_CACHE", None)
            else:
                os.environ["MERSUITE_CACHE"] = old
    measured = [float(r["seconds"]) for r in result.records]
    preprocess = e.preprocess.seconds if e.preprocess else 0.0
    projected = [s + (preprocess if i == 0 else 0.0) for i, s in enumerate(e.fold_seconds)]
    return {"paper": paper_id, "experiment": experiment.name, "profile": profile, "device": projection.device,
            "backend": projection.backend, "folds": len(measured), "projected": projected, "measured": measured,
            "preprocess_projected": preprocess, "run_wall": wall, "estimate_wall": projection.seconds,
            "ratio": sum(projected) / sum(measured) if sum(measured) > 0 else float("nan"),
            "statuses": [r["status"] for r in result.records],
            # process CPU seconds (user + sys) of each fold where run_fold records them per stage (extra.seconds)
            "measured_cpu": [sum(float(v.get("cpu", 0.0))
                                 for v in ((r.get("extra") or {}).get("seconds") or {}).values())
                             or None for r in result.records],
            "measured_cpu_stages": [_by_stage((r.get("extra") or {}).get("seconds") or {}) for r in result.records],
            # run_fold's own breakdown where it records one (common.running.fold.timing_extra)
            "measured_parts": [dict((r.get("extra") or {}).get("timing") or {}) for r in result.records]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paper", default="talluri2022", help="the paper to project and run (default talluri2022)")
    parser.add_argument("--experiment", help="default: the paper's first experiment")
    parser.add_argument("--data-root", type=Path, help="default: the synthetic default corpus")
    parser.add_argument("--profile", choices=("paper", "quick", "smoke"),
                        help="default: run_all.py's (paper on real databases, quick on a synthetic corpus)")
    parser.add_argument("--folds", type=int, default=2, help="the first folds to run and compare (default 2)")
    parser.add_argument("--epochs", type=int, default=2,
                        help="--set train.epochs=E for both, where the config has a train section (0: the profile's)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="a config override for both, as run_all.py's --set (repeatable)")
    args = parser.parse_args(argv)

    from common.config import parse_assignments
    from common.estimate.units import duration
    from papers import get_paper

    module = get_paper(args.paper)
    experiments = {e.name: e for e in module.EXPERIMENTS}
    experiment = experiments[args.experiment] if args.experiment else module.EXPERIMENTS[0]
    overrides = parse_assignments(args.set)
    if args.epochs and hasattr(experiment.config, "train"):
        overrides.setdefault("train.epochs", str(args.epochs))
    r = compare(args.paper, experiment, data_root=args.data_root, profile=args.profile, folds=args.folds,
                overrides=overrides)
    print(f"{r['paper']}/{r['experiment']}, profile {r['profile']}, --set {overrides}; {r['device']}; {r['backend']}")
    print(f"{'fold':>4} {'projected':>12} {'measured':>12} {'ratio':>6}   measured parts (run_fold's extra.timing)")
    for i, (p, m, parts) in enumerate(zip(r["projected"], r["measured"], r["measured_parts"]), 1):
        shown = ", ".join(f"{k.replace('_seconds', '')} {duration(v)}" for k, v in parts.items()
                          if k.endswith("_seconds"))
        print(f"{i:>4} {duration(p):>12} {duration(m):>12} {p / m if m else float('nan'):>6.2f}   {shown or '-'}")
    verdict = "within" if abs(r["ratio"] - 1) <= TARGET else "OUTSIDE"
    print(f"all  {duration(sum(r['projected'])):>12} {duration(sum(r['measured'])):>12} {r['ratio']:>6.2f}  "
          f"projected / measured, {verdict} the {TARGET:.0%} target (fold 1 includes the projected first-pass "
          f"preprocessing, {duration(r['preprocess_projected'])}, and the models' tracing)")
    print(f"(the estimate took {duration(r['estimate_wall'])}; the run {duration(r['run_wall'])}; wall times; "
          f"fold statuses {r['statuses']})")
    if any(r["measured_cpu"]):
        print("measured CPU time (user + sys) per fold, from run_fold's extra.seconds: "
              + ", ".join(duration(c) if c else "-" for c in r["measured_cpu"]))
        for i, stages in enumerate(r["measured_cpu_stages"], 1):  # per-region stages (name_r<k>) summed
            print(f"  fold {i} CPU by stage: " + ", ".join(f"{k} {duration(v)}" for k, v in stages.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
