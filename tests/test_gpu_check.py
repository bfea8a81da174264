"""benchmarks/gpu_check.py --tiny: the one command for a GPU machine still runs, here on the CPU."""
from __future__ import annotations

import json
import re
import os
from pathlib import Path

import pytest

RELEASED = os.environ.get("MERSUITE_RELEASED", "")
needs_released = pytest.mark.skipif(not (RELEASED and (Path(RELEASED) / "htnet").is_dir()),
                                    reason="MERSUITE_RELEASED does not name a folder holding the authors' released "
                                           "htnet/ (.ci/run sets it where ../shared/released exists)")
SHIPPED_HTNET = Path(__file__).resolve().parent.parent / "docs" / "predictions" / "wang2024-paper-seed0.folds"


def test_gpu_check_tiny_runs_every_part_and_prints_the_table(smoke_corpus, capfd):
    from benchmarks import gpu_check

    # the session's smoke corpus and preprocessing cache (tests/conftest.py): the check's own code, not the faces
    # again; its main() in this process, which starts the measuring child and run_all.py as the command does
    code = gpu_check.main(["--tiny", "--data-root", str(smoke_corpus)])
    out, err = capfd.readouterr()
    assert code == 0, err[-2000:] + out[-2000:]
    lines = out.splitlines()
    model = next(line for line in lines if line.startswith("aouayeb2019/region_cnn_3"))
    fit_rate, device_rate = (float(v.replace(",", "")) for v in model.split()[-2:])
    assert fit_rate > 0 and device_rate > 0
    run = next(line for line in lines if line.startswith("aouayeb2019/megc2019_loso"))
    assert run.split()[1] == "1" and run.split()[-1] == "0"  # one fold measured, run_all.py exit 0


# ---------------------------------------------------------------------------------------------
# Part 4's shipping: each finished fold into docs/predictions/<run>.folds/ as it goes, and the resume from there

def _record(fold="sub01", epochs=((0, 1, 2), (1, 1, 2), (2, 1, 0))):
    """A fold record as the runner writes it (``common.running.fold_jobs.fold_record``), three test clips."""
    keys = [f"casme2/{fold}/clip{i}" for i in range(3)]
    return {"schema": "mersuite.fold/1", "paper": "wang2024", "experiment": "megc2019_loso", "profile": "paper",
            "seed": 0, "config_hash": "4995a6370e43a538", "data_root": "/somewhere/htnet", "fold": fold,
            "fingerprint": "0123456789abcdef", "status": "ok", "reason": "", "seconds": 55.123,
            "seconds_by_fold": 54.9, "finished": "2026-11-26T10:00:00", "n_train": 439, "n_test": 3,
            "test_indices": [4, 5, 6], "keys": keys, "datasets": ["casme2"] * 3, "subjects": [fold] * 3,
            "y_true": [2, 1, 0], "y_pred": list(epochs[-1]),
            "probabilities": [[0.1234567891, 0.2, 0.6765432109], [0.3, 0.6, 0.1], [0.5, 0.25, 0.25]],
            "history": {"loss": [1.0986122886681098, 0.5, None], "accuracy": [0.33, 0.5, 0.75]},
            "parameters": {"htnet": 139582982}, "cache": {"flow": {"hits": 3}}, "max_rss_mb": 4321.0,
            "trained_on": {"device": "GPU: NVIDIA H200", "backend": "jax 0.7.2, keras 3.12.0"},
            "extra": {"epoch_predictions": {"model": "htnet", "y_pred": [list(e) for e in epochs]},
                      "points": {"detector": "mtcnn", "fallback": 2},
                      "flagged": [{"key": k, "reason": "no face found", "stage": "points"} for k in keys[:2]],
                      "timing": {"fit_seconds": 51.0}}}


def test_a_shipped_fold_is_the_record_without_weights_or_paths_and_reads_back(tmp_path):
    from benchmarks import gpu_check

    record = _record()
    shipped = gpu_check.ship_fold(record, "feed")
    # compact: one string of class digits per test clip, one digit an epoch; no machine path, no fingerprint
    assert shipped["epoch_classes"] == ["012", "111", "220"] and shipped["epoch_model"] == "htnet"
    assert not {"data_root", "fingerprint", "cache", "max_rss_mb"} & set(shipped)
    assert shipped["flagged"] == [{"stage": "points", "reason": "no face found", "keys": record["keys"][:2]}]
    assert shipped["probabilities"][0][0] == 0.123457 and shipped["history"]["loss"] == [1.09861, 0.5, None]
    assert shipped["list_keys"] == record["keys"]  # CASME II: the public list's names are the loaders'
    assert shipped["trained_on"] == record["trained_on"]  # the device and backend that trained it, kept
    smic = gpu_check.ship_fold({**record, "keys": ["smic/s1/s1_ne_01", "smic/s1/s1_po_02", "smic/s1/s1_sur_01"]}, "")
    assert smic["list_keys"] == ["smic/s01/s01_ne_01", "smic/s01/s01_po_02", "smic/s01/s01_sur_01"]
    (tmp_path / "sub01.json").write_text(gpu_check.json.dumps(shipped))
    (back,) = gpu_check.load_shipped_folds(tmp_path)
    expected = {k: v for k, v in record.items() if k not in ("cache", "max_rss_mb")}
    expected.update(data_root="", fingerprint="", probabilities=shipped["probabilities"], history=shipped["history"])
    assert back == expected
    # a fold shipped before list_keys were written reads back the same
    (tmp_path / "sub01.json").write_text(gpu_check.json.dumps({k: v for k, v in shipped.items() if k != "list_keys"}))
    assert gpu_check.load_shipped_folds(tmp_path) == [expected]

    # a file that is not a shipped fold is refused in one line naming it; so is a fold under another file's name
    for name, text in (("sub02.json", "{"), ("sub03.json", gpu_check.json.dumps({**shipped, "epoch_classes": ["01"]})),
                       ("sub05.json", gpu_check.json.dumps({**shipped, "list_keys": ["casme2/sub01/other"] * 3})),
                       ("sub06.json", gpu_check.json.dumps({**shipped, "trained_on": {"device": 3}})),
                       ("sub07.json", gpu_check.json.dumps({**shipped, "trained_on": "H200"}))):
        (tmp_path / name).write_text(text)
        try:
            gpu_check.load_shipped_folds(tmp_path)
            raise AssertionError(f"{name} was read")
        except ValueError as exc:
            assert str(exc).startswith(str(tmp_path / name)), exc
        (tmp_path / name).unlink()
    (tmp_path / "sub04.json").write_text(gpu_check.json.dumps(shipped))
    try:
        gpu_check.load_shipped_folds(tmp_path)
        raise AssertionError("sub01's fold was read twice")
    except ValueError as exc:
        assert "sub04.json" in str(exc) and "'sub01'" in str(exc)


def test_a_resumed_run_reuses_the_shipped_folds_and_gives_the_whole_runs_predictions(dummy_corpus, tmp_path,
                                                                                      monkeypatch):
    import dataclasses
    import shutil

    import dummy_paper
    from benchmarks import gpu_check
    from common.running import profiles, runner

    # the gauge's bootstrap is tests/test_epoch_selection.py's; here the records it reads are compared, and the tie
    # rule the experiment names is the one its gauge is given
    monkeypatch.setattr(runner, "epoch_selection", lambda records, results, ties: {"status": "n/a", "ties": ties})
    experiment = dataclasses.replace(dummy_paper.EXPERIMENTS[0], run_fold=dummy_paper.gauged_centroid_fold,
                                     best_epoch_ties="latest")
    folder = f"dummy/{experiment.name}"

    def run(root, out):
        spec = profiles.resolve_run(data_root=root, profile="quick", out=out, loader=dummy_paper.load)
        return spec, gpu_check.fold_plan("dummy", experiment, spec)

    # the whole run, every fold trained, shipped as it finished (a card's run: export_folds while it goes)
    spec, plan = run(dummy_corpus, tmp_path / "whole")
    whole = runner.run_experiment("dummy", experiment, spec)
    assert json.loads((tmp_path / "whole" / folder / "results.json").read_text())["epoch_selection"] == \
        {"status": "n/a", "ties": "latest"}
    # the plan's fingerprints are the runner's own (the resume rebuilds them on another machine)
    assert {r["fold"]: r["fingerprint"] for r in whole.records} == {f: v["fingerprint"]
                                                                   for f, v in plan["folds"].items()}
    ship = tmp_path / "docs" / "dummy-quick-seed0.folds"
    assert sorted(f for f, _ in gpu_check.export_folds(plan, ship)) == sorted(plan["folds"])
    assert gpu_check.export_folds(plan, ship) == []  # shipped once: a fold already there is not written again
    kept = sorted(plan["folds"])[:2]
    for name in sorted(plan["folds"])[2:]:  # a run that stopped after two folds
        (ship / f"{name}.json").unlink()
    assert gpu_check.shipped_summary(ship, plan).startswith(f"2 of {len(plan['folds'])} folds (")

    # another machine: the same inputs at another path; the two shipped folds are written into its run's folder and
    # reused, the others trained, and the shipped folder then holds them all
    moved = shutil.copytree(dummy_corpus, tmp_path / "elsewhere")
    spec, plan = run(moved, tmp_path / "resumed")
    written, skipped = gpu_check.seed_folds(ship, plan, epochs=True)
    assert written == kept and skipped == []
    dummy_paper.HOOKS["ran"].clear()
    resumed = runner.run_experiment("dummy", experiment, spec)
    assert dummy_paper.HOOKS["ran"] == set(plan["folds"]) - set(kept)  # the shipped folds were not trained again
    assert (tmp_path / "resumed" / folder / "predictions.csv").read_bytes() == \
        (tmp_path / "whole" / folder / "predictions.csv").read_bytes()
    assert [r["extra"] for r in resumed.records] == [r["extra"] for r in whole.records]  # the epochs, read back
    assert sorted(f for f, _ in gpu_check.export_folds(plan, ship)) == sorted(set(plan["folds"]) - set(kept))
    assert [r["y_pred"] for r in gpu_check.load_shipped_folds(ship)] == [r["y_pred"] for r in whole.records]
    # every fold in: the run's predictions.csv beside its folds byte for byte, and its per-epoch record, which with it
    # gives back each fold's epochs
    from common.evaluation import epoch_selection
    from common.leaderboard import site

    # labelled as the site labels the run's folds (the package's published row: HTNet's "HTNet, paper")
    monkeypatch.setattr(site, "run_label", lambda registry, method, recipe: f"Dummy net, {recipe}")
    note = gpu_check.ship_complete_run(plan, ship)
    assert "dummy-quick-seed0.csv" in note and "dummy-quick-seed0.epochs.csv" in note
    # and its runs.json entry, so that the README's tables and figure score the finished run: its folds' machines, the
    # folds' seconds, the config hash its folds share
    (entry,) = json.loads((ship.parent / "runs.json").read_text())["runs"]
    assert entry["file"] == "dummy-quick-seed0.csv" and entry["epochs"] == "dummy-quick-seed0.epochs.csv"
    assert (entry["method"], entry["recipe"], entry["seed"], entry["label"]) == ("dummy", "quick", 0,
                                                                                 "Dummy net, quick")
    assert entry["folds"] == len(plan["folds"])
    assert entry["machine"].startswith(f"Trained on {len(plan['folds'])} folds")
    assert f"Its folds (config hash {plan['base']['config_hash']}) ran on the trees" in entry["machine"]
    assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"]) and entry["command"].startswith("run_all.py --paper dummy")
    assert (ship.parent / "dummy-quick-seed0.csv").read_bytes() == \
        (tmp_path / "resumed" / folder / "predictions.csv").read_bytes()
    back = epoch_selection.records_of_files(ship.parent / "dummy-quick-seed0.csv",
                                            ship.parent / "dummy-quick-seed0.epochs.csv")
    assert [r["extra"]["epoch_predictions"]["y_pred"] for r in back] == \
        [r["extra"]["epoch_predictions"]["y_pred"] for r in whole.records]

    # a shipped fold of another config is neither reused nor added to
    spec, other = run(moved, tmp_path / "other")
    other["base"]["config_hash"] = "another"
    assert "config_hash" in gpu_check.ship_conflict(ship, other)
    assert gpu_check.seed_folds(ship, other, epochs=True)[0] == []


def test_the_released_part_alone_needs_the_released_inputs(tmp_path, capsys):
    from benchmarks import gpu_check

    assert gpu_check.main(["--released-only"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "gpu_check: --released-only and --fill-points need --released DIR (HTNet's tree, or a folder holding it)"]
    assert gpu_check.main(["--released-only", "--released", str(tmp_path / "none")]) == 2
    assert "no such folder" in capsys.readouterr().err


@needs_released
def test_the_released_runs_plan_takes_every_shipped_htnet_fold(tmp_path):
    """What a lent card's run does first (part 4, before anything trains): its plan on the authors' released
    inputs, as the tree now makes it, takes every fold shipped in docs/predictions/wang2024-paper-seed0.folds/ (the
    same run: config hash, training clips and test clips), so that none is trained again there. A change to
    HTNet's config, the released loader, the selection or the folds that breaks the resume fails here, on the CPU,
    instead of costing a card session's minutes."""
    from benchmarks import gpu_check

    assert gpu_check.main(["--plan-json", str(tmp_path / "plan.json"), "--released", str(Path(RELEASED) / "htnet"),
                           "--out", str(tmp_path / "out")]) == 0
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan["clips"] == 442 and len(plan["folds"]) == 68
    shipped = sorted(p.stem for p in SHIPPED_HTNET.glob("*.json"))
    assert shipped and set(shipped) <= set(plan["folds"])
    assert gpu_check.ship_conflict(SHIPPED_HTNET, plan) == ""
    written, skipped = gpu_check.seed_folds(SHIPPED_HTNET, plan, epochs=True)
    assert skipped == [] and sorted(written) == shipped


@needs_released
def test_a_join_of_the_shipped_fold_records_on_the_public_list_finds_their_clips():
    """Every shipped fold record names its clips as the composite's public list does too (``list_keys``): joined on
    it, each folder of the 68 folds finds all 442 clips with their classes, and a partial one (HTNet's) finds every
    clip it holds."""
    from helpers import public_list

    public = public_list(RELEASED)
    folders = sorted(SHIPPED_HTNET.parent.glob("*.folds"))
    assert SHIPPED_HTNET in folders and len(folders) > 1
    for folder in folders:
        paths, joined = sorted(folder.glob("*.json")), set()
        for path in paths:
            shipped = json.loads(path.read_text(encoding="utf-8"))
            assert [public.get(k) for k in shipped["list_keys"]] == shipped["y_true"], path  # each found, its class
            joined |= set(shipped["list_keys"])
        assert len(paths) < 68 or len(joined) == 442, folder


def test_the_finished_released_runs_line_leads_with_partial_unless_every_fold_is_in():
    """gpu_check's last line gave a run with failed or missing folds its pooled numbers as the composite's, the word
    partial nowhere (only its counts); it now leads with PARTIAL and the clips scored."""
    from benchmarks import gpu_check

    plan = {"folds": ["casme2_sub01", "casme2_sub02"], "clips": 442}
    summary = {"metrics": {"pooled": {"all": {"uf1": 0.7, "uar": 0.6, "n": 9}}}, "selection": {"flagged": []},
               "folds": [{"status": "ok"}, {"status": "failed"}]}
    line = gpu_check.finished_line(plan, summary)
    assert line.startswith("PARTIAL run (1 of 2 folds ok, 9 of 442 clips scored), not comparable with the published")
    whole = {**summary, "folds": [{"status": "ok"}] * 2}
    assert gpu_check.finished_line(plan, whole).startswith("wang2024 paper on the authors' released inputs (real, "
                                                           "442 clips): pooled UF1 0.7000 / UAR 0.6000, the last epoch")
