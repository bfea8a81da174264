"""benchmarks/reproduce.py: one seed on the released inputs, shipped fold by fold into the repository as it goes and
resumed from there on another machine. Here the dummy paper's Keras-free method on the megc2019 track, run as the
command reproduce.py starts runs it (``run_all.py --benchmark megc2019 --methods ...``: ``run_benchmark``), in this
process."""
from __future__ import annotations

import dataclasses
import json
import shutil
import types

import pytest


def _method():
    """A dummy benchmark method whose folds' predictions depend on the seed and carry a per-epoch record."""
    import dummy_paper

    def benchmark_experiment(track, model=None):
        return dataclasses.replace(dummy_paper.benchmark_experiment(track, "centroid"),
                                   run_fold=dummy_paper.gauged_centroid_fold)

    return types.SimpleNamespace(benchmark_experiment=benchmark_experiment, BENCHMARK_MODELS=())


@pytest.mark.dummy_databases("casme2", "samm", "megc2019")
def test_a_seed_shipped_as_it_goes_resumes_elsewhere_trains_only_the_missing_folds_and_is_collected(
        dummy_corpus, tmp_path, monkeypatch):
    import dummy_paper
    from benchmarks import reproduce, reproductions, shipped_folds
    from common.leaderboard.tracks import MEGC2019
    from common.orchestration import leaderboard_runs
    from common.orchestration.paper_runs import RunSettings
    from common.running import runner

    # the gauge's bootstrap and the report are other tests'; here the folds, their files and the collection
    monkeypatch.setattr(runner, "epoch_selection", lambda records, results, ties: {"status": "n/a"})
    monkeypatch.setattr(leaderboard_runs, "write_report", lambda bench, path: path.write_bytes(b""))
    module = _method()
    registry = types.SimpleNamespace(get_paper=lambda paper_id: module)

    def plan_of(root, out, sets=()):
        return reproduce.benchmark_plan("dummy", "smoke", 1, root, out, list(sets), registry=registry,
                                        loader=dummy_paper.load)

    def run(root, out):
        settings = RunSettings(data_root=root, loader=dummy_paper.load, profile="smoke", seed=1, out=out)
        leaderboard_runs.run_benchmark(MEGC2019, [("dummy", module, None)], settings, n_resamples=20)

    # the whole seed, every fold shipped as it finished: the plan names the benchmark's folder and fingerprints
    plan = plan_of(dummy_corpus, tmp_path / "whole")
    run(dummy_corpus, tmp_path / "whole")
    whole = tmp_path / "whole" / "benchmark" / "megc2019" / "dummy" / "seed1"
    assert plan["folder"] == str(whole) and plan["kind"] is None
    stored = {p.stem: json.loads(p.read_text())["fingerprint"] for p in (whole / "folds").glob("*.json")}
    assert stored == {name: fold["fingerprint"] for name, fold in plan["folds"].items()} and len(stored) == 4
    docs = tmp_path / "docs"
    ship = docs / "dummy-smoke-seed1.folds"
    assert sorted(f for f, _ in shipped_folds.export_folds(plan, ship)) == sorted(plan["folds"])
    kept = sorted(plan["folds"])[:2]
    for name in sorted(plan["folds"])[2:]:  # the session ended after two folds
        (ship / f"{name}.json").unlink()

    # the next session, another machine: the inputs at another path; only the two missing folds are trained
    moved = shutil.copytree(dummy_corpus, tmp_path / "elsewhere")
    plan = plan_of(moved, tmp_path / "resumed")
    assert shipped_folds.seed_folds(ship, plan, epochs=True) == (kept, [])
    # a second call on the same machine finds them in the run's folder: none written, and the line says why
    again = shipped_folds.seed_folds(ship, plan, epochs=True)
    assert again == ([], []) and "2 already in the run's folder" in shipped_folds.resume_line(ship, plan, *again)
    assert not reproduce.complete(plan)
    dummy_paper.HOOKS["ran"].clear()
    run(moved, tmp_path / "resumed")
    assert dummy_paper.HOOKS["ran"] == set(plan["folds"]) - set(kept)
    assert sorted(f for f, _ in shipped_folds.export_folds(plan, ship)) == sorted(set(plan["folds"]) - set(kept))
    assert reproduce.complete(plan)

    # every fold in: predictions.csv byte for byte and the per-epoch record as the whole run's, runs.json's entry
    line = reproduce.finish(plan, folder=docs, stem="dummy-smoke-seed1", method="dummy", recipe="smoke", named=False,
                            recorded="run_all.py --benchmark megc2019 ...", machine_words="a test", tree="feed")
    assert "runs.json entry added (4 of 4 folds)" in line, line
    assert (docs / "dummy-smoke-seed1.csv").read_bytes() == (whole / "predictions.csv").read_bytes()
    (tmp_path / "copy").mkdir()
    assert reproductions.copy_run(whole, "whole", tmp_path / "copy") == "whole.epochs.csv"
    assert (docs / "dummy-smoke-seed1.epochs.csv").read_bytes() == (tmp_path / "copy" / "whole.epochs.csv").read_bytes()
    (entry,) = json.loads((docs / "runs.json").read_text())["runs"]
    assert (entry["file"], entry["epochs"], entry["seed"], entry["folds"]) == (
        "dummy-smoke-seed1.csv", "dummy-smoke-seed1.epochs.csv", 1, 4)

    # another --set is another config: its folds are refused in one line, never mixed
    other = plan_of(moved, tmp_path / "other", ["train.epochs=3"])
    assert other["base"]["config_hash"] != plan["base"]["config_hash"]
    conflict = shipped_folds.ship_conflict(ship, other)
    assert "config_hash" in conflict and "\n" not in conflict
    assert shipped_folds.seed_folds(ship, other, epochs=True)[0] == []

    # a fold shipped without the per-epoch record (a seed shipped before the gauge was kept): a run without the
    # gauge reuses it; a gauged run trains it again and its new file, with the record, replaces the shipped one
    first = ship / f"{kept[0]}.json"
    original = json.loads(first.read_text())
    assert original["epoch_classes"] is not None
    bare = {**original, "epoch_model": None, "epoch_classes": None}
    first.write_text(json.dumps(bare))
    assert shipped_folds.seed_folds(ship, plan_of(moved, tmp_path / "ungauged"), epochs=False) == (
        sorted(plan["folds"]), [])
    gauged = plan_of(moved, tmp_path / "gauged")
    written, skipped = shipped_folds.seed_folds(ship, gauged, epochs=True)
    assert written == sorted(set(plan["folds"]) - {kept[0]}) and len(skipped) == 1
    assert skipped[0] == (f"{kept[0]}.json: it was shipped without the epoch gauge's per-epoch record, which this "
                          "run keeps; the fold is trained again"), skipped
    assert shipped_folds.skipped_lines(skipped * 68) == skipped * 5 + [
        "... and 63 more shipped fold(s) not taken, trained again"]
    assert shipped_folds.skipped_lines(skipped) == skipped
    dummy_paper.HOOKS["ran"].clear()
    run(moved, tmp_path / "gauged")
    assert dummy_paper.HOOKS["ran"] == {kept[0]}
    assert shipped_folds.export_folds(gauged, ship) == [
        (kept[0], f"replaces the shipped file: the same class on all {len(original['y_pred'])} clips")]
    assert json.loads(first.read_text())["epoch_classes"] == original["epoch_classes"]

    # a shipped fold whose true classes were changed is not taken (the runner would not reuse it either), nor one
    # whose counts were
    # a rerun that predicts otherwise than the file it replaces says so as it ships it (the first clip's
    # probabilities rolled by one class, its class with them); so does one that replaces a file that is no shipped
    # fold (the class edited alone: no longer its probabilities' arg-max)
    moved_class = {"y_pred": [(c + 1) % 3 for c in original["y_pred"][:1]] + original["y_pred"][1:]}
    row = original["probabilities"][0]
    first.write_text(json.dumps({**original, **moved_class, "probabilities": [row[-1:] + row[:-1]]
                                 + original["probabilities"][1:]}))
    assert shipped_folds.export_folds(gauged, ship) == [
        (kept[0], f"replaces the shipped file: 1 of {len(original['y_pred'])} clip(s) predicted otherwise")]
    first.write_text(json.dumps({**original, **moved_class}))
    ((fold, note),) = shipped_folds.export_folds(gauged, ship)
    assert (fold, note.split(" (")[0]) == (kept[0], "replaces a file that is not a shipped fold"), note
    assert "'y_pred' gives class" in note
    n_train, n_test = original["n_train"], original["n_test"]
    for change, why in (({"y_true": [(c + 1) % 3 for c in original["y_true"]]},
                         "its true classes are not the selection's labels"),
                        ({"n_train": n_train + 1}, f"it counts {n_train + 1} training and {n_test} test samples, "
                                                   f"the fold {n_train} and {n_test}"),
                        ({"subjects": ["someone"] + original["subjects"][1:]},
                         "its databases or subjects are not the selection's")):
        first.write_text(json.dumps({**original, **change}))
        written, skipped = shipped_folds.seed_folds(ship, plan_of(moved, tmp_path / "changed"), epochs=True)
        assert kept[0] not in written and skipped == [f"{kept[0]}.json: {why}; the fold is trained again"], skipped


def test_options_that_cannot_run_are_refused_in_one_line(tmp_path, capsys):
    from benchmarks import reproduce

    base = ["--method", "liong2019", "--recipe", "paper", "--seed", "0", "--data-root", str(tmp_path), "--out",
            str(tmp_path / "out")]
    for extra, expected in ((["--set", "model.initializer=glorot_uniform"], "give --name NAME too"),
                            (["--name", "Glorot-1"], "--name 'Glorot-1': expected"),
                            (["--fold-parallel", "0"], "--fold-parallel 0")):
        assert reproduce.main(base + extra) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("reproduce: ") and expected in err[0], err
    assert reproduce.main(base[:-4] + ["--data-root", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written before the refusal


def test_no_epoch_gauge_reaches_the_run_and_the_recorded_command(tmp_path):
    import argparse

    from benchmarks import reproduce

    args = argparse.Namespace(method="liong2019", recipe="paper", seed=4, fold_parallel=8, data_root=tmp_path,
                              set=[], epoch_gauge=False)
    assert reproduce.command(args, tmp_path / "out")[-3] == "--no-epoch-gauge"
    assert "--no-epoch-gauge  (through" in reproduce.as_recorded(args)
    gauged = argparse.Namespace(**{**vars(args), "epoch_gauge": True})
    assert "--no-epoch-gauge" not in reproduce.command(gauged, tmp_path / "out")
    assert "--no-epoch-gauge" not in reproduce.as_recorded(gauged)


def test_a_shipped_fold_is_read_bounded_and_a_link_or_deep_file_is_refused_in_a_few_words(tmp_path):
    from common.evaluation.shipped_folds import MAX_SHIPPED_BYTES, read_shipped_fold

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    shipped, why = read_shipped_fold(deep)
    assert shipped is None and why.startswith("is not a JSON shipped fold") and "\n" not in why
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_SHIPPED_BYTES + 1))
    assert read_shipped_fold(big)[0] is None and str(MAX_SHIPPED_BYTES) in read_shipped_fold(big)[1]
    (tmp_path / "link.json").symlink_to(deep)
    assert read_shipped_fold(tmp_path / "link.json") == (None, "is not a regular file")
    (tmp_path / "other.json").write_text('{"schema": "mersuite.shipped-fold/1"}')
    assert "missing" in read_shipped_fold(tmp_path / "other.json")[1]


def test_the_queue_of_every_missing_run_is_shared_by_workers_without_overlap(tmp_path):
    from benchmarks import reproduce_all
    from papers.liong2019.config import MATLAB_ABLATIONS

    plan = [{"method": "liong2019", "recipe": "paper", "label": "p", "seeds": [0, 1, 3, 4, 5]},
            {"method": "liong2019", "recipe": "paper", "name": "fixed_subset", "label": "f", "seeds": [0, 4]},
            {"method": "gan2019", "recipe": "paper", "label": "g", "seeds": [0, 1]}]
    runs = [{"file": "liong2019-paper-seed0.csv", "epochs": None, "method": "liong2019", "recipe": "paper", "seed": 0},
            {"file": "liong2019-paper-seed1.csv", "epochs": None, "method": "liong2019", "recipe": "paper", "seed": 1},
            {"file": "liong2019-paper-seed4.csv", "epochs": None, "method": "liong2019", "recipe": "paper", "seed": 4},
            {"file": "liong2019-paper-seed0-fixed_subset.csv", "epochs": None, "method": "liong2019",
             "recipe": "paper", "seed": 0, "name": "fixed_subset"},
            {"file": "gan2019-paper-seed0.csv", "epochs": "gan2019-paper-seed0.epochs.csv", "method": "gan2019",
             "recipe": "paper", "seed": 0}]
    (tmp_path / "runs.json").write_text(json.dumps({"planned": plan, "runs": runs}))
    for run in runs:
        (tmp_path / run["file"]).write_text("")
    (tmp_path / "gan2019-paper-seed0.epochs.csv").write_text("")
    (tmp_path / "liong2019-paper-seed1-glorot.csv").write_text("")
    (tmp_path / "liong2019-paper-seed1.folds").mkdir()  # shipped fold by fold without the gauge: rerun with it
    every = dict(reproduce_all.queue(tmp_path))
    left = dict(reproduce_all.share(tmp_path, 1, 0))
    # the planned seeds not shipped: the MATLAB recipe's seed 5 without the gauge, seed 3 and gan2019's with it
    assert left["liong2019-paper-seed5.csv"][-1] == "--no-epoch-gauge"
    assert "--no-epoch-gauge" not in left["liong2019-paper-seed3.csv"] + left["gan2019-paper-seed1.csv"]
    # each option over seeds 0 to 2, without the gauge, first of all; the one shipped is done
    assert list(every)[0] == "liong2019-paper-seed0-fixed_subset.csv"
    assert list(every)[3 * len(MATLAB_ABLATIONS)] == "liong2019-paper-seed0.csv"
    assert "liong2019-paper-seed1-glorot.csv" in every and "liong2019-paper-seed1-glorot.csv" not in left
    assert left["liong2019-paper-seed2-glorot.csv"][-4:] == ["--name", "glorot", "--set",
                                                            "model.initializer=glorot_uniform"]
    assert left["liong2019-paper-seed2-fixed_subset_glorot.csv"][-8:] == [
        "--name", "fixed_subset_glorot", "--set", "train.shuffle_once=true", "--set", "train.drop_partial_batch=true",
        "--set", "model.initializer=glorot_uniform"]
    # a planned option's seed: its name and --set values, the extra seed without the gauge
    assert left["liong2019-paper-seed4-fixed_subset.csv"][6:] == [
        "--no-epoch-gauge", "--name", "fixed_subset", "--set", "train.shuffle_once=true", "--set",
        "train.drop_partial_batch=true"]
    # the gauged rerun of a shipped seed without its per-epoch record, its folds shipped or not (a gauged run trains
    # a fold shipped without the record again), not of an extra seed, one that has it or an option's
    assert "--no-epoch-gauge" not in left["liong2019-paper-seed0.epochs.csv"] + left["liong2019-paper-seed1.epochs.csv"]
    assert not {"liong2019-paper-seed4.epochs.csv", "gan2019-paper-seed0.epochs.csv",
                "liong2019-paper-seed0-fixed_subset.epochs.csv"} & set(every)
    # two workers: disjoint shares of the whole queue, together every run left; started after a run finished, a
    # worker's share is still the same part of the queue
    shares = [dict(reproduce_all.share(tmp_path, 2, k)) for k in (0, 1)]
    assert not set(shares[0]) & set(shares[1]) and set(shares[0]) | set(shares[1]) == set(left)
    (tmp_path / next(iter(shares[0]))).write_text("")
    assert dict(reproduce_all.share(tmp_path, 2, 1)) == shares[1]


def test_a_worker_count_or_number_out_of_range_is_refused_in_one_line(tmp_path, capsys):
    from benchmarks import reproduce_all

    assert reproduce_all.main(["--data-root", str(tmp_path), "--out", str(tmp_path), "--workers", "0"]) == 2
    assert capsys.readouterr().err.strip() == "reproduce_all: --workers 0: expected 1 or more"
    assert reproduce_all.main(["--data-root", str(tmp_path), "--out", str(tmp_path), "--workers", "2",
                               "--worker", "2"]) == 2
    assert capsys.readouterr().err.strip() == "reproduce_all: --worker 2: expected 0 to 1"


def test_a_queue_with_every_run_shipped_says_so(tmp_path, capsys):
    """Nothing left to run is said in one line, not an empty output (``--dry-run`` too); nothing is started."""
    from benchmarks import reproduce_all
    from papers.liong2019.config import MATLAB_ABLATIONS

    (tmp_path / "runs.json").write_text(json.dumps({"planned": [], "runs": []}))
    for seed in reproduce_all.ABLATION_SEEDS:
        for option in MATLAB_ABLATIONS:
            (tmp_path / f"liong2019-paper-seed{seed}-{option}.csv").write_text("")
    for dry in ([], ["--dry-run"]):
        assert reproduce_all.main(["--data-root", str(tmp_path), "--out", str(tmp_path), "--folder", str(tmp_path),
                                   *dry]) == 0
        assert capsys.readouterr().out.strip() == (
            f"reproduce_all: nothing to run: all {3 * len(MATLAB_ABLATIONS)} runs of worker 0's share (of 1) are "
            f"shipped in {tmp_path}")


def test_a_run_started_under_nice_keeps_it_in_its_own_session(monkeypatch):
    """The run goes into a session of its own (so that a stop reaches its workers); under autogroup scheduling that
    session gets the niceness the command was started with, not the default share of the cores."""
    import os
    import subprocess
    from pathlib import Path

    from benchmarks import shipped_folds

    process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        group = Path(f"/proc/{process.pid}/autogroup")
        if not group.is_file():
            pytest.skip("no autogroup scheduling here (/proc/<pid>/autogroup): nothing to keep")
        assert group.read_text().split()[-1] == "0"
        monkeypatch.setattr(os, "nice", lambda increment: 13)  # this process, as if started under nice -n 13
        shipped_folds.keep_niceness(process.pid)
        assert group.read_text().split()[-1] == "13"
    finally:
        process.kill()
        process.wait()
