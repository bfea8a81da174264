"""A run on the authors' released inputs, shipped fold by fold into the repository as it goes, and resumed from
there on any machine: a seed that does not finish in one session keeps every fold it finished.

A session lasts hours and its machine (with its run folders) is often not kept, while one seed of a real run takes
hours; so each fold that finishes is written into ``docs/predictions/<run>.folds/<fold>.json`` (:func:`ship_fold`:
the fold record without weights or machine paths; its per-epoch test classes one digit string a clip;
probabilities and histories at :data:`DIGITS` significant digits), committed with the session's work, and a later
run starts by writing those folds into its own folder as the fold records its runner reuses (:func:`seed_folds`:
the fingerprint, which hashes the data root, rebuilt for this machine with ``runner.fold_fingerprint``). Only
folds of the same paper, experiment, profile, seed, config hash (``--set`` included) and clips are taken, with
the counts, true classes, databases and subjects this run's selection gives (what the runner checks before it
reuses a record: a fold it would train again is said so here, before any work);
:func:`ship_conflict` names the first shipped fold of another run in one line. :func:`run_and_ship` runs the
suite's own command in its own process and ships its finished folds every :data:`POLL_SECONDS`.

Used by ``benchmarks/gpu_check.py`` (HTNet's released run on a card) and ``benchmarks/reproduce.py`` (any method,
recipe and seed on the CPU). The format itself (writing a fold, checking and reading one back) is
``common.evaluation.shipped_folds``, which the results site reads too.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common.estimate.units import duration
from common.files import open_in_place
# The format (shared with the results site): common.evaluation.shipped_folds.
from common.evaluation.shipped_folds import BASE_FIELDS, read_shipped_fold, ship_fold, unship_fold

POLL_SECONDS = 15.0  # how often a running run's finished folds are shipped (run_and_ship)


def run_name(paper: str, profile: str, seed: int, name: str = "") -> str:
    """A run's name in docs/predictions (``<paper>-<profile>-seed<k>``, as runs.json names the CSVs), with
    ``-<name>`` where a run of other settings (``--set``) is told apart by one."""
    return f"{paper}-{profile}-seed{seed}" + (f"-{name}" if name else "")


def train_sha256(keys: list[str]) -> str:
    """The digest of a fold's training keys, in order (what a shipped fold records of its training part)."""
    import hashlib

    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


def fold_plan(paper_id: str, experiment: Any, run: Any, folder: Path | None = None) -> dict:
    """What a run of ``experiment`` under ``run`` (``common.running.profiles.RunSpec``) will make, nothing trained:
    the folder its runner writes (``--paper``'s: ``common.orchestration.run_folders``; or ``folder``, where the
    command gives the runner its folder, as a benchmark does: ``<out>/benchmark/<track>/<method>/seed<k>``), the
    kind of run recorded beside it (None with ``folder``: a benchmark records none), the
    ``base`` of its fold records and each fold's fingerprint, training-keys digest and what the selection decides of
    its record (``runner.fold_facts``: counts, test samples, their databases, subjects and true classes). The runner's
    own steps (``common.running.runner``): the databases, the selection and its checks, the folds."""
    from common.evaluation.splits import check_folds
    from common.orchestration.run_folders import paper_folder, run_kind
    from common.running.corpus import load_datasets
    from common.running.preflight import split
    from common.running.profiles import config_hash
    from common.running.runner import fold_facts, fold_fingerprint, selection_inputs
    from common.running.screening import screen_selection

    config = run.config(experiment)
    selection = experiment.select(load_datasets(experiment, run.root, loader=run.loader), config)
    selection, _, _ = screen_selection(paper_id, experiment, selection, run.root, faces_policy=run.faces_policy)
    folds = check_folds(split(paper_id, experiment, config, selection, run.seed), len(selection), partition=False)
    base = {"paper": paper_id, "experiment": experiment.name, "profile": run.profile, "seed": int(run.seed),
            "config_hash": config_hash(config), "data_root": str(Path(run.root).resolve())}
    kind: dict[str, Any] | None = None
    if folder is None:
        kind = run_kind(run)
        folder = paper_folder(run.out, paper_id, kind) / experiment.name
    keys = [s.key for s in selection.samples]
    inputs = selection_inputs(selection)  # every frame file stat'ed once, not once a fold
    return {"folder": str(folder), "kind": kind, "base": base,
            "clips": len(selection), "classes": len(selection.class_names),
            "folds": {fold.name: {"fingerprint": fold_fingerprint(base, selection, fold, inputs),
                                  "train_sha256": train_sha256([keys[i] for i in fold.train]),
                                  **fold_facts(selection, fold)} for fold in folds}}


def ship_conflict(ship_dir: Path, plan: dict) -> str:
    """Why the folds shipped in ``ship_dir`` are another run's than ``plan``'s (another profile, seed or config
    hash), so that neither may be added to the other, or ``""``."""
    for path in sorted(Path(ship_dir).glob("*.json")):
        shipped, _ = read_shipped_fold(path)
        if shipped is None:
            continue
        differs = [f"{k} {shipped[k]!r} != {plan['base'][k]!r}" for k in BASE_FIELDS if shipped[k] != plan["base"][k]]
        if differs:
            return (f"{path} is another run's fold ({', '.join(differs)}): move that folder away, or give another "
                    "--ship folder")
    return ""


def seed_folds(ship_dir: Path, plan: dict, *, epochs: bool) -> tuple[list[str], list[str]]:
    """Write every shipped fold of ``ship_dir`` that is ``plan``'s into the run's folder (``plan["folder"]/folds``),
    as the fold record its runner reuses (:func:`unship_fold`: this machine's data root and fingerprint), unless a
    record the runner reuses is there already. ``epochs``: the run records the epoch gauge's per-epoch test
    predictions, so a fold shipped without them is trained again (the same training, which the gauge does not
    touch: a seed shipped before the gauge was kept gets its per-epoch record by a rerun, each fold's file replaced
    as it lands). Returns (the folds written, one line per shipped fold not taken and why: it is retrained)."""
    from common.evaluation.records import load_fold_record
    from common.files import write_json_atomic
    from common.orchestration.run_folders import KIND_FILE, record_kind

    folder = Path(plan["folder"])
    written, skipped = [], []
    for path in sorted(Path(ship_dir).glob("*.json")):
        shipped, problem = read_shipped_fold(path)
        fold = plan["folds"].get(path.stem)
        if shipped is not None:
            problem = _not_taken(shipped, fold, plan, epochs=epochs)
        if problem:
            skipped.append(f"{path.name}: {problem}; the fold is trained again")
            continue
        assert shipped is not None and fold is not None
        target = folder / "folds" / path.name
        stored, _ = load_fold_record(target)
        if stored is not None and stored["fingerprint"] == fold["fingerprint"] and stored["status"] != "failed":
            continue  # the run's own record of the fold: the runner reuses it
        if plan["kind"] is not None and not (folder.parent / KIND_FILE).is_file():
            record_kind(folder.parent, plan["kind"])
        write_json_atomic(target, unship_fold(shipped, plan["base"]["data_root"], fold["fingerprint"]))
        written.append(shipped["fold"])
    return written, skipped


def _not_taken(shipped: dict, fold: dict | None, plan: dict, *, epochs: bool) -> str:
    """Why :func:`seed_folds` does not take a shipped fold that reads well, or ``""``."""
    from common.running.runner import stored_fold_problem

    if fold is None:
        return "this run has no such fold"
    if any(shipped[k] != plan["base"][k] for k in BASE_FIELDS):
        return "it was made with another profile, seed or config"
    if shipped["train_sha256"] != fold["train_sha256"]:
        return "its training clips are not this run's"
    problem = stored_fold_problem(shipped, fold, plan["classes"])  # what the runner checks before it reuses a record
    if problem:
        return problem
    if epochs and shipped["epoch_classes"] is None:
        return "it was shipped without the epoch gauge's per-epoch record, which this run keeps"
    return ""


def skipped_lines(skipped: list[str], most: int = 5) -> list[str]:
    """What a resumed run prints of :func:`seed_folds`' folds not taken: the first ``most`` lines, then how many
    more (a gauged rerun of a seed shipped without the gauge trains all 68 again, each for the same reason)."""
    more = len(skipped) - most
    return skipped[:most] + ([f"... and {more} more shipped fold(s) not taken, trained again"] if more > 0 else [])


def resume_line(ship_dir: Path, plan: dict, written: list[str], skipped: list[str]) -> str:
    """The line a resumed run prints after :func:`seed_folds`: the folds written into the run's folder, and those
    already there as the run's own records (a second call on the same machine), which the runner reuses too."""
    shipped = sum(1 for _ in Path(ship_dir).glob("*.json")) if Path(ship_dir).is_dir() else 0
    there = shipped - len(written) - len(skipped)
    line = f"resumed from {ship_dir}: {len(written)} shipped fold(s) written into {plan['folder']}"
    return line + (f", {there} already in the run's folder (reused)" if there else "")


def export_folds(plan: dict, ship_dir: Path) -> list[tuple[str, str]]:
    """Ship every finished fold of the run's folder (``plan["folder"]/folds``) into ``ship_dir`` (:func:`ship_fold`,
    one ``<fold>.json`` each, compact JSON): the folds of this run (``plan``'s fingerprints) that did not fail.
    Returns (fold, note) for each fold whose file is new or changed; the note, where this replaces a shipped file of
    the same clips (a gauged rerun of a fold shipped without the gauge), says how the two predict (the same
    training, so the same classes are expected); where it replaces a file that is no shipped fold (damaged, edited),
    says why that file was not one; else ``""``."""
    from common.evaluation.records import load_fold_record
    from common.files import atomic_write

    shipped_now = []
    for path in sorted((Path(plan["folder"]) / "folds").glob("*.json")):
        record, _ = load_fold_record(path)
        fold = plan["folds"].get(path.stem)
        if (record is None or fold is None or record["fingerprint"] != fold["fingerprint"]
                or record["status"] == "failed"):
            continue
        text = json.dumps(ship_fold(record, fold["train_sha256"]), separators=(",", ":"), allow_nan=False) + "\n"
        target = Path(ship_dir) / path.name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        previous, problem = read_shipped_fold(target) if target.exists() else (None, "")
        note = f"replaces a file that is not a shipped fold ({problem})" if problem else ""
        if previous is not None and previous["keys"] == record["keys"]:
            other, clips = sum(a != b for a, b in zip(previous["y_pred"], record["y_pred"])), len(record["y_pred"])
            how = (f"{other} of {clips} clip(s) predicted otherwise" if other
                   else "the same class on its one clip" if clips == 1 else f"the same class on all {clips} clips")
            note = f"replaces the shipped file: {how}"
        Path(ship_dir).mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as handle:
            handle.write(text)
        shipped_now.append((record["fold"], note))
    return shipped_now


def shipped_summary(ship_dir: Path, plan: dict) -> str:
    """"N of F folds (M clips)" of ``plan``'s run shipped in ``ship_dir``, with their pooled last-epoch UF1 / UAR."""
    from common.evaluation import metrics

    records, unread = [], []
    for path in sorted(Path(ship_dir).glob("*.json")):
        shipped, problem = read_shipped_fold(path)
        if shipped is None:
            unread.append(f"{path.name} {problem}")
        elif shipped["fold"] == path.stem and shipped["fold"] in plan["folds"]:
            records.append(unship_fold(shipped, "", ""))
    clips = sum(len(r["y_pred"]) for r in records)
    line = f"{len(records)} of {len(plan['folds'])} folds ({clips} of {plan['clips']} clips)"
    if unread:
        line += f" ({len(unread)} file(s) left out: {unread[0]})"
    scored = [r for r in records if r["status"] == "ok" and r["y_pred"]]
    if scored:
        pooled = metrics.scores([v for r in scored for v in r["y_true"]], [v for r in scored for v in r["y_pred"]],
                                plan["classes"])
        line += f": last epoch UF1 {pooled['uf1']:.4f} / UAR {pooled['uar']:.4f} pooled over them"
    return line


def stop_process(process: subprocess.Popen) -> None:
    """Stop a run and its workers (its process group): Ctrl-C, as a user would, then a kill 30 s later."""
    for sig, wait in ((signal.SIGINT, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def keep_niceness(pid: int) -> None:
    """Give the session of process ``pid`` (started with ``start_new_session``) this process's niceness. Under
    Linux's autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) a new session is weighed as a whole
    against the others, whatever its processes' nice value: a seed started under ``nice -n 19`` beside a test run
    took as much of the cores as the tests did. Written to ``/proc/<pid>/autogroup``; where there is none (another
    system, autogroup off), nothing."""
    niceness = os.nice(0)
    if niceness <= 0:
        return
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(niceness), encoding="ascii")
    except OSError:
        pass


def run_and_ship(command: list[str], plan: dict, ship_dir: Path, log_path: Path, *, cwd: Path,
                 time_limit: float = 0.0) -> tuple[int, bool, float]:
    """Run ``command`` (the suite's own, which writes ``plan``'s run) in its own process group, its output into
    ``log_path``, shipping its finished folds into ``ship_dir`` every :data:`POLL_SECONDS` and once more at the
    end (:func:`export_folds`; a line printed for each). ``time_limit`` seconds (0: none) stops it as Ctrl-C would
    (:func:`stop_process`; the folds finished are kept). Returns (its exit status, whether the time limit stopped
    it, the wall seconds)."""
    started = time.perf_counter()
    stopped = False
    try:
        fd = open_in_place(log_path, os.O_WRONLY | os.O_APPEND)  # a link planted there is refused, never followed
    except OSError as exc:
        print(f"{log_path}: cannot write the run's log there ({exc.strerror or exc}); expected a regular file or "
              "none", file=sys.stderr)
        return 2, False, 0.0
    os.ftruncate(fd, 0)
    with os.fdopen(fd, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        keep_niceness(process.pid)
        while process.poll() is None:
            left = time_limit - (time.perf_counter() - started) if time_limit else POLL_SECONDS
            if left <= 0:
                stopped = True
                print(f"time limit of {time_limit:.0f} s reached: stopping the run", flush=True)
                stop_process(process)
                break
            try:
                process.wait(timeout=min(POLL_SECONDS, left))
            except subprocess.TimeoutExpired:
                pass
            for fold, note in export_folds(plan, ship_dir):
                print(f"  shipped fold {fold} ({duration(time.perf_counter() - started)})"
                      + (f"; {note}" if note else ""), flush=True)
    for fold, note in export_folds(plan, ship_dir):
        print(f"  shipped fold {fold}" + (f"; {note}" if note else ""), flush=True)
    code = process.returncode if process.returncode is not None else 1
    return code, stopped, time.perf_counter() - started
