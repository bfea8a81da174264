"""The real-data paths that must never answer silently wrong: ``--weights`` meaning one thing in every command
(``--paper``, ``--benchmark``, ``--export``, ``--predict``, ``--estimate``), STSTNet's leave-one-subject-out tree
checked as a whole, the messages that name the real cause (weights that are not finite, HTNet's csv without its
flow images, a ``--fold-parallel`` not given as a ``--set``, a dropped clip as a log line), and a path the
locale cannot decode on the figures and in the PDF.

Every case runs on small trees written here in the released layouts (``tests/test_released.py``), so they all
run without the real released files.
"""
from __future__ import annotations

import csv
import json
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import run_all
from common.datasets import load, released
from common.datasets.sample import DroppedWarning
from common.datasets.tables import DatasetError
from common.evaluation.splits import leave_one_subject_out
from common.experiment import Experiment, FoldOutcome, Selection
from test_released import random_flow, random_port_state, fake_htnet, fake_tree
from torch_files import write_legacy_state_dict

SUBJECTS = ("sub01", "sub02", "s01", "s02", "006", "007")  # the authors' names of fake_htnet's six subjects


def one_line(capsys, code: int, expected: str) -> str:
    """The command exited 2 with one line on stderr holding ``expected``, and no traceback."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("run_all.py: error: "), err
    assert expected in lines[0], lines[0]
    return lines[0]


def weights_folder(folder: Path, state=None) -> Path:
    folder.mkdir()
    for subject in SUBJECTS:
        write_legacy_state_dict(folder / f"{subject}.pth", state or random_port_state(1))
    return folder


# --- STSTNet's leave-one-subject-out tree, checked as a whole --------------------------------------------------


def _tree(tmp_path: Path) -> Path:
    return fake_tree(tmp_path / "STSTNet") / "norm_u_v_os"


def _copy_into_second_test_folder(tree: Path) -> None:
    (tree / "sub02" / "u_test" / "1").mkdir()
    shutil.copy(tree / "sub01" / "u_test" / "1" / "sub01_EP02_01f .png", tree / "sub02" / "u_test" / "1")


def _different_training_copy(tree: Path) -> None:
    import cv2

    cv2.imwrite(str(tree / "s01" / "u_train" / "1" / "sub01_EP02_01f .png"), random_flow(99))


def _training_copy_under_another_class(tree: Path) -> None:
    (tree / "006" / "u_train" / "2").mkdir(exist_ok=True)
    shutil.move(tree / "006" / "u_train" / "1" / "sub01_EP02_01f .png", tree / "006" / "u_train" / "2")


def _own_clip_in_training(tree: Path) -> None:
    shutil.copy(tree / "007" / "u_test" / "1" / "007_007_7_1 .png", tree / "007" / "u_train" / "1")


def _no_test_clip(tree: Path) -> None:
    (tree / "007" / "u_test" / "1" / "007_007_7_1 .png").unlink()


def _test_image_of_another_subject(tree: Path) -> None:
    (tree / "007" / "u_test" / "2").mkdir()
    shutil.move(tree / "006" / "u_test" / "2" / "006_006_1_3 .png", tree / "007" / "u_test" / "2")


@pytest.mark.parametrize("damage, expected", [
    (_copy_into_second_test_folder, "clip sub01_EP02_01f is in 2 subjects' test folders"),
    (_different_training_copy, "differs from the clip's test image"),
    (_training_copy_under_another_class, "class 2, but its test image"),
    (_own_clip_in_training, "subject 007's fold trains on its own test clip 007_007_7_1"),
    (_no_test_clip, "no test image; every subject folder tests its own clips"),
    (_test_image_of_another_subject, "a test image of subject 006 in subject 007's test folder"),
], ids=["clip in two test folders", "training copy differs", "training copy of another class",
        "own clip in training", "subject without test clips", "test image in another subject's folder"])
def test_a_damaged_tree_is_refused_naming_the_file(tmp_path, damage, expected):
    tree = _tree(tmp_path)
    assert len(load("megc2019", tree.parent)) == 9  # intact: each clip once
    damage(tree)
    with pytest.raises(DatasetError, match=expected):
        load("megc2019", tree.parent)


def test_a_clip_in_two_test_folders_stops_the_run_in_one_line(tmp_path, capsys):
    tree = _tree(tmp_path)
    _copy_into_second_test_folder(tree)
    code = run_all.main(["--paper", "liong2019", "--data-root", str(tree.parent), "--profile", "smoke",
                         "--out", str(tmp_path / "out")])
    line = one_line(capsys, code, "sub02/u_test/1/sub01_EP02_01f .png: clip sub01_EP02_01f is in 2 subjects'")
    assert "each clip is tested once" in line
    assert not (tmp_path / "out" / "liong2019" / "megc2019_loso" / "results.json").exists()


# --- messages that name the real cause -------------------------------------------------------------------------


def test_htnet_csv_without_its_flow_images_names_the_missing_folder(tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet")
    shutil.rmtree(root / "datasets" / released.HTNET_FLOWS)
    with pytest.raises(DatasetError, match=f"HTNet's csv without its flow images; expected the folder "
                                           f"datasets/{released.HTNET_FLOWS}/"):
        load("megc2019", root)
    code = run_all.main(["--paper", "liong2019", "--data-root", str(root), "--profile", "smoke",
                         "--out", str(tmp_path / "out")])
    line = one_line(capsys, code, f"expected the folder datasets/{released.HTNET_FLOWS}/ beside it")
    assert "SMIC" not in line and "CASME" not in line and "SAMM" not in line, line


def test_htnet_csv_of_more_cells_than_a_label_table_holds_is_refused_in_one_line(tmp_path, capsys):
    """HTNet's csv is read as a label table (tables.bounded_rows): a few MB of commas in one of its rows, which
    csv.DictReader keeps as a list under None, are counted and refused, not held as millions of objects."""
    from common.datasets.tables import WRITTEN_CELLS

    root = fake_htnet(tmp_path / "HTNet")
    csv_path = root / released.HTNET_CSV
    csv_path.write_text(csv_path.read_text() + "samm,006,006_1_2,0" + "," * (WRITTEN_CELLS + 10) + "\n")
    code = run_all.main(["--paper", "liong2019", "--data-root", str(root), "--profile", "smoke",
                         "--out", str(tmp_path / "out")])
    one_line(capsys, code, f"combined_3_class2_for_optical_flow.csv: more than {WRITTEN_CELLS:,} cells")


def test_weights_that_are_not_finite_are_refused_before_any_prediction(tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet")
    weights = weights_folder(tmp_path / "weights")
    state = random_port_state(1)
    state["conv1.weight"][0, 0, 0, 0] = np.nan
    state["fc.bias"][1] = np.inf
    write_legacy_state_dict(weights / "s02.pth", state)
    code = run_all.main(["--paper", "liong2019", "--profile", "port", "--data-root", str(root),
                         "--weights", str(weights), "--out", str(tmp_path / "out")])
    line = one_line(capsys, code, "s02.pth: conv1.weight holds 1 NaN and 0 infinite value(s); expected finite weights")
    assert "diverged" not in line
    assert not (tmp_path / "out" / "liong2019" / "megc2019_loso" / "folds").exists()


def test_estimate_names_the_fold_parallel_option_given(capsys):
    code = run_all.main(["--paper", "see2019", "--estimate", "--fold-parallel", "2"])
    line = one_line(capsys, code, "--fold-parallel: see2019 cannot train folds together")
    assert "--set" not in line and "train.fold_parallel" not in line, line


def _majority_on_released() -> Experiment:
    """A method that reads the released inputs and trains nothing: the training part's majority class."""
    classes = released.CLASSES

    def select(data, config):
        samples = tuple(data["megc2019"])
        return Selection(samples, np.array([classes.index(s.emotion) for s in samples], dtype=int), classes)

    def majority(ctx):
        guess = int(np.bincount(ctx.selection.labels[ctx.fold.train], minlength=len(classes)).argmax())
        return FoldOutcome(test_indices=ctx.fold.test, y_pred=np.full(len(ctx.fold.test), guess))

    return Experiment(name="majority", title="majority class", datasets=("megc2019",), config=None, select=select,
                      folds=lambda selection, config, seed: leave_one_subject_out(selection), run_fold=majority,
                      reads_released=True)


def test_a_dropped_clip_is_one_log_line_and_recorded_not_a_python_warning(tmp_path, caplog):
    from common.running import runner
    from common.running.profiles import resolve_run

    root = fake_htnet(tmp_path / "HTNet")
    (root / "datasets" / released.HTNET_FLOWS / "sub01_EP02_01f .png").unlink()
    caplog.set_level(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.run_experiment("toy", _majority_on_released(),
                                       resolve_run(data_root=root, profile="smoke", out=tmp_path / "out"))
    assert not [w for w in caught if issubclass(w.category, DroppedWarning)], [str(w.message) for w in caught]
    lines = [r.getMessage() for r in caplog.records if "dropped casme2/sub01/EP02_01f" in r.getMessage()]
    assert len(lines) == 1 and "line 2: no flow image" in lines[0], caplog.text
    assert [d["key"] for d in result.summary["selection"]["dropped"]] == ["casme2/sub01/EP02_01f"]


# --- --weights means the same everywhere -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def htnet_and_weights(tmp_path_factory):
    base = tmp_path_factory.mktemp("released")
    return fake_htnet(base / "HTNet"), weights_folder(base / "weights")


def test_benchmark_checks_weights_as_paper_does(htnet_and_weights, tmp_path, capsys):
    root, weights = htnet_and_weights
    base = ["--benchmark", "megc2019", "--data-root", str(root), "--weights", str(weights), "--out", str(tmp_path)]
    # the port's weights into the MATLAB reading's network (profile paper): refused as --paper refuses it
    one_line(capsys, run_all.main(base + ["--methods", "liong2019", "--profile", "paper"]),
             "only --profile port builds")
    # a method that cannot take weights: refused, never trained with the option ignored
    one_line(capsys, run_all.main(base + ["--methods", "gan2019", "--profile", "smoke"]),
             "cannot evaluate released weights")
    assert not (tmp_path / "benchmark" / "megc2019" / "results.json").exists()


def test_benchmark_applies_weights_under_the_port_profile_and_says_so(htnet_and_weights, tmp_path, capsys,
                                                                      monkeypatch):
    from common.orchestration import leaderboard_runs

    monkeypatch.setattr(leaderboard_runs, "write_report", lambda bench, path: None)  # the PDF: not this test's
    root, weights = htnet_and_weights
    code = run_all.main(["--benchmark", "megc2019", "--methods", "liong2019", "--profile", "port", "--data-root",
                         str(root), "--weights", str(weights), "--max-folds", "2", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    track = tmp_path / "benchmark" / "megc2019"
    with open(track / "leaderboard.csv", newline="", encoding="utf-8") as handle:
        ours = [row for row in csv.DictReader(handle) if row["method"] == "liong2019"]
    assert ours and {row["kind"] for row in ours} == {"run by us with the authors' released weights (not trained here)"}
    assert {row["profile"] for row in ours} == {"port"}
    records = [json.loads(p.read_text()) for p in sorted((track / "liong2019" / "seed0" / "folds").glob("*.json"))]
    assert len(records) == 2 and all(r["extra"]["trained"] is False for r in records)
    method = next(m for m in json.loads((track / "results.json").read_text())["methods"] if m["name"] == "liong2019")
    # compared with the port's own published numbers, not with the MATLAB paper's Table III
    assert {(r["metric"], r["value"]) for r in method["reported"]} == {("uf1", 0.7209), ("uar", 0.725)}


def test_benchmark_refuses_fold_parallel_that_would_not_fit_as_paper_does(htnet_and_weights, tmp_path, capsys,
                                                                          monkeypatch):
    from common import fold_parallel

    monkeypatch.setattr(fold_parallel, "available_bytes", lambda: 2**20)
    root, _ = htnet_and_weights
    code = run_all.main(["--benchmark", "megc2019", "--methods", "liong2019", "--profile", "smoke", "--data-root",
                         str(root), "--fold-parallel", "4", "--out", str(tmp_path)])
    one_line(capsys, code, "--fold-parallel 4: experiment liong2019/")
    assert not (tmp_path / "benchmark" / "megc2019" / "liong2019" / "seed0" / "folds").exists()


def test_export_and_predict_refuse_weights_saying_why(htnet_and_weights, tmp_path, capsys):
    root, weights = htnet_and_weights
    export = ["--paper", "liong2019", "--profile", "port", "--data-root", str(root), "--export", str(tmp_path / "m")]
    one_line(capsys, run_all.main(export + ["--weights", str(weights)]),
             "--weights is not used by --export: --export trains the experiment's final model")
    one_line(capsys, run_all.main(export + ["--set", f"train.weights={weights}"]),
             "--set train.weights is not used by --export: --export trains")
    assert not (tmp_path / "m").exists()
    one_line(capsys, run_all.main(["--predict", str(root), "--model", str(tmp_path / "m"), "--weights", str(weights)]),
             "--weights is not used by --predict: --predict applies the model of --model")


# --- a path the locale cannot decode, all the way to the figures and the PDF ------------------------------------

# A file name's bytes that Python, under LC_ALL=C without UTF-8 mode, holds as surrogate escapes ("é" in UTF-8):
# made here as such a process would see them (the test's own locale encodes them back to the same bytes).
UNDECODED = "\udcc3\udca9"


def test_score_writes_its_report_for_a_file_whose_name_the_locale_cannot_decode(htnet_and_weights, tmp_path,
                                                                                 capsys):
    root, _ = htnet_and_weights
    folder = tmp_path / f"pr{UNDECODED}dictions"
    folder.mkdir()
    path = folder / f"ours{UNDECODED}.csv"
    rows = ["clip,subject,database,true,pred"] + [f"{s.clip},{s.subject},{s.dataset},{s.emotion},{s.emotion}"
                                                  for s in load("megc2019", root)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = run_all.main(["--score", str(path), "--benchmark", "megc2019", "--data-root", str(root),
                         "--out", str(tmp_path / f"out{UNDECODED}")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = tmp_path / f"out{UNDECODED}" / "score" / "megc2019"
    assert [p.name for p in report.glob("*/report.pdf")], list(report.rglob("*"))
