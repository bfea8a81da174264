"""First pass of preprocessing: one process against N (``run_all.py --preprocess-workers N``). Prints, never asserts.

    .venv/bin/python benchmarks/bench_first_pass.py [--paper kumar2019] [--processes 2] [--size smoke]

Both passes compute, into their own empty cache, every clip the folds of the paper's first experiment
read (``Experiment.first_pass``) on the synthetic corpus; the one-process pass runs in this process, the
other in a ``common.running.first_pass.FirstPass`` pool (its process start-up included). Prints both
wall times, their ratio, and whether the two caches are the same files byte for byte.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.datasets.synthetic import write_corpus
from common.running import first_pass


def _files(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", default="kumar2019", help="whose first experiment's clips (default kumar2019)")
    parser.add_argument("--processes", type=int, default=2, help="the pool's processes, N (default 2)")
    parser.add_argument("--size", default="smoke", choices=("smoke", "default"),
                        help="the synthetic corpus written for it (default smoke)")
    args = parser.parse_args(argv)
    import papers

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["MERSUITE_CACHE"] = str(tmp / "default-cache")  # the screening's face check, private
        corpus = write_corpus(tmp / "corpus", size=args.size, seed=0)
        experiment = papers.get_paper(args.paper).EXPERIMENTS[0]
        selection, folds, config = first_pass.experiment_folds(args.paper, experiment, tmp / "corpus", "smoke"
                                                               if args.size == "smoke" else "quick")
        steps = experiment.first_pass(selection, folds, config)
        started = time.perf_counter()
        errors = first_pass.run_steps(steps, tmp / "one")
        one = time.perf_counter() - started
        started = time.perf_counter()
        with first_pass.FirstPass(args.processes, root=tmp / "many") as pool:
            pool.map(steps)
        many = time.perf_counter() - started
        same = _files(tmp / "one") == _files(tmp / "many")
    print(f"{args.paper}/{experiment.name}, {len(steps)} clips ({args.size} corpus), {os.cpu_count()} cores; "
          f"{len(errors)} clip(s) raised")
    print(f"first pass, 1 process: {one:.1f} s; {args.processes} processes: {many:.1f} s; "
          f"ratio {one / many:.2f}x; caches byte-identical: {same}")
    del corpus
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
