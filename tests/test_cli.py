"""run_all.py, and the mersuite script (common.orchestration.cli): every error path is one line and a non-zero
exit; a smoke run end to end."""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import dummy_paper
import run_all
from common.orchestration import cli as cli_module

REPO = Path(__file__).resolve().parent.parent




def cli(capsys, *argv):
    code = run_all.main(list(argv), registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("run_all.py: error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("argv, expected", [
    (["--paper", "nosuch"], "unknown paper 'nosuch'; known papers: dummy, planned, broken"),
    (["--paper", "planned"], "paper 'planned' is planned, not implemented yet"),
    (["--paper", "broken"], "paper 'broken' is not implemented yet (importing it failed"),
    (["--paper", "dummy", "--experiment", "nosuch"], "unknown experiment 'nosuch'; experiments: toy_loso"),
    (["--paper", "dummy", "--set", "train.epochz=2"], "no field 'epochz' in TrainConfig"),
    (["--paper", "dummy", "--set", "train.epochs=many"], "expected int (a whole number), got 'many'"),
    (["--paper", "dummy", "--set", "train.epochs"], "expected section.field=value"),
    # a field given twice: refused, naming both values, whichever would have won
    (["--paper", "dummy", "--set", "train.epochs=2", "--set", "model.units=3", "--set", " train.epochs = 5"],
     "--set train.epochs is given twice (train.epochs=2 and train.epochs=5); expected each field once"),
    (["--paper", "dummy", "--set", "train.epochs=2", "--set", "train.epochs=2"], "--set train.epochs is given twice"),
    # ranges: negative or fractional epochs, a batch of 0 never reach training
    (["--paper", "dummy", "--set", "train.epochs=-1"],
     "--set train.epochs=-1: -1 is out of range; TrainConfig.epochs must be >= 1 (experiment dummy/toy_loso)"),
    (["--paper", "dummy", "--set", "train.epochs=0"], "TrainConfig.epochs must be >= 1"),
    (["--paper", "dummy", "--set", "train.epochs=2.5"], "--set train.epochs: expected int (a whole number), got '2.5'"),
    (["--paper", "dummy", "--set", "train.batch_size=0"], "TrainConfig.batch_size must be >= 1"),
    (["--paper", "dummy", "--set", "model.units=-3"], "ModelConfig.units must be >= 1"),
    (["--paper", "dummy", "--json"], "--json goes with --architectures"),
])
def test_user_errors_are_one_line_and_exit_2(capsys, dummy_corpus, argv, expected):
    code, out, err = cli(capsys, *argv, "--data-root", str(dummy_corpus))
    assert code == 2
    assert expected in one_error_line(err)
    assert not dummy_paper.HOOKS["ran"]  # nothing trained


@pytest.mark.parametrize("argv, expected", [
    (["--paper", "dummy", "--seed", "1e3"], "argument --seed: invalid int value: '1e3'"),
    (["--paper", "dummy", "--bogus-flag"], "unrecognized arguments: --bogus-flag"),
    # an abbreviation is no option: --scor was taken as --score
    (["--scor", "x.csv", "--benchmark", "megc2019"], "unrecognized arguments: --scor x.csv"),
    ([], "give --paper ID|all or --benchmark TRACK|all"),
    # a path given empty was the working folder: --out "" wrote the run into it
    (["--paper", "dummy", "--out", ""], "argument --out: expected a path, got an empty or blank value"),
    (["--paper", "dummy", "--data-root="], "argument --data-root: expected a path, got an empty or blank value"),
    # an option given twice: the last one silently won
    (["--score", "missing.csv", "--score", "x.csv", "--benchmark", "megc2019"], "--score given more than once"),
    (["--benchmark", "megc2019", "--benchmark=cd6me"], "--benchmark given more than once"),
    (["--paper", "dummy", "--paper", "all"], "--paper given more than once"),
])
def test_argument_errors_are_one_line_without_the_usage_block(capsys, argv, expected):
    with pytest.raises(SystemExit) as exited:
        run_all.main(argv, registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    assert exited.value.code == 2
    line = one_error_line(capsys.readouterr().err)
    assert expected in line and line.endswith("(run_all.py --help lists the options)")
    assert not dummy_paper.HOOKS["ran"]


def test_the_options_that_add_a_value_may_be_repeated():
    parser = cli_module.build_parser()
    argv = ["--paper", "dummy", "--set", "a.b=1", "--set", "c.d=2", "--experiment", "x", "--experiment=y", "--fresh",
            "--fresh", "--", "--out", "--out"]
    assert cli_module.repeated_options(parser, argv) == []
    assert cli_module.repeated_options(parser, ["--out", "a", "--seed", "1", "--out=b"]) == ["--out"]


def test_a_prediction_goes_beside_an_earlier_one_never_over_it(tmp_path):
    names = ("predictions.csv", "predict.pdf", "predict.png")
    out = tmp_path / "out"
    assert cli_module.predict_folder(out, names) == out  # new
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cli_module.predict_folder(out, names) == out  # a folder without a prediction
    (out / "predict.png").write_bytes(b"")
    assert cli_module.predict_folder(out, names) == tmp_path / "out-2"
    (tmp_path / "out-2").mkdir()
    (tmp_path / "out-2" / "predictions.csv").symlink_to(tmp_path / "nowhere")  # a link, even dangling, is not ours
    assert cli_module.predict_folder(out, names) == tmp_path / "out-3"


def test_a_prediction_into_the_working_folder_goes_beside_it_too(tmp_path, monkeypatch):
    """``--out .`` holding a prediction: Path(".") has no name to number, and the run ended in a traceback."""
    names = ("predictions.csv",)
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "predictions.csv").write_text("")
    monkeypatch.chdir(work)
    assert cli_module.predict_folder(Path("."), names) == tmp_path / "work-2"
    assert cli_module.predict_folder(Path("./"), names) == tmp_path / "work-2"
    monkeypatch.chdir(work / "sub")
    assert cli_module.predict_folder(Path(".."), names) == tmp_path / "work-2"
    assert cli_module.predict_folder(Path("."), names) == work / "sub"


def test_missing_database_and_data_root(capsys, dummy_corpus, tmp_path):
    (dummy_corpus / "samm.present").unlink()
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--out", str(tmp_path / "out"))
    assert code == 2
    assert f"missing database(s) under {dummy_corpus}: samm (" in one_error_line(err)
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in one_error_line(err)
    (tmp_path / "a_file").write_text("")
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(tmp_path / "a_file"))
    assert code == 2 and f"{tmp_path / 'a_file'}: not a folder (expected the folder that holds" in one_error_line(err)
    (tmp_path / "a_link").symlink_to(tmp_path / "gone")
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(tmp_path / "a_link"))
    assert code == 2 and f"{tmp_path / 'a_link'}: a link to nothing" in one_error_line(err)


def test_preprocess_workers_is_taken_by_a_run_and_refused_by_a_benchmark(capsys, dummy_corpus, tmp_path):
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke",
                       "--out", str(tmp_path / "out"), "--preprocess-workers", "2")
    assert code == 0, err
    assert (tmp_path / "out" / "dummy" / "results.json").exists()
    code, _, err = cli(capsys, "--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--profile", "smoke",
                       "--preprocess-workers", "2")
    assert code == 2 and "--preprocess-workers is not used by --benchmark" in one_error_line(err)


def test_list_shows_status_and_experiments(capsys):
    code, out, _ = cli(capsys, "--list")
    assert code == 0
    assert "dummy [implemented] A dummy paper for the harness tests" in out
    assert "toy_loso: Toy LOSO (Table 1)" in out
    assert "planned: not available" in out and "broken: not available" in out


def test_unknown_paper_through_the_real_script():
    proc = subprocess.run([sys.executable, str(REPO / "run_all.py"), "--paper", "nosuch"], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert "unknown paper 'nosuch'" in one_error_line(proc.stderr)


def test_smoke_run_end_to_end_then_resume(capsys, dummy_corpus, tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke",
                         "--set", "model.units=3", "--out", str(out_dir))
    assert code == 0, err
    report = out_dir / "dummy" / "report.pdf"
    assert report.read_bytes().startswith(b"%PDF")
    results = json.loads((out_dir / "dummy" / "results.json").read_text())
    toy = results["experiments"]["toy_loso"]
    assert toy["profile"] == "smoke" and toy["config"]["model"]["units"] == 3
    assert toy["config"]["train"]["epochs"] == 1 and toy["parameters"] == {"dummy_mlp": 2 * 3 + 3 + 3 * 3 + 3}
    assert toy["status_counts"] == {"ok": 4}
    assert toy["face_quality"]["policy"] == "exclude" and toy["face_quality"]["counts"]["unchecked"] == 24
    assert toy["selection"]["selected"] == toy["selection"]["kept"] == 24 and toy["selection"]["dropped"] == []
    assert f"dummy: report {report}" in out
    assert "profile smoke + --set model.units=3, corpus real" in out.strip().splitlines()[-1]
    # the pooled line says what its number is: clips, folds, profile and its --set, corpus, selection (intervals:
    # the report)
    pooled = next(line for line in out.splitlines() if " pooled UF1 " in line)
    assert "on 24 samples over 4 folds (profile smoke + --set model.units=3, corpus real" in pooled
    assert pooled.endswith("; nothing chosen on the test data")
    # the same command again: every fold is reused, nothing trains
    dummy_paper.reset_hooks()
    code, out, _ = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke",
                       "--set", "model.units=3", "--out", str(out_dir), "--faces-policy", "keep")
    assert code == 0 and not dummy_paper.HOOKS["ran"] - {"report_pages:False"}
    rerun = json.loads((out_dir / "dummy" / "results.json").read_text())["experiments"]["toy_loso"]
    assert rerun["face_quality"]["policy"] == "keep"
    assert json.loads((out_dir / "dummy" / "results.json").read_text())["experiments"]["toy_loso"]["metrics"] == \
        toy["metrics"]


def test_failed_folds_exit_3_with_one_line(capsys, dummy_corpus, tmp_path):
    dummy_paper.HOOKS["fail"].update({"casme2_sub01", "casme2_sub02", "samm_006", "samm_007"})
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--out", str(tmp_path / "out"))
    assert code == 3
    line = err.strip().splitlines()[-1]
    assert line.startswith("run_all.py: warning: 4 fold(s) are not in the scores (4 failed, 0 diverged to NaN): "
                           "dummy/toy_loso/casme2_sub01 (failed)")
    assert (tmp_path / "out" / "dummy" / "report.pdf").exists()  # the report is still written


def test_a_training_fold_of_one_class_is_refused_for_every_method_and_exits_3(capsys, dummy_corpus, tmp_path,
                                                                             monkeypatch):
    # every clip "negative" but casme2 sub01's: leaving sub01 out leaves one class to train on
    make_samples = dummy_paper.make_samples

    def one_class_but_sub01(dataset):
        return [s if s.subject == "sub01" else dataclasses.replace(s, emotion="negative")
                for s in make_samples(dataset)]
    monkeypatch.setattr(dummy_paper, "make_samples", one_class_but_sub01)
    out_dir = tmp_path / "out"
    argv = ("--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke", "--out", str(out_dir))
    code, out, err = cli(capsys, *argv)
    assert code == 3
    assert err.strip().splitlines() == [
        "run_all.py: warning: 1 fold(s) are not in the scores (0 failed, 0 diverged to NaN, 1 refused before "
        "training): dummy/toy_loso/casme2_sub01 (refused); see results.json 'warnings'"]
    assert "casme2_sub01" not in dummy_paper.HOOKS["ran"] and "samm_006" in dummy_paper.HOOKS["ran"]  # never trained
    toy = json.loads((out_dir / "dummy" / "results.json").read_text())["experiments"]["toy_loso"]
    assert toy["status_counts"] == {"refused": 1, "ok": 3}
    refused = next(f for f in toy["folds"] if f["name"] == "casme2_sub01")
    assert refused["status"] == "refused" and "holds 1 class(es) (negative: 18 of 18 samples)" in refused["reason"]
    assert toy["metrics"]["not_scored"] == ["casme2_sub01"] and toy["metrics"]["pooled"]["all"]["n"] == 18
    assert any("1 of 4 folds (casme2_sub01) were refused before training" in w for w in toy["warnings"])
    assert (out_dir / "dummy" / "report.pdf").read_bytes().startswith(b"%PDF")
    # the same command again: the refusal is a property of the fold's samples, reused, nothing trains
    dummy_paper.reset_hooks()
    code, out, err = cli(capsys, *argv)
    assert code == 3 and not dummy_paper.HOOKS["ran"] - {"report_pages:False"}


def test_a_nan_fold_is_marked_left_out_of_the_headline_and_exits_3(capsys, dummy_corpus, tmp_path):
    dummy_paper.HOOKS["nan"].add("samm_006")
    out_dir = tmp_path / "out"
    code, out, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke",
                         "--out", str(out_dir))
    assert code == 3
    assert err.strip().splitlines() == ["run_all.py: warning: 1 fold(s) are not in the scores (0 failed, 1 diverged "
                                        "to NaN): dummy/toy_loso/samm_006 (nan); see results.json 'warnings'"]
    toy = json.loads((out_dir / "dummy" / "results.json").read_text())["experiments"]["toy_loso"]
    assert toy["status_counts"] == {"ok": 3, "nan": 1}
    assert toy["metrics"]["pooled"]["all"]["n"] == 18 and toy["metrics"]["nan_folds"] == ["samm_006"]
    comparison = {(c["metric"], c["scope"]): c["ours"] for c in toy["comparison"]}
    assert comparison[("uf1", "all")] == toy["metrics"]["pooled"]["all"]["uf1"]  # the headline excludes it
    assert "diverged" in toy["warnings"][0] and "WARNING: 1 of 4 folds (samm_006) diverged" in out
    assert (out_dir / "dummy" / "report.pdf").read_bytes().startswith(b"%PDF")


def test_an_out_that_is_a_file_or_in_use_is_one_line_before_any_work(capsys, dummy_corpus, tmp_path):
    import fcntl

    a_file = tmp_path / "out.txt"
    a_file.write_text("")
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--out", str(a_file))
    assert code == 2 and f"--out {a_file}: is not a folder" in one_error_line(err)
    exp_dir = tmp_path / "out" / "dummy" / "toy_loso"
    exp_dir.mkdir(parents=True)
    with open(exp_dir / ".mersuite.lock", "a+") as other:  # another run writes into the folder
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--out", str(tmp_path / "out"))
    assert code == 2 and f"output folder {exp_dir} is in use by another run" in one_error_line(err)
    assert not dummy_paper.HOOKS["ran"] and not (tmp_path / "out" / "dummy" / "report.pdf").exists()


def test_architectures_json_is_pure_json(capfd):
    code = run_all.main(["--paper", "dummy", "--architectures", "--json"], registry=dummy_paper.REGISTRY,
                        loader=dummy_paper.load)
    out, _ = capfd.readouterr()
    assert code == 0
    payload = json.loads(out)
    model = payload["models"]["dummy_mlp"]
    assert model["trainable_params"] == 27 and model["non_trainable_params"] == 0
    assert model["layers"][0] == {"name": "features", "class": "InputLayer", "output_shape": [None, 2]}
    assert all(set(layer) == {"name", "class", "output_shape"} for layer in model["layers"])
    code = run_all.main(["--paper", "dummy", "--architectures"], registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    out, _ = capfd.readouterr()
    assert code == 0 and "dummy / dummy_mlp: trainable 27, non-trainable 0" in out


def test_check_data_returns_the_checkers_code(capsys, monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType("common.datasets.check")
    fake.main = lambda root, faces=False, papers=None: calls.append((root, faces, sorted(papers))) or 3
    monkeypatch.setitem(sys.modules, "common.datasets.check", fake)
    assert run_all.main(["--check-data", str(tmp_path)], registry=dummy_paper.REGISTRY, loader=dummy_paper.load) == 3
    # the CLI hands the registry's papers to the checker (common imports no paper)
    assert calls == [(tmp_path, False, ["broken", "dummy", "planned"])]
    fake.main = lambda root, faces=False, papers=None: calls.append((root, faces)) or 0
    assert run_all.main(["--check-data", str(tmp_path), "--faces"], registry=dummy_paper.REGISTRY,
                        loader=dummy_paper.load) == 0
    assert calls[-1] == (tmp_path, True)
    assert run_all.main(["--paper", "dummy", "--faces"], registry=dummy_paper.REGISTRY, loader=dummy_paper.load) == 2
    assert "--faces goes with --check-data ROOT" in capsys.readouterr().err


def test_help_groups_the_options_by_mode_each_with_an_example():
    """``--help``: one argparse group per mode, each showing one example command; every option is in a group
    and ``--paper ID`` stays the run's spelling."""
    parser = cli_module.build_parser()
    groups = {group.title.split(" (")[0]: group for group in parser._action_groups
              if group.title not in ("options", "optional arguments", "positional arguments")}
    assert list(groups) == ["run a paper", "benchmark", "check data", "estimate", "list and architectures",
                           "export a trained method, predict on a recording"]
    for title, group in groups.items():
        assert (group.description or "").lstrip().startswith("run_all.py --"), title
    grouped = {a.dest for g in groups.values() for a in g._group_actions}
    assert grouped == {a.dest for a in parser._actions if a.dest != "help"}
    # every option says what it does (--seed printed a bare "--seed SEED")
    assert not [a.option_strings[0] for g in groups.values() for a in g._group_actions if not (a.help or "").strip()]
    assert "--paper" in {s for a in groups["run a paper"]._group_actions for s in a.option_strings}
    assert "run_all.py --paper " in groups["run a paper"].description
    text = parser.format_help().split("\n\n", 2)[2]  # after the usage and the description
    assert text.index("run a paper:") < text.index("--experiment NAME") < text.index("benchmark (")


def test_the_mersuite_script_is_the_main_of_run_all():
    """pyproject.toml's ``mersuite`` console script names the function ``run_all.py`` calls: one CLI, two entries."""
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module_name, _, attribute = scripts["mersuite"].partition(":")
    target = getattr(importlib.import_module(module_name), attribute)
    assert target is run_all.main and target is cli_module.main


def test_tensorflows_retracing_warning_is_dropped_and_its_other_warnings_kept():
    # each fold's network traces its own predict function once; TensorFlow's warning about it is noise
    import logging

    cli_module._import_tensorflow_quietly()
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    tf_log = logging.getLogger("tensorflow")
    tf_log.addHandler(handler)
    try:
        tf_log.warning("5 out of the last 5 calls to <function f at 0x1> triggered tf.function retracing. "
                       "Tracing is expensive")
        tf_log.warning("a warning that says something")
    finally:
        tf_log.removeHandler(handler)
    assert seen == ["a warning that says something"]


def test_list_names_a_papers_options_with_their_overrides(capsys):
    """``--list`` under each paper: its named options (``Pipeline.options``, off in every profile), each with the
    ``--set`` overrides that run it, as STSTNet's ``MATLAB_ABLATIONS`` declares them."""
    from common.config import set_arguments
    from papers.liong2019.config import MATLAB_ABLATIONS

    assert run_all.main(["--list"]) == 0  # the real registry
    out = capsys.readouterr().out
    block = out[out.index("liong2019 ["):out.index("wang2024 [")]
    for name, overrides in MATLAB_ABLATIONS.items():
        assert f"  option {name} (off by default): {' '.join(set_arguments(overrides))}\n" in block
    assert "  option " not in out[out.index("wang2024 ["):]  # a paper without options lists none
