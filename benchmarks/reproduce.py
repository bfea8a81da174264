#!/usr/bin/env python
"""One seed of a method's recipe on the authors' released inputs of the MEGC 2019 composite, shipped fold by fold
into the repository as it goes and resumed from there, so that a seed longer than a session is never lost.

    .venv/bin/python benchmarks/reproduce.py --method liong2019 --recipe paper --seed 4 \\
        --data-root /work/shared/released/htnet --out reports/repro --time-limit 9000
    .venv/bin/python benchmarks/reproduce.py --method liong2019 --recipe paper --seed 0 --name glorot \\
        --set model.initializer=glorot_uniform --data-root /work/shared/released/htnet --out reports/repro

Why: a seed is 68 leave-one-subject-out folds and takes 1 to 3 hours on two shared cores (STSTNet's ``paper`` and
``port`` recipes, OFF-ApexNet's ``paper``), while a session lasts about 3 hours and its machine, with its run
folders, is often not kept. Here every fold that finishes goes into
``docs/predictions/<method>-<recipe>-seed<k>[-<name>].folds/<fold>.json`` (``benchmarks/shipped_folds.py``: the
fold record without weights or paths, its per-epoch test classes one digit string a clip), which the session
commits; the next session, on any machine, runs the same command and trains only the folds still missing.

What it does, in order:

1. the plan, in a child process (a paper's package loads Keras; this process stays small while the run goes):
   the folder the run writes and each fold's fingerprint on this machine (``shipped_folds.fold_plan``);
2. the resume: the folds shipped for this run written into that folder as the records its runner reuses
   (``shipped_folds.seed_folds``). A shipped folder holding another run's fold (another profile, seed or config,
   the ``--set`` options included: the config hash) is refused in one line, before any work;
3. the run: the suite's own command, in the form the shipped runs of ``docs/predictions/runs.json`` were made
   with, ``run_all.py --benchmark megc2019 --methods M --profile R --seed K --fold-parallel N --data-root D
   --out OUT/<run> [--set ...]``, its output in ``OUT/<run>/run.log``; its finished folds shipped every 15 s;
   ``--time-limit S`` stops it after S seconds as Ctrl-C would (the folds finished are kept and shipped);
4. once every fold is in and ok: its predictions.csv copied to ``docs/predictions/<run>.csv`` byte for byte, its
   per-epoch record to ``<run>.epochs.csv``, and, for a recipe as it is (no ``--name``), its entry added to
   ``runs.json`` (``benchmarks/reproductions.py``'s ``collect``), which the README's tables are computed from. A
   named run (``--set``: an option measured against its recipe) gets its two files and no ``runs.json`` entry:
   runs.json's recipes are the profiles as they stand.

The ``--paper M --profile R`` form (how the port recipe's seeds 0 to 2 first ran; their gauged reruns, shipped,
ran in this form) selects the same clips, makes the same
folds, trains each on the same clips in the same order under the same config hash, as this benchmark form does
(the plans compared on the released inputs for liong2019 ``paper`` and ``port`` and gan2019 ``paper``;
the trained predictions not): the same predictions are expected.
Only the experiment's name differs (``megc2019_loso`` against ``megc2019``), which a fold record holds, so that a
folder shipped by one form is refused by the other. ``--set`` needs ``--name``, which names the shipped folder:
folds of other settings never share one. ``--dry-run`` makes the plan, checks the shipped folder and prints the
command; nothing is trained or shipped. Exit status: 0 when every fold finished or the run stopped at its time
limit, 2 for a refusal, else run_all.py's own (1 where it exited 0 with a fold not ok, or the plan failed without
one).

``--no-epoch-gauge`` passes run_all.py's option: the run records no per-epoch test predictions, so it ships no
``<run>.epochs.csv`` and runs.json's command says so (the extra seeds of a recipe's distribution, whose last epoch
is what they are for; STSTNet's MATLAB recipe then takes less than half the time).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import shipped_folds  # noqa: E402  (after the repository is on the path)
from common.estimate.units import duration  # noqa: E402
from common.files import write_text_atomic  # noqa: E402

TRACK = "megc2019"  # the released inputs are the MEGC 2019 composite's
PREDICTIONS = ROOT / "docs" / "predictions"
FOLD_PARALLEL = 8  # the shipped runs' groups of folds trained together (docs/running.md)
NAME = re.compile(r"[a-z0-9_]{1,40}")  # a run's name: part of a file name, and of the results site's entry


def benchmark_plan(paper_id: str, recipe: str, seed: int, data_root: Path, out: Path, sets: list[str], *,
                   registry: Any = None, loader: Any = None, model: str | None = None) -> dict:
    """What ``run_all.py --benchmark megc2019 --methods PAPER --profile RECIPE --seed SEED --set ...`` will make
    under ``out``, nothing trained (``shipped_folds.fold_plan`` on the benchmark's folder
    ``<out>/benchmark/megc2019/<method>/seed<k>``). ``registry`` (default ``papers``), ``loader`` and ``model``
    (the paper's default: None) are the tests'. A bad ``--set``, paper or recipe raises ``common.config``'s
    ``ConfigError``, ``common.errors``' ``RunError`` or a ``KeyError``/``ValueError``, one line each."""
    import importlib

    from common.config import parse_assignments
    from common.datasets import load
    from common.leaderboard.tracks import get_track
    from common.orchestration.leaderboard_runs import Method, benchmark_dir
    from common.running.profiles import resolve_run

    module = (registry or importlib.import_module("papers")).get_paper(paper_id)
    track = get_track(TRACK)
    method = Method(paper_id, module, model)
    experiment = module.benchmark_experiment(track, model)
    run = resolve_run(data_root=data_root, profile=recipe, experiments=(experiment,), out=out, seed=seed,
                      overrides=parse_assignments(sets), loader=loader or load)
    folder = benchmark_dir(track, run) / method.folder / f"seed{int(seed)}"
    return shipped_folds.fold_plan(paper_id, experiment, run, folder=folder)


def run_words(args: argparse.Namespace, *, data_root: str) -> list[str]:
    """``run_all.py``'s arguments of this run, ``--out`` left out (shared by :func:`command` and
    :func:`as_recorded`)."""
    words = ["--benchmark", TRACK, "--methods", args.method, "--profile", args.recipe, "--seed", str(args.seed),
             "--fold-parallel", str(args.fold_parallel), "--data-root", data_root]
    for assignment in args.set:
        words += ["--set", assignment]
    return words + ([] if args.epoch_gauge else ["--no-epoch-gauge"])


def command(args: argparse.Namespace, out: Path) -> list[str]:
    """The suite's own command of this run (step 3 of the module docstring)."""
    return [sys.executable, str(ROOT / "run_all.py"), *run_words(args, data_root=str(args.data_root)),
            "--out", str(out)]


def as_recorded(args: argparse.Namespace) -> str:
    """The command as ``runs.json`` writes its runs' (``run_all.py ...``, the released tree named ``HTNet``)."""
    return (shlex.join(["run_all.py", *run_words(args, data_root="HTNet")])
            + "  (through benchmarks/reproduce.py: shipped fold by fold, resumed across sessions)")


def machine() -> str:
    """This machine in the words of ``runs.json``: cores, architecture, TensorFlow and Keras (read from their
    installed metadata: nothing imported)."""
    from importlib import metadata

    versions = []
    for name, label in (("tensorflow", "TensorFlow"), ("keras", "Keras")):
        try:
            versions.append(f"{label} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"{os.cpu_count()}-core {platform.machine()} CPU" + (f", {' / '.join(versions)}" if versions else "")


def commit() -> str:
    """The commit of the tree this runs on (``git rev-parse HEAD``), or ``unknown``."""
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def label_of(folder: Path, method: str, recipe: str) -> str:
    """The label ``runs.json`` plans for ``method`` and ``recipe`` (its ``planned`` entry), else ``method, recipe``."""
    path = folder / "runs.json"
    planned = json.loads(path.read_text(encoding="utf-8")).get("planned", []) if path.is_file() else []
    return next((p["label"] for p in planned if p["method"] == method and p["recipe"] == recipe),
                f"{method}, {recipe}")


def finish(plan: dict, *, folder: Path, stem: str, method: str, recipe: str, named: bool, recorded: str,
           machine_words: str, tree: str, label: str | None = None) -> str:
    """Step 4 of the module docstring for a run whose every fold is in: ``<stem>.csv`` and ``<stem>.epochs.csv``
    in ``folder``, and for a recipe as it is (not ``named``) its ``runs.json`` entry, labelled ``label`` (default
    :func:`label_of`); the line to print."""
    from benchmarks import reproductions

    run = Path(plan["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    if named:
        epochs = reproductions.copy_run(run, stem, folder)
        return (f"{folder / (stem + '.csv')} written" + (f", with {epochs}" if epochs else "")
                + "; a named run: no runs.json entry (runs.json's recipes are the profiles as they stand)")
    summary = json.loads((run / "results.json").read_text(encoding="utf-8"))
    minutes = summary["seconds"]["folds_total"] / 60
    spec = run.parent / "collect.json"
    write_text_atomic(spec, json.dumps({"commit": tree, "machine": machine_words, "runs": [
        {"run": str(run), "method": method, "recipe": recipe, "label": label or label_of(folder, method, recipe),
         "command": recorded,
         "wall": f"{minutes:.0f} min, summed over its folds' records (a group's time shared by its folds); "
                 "shipped fold by fold and resumed across sessions"}]}, indent=1))
    (entry,) = reproductions.collect(spec, folder)
    return (f"{folder / entry['file']} written" + (f", with {entry['epochs']}" if entry["epochs"] else "")
            + f"; its runs.json entry added ({entry['folds']} of {len(plan['folds'])} folds)")


def complete(plan: dict) -> bool:
    """Whether the run's results.json holds every fold of ``plan``, each ok."""
    path = Path(plan["folder"]) / "results.json"
    if not path.is_file():
        return False
    folds = json.loads(path.read_text(encoding="utf-8")).get("folds", [])
    return sorted(f["name"] for f in folds) == sorted(plan["folds"]) and all(f["status"] == "ok" for f in folds)


def plan_phase(args: argparse.Namespace) -> int:
    """Step 1 in this (child) process: :func:`benchmark_plan` as JSON to ``--plan-json``, or one line and exit 2."""
    from common.config import ConfigError
    from common.errors import RunError

    try:
        plan = benchmark_plan(args.method, args.recipe, args.seed, args.data_root, args.run_out, args.set)
    except (ConfigError, RunError, KeyError, ValueError) as exc:
        print(f"reproduce: {exc}", file=sys.stderr)
        return 2
    write_text_atomic(Path(args.plan_json), json.dumps(plan))
    return 0


def refusal(args: argparse.Namespace) -> str:
    """Why these options cannot run (one line), or ``""``."""
    if args.set and not args.name:
        return ("--set changes the run's numbers: give --name NAME too, which names its shipped folder "
                f"({shipped_folds.run_name(args.method, args.recipe, args.seed, 'NAME')}.folds)")
    if args.name and not NAME.fullmatch(args.name):
        return f"--name {args.name!r}: expected 1 to 40 of a-z, 0-9 and _"
    if args.seed < 0:
        return f"--seed {args.seed}: expected 0 or more"
    if args.fold_parallel < 1:
        return f"--fold-parallel {args.fold_parallel}: expected 1 or more"
    if not args.data_root.is_dir():
        return f"--data-root {args.data_root}: no such folder (the released inputs: a clone of HTNet's repository)"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", required=True, help="the paper id (its default benchmark model), e.g. liong2019")
    parser.add_argument("--recipe", required=True, help="the profile, e.g. paper or port")
    parser.add_argument("--seed", type=int, required=True, help="the seed (one run of 68 folds)")
    parser.add_argument("--data-root", type=Path, required=True, help="the released inputs (HTNet's tree)")
    parser.add_argument("--out", type=Path, required=True, help="where the run's folder OUT/<run> goes")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="a config override, as run_all.py's (needs --name)")
    parser.add_argument("--name", default="", help="the run's name after its seed (needed with --set)")
    parser.add_argument("--fold-parallel", type=int, default=FOLD_PARALLEL,
                        help="folds trained together (default %(default)s; no part of the results)")
    parser.add_argument("--time-limit", type=float, default=0.0,
                        help="stop the run after this many seconds, its finished folds shipped (0: none)")
    parser.add_argument("--folder", type=Path, default=PREDICTIONS,
                        help="the shipped predictions and runs.json (default: %(default)s)")
    parser.add_argument("--ship", type=Path, default=None,
                        help="where the folds are shipped and resumed from (default: FOLDER/<run>.folds)")
    parser.add_argument("--machine", default=None, help="the machine in runs.json's words (default: this one's)")
    parser.add_argument("--no-epoch-gauge", dest="epoch_gauge", action="store_false",
                        help="run_all.py's: no per-epoch test record (no <run>.epochs.csv; the MATLAB "
                             "recipe in less than half the time): for the extra seeds of a distribution")
    parser.add_argument("--dry-run", action="store_true", help="the plan, the resume's check and the command only")
    parser.add_argument("--plan-json", default=None, help=argparse.SUPPRESS)  # step 1, in a child
    parser.add_argument("--run-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plan_json:
        return plan_phase(args)
    problem = refusal(args)
    if problem:
        print(f"reproduce: {problem}", file=sys.stderr)
        return 2
    tree = commit()  # the tree this invocation runs (HEAD may move while it trains)
    stem = shipped_folds.run_name(args.method, args.recipe, args.seed, args.name)
    ship_dir = args.ship or args.folder / f"{stem}.folds"
    out = args.out / stem
    out.mkdir(parents=True, exist_ok=True)
    plan_json = out / "plan.json"
    child = [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:]), "--plan-json", str(plan_json),
             "--run-out", str(out)]
    done = subprocess.run(child, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0 or not plan_json.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        print(tail[0] if tail[0].startswith("reproduce:") else f"reproduce: the plan failed: {tail[0]}",
              file=sys.stderr)
        return done.returncode or 1
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    conflict = shipped_folds.ship_conflict(ship_dir, plan)
    if conflict:
        print(f"reproduce: {conflict}", file=sys.stderr)
        return 2
    run_command = command(args, out)
    if args.dry_run:
        shipped = sum(1 for _ in ship_dir.glob("*.json")) if ship_dir.is_dir() else 0
        print(f"{stem}: {len(plan['folds'])} folds, {shipped} file(s) shipped in {ship_dir}; would run:\n"
              f"$ {shlex.join(run_command[1:])}")
        return 0
    written, skipped = shipped_folds.seed_folds(ship_dir, plan, epochs=args.epoch_gauge)
    print(shipped_folds.resume_line(ship_dir, plan, written, skipped), flush=True)
    for line in shipped_folds.skipped_lines(skipped):
        print(f"  {line}", flush=True)
    print(f"$ {shlex.join(run_command[1:])}  (log: {out / 'run.log'})", flush=True)
    code, stopped, wall = shipped_folds.run_and_ship(run_command, plan, ship_dir, out / "run.log", cwd=ROOT,
                                                     time_limit=args.time_limit)
    summary = shipped_folds.shipped_summary(ship_dir, plan)
    if stopped or code != 0 or not complete(plan):
        last = " | ".join((out / "run.log").read_text(encoding="utf-8").strip().splitlines()[-3:])
        how = (f"stopped at the time limit after {duration(wall)}" if stopped
               else f"run_all.py exit {code}: {last}" if code != 0 else "finished with a fold not ok")
        print(f"{stem}, partial ({how}); shipped in {ship_dir}: {summary}. Commit that folder; the same command "
              "resumes from it", flush=True)
        return 0 if stopped else code or 1
    line = finish(plan, folder=args.folder, stem=stem, method=args.method, recipe=args.recipe, named=bool(args.name),
                  recorded=as_recorded(args), machine_words=args.machine or machine(), tree=tree)
    print(f"{stem}: every fold in (wall {duration(wall)} this session); shipped in {ship_dir}: "
          f"{summary}; {line}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
