"""The benchmark: a smoke benchmark of two dummy methods through run_all.py, its rerun, the
shared-folds check, the cost counters, and the statistics helper it adds (common_samples)."""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import time
import types
from pathlib import Path

import numpy as np
import pytest

import dummy_paper
import run_all
from common.errors import RunError
from common.evaluation import statistics as st
from common.leaderboard.report import save_leaderboard_png
from common.leaderboard import TRACK_NAMES
from common.leaderboard.tracks import MEGC2019, TRACKS
from common.orchestration import leaderboard_runs as bench_run
from common.orchestration.paper_runs import RunSettings
from common.preprocessing import cache
from papers import PAPER_IDS

REPO = Path(__file__).resolve().parent.parent

# the dummy paper's databases, with the MEGC composite a track reads (the dummy_corpus fixture)
pytestmark = pytest.mark.dummy_databases("casme2", "samm", "megc2019")




def cli(capsys, *argv):
    code = run_all.main(list(argv), registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    out, err = capsys.readouterr()
    return code, out, err


def test_smoke_benchmark_two_methods_then_rerun_reuses_every_fold(capsys, dummy_corpus, tmp_path, monkeypatch):
    # a cache of its own: the first fold must compute every clip (another test of the session may have cached the
    # dummy corpus's identical clips in the shared one)
    monkeypatch.setenv("MERSUITE_CACHE", str(tmp_path / "cache"))
    out_dir = tmp_path / "out"
    argv = ["--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--profile", "smoke", "--out", str(out_dir),
            "--methods", "dummy,dummy:centroid", "--max-folds", "2"]
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    bench = out_dir / "benchmark" / "megc2019"
    assert (bench / "report.pdf").read_bytes().startswith(b"%PDF")
    assert f"benchmark megc2019: report {bench / 'report.pdf'}" in out
    summary = json.loads((bench / "results.json").read_text())
    assert summary["schema"] == "mersuite.benchmark/1" and summary["profile"] == "smoke"
    assert summary["n_folds"] == 2 and summary["max_folds"] == 2 and summary["seeds"] == [0]
    assert summary["n_folds_protocol"] > 2  # the track's own count: this run is partial, and the report says so
    # and so does each method's closing line, with what its numbers are
    (line,) = [x for x in out.splitlines() if x.startswith("[benchmark megc2019] dummy: UF1")]
    assert f"(pooled over folds; 95% CI over subjects; folds 2 of {summary['n_folds_protocol']} (partial run" in line
    assert "; nothing selected on the test data; profile smoke, corpus" in line
    methods = {m["name"]: m for m in summary["methods"]}
    # what the report draws beyond the scores: every scope's confusion, each fold's scores, the training curves
    dummy = methods["dummy"]
    assert set(dummy["confusion_by_scope"]) == {"all", "casme2"}
    assert np.sum(dummy["confusion_by_scope"]["casme2"]) == dummy["scores"]["casme2"]["uf1"]["n"]
    assert list(dummy["per_fold"]) == ["casme2_sub01", "casme2_sub02"]
    assert sum(f["n"] for f in dummy["per_fold"].values()) == dummy["scores"]["all"]["uf1"]["n"]
    assert dummy["curves"]["folds"] == 2 and {"loss", "test accuracy"} <= set(dummy["curves"]["curves"])
    assert "test accuracy" not in methods["dummy:centroid"]["curves"]["curves"]  # no per-epoch predictions
    assert list(methods) == ["dummy", "dummy:centroid"]
    # every method saw the same two folds with the same test samples (paired statistics)
    folds = {}
    for name, folder in (("dummy", "dummy"), ("dummy:centroid", "dummy-centroid")):
        run_dir = bench / folder / "seed0"
        assert (run_dir / "predictions.csv").exists() and (run_dir / "results.json").exists()
        records = [json.loads(p.read_text()) for p in sorted((run_dir / "folds").glob("*.json"))]
        folds[name] = [(r["fold"], sorted(r["keys"])) for r in records]
        assert all("cache" in r and r["max_rss_mb"] > 0 and isinstance(r["trained_on"], dict) for r in records)
    assert folds["dummy"] == folds["dummy:centroid"] and [f for f, _ in folds["dummy"]] == ["casme2_sub01",
                                                                                               "casme2_sub02"]
    # the nearest-centroid method is perfect on these well-separated features: an interval of exactly [1, 1]
    centroid = methods["dummy:centroid"]["scores"]["all"]
    for metric in ("uf1", "uar"):
        assert centroid[metric]["pooled"] == 1.0
        assert (centroid[metric]["interval"]["low"], centroid[metric]["interval"]["high"]) == (1.0, 1.0)
        assert centroid[metric]["aggregation"] == "pooled over folds" and centroid[metric]["fold_mean"] == 1.0
        assert centroid[metric]["interval"]["n_resamples"] == 2000 and centroid[metric]["n_subjects"] == 2
    # only casme2 subjects were tested in the first two folds: no samm scope, no invented numbers
    assert set(methods["dummy"]["scores"]) == {"all", "casme2"}
    # cost, measured in the same run: parameters, seconds, inference and cache (first pass vs cached)
    cost = methods["dummy:centroid"]["cost"]
    assert cost["parameters_total"] == 6 and methods["dummy"]["cost"]["parameters_total"] == 2 * 3 + 3 + 3 * 3 + 3
    assert cost["predict_ms_per_clip"] is not None and cost["fold_seconds"] is not None
    assert cost["cache_stages"]["dummy_features"]["misses"] == 24  # the first fold computes every clip once
    assert cost["cache_stages"]["dummy_features"]["hits"] == 24  # the second reads them all
    assert cost["preprocess_seconds_per_clip_first"] > 0 and cost["preprocess_seconds_per_clip_cached"] > 0
    assert "Keras backend" in summary["device"]
    # the settings that differ from the paper profile (quick-only inputs would show here)
    assert {d["setting"] for d in methods["dummy"]["differs_from_paper"]} == {"model.units", "train.epochs"}
    assert methods["dummy"]["reported"][0]["value"] == 0.7  # the paper's own number beside ours
    # paired comparison matrix and chance level
    pairwise = summary["statistics"]["pairwise"]["uf1"]
    assert pairwise["methods"] == ["dummy", "dummy:centroid"] and np.shape(pairwise["p_value"]) == (2, 2)
    assert pairwise["difference"][0][1] == pytest.approx(-pairwise["difference"][1][0])
    # each pair's p recorded as at the least its permutations give, or not, as the comparison found it (a bound)
    permutations = summary["statistics"]["settings"]["n_resamples"]
    randomized = 2 ** pairwise["n_subjects"] > permutations
    at_floor = randomized and pairwise["p_value"][0][1] <= 2 / (permutations + 1) + 1e-12
    assert pairwise["p_at_floor"][0][1] == pairwise["p_at_floor"][1][0] == at_floor
    chance = summary["statistics"]["chance"]["all"]["uar"]
    assert chance["low"] < 1 / 3 < chance["high"]
    # leaderboard: methods ranked, then the published reference row, marked as such
    rows = list(csv.DictReader((bench / "leaderboard.csv").open()))
    assert rows[0]["method"] == "dummy:centroid" and rows[0]["rank"] == "1" and rows[0]["scope"] == "all"
    published = [(r["method"], r["scope"], r["uf1"]) for r in rows if r["kind"] == "published, not run by us"]
    # the composite's published rows (common/evaluation/published.json) and the dummy package's own, each once
    assert ("LBP-TOP", "all", "0.5882") in published and ("Dummy-Handcrafted", "casme2", "0.7026") in published
    assert len(published) == len(set((m, scope) for m, scope, _ in published))
    # the epoch-selection gauge: two columns for the network (smoke: one epoch, so no inflation), "n/a" for
    # the method without epochs, in results.json and leaderboard.csv
    gauge = methods["dummy"]["epoch_selection"][0]
    assert gauge["status"] == "measured" and gauge["epochs"] == {"min": 1, "max": 1}
    assert methods["dummy:centroid"]["epoch_selection"][0]["status"] == "n/a"
    by_method = {r["method"]: r for r in rows if r["kind"] == "run by us" and r["scope"] == "all"}
    for selection in ("best_epoch_per_fold", "best_single_epoch"):
        assert float(by_method["dummy"][f"{selection}_uf1"]) == pytest.approx(methods["dummy"]["scores"]["all"]["uf1"]
                                                                              ["pooled"])
        assert float(by_method["dummy"][f"{selection}_uf1_inflation"]) == 0.0
        assert by_method["dummy:centroid"][f"{selection}_uf1"] == ""
    assert by_method["dummy:centroid"]["epoch_selection_note"].startswith("n/a: 2 of 2 scored folds hold no per-epoch")
    predictions = list(csv.DictReader((bench / "predictions.csv").open()))
    assert len(predictions) == 2 * 12 and {r["method"] for r in predictions} == {"dummy", "dummy:centroid"}
    # the same command again: every fold of every method is reused, nothing trains, same numbers
    dummy_paper.reset_hooks()
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    assert not dummy_paper.HOOKS["ran"]
    assert out.count("finished earlier") == 4
    rerun = json.loads((bench / "results.json").read_text())
    assert rerun["statistics"] == summary["statistics"]


def test_the_estimate_of_a_benchmark_projects_the_folds_max_folds_keeps(capsys, dummy_corpus):
    """--estimate projects the folds the run would train: with --max-folds 2, two of the track's folds."""
    argv = ["--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--profile", "smoke", "--methods", "dummy",
            "--estimate"]
    code, whole, err = cli(capsys, *argv)
    assert code == 0, err
    code, two, err = cli(capsys, *argv, "--max-folds", "2")
    assert code == 0, err
    assert "ignored" not in err
    counts = [int(re.search(r"work: .*?(\d+) folds", text).group(1)) for text in (whole, two)]
    assert counts[0] > 2 and counts[1] == 2


def test_seeds_give_mean_std_and_a_crossed_interval(dummy_corpus, tmp_path):
    settings = RunSettings(data_root=dummy_corpus, loader=dummy_paper.load, profile="smoke", seed=3,
                           out=tmp_path / "out")
    bench = bench_run.run_benchmark(MEGC2019, [("dummy", dummy_paper, "centroid")], settings, seeds=2, max_folds=2,
                                    n_resamples=200)
    method = bench.summary["methods"][0]
    assert method["seeds"] == [3, 4] and [r["seed"] for r in method["runs"]] == [3, 4]
    uf1 = method["scores"]["all"]["uf1"]
    assert uf1["per_seed"] == [1.0, 1.0] and uf1["seed_std"] == 0.0 and uf1["n_runs"] == 2
    assert uf1["interval"]["unit"] == "subjects x seeds (crossed)"
    assert (tmp_path / "out" / "benchmark" / "megc2019" / "dummy-centroid" / "seed4" / "results.json").exists()
    assert bench.summary["statistics"]["pairwise"] == {}  # one method: nothing to compare
    png = save_leaderboard_png(bench, tmp_path / "leaderboard.png", dpi=40)
    assert png.read_bytes().startswith(b"\x89PNG")


def _reversed_folds_paper():
    """A method whose folds are the track's in reverse order: the benchmark must refuse it."""
    def benchmark_experiment(track, model=None):
        experiment = dummy_paper.benchmark_experiment(track, "centroid")
        return dataclasses.replace(experiment, folds=lambda s, c, seed: track.folds(s, seed)[::-1])

    return types.SimpleNamespace(benchmark_experiment=benchmark_experiment, BENCHMARK_MODELS=("reversed",),
                                 PAPER=dummy_paper.PAPER)


def test_a_method_with_other_folds_is_refused_before_training(dummy_corpus, tmp_path):
    settings = RunSettings(data_root=dummy_corpus, loader=dummy_paper.load, profile="smoke", out=tmp_path / "out")
    methods = [("dummy", dummy_paper, "centroid"), ("other", _reversed_folds_paper(), None)]
    with pytest.raises(RunError, match="other does not see the same folds as dummy:centroid"):
        bench_run.run_benchmark(MEGC2019, methods, settings)
    assert not dummy_paper.HOOKS["ran"]


def test_the_stored_predictions_are_checked_too():
    def result(keys):
        record = {"fold": "f1", "keys": keys, "y_pred": [0] * len(keys)}
        return types.SimpleNamespace(records=(record,))

    bench_run._check_records({"a": result(["x", "y"]), "b": result(["y", "x"])}, 0)  # order within a fold is free
    with pytest.raises(RunError, match="b .seed 0. tested other samples than a in fold 'f1'"):
        bench_run._check_records({"a": result(["x", "y"]), "b": result(["x", "z"])}, 0)


@pytest.mark.parametrize("argv, expected", [
    (["--benchmark", "nosuch"], "unknown benchmark track 'nosuch'; tracks: megc2019, megc2019_hde"),
    (["--benchmark", "megc2019", "--methods", "dummy:nosuch"], "paper 'dummy' has no benchmark model 'nosuch'; "
                                                                "its models: mlp, centroid"),
    (["--benchmark", "megc2019", "--methods", "nosuch"], "unknown paper 'nosuch'"),
    (["--benchmark", "megc2019", "--seeds", "0"], "--seeds 0: expected 1 or more"),
    # a method named twice is refused before anything runs or is estimated (the estimate projected it twice)
    (["--benchmark", "megc2019", "--methods", "dummy,dummy", "--estimate"],
     "--methods 'dummy,dummy': method 'dummy' is given twice; expected each method once"),
    (["--benchmark", "megc2019", "--methods", "dummy:centroid,dummy,dummy:mlp"],
     "method 'dummy' is given twice ('dummy' and 'dummy:mlp' are the same method); expected each method once"),
    (["--benchmark", "megc2019", "--paper", "dummy"], "does not go with --paper"),
    (["--paper", "dummy", "--seeds", "2"], "--methods, --seeds and --max-folds go with --benchmark TRACK"),
    (["--benchmark", "megc2019", "--methods", "dummy", "--set", "train.epochz=1"], "no field 'epochz' in TrainConfig"),
])
def test_benchmark_user_errors_are_one_line_and_exit_2(capsys, dummy_corpus, argv, expected):
    code, _, err = cli(capsys, *argv, "--data-root", str(dummy_corpus))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("run_all.py: error: ") and expected in lines[0], err


def test_the_track_names_the_help_lists_are_the_tracks():
    assert TRACK_NAMES == tuple(track.name for track in TRACKS)


def test_common_samples_by_hand():
    a = st.make_predictions([0, 1, 2], [0, 1, 1], ["s1", "s1", "s2"], keys=["k1", "k2", "k3"], source="a")
    same = st.make_predictions([0, 1, 2], [2, 2, 2], ["s1", "s1", "s2"], keys=["k1", "k2", "k3"], source="same")
    runs, left_out = st.common_samples([a, same])
    assert left_out == 0 and runs[0] is a and runs[1] is same
    # b lost k2 (its fold failed) and holds k3 before k1: aligned on k1, k3 in a's order
    b = st.make_predictions([2, 0], [2, 1], ["s2", "s1"], keys=["k3", "k1"], source="b")
    (ra, rb), left_out = st.common_samples([a, b])
    assert left_out == 1
    assert ra.keys.tolist() == rb.keys.tolist() == ["k1", "k3"]
    assert ra.y_pred.tolist() == [0, 1] and rb.y_pred.tolist() == [1, 2] and rb.subjects.tolist() == ["s1", "s2"]
    with pytest.raises(ValueError, match="no sample keys"):
        st.common_samples([st.make_predictions([0], [0], ["s"])])
    with pytest.raises(ValueError, match="'k1' is predicted twice"):
        st.common_samples([st.make_predictions([0, 0], [0, 0], ["s", "s"], keys=["k1", "k1"])])


def test_cache_counts_compute_and_read_seconds(tmp_path):
    before = cache.STATS.snapshot()

    def slow():
        time.sleep(0.02)
        return np.zeros(3)

    cache.cached("bench_stage", {"k": 1}, {}, slow, root=tmp_path)
    cache.cached("bench_stage", {"k": 1}, {}, slow, root=tmp_path)
    delta = cache.stats_delta(before, cache.STATS.snapshot())
    assert set(delta) == {"bench_stage"}
    assert delta["bench_stage"]["misses"] == 1 and delta["bench_stage"]["hits"] == 1
    assert delta["bench_stage"]["compute_seconds"] >= 0.02 > delta["bench_stage"]["read_seconds"] > 0
    # a stage computed inside another's compute() counts for itself only, not twice
    before = cache.STATS.snapshot()

    def outer():
        inner = cache.cached("bench_inner", {"k": 2}, {}, slow, root=tmp_path)
        return inner + 1

    cache.cached("bench_outer", {"k": 2}, {}, outer, root=tmp_path)
    delta = cache.stats_delta(before, cache.STATS.snapshot())
    assert delta["bench_inner"]["compute_seconds"] >= 0.02 > delta["bench_outer"]["compute_seconds"]


def test_references_from_the_papers_table_skip_the_papers_own_row():
    refs = dummy_paper.BENCHMARK_REFERENCES
    assert [r.name for r in refs] == ["Dummy-Handcrafted"] and refs[0].score("uar") == 0.5785
    assert refs[0].to_dict()["kind"] == "published, not run by us" and refs[0].track == "megc2019"


def test_a_package_row_given_already_by_the_published_table_is_left_out_in_one_note(capsys):
    """One source for each published row: a package's ``BENCHMARK_REFERENCES`` row of a name the composite's table
    holds is left out, named, and the table's row stands."""
    from common.evaluation import published
    from common.evaluation.references import references_from_table
    from common.orchestration.cli import _benchmark_references

    again = references_from_table((("LBP-TOP", "[22]", "handcrafted", {"all": (0.1, 0.1)}),), track="megc2019",
                                  source="a copy")
    registry = types.SimpleNamespace(PAPER_IDS=("copycat",), get_paper=lambda _: types.SimpleNamespace(
        BENCHMARK_REFERENCES=again, EXPERIMENTS=()))
    rows = _benchmark_references(registry)
    assert [r.score("uf1") for r in rows if r.name == "LBP-TOP"] == [0.5882]
    assert len(rows) == len(published.REFERENCES)
    assert "copycat: its BENCHMARK_REFERENCES row 'LBP-TOP' is given already" in capsys.readouterr().err


def test_a_published_row_of_a_method_we_run_sits_beside_its_run_row():
    """A reference whose ``runs_as`` names a method of the benchmark is drawn right under that method's
    run row; the others stay at the bottom, marked as not run by us."""
    from common.evaluation.references import references_from_table
    from common.leaderboard import report
    from common.leaderboard import summary as summary_module

    rows = (("LBP-TOP", "[22]", "handcrafted", {"all": (0.5882, 0.5785)}),
            ("ATNet", "[26]", "deep learning", {"all": (0.631, 0.613)}))
    refs = references_from_table(rows, track="megc2019", source="Table 2", runs_as={"LBP-TOP": "lbptop"})
    assert [r.runs_as for r in refs] == ["lbptop", ""]
    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))

    def method(name, uf1):
        score = {"pooled": uf1, "fold_mean": uf1, "interval": {"low": uf1 - 0.1, "high": uf1 + 0.1}}
        return {"name": name, "paper": name, "model": "m", "profile": "quick", "seeds": [0], "cost": cost,
                "reported": [{"metric": "uf1", "value": 0.5882, "scope": "all", "aggregation": "pooled",
                              "source": "Table 2"}] if name == "lbptop" else [],
                "scores": {"all": {"uf1": score, "uar": score}}}

    summary = {"track": {"name": "megc2019", "scopes": ["all"]}, "corpus": {"kind": "synthetic"},
               "methods": [method("lbptop", 0.4), method("other", 0.6)], "references": [r.to_dict() for r in refs]}
    _, table, published = report.leaderboard_rows(summary)
    assert [(row[1], flag) for row, flag in zip(table, published)] == [
        ("other", False), ("lbptop", False), ("LBP-TOP", True), ("ATNet", True)]
    assert "run above" in table[2][3] and table[3][3] == "published, not run by us"
    header = report.leaderboard_rows(summary)[0]
    assert table[1][header.index("paper's\nUF1 / UAR")].startswith("0.588")  # the run row carries the paper's number
    column = header.index("UF1, best epoch per subject\n[95% CI] inflation")
    assert [row[column] for row in table] == ["n/a", "n/a", "", ""]  # runs without a gauge; published rows
    csv_rows = summary_module.leaderboard_rows(summary)
    assert [(r["method"], r["paper"], r["kind"]) for r in csv_rows if r["kind"] != "run by us"] == [
        ("LBP-TOP", "lbptop", "published; our run of it: lbptop"), ("ATNet", "", "published, not run by us")]


def test_the_published_ststnet_row_carries_the_recall_beside_the_published_uar():
    """The published STSTNet row (Liong et al. 2019, Table III; Aouayeb et al.'s Table 2 reprints it as "Liong et
    al."); liong2019 audited it
    (``Reported.recomputed``: the published UAR is macro-precision), so the row the CLI collects keeps
    0.7605 and carries the recall, and the leaderboard (PDF rows, footnote, CSV, JSON) shows both."""
    import papers
    from common.leaderboard import report
    from common.leaderboard import summary as summary_module
    from common.orchestration import cli

    refs = {r.name: r for r in cli._benchmark_references(papers)}
    liong = refs["STSTNet"]
    assert liong.runs_as == "liong2019" and liong.score("uar") == 0.7605 and liong.score("uf1") == 0.7353
    assert liong.recomputed == {"all": {"uar": 0.7186}, "smic": {"uar": 0.6703}, "casme2": {"uar": 0.8190},
                                "samm": {"uar": 0.6415}}
    assert "macro-precision" in liong.recomputed_note
    assert not any(r.recomputed for name, r in refs.items() if name != "STSTNet")  # nobody else audited
    as_json = json.loads(json.dumps(liong.to_dict()))  # the benchmark's results.json
    assert as_json["scores"]["all"] == {"uf1": 0.7353, "uar": 0.7605}
    assert as_json["recomputed"]["all"] == {"uar": 0.7186}

    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))
    score = {"pooled": 0.6, "fold_mean": 0.6, "interval": {"low": 0.5, "high": 0.7}}
    reported = [{"metric": r.metric, "value": r.value, "scope": r.scope, "aggregation": r.aggregation,
                 "source": r.source, "note": r.note, "recomputed": r.recomputed, "recomputed_note": r.recomputed_note}
                for r in papers.get_paper("liong2019").EXPERIMENTS[0].reported]
    summary = {"track": {"scopes": ["all", "smic"]}, "corpus": {"kind": "real"},
               "methods": [{"name": "liong2019", "paper": "liong2019", "model": "ststnet", "profile": "paper",
                            "seeds": [0], "cost": cost, "reported": reported,
                            "scores": {"all": {"uf1": score, "uar": score}}}],
               "references": [liong.to_dict(), refs["LBP-TOP"].to_dict()]}
    header, table, published = report.leaderboard_rows(summary)
    cells = [dict(zip(header, row)) for row in table]
    assert cells[0]["paper's\nUF1 / UAR"] == "0.7353 / 0.7605\u2020"  # our run's paper number, marked
    assert cells[1]["method"] == "STSTNet" and published[1]
    assert cells[1]["UF1 pooled\n[95% CI]"] == "0.7353" and cells[1]["UAR pooled\n[95% CI]"] == "0.7605\u2020"
    assert cells[2]["UAR pooled\n[95% CI]"] == "0.5785"  # LBP-TOP: unmarked
    footnotes = report.recomputed_footnotes(summary)
    assert len(footnotes) == 1  # the run's paper number and the published row: one number, said once
    assert footnotes[0].startswith("\u2020 liong2019 and STSTNet: published UAR 0.7605, recomputed 0.7186")
    assert "macro-precision" in footnotes[0]
    rows = summary_module.leaderboard_rows(summary)
    run = next(r for r in rows if r["kind"] == "run by us")
    assert run["paper_uar"] == 0.7605 and run["recomputed_uar"] == 0.7186 and run["recomputed_uf1"] is None
    published_smic = next(r for r in rows if r["method"] == "STSTNet" and r["scope"] == "smic")
    assert published_smic["uar"] == 0.7013 and published_smic["recomputed_uar"] == 0.6703
    assert "macro-precision" in published_smic["recomputed_note"]
    assert all(r["recomputed_uar"] is None for r in rows if r["method"] == "LBP-TOP")
    assert {"recomputed_uf1", "recomputed_uar", "recomputed_note"} <= set(summary_module.LEADERBOARD_COLUMNS)


def test_a_recomputed_value_reaches_only_the_same_published_number():
    from common.evaluation.references import Reference, references_from_table, with_recomputed
    from common.experiment import Reported

    rows = (("X et al.", "[1]", "hybrid", {"all": (0.70, 0.76), "smic": (0.60, 0.66)}),
            ("Y et al.", "[2]", "hybrid", {"all": (0.70, 0.76)}))
    refs = references_from_table(rows, track="megc2019", source="Table 2", runs_as={"X et al.": "x2019"})
    audit = {"x2019": (Reported("uar", 0.76, "all", recomputed=0.72, recomputed_note="precision, not recall"),
                       Reported("uar", 0.67, "smic", recomputed=0.61, recomputed_note="precision, not recall"),
                       Reported("uf1", 0.70, "all"))}
    x, y = with_recomputed(refs, audit)
    assert x.recomputed == {"all": {"uar": 0.72}} and x.recomputed_note == "precision, not recall"
    assert x.scores == refs[0].scores  # published scores untouched; smic 0.66 is not the audited 0.67
    assert y == refs[1]  # not run here: no audit reaches it
    with pytest.raises(ValueError, match=r"^Reference\.recomputed_note: X"):
        Reference(track="t", name="X", scores={"all": (0.7, 0.76)}, source="s", recomputed={"all": {"uar": 0.72}})
    with pytest.raises(ValueError, match=r"^Reference\.recomputed: X: scope 'samm'"):
        Reference(track="t", name="X", scores={"all": (0.7, 0.76)}, source="s", recomputed={"samm": {"uar": 0.7}},
                  recomputed_note="why")


def test_a_rows_selection_practice_round_trips_and_a_bad_one_is_refused_in_one_line():
    """``Reference.selects_on_test`` ("yes", "no" or "unknown") and its source reach the JSON the benchmark
    writes; a value outside the three, or a yes / no without a source, is refused in one line naming the field."""
    from common.evaluation.references import Reference, references_from_table

    rows = (("X et al.", "[1]", "deep learning", {"all": (0.9, 0.9)}),
            ("Y et al.", "[2]", "hybrid", {"all": (0.5, 0.5)}))
    x, y = references_from_table(rows, track="megc2019", source="Table 2",
                                 selection={"X et al.": ("yes", "x/repo train.py l. 12")})
    as_json = json.loads(json.dumps(x.to_dict()))  # what results.json holds
    assert (as_json["selects_on_test"], as_json["selection_source"]) == ("yes", "x/repo train.py l. 12")
    assert Reference(**{k: v for k, v in as_json.items() if k not in ("kind", "scores", "recomputed")},
                     scores={"all": (0.9, 0.9)}) == x
    assert (y.selects_on_test, y.selection_source) == ("unknown", "")  # not named: unknown, and no source needed
    for bad, field in ((dict(selects_on_test="maybe"), "selects_on_test"),
                       (dict(selects_on_test="Yes", selection_source="s"), "selects_on_test"),
                       (dict(selects_on_test="no"), "selection_source"),
                       (dict(selects_on_test="yes", selection_source="  "), "selection_source")):
        with pytest.raises(ValueError, match=rf"^Reference\.{field}: Z") as caught:
            Reference(track="t", name="Z", scores={"all": (0.7, 0.7)}, source="s", **bad)
        assert "\n" not in str(caught.value)
    with pytest.raises(ValueError, match=r"selection names rows the table does not hold: \['W'\]"):
        references_from_table(rows, track="t", source="s", selection={"W": ("no", "w.py l. 1")})


def test_every_published_row_names_its_source_and_the_test_selected_ones_where_they_select():
    """The rows the CLI collects (``common.evaluation.published``, and any package's ``BENCHMARK_REFERENCES``): each
    has a source; each "yes" or "no" names the file it was read in; HTNet and CausalNet keep each subject's best test
    epoch. A row is given once: no two rows share a name."""
    import papers
    from common.evaluation import published
    from common.orchestration import cli

    collected = cli._benchmark_references(papers)
    refs = {r.name: r for r in collected}
    assert len(refs) == len(collected)
    assert all(dataclasses.replace(refs[r.name], runs_as="", recomputed={}, recomputed_note="") == r
               for r in published.REFERENCES)
    for reference in refs.values():
        assert reference.source.strip() and reference.selects_on_test in ("yes", "no", "unknown")
        if reference.selects_on_test != "unknown":
            assert " l. " in reference.selection_source  # a file and its lines
    for row in published.ROWS:
        assert row.reference.track == "megc2019" and set(row.scores) == {"all", "smic", "casme2", "samm"}
    # the full composite as the sources print it (HTNet Table 2; CausalNet's README in percent)
    assert (refs["HTNet"].score("uf1"), refs["HTNet"].score("uar")) == (0.8603, 0.8475)
    assert (refs["CausalNet"].score("uf1"), refs["CausalNet"].score("uar")) == (0.8976, 0.9020)
    assert [refs[name].selects_on_test for name in ("HTNet", "CausalNet", "STSTNet", "CapsuleNet")] == [
        "yes", "yes", "no", "yes"]


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_each_published_row_a_package_stands_for_is_drawn_under_its_run(paper_id):
    """Derived from the package, not a snapshot of the registry: every row its ``PIPELINE.stands_for`` names is
    a row the CLI collects, drawn under this package's run (``runs_as``), and the numbers the package shows for
    it on the megc2019 track are that row's (one source for each published row)."""
    import papers
    from common.leaderboard.tracks import MEGC2019
    from common.orchestration import cli

    refs = {r.name: r for r in cli._benchmark_references(papers)}
    module = papers.get_paper(paper_id)
    for name in module.PIPELINE.stands_for:
        assert refs[name].runs_as == paper_id, (paper_id, name)
        shown = {(r.scope, r.metric): r.value for r in module.benchmark_experiment(MEGC2019).reported
                 if r.metric in ("uf1", "uar")}
        row = {(scope, metric): values[k] for scope, values in refs[name].scores.items()
               for k, metric in enumerate(("uf1", "uar"))}
        assert not shown or shown == row, (paper_id, name)
    assert [r.name for r in refs.values() if r.runs_as == paper_id] == list(module.PIPELINE.stands_for)


def test_a_package_standing_for_a_row_that_is_not_there_or_is_claimed_twice_is_refused():
    from common.evaluation.references import references_from_table, with_runs_as

    refs = references_from_table([("LBP-TOP", "[1]", "x", {"all": (0.36, 0.37)})], track="megc2019", source="T")
    assert [r.runs_as for r in with_runs_as(refs, {"LBP-TOP": ["see2019"]})] == ["see2019"]
    with pytest.raises(ValueError, match="stands_for names 'LBP TOP', which no published row"):
        with_runs_as(refs, {"LBP TOP": ["see2019"]})
    with pytest.raises(ValueError, match="one may"):
        with_runs_as(refs, {"LBP-TOP": ["see2019", "other2020"]})


@pytest.mark.parametrize("track, unit", [("megc2019", "subject"), ("megc2019_hde", "database"),
                                         ("cd6me_lodo", "database"), ("megc2019_to_4dme", "held-out database")])
def test_the_best_epoch_column_names_what_one_fold_of_the_track_tests(track, unit):
    """The epoch-selection gauge keeps each fold's best test epoch: a subject's under leave-one-subject-out, a
    database's under leave-one-database-out. The report's column and its note said "best epoch per subject" on
    every track, a selection no leave-one-database-out run made."""
    from common.leaderboard import report

    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))
    score = {"pooled": 0.5, "fold_mean": 0.5, "interval": {"low": 0.4, "high": 0.6}}
    gauge = {"estimate": 0.7, "low": 0.6, "high": 0.8, "inflation": 0.2, "inflation_low": 0.1, "inflation_high": 0.3}
    selections = {s: {"scopes": {"all": {"uf1": gauge, "uar": gauge}}} for s in ("best_epoch_per_fold",
                                                                                  "best_single_epoch")}
    method = {"name": "net", "paper": "net", "model": "m", "profile": "quick", "seeds": [0], "cost": cost,
              "reported": [], "scores": {"all": {"uf1": score, "uar": score}},
              "epoch_selection": [{"status": "measured", "selections": selections}]}
    summary = {"track": {"name": track, "scopes": ["all"]}, "corpus": {"kind": "synthetic"}, "methods": [method],
               "references": []}
    header, table, _ = report.leaderboard_rows(summary)
    column = header.index(f"UF1, best epoch per {unit}\n[95% CI] inflation")
    assert table[0][column] == "0.700 [0.60, 0.80] +0.200"
    note = report.cite_honest_note(summary)
    assert f"(best epoch per {unit})" in note
    assert unit == "subject" or not any("per subject" in text for text in [*header, note])


def test_the_leaderboard_draws_test_selected_rows_apart_under_the_honest_ones():
    """Published rows whose code selects on test data come last, in a block of their own (PDF table: a title
    row, then the rows; CSV: kind "...; selects on test data"), after the rows not known to; each published
    row shows its practice, and the CSV its source; page 1 says why the honest number is the one to cite
    (``cite_honest_note``, drawn under the table)."""
    from common.evaluation.references import Reference
    from common.leaderboard import report
    from common.leaderboard import summary as summary_module

    leaky = Reference(track="megc2019", name="Leaky", scores={"all": (0.9, 0.9), "smic": (0.8, 0.8)}, source="T1",
                      selects_on_test="yes", selection_source="leaky/repo main.py l. 295")
    honest = Reference(track="megc2019", name="Honest", scores={"all": (0.7, 0.7)}, source="T2",
                       selects_on_test="no", selection_source="honest/repo main.m l. 25")
    unknown = Reference(track="megc2019", name="Unknown", scores={"all": (0.6, 0.6)}, source="T3")
    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))
    score = {"pooled": 0.5, "fold_mean": 0.5, "interval": {"low": 0.4, "high": 0.6}}
    # a run of ours whose seed predicts with an epoch picked on its test data (its results.json's selected_on_test)
    picked = {"pooled": 0.4, "fold_mean": 0.4, "interval": {"low": 0.3, "high": 0.5}}
    how = "the epoch of highest accuracy on the test split"
    summary = {"track": {"scopes": ["all", "smic"]}, "corpus": {"kind": "synthetic"},
               "methods": [{"name": "ours", "paper": "ours", "model": "m", "profile": "smoke", "seeds": [0],
                            "cost": cost, "reported": [], "scores": {"all": {"uf1": score, "uar": score}},
                            "runs": [{"seed": 0, "selected_on_test": ""}]},
                           {"name": "picked", "paper": "picked", "model": "m", "profile": "smoke", "seeds": [0],
                            "cost": cost, "reported": [], "scores": {"all": {"uf1": picked, "uar": picked}},
                            "runs": [{"seed": 0, "selected_on_test": how}]}],
               "references": [json.loads(json.dumps(r.to_dict())) for r in (leaky, honest, unknown)]}
    header, table, published = report.leaderboard_rows(summary)
    column = header.index(report.SELECTION_HEADER)
    assert [(row[1], row[column]) for row in table] == [
        ("ours", "no"), ("picked", "yes"), ("Honest", "no"), ("Unknown", "unknown"), (report.TEST_SELECTED_TITLE, ""),
        ("Leaky", "yes")]
    assert published == [False, False, True, True, True, True]
    rows = summary_module.leaderboard_rows(summary)
    assert [(r["method"], r["selects_on_test"], r["selection_source"]) for r in rows if r["kind"] == "run by us"] == [
        ("ours", "no", None), ("picked", "yes", how)]
    published_rows = [(r["method"], r["scope"], r["kind"], r["selects_on_test"], r["selection_source"])
                      for r in rows if r["kind"] != "run by us"]
    assert published_rows == [
        ("Honest", "all", "published, not run by us", "no", "honest/repo main.m l. 25"),
        ("Unknown", "all", "published, not run by us", "unknown", None),
        ("Leaky", "all", "published, not run by us; selects on test data", "yes", "leaky/repo main.py l. 295"),
        ("Leaky", "smic", "published, not run by us; selects on test data", "yes", "leaky/repo main.py l. 295")]
    assert {"selects_on_test", "selection_source"} <= set(summary_module.LEADERBOARD_COLUMNS)
    assert "cite the honest number" in report.cite_honest_note(summary)
    summary["references"] = summary["references"][1:]  # no test-selected row: no block, no sentence
    _, table, _ = report.leaderboard_rows(summary)
    assert report.TEST_SELECTED_TITLE not in [row[1] for row in table] and report.cite_honest_note(summary) == ""


def test_a_failed_fold_leaves_its_samples_out_of_the_paired_statistics(dummy_corpus, tmp_path):
    """One method's fold fails: exit status 3, and every statistic is on the samples both predicted."""
    dummy_paper.HOOKS["fail"].add("casme2_sub02")

    def failing(ctx):
        if ctx.fold.name in dummy_paper.HOOKS["fail"]:
            raise RuntimeError("planned failure")
        return dummy_paper.nearest_centroid_fold(ctx)

    module = types.SimpleNamespace(
        benchmark_experiment=lambda track, model=None: dataclasses.replace(
            dummy_paper.benchmark_experiment(track, "centroid"), run_fold=failing),
        BENCHMARK_MODELS=("flaky",), PAPER=dummy_paper.PAPER)
    settings = RunSettings(data_root=dummy_corpus, loader=dummy_paper.load, profile="smoke", out=tmp_path / "out")
    bench = bench_run.run_benchmark(MEGC2019, [("dummy", dummy_paper, "centroid"), ("flaky", module, None)],
                                    settings, max_folds=3, n_resamples=200)
    assert bench.not_scored == [("flaky/seed0/casme2_sub02", "failed")]
    statistics = bench.summary["statistics"]
    assert statistics["pairwise"]["uf1"]["left_out"] == 6 and statistics["pairwise"]["uf1"]["n"] == 12
    assert bench.summary["methods"][0]["scores"]["all"]["uf1"]["n"] == 18  # its own statistics keep all its folds


def test_a_benchmark_with_workers_gives_the_sequential_predictions(capsys, dummy_corpus, tmp_path, monkeypatch):
    """``--workers 2`` computes the benchmark's folds in two processes: the same predictions (and this process
    takes a shared card's memory settings, as its workers do)."""
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    predictions = {}
    for name, extra in (("sequential", []), ("workers", ["--workers", "2"])):
        out_dir = tmp_path / name
        code, _, err = cli(capsys, "--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--profile", "smoke",
                           "--out", str(out_dir), "--methods", "dummy:centroid", "--max-folds", "2", *extra)
        assert code == 0, err
        with (out_dir / "benchmark" / "megc2019" / "dummy-centroid" / "seed0" / "predictions.csv").open() as handle:
            predictions[name] = list(csv.DictReader(handle))
    assert len(predictions["sequential"]) > 0 and predictions["workers"] == predictions["sequential"]
    assert os.environ.get("TF_FORCE_GPU_ALLOW_GROWTH") == "true"


def test_smoke_benchmark_of_two_papers_on_the_smoke_corpus(capsys, smoke_corpus, tmp_path):
    """Two real methods (smoke profiles, two folds) through the CLI and the papers' registry: the same folds,
    a leaderboard with intervals, and the report (the benchmark's acceptance)."""
    code = run_all.main(["--benchmark", "megc2019", "--data-root", str(smoke_corpus), "--profile", "smoke",
                         "--methods", "reddy2019,talluri2022", "--max-folds", "2", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    bench = tmp_path / "benchmark" / "megc2019"
    assert (bench / "report.pdf").read_bytes().startswith(b"%PDF")
    summary = json.loads((bench / "results.json").read_text())
    assert [m["name"] for m in summary["methods"]] == ["reddy2019", "talluri2022"]
    keys = {}
    for folder in ("reddy2019", "talluri2022"):
        records = [json.loads(p.read_text()) for p in sorted((bench / folder / "seed0" / "folds").glob("*.json"))]
        keys[folder] = [(r["fold"], r["keys"]) for r in records]
        assert [r["status"] for r in records] == ["ok", "ok"]
    assert keys["reddy2019"] == keys["talluri2022"] and len(keys["reddy2019"]) == 2
    for method in summary["methods"]:
        uf1 = method["scores"]["all"]["uf1"]
        assert 0 <= uf1["interval"]["low"] <= uf1["pooled"] <= uf1["interval"]["high"] <= 1
    with (bench / "leaderboard.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) >= 2


def test_a_malformed_published_row_is_one_line_naming_the_table_and_the_row(tmp_path):
    """``published.json`` is read into rows; a row without its scores, with a selection practice ``Reference``
    refuses, or a name given twice is one ``ValueError`` naming the file and the row."""
    import json

    from common.evaluation.published import read_published

    good = {"name": "Row", "transcribed": "how", "scores": {"all": [0.5, 0.6]}, "source": "T1", "leaderboard": True,
            "accuracy": 0.7, "printed": {"X et al. 2020, Table 1": ["Row [3]", "[3]"]}}
    table = tmp_path / "rows.json"
    table.write_text(json.dumps({"track": "megc2019", "rows": [good]}))
    row = read_published(table)[0]
    assert row.scores == {"all": (0.5, 0.6)} and row.cells() == {"acc": 0.7, "f1": None, "all": (0.5, 0.6)}
    assert row.printed == {"X et al. 2020, Table 1": ("Row [3]", "[3]")}
    for bad in ({k: v for k, v in good.items() if k != "scores"}, {**good, "selects_on_test": "maybe"},
                {**good, "leaderboard": "yes"}):
        table.write_text(json.dumps({"track": "megc2019", "rows": [bad]}))
        with pytest.raises(ValueError, match=r"^rows\.json: row 'Row': ") as caught:
            read_published(table)
        assert "\n" not in str(caught.value)
    table.write_text(json.dumps({"track": "megc2019", "rows": [good, good]}))
    with pytest.raises(ValueError, match=r"^rows\.json: a name is given to two rows: Row$"):
        read_published(table)


def _flaky_module(fails):
    """The centroid method whose folds named in ``fails`` raise (failed, not in the scores)."""
    def failing(ctx):
        if ctx.fold.name in fails:
            raise RuntimeError("planned failure")
        return dummy_paper.nearest_centroid_fold(ctx)

    return types.SimpleNamespace(
        benchmark_experiment=lambda track, model=None: dataclasses.replace(
            dummy_paper.benchmark_experiment(track, "centroid"), run_fold=failing),
        BENCHMARK_MODELS=("flaky",), PAPER=dummy_paper.PAPER)


def _run_rows(bench):
    with bench.outputs["leaderboard"].open() as handle:
        return {r["method"]: r for r in csv.DictReader(handle) if r["kind"] == "run by us" and r["scope"] == "all"}


def test_a_method_missing_folds_the_others_scored_is_marked_and_not_ranked_with_them(dummy_corpus, tmp_path):
    """A method scored on fewer folds than the others is scored on other clips: its row says how many folds it
    scored, and it takes no rank (csv and PDF alike), rather than tying or beating a complete method."""
    from common.leaderboard import report
    settings = RunSettings(data_root=dummy_corpus, loader=dummy_paper.load, profile="smoke", out=tmp_path / "out")
    bench = bench_run.run_benchmark(MEGC2019, [("dummy", dummy_paper, "centroid"),
                                               ("flaky", _flaky_module({"casme2_sub02"}), None)],
                                    settings, max_folds=3, n_resamples=50)
    rows = _run_rows(bench)
    assert rows["dummy:centroid"]["rank"] == "1" and rows["flaky"]["rank"] == ""
    assert rows["flaky"]["folds"].startswith("2 of 3 scored") and "1 not scored" in rows["flaky"]["folds"]
    assert rows["dummy:centroid"]["folds"].startswith("3 of ")
    flaky = report.leaderboard_rows(bench.summary)[1][1]
    assert flaky[0] == ""  # the PDF's page 1 leaves it unranked too, and says why under its profile
    assert " ".join(flaky[3].split()).endswith(" unranked: 1 fold(s) others scored are not in its numbers")


def test_a_method_whose_every_fold_failed_keeps_its_row_in_the_leaderboard_csv(dummy_corpus, tmp_path):
    """Every fold of a method failed: leaderboard.csv still lists it, unscored and unranked, as the PDF does."""
    from common.leaderboard import report
    settings = RunSettings(data_root=dummy_corpus, loader=dummy_paper.load, profile="smoke", out=tmp_path / "out")
    fails = {"casme2_sub01", "casme2_sub02"}
    bench = bench_run.run_benchmark(MEGC2019, [("dummy", dummy_paper, "centroid"), ("flaky", _flaky_module(fails),
                                                                                   None)],
                                    settings, max_folds=2, n_resamples=50)
    assert len(bench.not_scored) == 2
    rows = _run_rows(bench)
    assert set(rows) == {"dummy:centroid", "flaky"}
    assert rows["flaky"]["rank"] == "" and rows["flaky"]["uf1"] == "" and rows["flaky"]["folds"].startswith("0 of 2")
    assert [row[1] for row in report.leaderboard_rows(bench.summary)[1][:2]] == ["dummy:centroid", "flaky"]
    # results.json says why the method has no statistics (the analysis's note, which it did not carry)
    assert {m["name"]: m["note"] for m in bench.summary["methods"]}["flaky"] == "no fold was scored: no statistics"


def test_a_fold_no_method_scored_leaves_every_method_ranked():
    """A fold refused for every method (the same clips missing for all) unranks none; one that only one method
    lost unranks that one."""
    from common.leaderboard import summary as summary_module

    def method(uf1, statuses):
        return {"scores": {"all": {"uf1": {"pooled": uf1}}},
                "runs": [{"seed": 0, "folds": [{"name": f"f{i}", "status": s} for i, s in enumerate(statuses)]}]}

    both_refused = [method(0.5, ["ok", "refused"]), method(0.7, ["ok", "refused"])]
    assert summary_module.ranks(both_refused) == [2, 1]
    one_failed = [method(0.5, ["ok", "ok"]), method(0.7, ["ok", "failed"])]
    assert summary_module.ranks(one_failed) == [1, None]


def test_a_benchmark_of_another_kind_writes_beside_the_first_never_over_its_folds(capsys, dummy_corpus, tmp_path):
    """A benchmark of one kind (profile smoke), then one of another (``--set train.epochs=2``): every benchmark
    wrote ``<out>/benchmark/<track>/``, so the second recomputed the first's folds over its fold records (hours of a
    paper-profile run lost to a quick one). The second now writes ``<track>-<tag>/`` beside it; the first's folder is
    kept byte for byte, and a rerun of either kind, with another seed besides, resumes its own folder."""
    out = tmp_path / "out"
    argv = ["--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--profile", "smoke", "--out", str(out),
            "--methods", "dummy:centroid", "--max-folds", "1"]
    code, _, err = cli(capsys, *argv)
    assert code == 0, err
    first = out / "benchmark" / "megc2019"
    kept = {p: p.read_bytes() for p in first.rglob("folds/*.json")}
    assert kept and json.loads((first / "run.json").read_text())["profile"] == "smoke"
    code, printed, err = cli(capsys, *argv, "--set", "train.epochs=2")
    assert code == 0, err
    (second,) = [p for p in (out / "benchmark").iterdir() if p != first]
    assert second.name.startswith("megc2019-smoke-set-") and second.name.endswith("-real")
    logged = printed + err
    assert f"{first} holds a benchmark of profile smoke" in logged and f"this one writes {second}" in logged
    assert {p: p.read_bytes() for p in first.rglob("folds/*.json")} == kept
    assert json.loads((second / "results.json").read_text())["overrides"] == {"train.epochs": "2"}
    code, printed, err = cli(capsys, *argv, "--seeds", "2")  # the first kind again, one seed more: its own folder
    assert code == 0, err
    assert sorted(p.name for p in (out / "benchmark").iterdir()) == sorted([first.name, second.name])
    assert (first / "dummy-centroid" / "seed1" / "results.json").exists()
    assert {p: p.read_bytes() for p in first.rglob("seed0/folds/*.json")} == kept


def test_a_seed_that_scored_no_fold_is_named_as_why_a_method_has_no_statistics():
    """Statistics over seeds are on the clips every seed predicted: a seed none of whose folds was scored leaves a
    method none, and its note names that seed (it said "no fold was scored" while the other seeds had scored)."""
    from common.leaderboard import summary as summary_module

    def run(status):
        record = {"fold": "casme2_sub01", "status": status, "y_true": [0, 1, 2], "y_pred": [0, 1, 1],
                  "subjects": ["sub01"] * 3, "datasets": ["casme2"] * 3, "keys": ["a", "b", "c"]}
        return types.SimpleNamespace(records=[record])

    method = types.SimpleNamespace(name="flaky")

    def runs_of(*statuses):
        return summary_module._runs(types.SimpleNamespace(method=method, seeds=list(range(len(statuses))),
                                                          runs=[run(s) for s in statuses]))

    scored, why = runs_of("ok", "ok")
    assert len(scored) == 2 and why == ""
    assert runs_of("ok", "failed", "failed") == ([], "seeds 1, 2 of 3 scored no fold: statistics over seeds are on "
                                                     "the clips every seed predicted, so there are none")
    assert runs_of("failed", "failed") == ([], "no fold was scored: no statistics")


def test_a_uf1_of_zero_ranks_above_a_method_without_a_score_and_an_older_cut_run_says_its_first_folds():
    """The leaderboard's order (PDF and CSV, ``summary.by_uf1``): a UF1 of exactly 0 is a score, listed after the
    others and before a method without one (it sorted with the unscored). A results.json written before the track's
    fold count was kept (``max_folds`` without ``n_folds_protocol``) labels its rows "the first N folds", never
    "N of None"."""
    from common.leaderboard import report
    from common.leaderboard import summary as summary_module

    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))

    def method(name, uf1):
        score = {"pooled": uf1, "fold_mean": uf1}
        return {"name": name, "paper": name, "model": "m", "profile": "quick", "seeds": [0], "cost": cost,
                "reported": [], "scores": {"all": {"uf1": score, "uar": score}} if uf1 is not None else {}}

    summary = {"track": {"name": "megc2019", "scopes": ["all"]}, "corpus": {"kind": "synthetic"},
               "methods": [method("none", None), method("zero", 0.0), method("some", 0.4)], "references": [],
               "n_folds": 2, "max_folds": 2}
    assert [m["name"] for m in summary_module.by_uf1(summary["methods"])] == ["some", "zero", "none"]
    _, table, _ = report.leaderboard_rows(summary)
    assert [(row[0], row[1]) for row in table] == [("1", "some"), ("2", "zero"), ("", "none")]
    assert [r["method"] for r in summary_module.leaderboard_rows(summary)] == ["some", "zero", "none"]
    assert all(row[3].endswith("\npartial: the first 2 folds") for row in table)
    assert "None" not in " ".join(cell for row in table for cell in row)
    # the cost table's fold count is of fold runs, every seed's: said beside it
    assert "every seed's counted" in summary_module.cost([])["meaning"]["folds"]


def test_a_paper_number_selected_on_its_test_data_is_marked_on_page_one_and_in_the_csv():
    """HTNet's published 0.8603 / 0.8475 kept each subject's best test epoch (``Reported.comparable`` False, its note
    says so): results.json keeps ``comparable`` and ``note``, page 1's paper cell carries a double dagger and a
    footnote saying what the number is, and leaderboard.csv says it in ``paper_comparable`` / ``paper_note`` (its
    ``selects_on_test`` is our run's practice, not the paper number's)."""
    import papers
    from common.leaderboard import report
    from common.leaderboard import summary as summary_module

    reported = bench_run.reported_dicts(papers.get_paper("wang2024").benchmark_experiment(MEGC2019).reported)
    htnet = next(r for r in reported if (r["metric"], r["scope"]) == ("uf1", "all"))
    assert (htnet["value"], htnet["comparable"]) == (0.8603, False) and "selected on test data" in htnet["note"]
    reported = json.loads(json.dumps(reported))  # as results.json holds it
    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))
    score = {"pooled": 0.6, "fold_mean": 0.6, "interval": {"low": 0.5, "high": 0.7}}

    def method(name, rows):
        return {"name": name, "paper": name, "model": "m", "profile": "paper", "seeds": [0], "cost": cost,
                "reported": rows, "scores": {"all": {"uf1": score, "uar": score}},
                "runs": [{"seed": 0, "selected_on_test": ""}]}

    fair = [{**r, "comparable": True, "note": ""} for r in reported]
    summary = {"track": {"name": "megc2019", "scopes": ["all", "smic"]}, "corpus": {"kind": "real"},
               "methods": [method("wang2024", reported), method("fair", fair), method("none", [])], "references": []}
    header, table, _ = report.leaderboard_rows(summary)
    paper = {row[1]: row[header.index("paper's\nUF1 / UAR")] for row in table}
    assert paper == {"wang2024": "0.8603\u2021 / 0.8475\u2021", "fair": "0.8603 / 0.8475", "none": "–"}
    [footnote] = report.not_comparable_footnotes(summary)
    assert footnote.startswith("\u2021 wang2024: the paper's UF1 / UAR is not comparable with our run")
    assert "selected on test data: per left-out subject, the epoch with the highest test accuracy" in footnote
    rows = {(r["method"], r["scope"]): r for r in summary_module.leaderboard_rows(summary)}
    htnet_row = rows[("wang2024", "all")]
    assert (htnet_row["paper_uf1"], htnet_row["paper_comparable"], htnet_row["selects_on_test"]) == (0.8603, "no",
                                                                                                    "no")
    assert "selected on test data" in htnet_row["paper_note"]
    assert (rows[("fair", "all")]["paper_comparable"], rows[("fair", "all")]["paper_note"]) == ("yes", None)
    assert rows[("none", "all")]["paper_comparable"] is None
    assert {"paper_comparable", "paper_note"} <= set(summary_module.LEADERBOARD_COLUMNS)
