#!/usr/bin/env python
"""Run STSTNet's MATLAB recipe (``papers/liong2019``, the `paper` profile) once per inferred MATLAB behaviour,
each over seeds 0, 1 and 2, on the megc2019 track: the runs that measure the options of
``papers.liong2019.config.MATLAB_ABLATIONS`` (README ledger 13, 14), each against its run in
``ABLATION_BASELINES`` (the `paper` profile's own seeds, or the fixed subset's).

For each option, one command (printed before it starts)::

    .venv/bin/python run_all.py --benchmark megc2019 --methods liong2019 --profile paper --seed 0 --seeds 3 \\
        --fold-parallel 8 --data-root DATA --out OUT/<option> --set <the option's overrides>

    fixed_subset      --set train.shuffle_once=true --set train.drop_partial_batch=true  (R2018b's epoch order)
    glorot            --set model.initializer=glorot_uniform  (MATLAB R2019a's initialiser)
    zero_pool         --set model.padding=matlab_zero_pool  (max pooling's padded cells hold 0)
    every_clip        --set train.drop_partial_batch=false  (every clip every epoch, the partial batch kept:
                      model.fit's order, not trainNetwork's)
    fixed_subset_glorot, fixed_subset_zero_pool: fixed_subset's and glorot's or zero_pool's
    fixed_subset_bn_trained_clips  fixed_subset's and --set model.batch_norm_statistics=population_trained
                      (the statistics over the 256 clips training reads; on the profile's order it reads them all)

each into its own folder ``OUT/<option>/benchmark/megc2019/liong2019/seed<k>/``. Resumable: every fold is
written as it finishes, so running the same command again reuses the finished folds of every option and trains
only what is left (a fold is reused only when its fingerprint, which holds the config hash and so the option,
is this run's: an option run into another option's folder would recompute, never mix). The epoch gauge stays on
(each fold's per-epoch test predictions are in its fold file). ``--options`` picks some (``paper``: the
baseline, no override, for a pairing run on the same card); ``--estimate`` passes ``--estimate`` to each
command (the time of one epoch of one group of 8 folds and the projected run, nothing trained); ``--dry-run``
prints the commands only. Arguments after ``--`` go to every command (e.g. ``-- --no-epoch-gauge``); an option the
command already sets (``--seeds``, ``--fold-parallel``, ``--out``, ``--data-root``...) is refused there as given twice:
set those through this script's own options. Exit
status: 0 when every command succeeded, else the first failing command's.

    .venv/bin/python benchmarks/ststnet_ablations.py --data-root "$HTNET" --out reports/ststnet-ablations
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.config import set_arguments  # noqa: E402  (after the repository is on the path)
from papers.liong2019.config import MATLAB_ABLATIONS  # noqa: E402

SEEDS = 3  # seeds 0, 1, 2: the `paper` profile's shipped seeds, to pair with
FOLD_PARALLEL = 8  # the real runs' groups of folds trained together (docs/running.md)
BASELINE = "paper"  # the `paper` profile with no override


def command(option: str, *, data_root: str, out: Path, estimate: bool = False,
            extra: list[str] | None = None) -> list[str]:
    """The ``run_all.py`` command of ``option`` (a name of ``MATLAB_ABLATIONS``, or ``paper``)."""
    overrides = {} if option == BASELINE else MATLAB_ABLATIONS[option]
    return ([sys.executable, str(ROOT / "run_all.py"), "--benchmark", "megc2019", "--methods", "liong2019",
             "--profile", "paper", "--seed", "0", "--seeds", str(SEEDS), "--fold-parallel", str(FOLD_PARALLEL),
             "--data-root", data_root, "--out", str(out / option)]
            + set_arguments(overrides) + (["--estimate"] if estimate else []) + list(extra or []))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True, help="the released inputs (a clone of HTNet's repository)")
    parser.add_argument("--out", required=True, type=Path, help="the folder of the runs, one subfolder an option")
    parser.add_argument("--options", default=",".join(MATLAB_ABLATIONS),
                        help=f"comma-separated, of {', '.join([*MATLAB_ABLATIONS, BASELINE])} (default: all but "
                             f"{BASELINE})")
    parser.add_argument("--estimate", action="store_true", help="time each run, train nothing")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args(argv)
    options = [name.strip() for name in args.options.split(",") if name.strip()]
    unknown = [name for name in options if name != BASELINE and name not in MATLAB_ABLATIONS]
    if unknown or not options:
        print(f"--options {args.options}: expected names among {', '.join([*MATLAB_ABLATIONS, BASELINE])}",
              file=sys.stderr)
        return 2
    failed = 0
    for option in options:
        cmd = command(option, data_root=args.data_root, out=args.out, estimate=args.estimate, extra=extra)
        print(f"[{option}] {shlex.join(cmd)}", flush=True)
        if args.dry_run:
            continue
        code = subprocess.call(cmd, cwd=ROOT)
        print(f"[{option}] exit status {code}; runs in {args.out / option}", flush=True)
        failed = failed or code
    return failed


if __name__ == "__main__":
    sys.exit(main())
