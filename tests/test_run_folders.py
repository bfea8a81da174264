"""One folder per kind of run (``common.orchestration.run_folders``) and ``--score`` folders that never replace an
earlier score: the documented liong2019 commands (the authors' weights, the ``paper`` and the ``port`` recipes)
one after another in one ``--out``, each scored against, and nothing overwritten."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dummy_paper
import run_all
from common.orchestration import run_folders
from test_released import random_port_state, fake_htnet
from torch_files import write_legacy_state_dict

KIND = {"profile": "paper", "seed": 0, "corpus": "real", "data_root": "/data/HTNet", "weights": None, "overrides": {}}


def test_the_tag_names_what_makes_a_kind(tmp_path):
    assert run_folders.kind_tag(KIND) == "paper-real"
    weights = {**KIND, "profile": "port", "weights": "/w", "seed": 2, "corpus": "synthetic"}
    assert run_folders.kind_tag(weights) == "port-seed2-weights-synthetic"
    overridden = {**KIND, "overrides": {"train.epochs": "2"}}
    assert run_folders.kind_tag(overridden).startswith("paper-set-")
    assert run_folders.kind_tag(overridden) != run_folders.kind_tag({**overridden, "overrides": {"train.epochs": "3"}})


def test_a_folder_of_another_kind_is_never_taken(tmp_path):
    out = tmp_path / "reports"
    assert run_folders.paper_folder(out, "p", KIND) == out / "p"  # free
    run_folders.record_kind(out / "p", KIND)
    assert run_folders.paper_folder(out, "p", KIND) == out / "p"  # the same kind resumes there
    port = {**KIND, "profile": "port"}
    assert run_folders.paper_folder(out, "p", port) == out / "p-port-real"
    run_folders.record_kind(out / "p-port-real", port)
    other_root = {**port, "data_root": "/elsewhere"}  # the same tag, another corpus folder: numbered
    assert run_folders.paper_folder(out, "p", other_root) == out / "p-port-real-2"
    run_folders.record_kind(out / "p-port-real-2", other_root)
    assert run_folders.paper_folder(out, "p", other_root) == out / "p-port-real-2"
    assert run_folders.paper_folder(out, "p", {**port, "data_root": "/third"}) == out / "p-port-real-3"
    (out / "q").mkdir()
    (out / "q" / run_folders.KIND_FILE).write_text("{not json")  # unreadable: another kind, never written over
    assert run_folders.paper_folder(out, "q", KIND) == out / "q-paper-real"


def test_a_run_json_without_a_kind_is_another_kind_never_taken(tmp_path):
    """A run.json that records no kind ({}, the schema only, a field short) agrees with no run: the folder is another
    kind's, never written into, and what it lacks is said (an empty {} was taken as every run's own)."""
    out = tmp_path / "reports"
    kinds = [{}, {"schema": run_folders.KIND_SCHEMA}, {k: v for k, v in KIND.items() if k != "seed"}]
    for n, stored in enumerate(kinds):
        folder = out / f"p{n}"
        folder.mkdir(parents=True)
        (folder / run_folders.KIND_FILE).write_text(json.dumps(stored))
        assert run_folders.paper_folder(out, f"p{n}", KIND) == out / f"p{n}-paper-real"
    fields = "profile, seed, corpus, data_root, weights, overrides"
    assert run_folders.held_kind(out / "p0") == {
        "profile": f"unreadable run.json (no field {fields}: it records no kind of run)"}
    assert run_folders.held_kind(out / "p2") == {
        "profile": f"unreadable run.json (no field seed: expected the fields {fields})"}


def test_a_paper_run_writes_beside_a_folder_whose_run_json_is_empty(capsys, dummy_corpus, tmp_path):
    """The log line names the folder's run.json and what it lacks; the run writes beside it."""
    out = tmp_path / "reports"
    (out / "dummy").mkdir(parents=True)
    (out / "dummy" / run_folders.KIND_FILE).write_text("{}")
    code = run_all.main(["--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke", "--out", str(out)],
                        registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    log = capsys.readouterr().out
    assert code == 0
    assert (out / "dummy" / run_folders.KIND_FILE).read_text() == "{}"  # never taken, never written over
    assert list((out / "dummy").iterdir()) == [out / "dummy" / run_folders.KIND_FILE]
    line = next(line for line in log.splitlines() if line.startswith(f"[dummy] {out / 'dummy'} holds a run of "))
    reason = "unreadable run.json (no field profile, seed, corpus, data_root, weights, overrides: it records no kind"
    assert f"{reason} of run)" in line and line.endswith(f"; this run writes {out / 'dummy-smoke-real'}")
    assert (out / "dummy-smoke-real" / run_folders.KIND_FILE).is_file()


def test_a_folder_written_before_run_kinds_is_read_for_its_kind(tmp_path):
    out = tmp_path / "reports"
    folds = out / "p" / "exp" / "folds"
    folds.mkdir(parents=True)
    (folds / "f.json").write_text(json.dumps({"profile": "quick", "seed": 0, "data_root": "/data/HTNet"}))
    quick = {**KIND, "profile": "quick", "data_root": "/data/HTNet"}
    assert run_folders.paper_folder(out, "p", quick) == out / "p"  # its own resumes as before
    assert run_folders.paper_folder(out, "p", KIND) == out / "p-paper-real"
    (out / "p" / "exp" / "results.json").write_text(json.dumps(
        {"profile": "quick", "seed": 0, "corpus": {"kind": "real", "root": "/data/HTNet"},
         "overrides": {"train.weights": "/w"}}))
    assert run_folders.paper_folder(out, "p", quick) == out / "p-quick-real"  # it was a weights run


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".json", ".csv")}


def test_the_documented_liong2019_commands_and_scores_overwrite_nothing(tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet")
    weights = tmp_path / "STSTNet_Weights"
    weights.mkdir()
    for subject in ("sub01", "sub02", "s01", "s02", "006", "007"):
        write_legacy_state_dict(weights / f"{subject}.pth", random_port_state(1))
    out = tmp_path / "reports"
    small = ["--set", "evaluation.max_folds=1", "--set", "train.epochs=1"]  # the same small run for each recipe
    base = ["--paper", "liong2019", "--data-root", str(root), "--out", str(out), *small]
    commands = {"weights": ["--profile", "port", "--weights", str(weights)], "paper": [], "port": ["--profile", "port"]}
    folders = {}
    for name, options in commands.items():
        assert run_all.main(base + options) == 0, capsys.readouterr().err
        log = capsys.readouterr().out
        folders[name] = Path(next(line.split("results ")[1].split(" (tables")[0] for line in log.splitlines()
                                  if line.startswith("liong2019: results "))).parent
    assert folders["weights"] == out / "liong2019"  # the first run takes the plain folder, as before
    assert len(set(folders.values())) == 3 and all(f.parent == out for f in folders.values())
    assert folders["paper"].name.startswith("liong2019-paper-") and folders["port"].name.startswith("liong2019-port-")
    kinds = {name: json.loads((f / run_folders.KIND_FILE).read_text()) for name, f in folders.items()}
    assert kinds["weights"]["weights"] == str(weights.resolve()) and kinds["port"]["weights"] is None
    before = {name: _files(f) for name, f in folders.items()}
    # each recipe's predictions scored against each run: three scores of files named alike, none replaced
    source = folders["weights"] / "megc2019_loso" / "predictions.csv"
    scores = []
    for folder in folders.values():
        code = run_all.main(["--score", str(source), "--partial", "--benchmark", "megc2019", "--data-root", str(root),
                             "--out", str(out), "--against", str(folder / "megc2019_loso")])
        assert code == 0, capsys.readouterr().err
        line = next(x for x in capsys.readouterr().out.splitlines() if "results.json" in x and "[score" in x)
        scores.append(Path(line.split("] ")[1].split(",")[0]).parent)
    assert [s.name for s in scores] == ["predictions", "predictions-2", "predictions-3"]
    against = [json.loads((s / "results.json").read_text())["against_folder"] for s in scores]
    assert against == [str((f / "megc2019_loso").resolve()) for f in folders.values()]
    assert {name: _files(f) for name, f in folders.items()} == before  # no run's file changed
    # the same score again lands in its own folder (replaced by itself only)
    assert run_all.main(["--score", str(source), "--partial", "--benchmark", "megc2019", "--data-root", str(root),
                         "--out", str(out), "--against", str(folders["paper"] / "megc2019_loso")]) == 0
    assert "predictions-2/results.json" in capsys.readouterr().out
    assert not (scores[0].parent / "predictions-4").exists()


def test_a_benchmark_folder_from_before_run_json_is_read_for_its_kind(tmp_path):
    """A benchmark folder without ``run.json`` (written before benchmarks recorded one) is read for its kind from its
    results.json, or from a method's fold record (``benchmarks/reproduce.py`` seeds shipped folds before the run):
    one of another profile is never taken, one of this kind is resumed."""
    bench = tmp_path / "benchmark" / "megc2019"
    kind = {**KIND, "seed": None}
    bench.mkdir(parents=True)
    (bench / "results.json").write_text(json.dumps({"schema": "mersuite.benchmark/1", "profile": "port",
                                                    "corpus": {"kind": "real", "root": "/data/HTNet"},
                                                    "overrides": {}}))
    assert run_folders.benchmark_folder(tmp_path, "megc2019", kind) == bench.with_name("megc2019-paper-real")
    assert run_folders.benchmark_folder(tmp_path, "megc2019", {**kind, "profile": "port"}) == bench
    (bench / "results.json").unlink()
    folds = bench / "liong2019" / "seed0" / "folds"
    folds.mkdir(parents=True)
    (folds / "s01.json").write_text(json.dumps({"profile": "paper", "data_root": "/data/HTNet"}))
    assert run_folders.benchmark_folder(tmp_path, "megc2019", kind) == bench
    assert run_folders.benchmark_folder(tmp_path, "megc2019", {**kind, "profile": "quick"}) == bench.with_name(
        "megc2019-quick-real")
