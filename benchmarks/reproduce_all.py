#!/usr/bin/env python
"""Every run the reproductions still lack, one after another through ``benchmarks/reproduce.py``: what a session
starts in the background first thing, and what the next session starts again (each run resumes from its shipped
folds; a run whose file is shipped is skipped).

    .venv/bin/python benchmarks/reproduce_all.py --data-root HTNet --out reports/repro --dry-run
    nohup .venv/bin/python benchmarks/reproduce_all.py --data-root HTNet --out reports/repro --workers 2 --worker 0 &
    nohup .venv/bin/python benchmarks/reproduce_all.py --data-root HTNet --out reports/repro --workers 2 --worker 1 &

The queue, in this order (:func:`queue`), from ``docs/predictions/runs.json``'s ``planned`` seeds and
``papers.liong2019.config.MATLAB_ABLATIONS``:

1. each MATLAB option over seeds 0, 1 and 2 (``--name OPTION --set ...``, without the gauge: the table compares
   last epochs), seed by seed: first, since they decide whether the `paper` profile changes;
2. every planned seed without its file (a planned option's, ``name``, as in 1): STSTNet's MATLAB recipe beyond its
   first four seeds without the epoch gauge (``--no-epoch-gauge``: the extra seeds of its distribution, whose
   gauge would take two to three times the run), every other with it;
3. the gauged rerun of every shipped seed of a recipe as it stands whose per-epoch record is not shipped (its
   folds shipped without the gauge are trained again, each file replaced as it lands: ``shipped_folds.seed_folds``):
   its predicted classes must come out the shipped file's, its probabilities within float32 round-off (``git
   diff`` shows it; port seeds 0, 1 and 2 differ by at most 1e-6 in 51, 43 and 37 rows, docs/reproductions.md).

``--workers N --worker K`` takes every N-th run of the whole queue (done ones included) from the K-th: two
processes on two cores share the queue without ever running the same run (a STSTNet group of folds leaves a core
about half idle). ``--dry-run`` prints the queue (or that nothing is left to run). Exit status: 0, or the first
failing run's.
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREDICTIONS = ROOT / "docs" / "predictions"
GAUGED_SEEDS = 4  # STSTNet's MATLAB recipe: seeds 0 to 3 keep the epoch gauge, the extra ones run without it
ABLATION_SEEDS = (0, 1, 2)  # the `paper` profile's seeds each option is paired with


def queue(folder: Path = PREDICTIONS) -> list[tuple[str, list[str]]]:
    """``[(the file that says the run is done, reproduce.py's arguments)]`` in the module docstring's order, the runs
    already done included (a worker's share is taken from this whole list, so that workers started at other times
    still never share a run)."""
    from benchmarks.shipped_folds import run_name
    from common.config import set_arguments
    from papers.liong2019.config import MATLAB_ABLATIONS

    document = json.loads((folder / "runs.json").read_text(encoding="utf-8"))
    out: list[tuple[str, list[str]]] = []
    for seed in ABLATION_SEEDS:
        for option, overrides in MATLAB_ABLATIONS.items():
            out.append((f"liong2019-paper-seed{seed}-{option}.csv",
                        ["--method", "liong2019", "--recipe", "paper", "--seed", str(seed), "--no-epoch-gauge",
                         "--name", option, *set_arguments(overrides)]))
    for plan in document.get("planned", []):
        method, recipe, name = plan["method"], plan["recipe"], plan.get("name", "")
        option = ["--name", name, *set_arguments(MATLAB_ABLATIONS[name])] if name else []
        for seed in plan["seeds"]:
            extra = ["--no-epoch-gauge"] if (method, recipe) == ("liong2019", "paper") and seed >= GAUGED_SEEDS else []
            out.append((f"{run_name(method, recipe, seed, name)}.csv",
                        ["--method", method, "--recipe", recipe, "--seed", str(seed), *extra, *option]))
    for run in document.get("runs", []):
        extra_seed = (run["method"], run["recipe"]) == ("liong2019", "paper") and run["seed"] >= GAUGED_SEEDS
        if run.get("epochs") or extra_seed or run.get("name"):
            continue
        out.append((f"{run['method']}-{run['recipe']}-seed{run['seed']}.epochs.csv",
                    ["--method", run["method"], "--recipe", run["recipe"], "--seed", str(run["seed"])]))
    return out


def share(folder: Path, workers: int, worker: int) -> list[tuple[str, list[str]]]:
    """Worker ``worker``'s runs of :func:`queue` (every ``workers``-th of the whole queue), those not done."""
    return [(done, arguments) for done, arguments in queue(folder)[worker::workers] if not (folder / done).is_file()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", required=True, help="the released inputs (a clone of HTNet's repository)")
    parser.add_argument("--out", required=True, help="where each run's folder goes (reproduce.py's --out)")
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the queue (default 1)")
    parser.add_argument("--worker", type=int, default=0, help="this one's number, 0 to workers - 1")
    parser.add_argument("--folder", type=Path, default=PREDICTIONS, help="the shipped predictions and runs.json")
    parser.add_argument("--dry-run", action="store_true", help="print this worker's queue only")
    args = parser.parse_args(argv)
    if args.workers < 1:
        print(f"reproduce_all: --workers {args.workers}: expected 1 or more", file=sys.stderr)
        return 2
    if not 0 <= args.worker < args.workers:
        print(f"reproduce_all: --worker {args.worker}: expected 0 to {args.workers - 1}", file=sys.stderr)
        return 2
    runs = share(args.folder, args.workers, args.worker)
    if not runs:
        total = len(queue(args.folder)[args.worker::args.workers])
        print(f"reproduce_all: nothing to run: all {total} runs of worker {args.worker}'s share (of {args.workers}) "
              f"are shipped in {args.folder}", flush=True)
    for done, arguments in runs:
        command = [sys.executable, str(ROOT / "benchmarks" / "reproduce.py"), *arguments, "--data-root",
                   args.data_root, "--out", args.out, "--folder", str(args.folder)]
        print(f"[{done}] {shlex.join(command[1:])}", flush=True)
        if args.dry_run:
            continue
        if (args.folder / done).is_file():  # shipped meanwhile (another worker's run, a commit pulled in)
            continue
        code = subprocess.call(command, cwd=ROOT)
        if code != 0:
            print(f"[{done}] exit status {code}; the queue stops here", flush=True)
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
