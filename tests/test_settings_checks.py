"""Every setting is checked before work starts, and errors carry their cause: seeds, fold counts, string
choices, sizes a model cannot take, options a mode does not use, the project's own errors at every
entry point, an unusable cache folder. Each is one line and exit status 2, and nothing trains."""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest

import dummy_paper
import run_all
from papers import PAPER_IDS
from common.config import (ConfigError, apply_overrides, field_choices, string_fields, validate)
from helpers import is_free_text
from common.errors import RunError
from common.running.profiles import effective_config

REPO = Path(__file__).resolve().parent.parent

TALLURI = ("--paper", "talluri2022", "--experiment", "s1_smic_to_smic_model_a", "--profile", "smoke")




def cli(capsys, *argv, registry=dummy_paper.REGISTRY):
    # the dummy paper's databases are read by its own loader; the papers' by common.datasets.load
    loader = dummy_paper.load if registry is dummy_paper.REGISTRY else None
    code = run_all.main(list(argv), registry=registry, loader=loader)
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("run_all.py: error: ") and "Traceback" not in err
    return lines[0]


def no_fold_trained(out: Path) -> bool:
    return not list(Path(out).rglob("folds/*.json"))


# ----------------------------------------------------------------------------- seeds
@pytest.mark.parametrize("argv, expected", [
    (["--paper", "dummy", "--seed", "-1"], "--seed -1: expected a whole number from 0 to 4294967295"),
    (["--paper", "dummy", "--seed", str(2**32)], f"--seed {2**32}: expected a whole number from 0 to 4294967295"),
    (["--paper", "dummy", "--estimate", "--seed", "-5"], "--seed -5: expected a whole number"),
    (["--benchmark", "megc2019", "--methods", "dummy", "--seed", str(2**32 - 2), "--seeds", "3"],
     f"--seed {2**32 - 2} --seeds 3: the last seed would be {2**32}, past 4294967295"),
])
def test_seeds_outside_the_generators_range_are_one_line(capsys, dummy_corpus, tmp_path, argv, expected):
    code, _, err = cli(capsys, *argv, "--data-root", str(dummy_corpus),
                       *(["--out", str(tmp_path)] if "--estimate" not in argv else []))
    assert code == 2 and expected in one_error_line(err)
    assert not dummy_paper.HOOKS["ran"]


def test_the_last_seed_of_a_benchmark_may_be_the_generators_last(capsys):
    from common.running.preflight import check_seeds

    check_seeds(2**32 - 3, 3)  # seeds 2**32-3 .. 2**32-1
    with pytest.raises(RunError, match="the last seed would be 4294967296"):
        check_seeds(2**32 - 3, 4)


@pytest.mark.parametrize("seed, seeds, expected", [
    (0, 99999999999, "--seeds 99999999999: expected a whole number from 1 to 4294967296 "),
    (0, 2**32 + 1, f"--seeds {2**32 + 1}: expected a whole number from 1 to 4294967296 "),
    (10, 2**32, "give --seed 0 or less, or --seeds 4294967286 or fewer"),
])
def test_too_many_seeds_name_the_range_never_a_negative_seed(capsys, dummy_corpus, tmp_path, seed, seeds, expected):
    """More seeds than the generators' range holds: the line gives --seeds' own range (1 .. 2**32), never a
    negative --seed to make room; a remedy it gives is always within range."""
    code, _, err = cli(capsys, "--benchmark", "megc2019", "--methods", "dummy", "--seed", str(seed),
                       "--seeds", str(seeds), "--data-root", str(dummy_corpus), "--out", str(tmp_path))
    line = one_error_line(err)
    assert code == 2 and expected in line and "--seed -" not in line
    assert not dummy_paper.HOOKS["ran"]


def test_config_seed_fields_stop_at_the_generators_range():
    from papers.reddy2019 import EXPERIMENTS as reddy
    from papers.talluri2022 import EXPERIMENTS as talluri

    for experiments, field in ((talluri, "protocol.fold_seed"), (reddy, "protocol.split_seed")):
        config = experiments[0].config
        assert apply_overrides(config, {field: str(2**32 - 1)})
        with pytest.raises(ConfigError,
                           match=f"{field}={2**32}: {2**32} is out of range; .* must be in \\[0, 4294967296\\)"):
            apply_overrides(config, {field: str(2**32)})


# ----------------------------------------------------------------------------- string choices
def test_a_string_outside_its_choices_is_one_line_naming_the_field_and_the_allowed_values(capsys, dummy_corpus,
                                                                                          tmp_path):
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--out", str(tmp_path),
                       "--set", "train.optimizer=sgdd")
    line = one_error_line(err)
    assert code == 2 and "--set train.optimizer=sgdd: 'sgdd' is not allowed" in line
    assert "TrainConfig.optimizer must be one of sgd, adam, rmsprop" in line
    assert not dummy_paper.HOOKS["ran"] and no_fold_trained(tmp_path)


def test_choices_hold_for_tuples_optionals_and_defaults():
    from papers.reddy2019 import EXPERIMENTS as reddy
    from papers.talluri2022 import EXPERIMENTS as talluri

    config = talluri[0].config
    assert apply_overrides(config, {"protocol.train": "casme2,smic"}).protocol.train == ("casme2", "smic")
    with pytest.raises(ConfigError, match="'casme3' is not allowed; ProtocolConfig.train must be one of casme2, smic"):
        apply_overrides(config, {"protocol.train": "casme2,casme3"})
    fusenet = next(e for e in reddy if "fusenet" in e.name).config
    assert apply_overrides(fusenet, {"model.fusenet_dense_activation": "none"}).model.fusenet_dense_activation is None
    assert apply_overrides(fusenet, {"model.fusenet_dense_activation": "relu"}).model.fusenet_dense_activation == "relu"
    with pytest.raises(ConfigError, match="'relux' is not allowed"):
        apply_overrides(fusenet, {"model.fusenet_dense_activation": "relux"})
    bad_default = dataclasses.replace(config, train=dataclasses.replace(config.train, optimizer="sgdd"))
    with pytest.raises(ConfigError, match="config train.optimizer: 'sgdd' is not allowed"):
        validate(bad_default)



# ----------------------------------------------------------------------------- numbers and lists, read as written
@pytest.mark.parametrize("setting, expected", [
    # a float would round it to 3 and train 3 epochs
    ("train.epochs=2.9999999999999999", "--set train.epochs: expected int (a whole number), got '2.9999999999999999'"),
    # below the smallest float: read as 0, weight decay would be off
    ("train.weight_decay=1e-400", "--set train.weight_decay: '1e-400' is too small for a float and would read as 0"),
])
def test_a_number_a_float_cannot_hold_is_one_line_not_a_rounded_run(capsys, dummy_corpus, tmp_path, setting,
                                                                     expected):
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--out", str(tmp_path),
                       "--set", setting)
    assert code == 2 and expected in one_error_line(err)
    assert not dummy_paper.HOOKS["ran"] and no_fold_trained(tmp_path)


def test_whole_numbers_are_read_exactly():
    from papers.gan2019 import EXPERIMENTS as gan

    config = gan[0].config
    assert apply_overrides(config, {"train.epochs": "12345678901234567"}).train.epochs == 12345678901234567
    assert apply_overrides(config, {"train.epochs": "1e3"}).train.epochs == 1000
    assert apply_overrides(config, {"model.filters": "[6, 1.6e1]"}).model.filters == (6, 16)
    for path, value in (("evaluation.max_folds", "1e-400"),  # 0 would mean every fold
                        ("model.filters", "[6, 15.9999999999999999]"), ("model.filters", "6,15.9999999999999999")):
        with pytest.raises(ConfigError, match=f"--set {path}: expected int \\(a whole number\\)"):
            apply_overrides(config, {path: value})


@pytest.mark.parametrize("value", ["", "[]", "()", "(,)"])
def test_an_empty_list_is_refused_not_a_network_without_layers(value):
    """``--set model.filters=`` (an unset shell variable) once ran gan2019 without a convolution, exit 0."""
    from papers.gan2019 import EXPERIMENTS as gan

    expected = f"--set model.filters: expected at least one value, got '{re.escape(value)}'"
    with pytest.raises(ConfigError, match=expected):
        apply_overrides(gan[0].config, {"model.filters": value})


def test_an_item_left_out_of_a_list_is_refused():
    from papers.gan2019 import EXPERIMENTS as gan

    config = gan[0].config
    for value in ("6,,16", ",6,16", "(6,,16)"):
        with pytest.raises(ConfigError, match="--set model.filters: an empty item in .*; expected values separated "
                                              "by single commas"):
            apply_overrides(config, {"model.filters": value})
    for value in ("6,16,", "(6,16,)", "(6,)"):  # one trailing comma, as Python writes a tuple
        assert apply_overrides(config, {"model.filters": value}).model.filters == tuple(
            int(v) for v in value.strip("(),").split(","))

@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_string_field_of_every_paper_declares_its_choices_or_is_free_text(paper_id):
    """A str field (str, tuple of str, str | None) declares its allowed values (Literal or Choices) or is
    marked FreeText; every experiment's config and profiles fit them."""
    module = importlib.import_module(f"papers.{paper_id}")
    undeclared = set()
    for experiment in module.EXPERIMENTS:
        for path, cls, name in string_fields(experiment.config):
            if field_choices(cls, name) is None and not is_free_text(cls, name):
                undeclared.add(f"{cls.__qualname__}.{name} ({path})")
        for profile in ("paper", *experiment.profiles):
            effective_config(experiment, profile)  # validate(): defaults and profiles inside their choices
    assert not undeclared, f"{paper_id}: string fields without Choices/Literal/FreeText: {sorted(undeclared)}"


def test_train_config_declares_its_string_choices():
    from common.train_config import TrainConfig

    assert all(field_choices(cls, name) or is_free_text(cls, name) for _, cls, name in string_fields(TrainConfig()))


# ----------------------------------------------------------------------------- fold counts, model sizes
@pytest.mark.parametrize("setting, expected", [
    ("protocol.folds=500", "experiment talluri2022/s1_smic_to_smic_model_a: protocol.folds=500 is more than the 9 "
                           "selected samples; give protocol.folds from 2 to 9"),
    # 9 samples, 3 per class: stratified splitting needs a class with at least as many samples as folds
    ("protocol.folds=9", "the folds cannot be made from the 9 selected samples with protocol.folds=9 (n_splits=9"),
    ("data.size=2", "experiment talluri2022/s1_smic_to_smic_model_a: model model_a cannot be built with this config "
                    "(profile smoke, --set data.size=2): conv block 1: feature map (18, 2, 2) is smaller than the "
                    "3x3x3 pooling"),
])
def test_fold_counts_and_sizes_that_do_not_fit_stop_before_training(capsys, smoke_corpus, tmp_path, setting, expected):
    code, _, err = cli(capsys, *TALLURI, "--data-root", str(smoke_corpus), "--out", str(tmp_path), "--set", setting,
                       registry=None)
    assert code == 2 and expected in one_error_line(err)
    assert no_fold_trained(tmp_path)


# ----------------------------------------------------------------------------- options a mode does not use
@pytest.mark.parametrize("argv, expected", [
    (["--paper", "dummy", "--architectures", "--set", "train.epochs=2"],
     "--set is not used by --architectures (each model at the paper's default config); remove it"),
    (["--paper", "dummy", "--architectures", "--profile", "smoke", "--experiment", "toy_loso"],
     "--experiment, --profile are not used by --architectures"),
    (["--list", "--paper", "dummy"], "--paper is not used by --list; remove it"),
    (["--check-data", ".", "--seed", "3"], "--seed is not used by --check-data; remove it"),
    (["--benchmark", "megc2019", "--methods", "dummy", "--allow-faces"], "--allow-faces is not used by --benchmark"),
    (["--faces"], "--faces goes with --check-data ROOT"),
    (["--paper", "dummy", "--seeds", "2"], "--methods, --seeds and --max-folds go with --benchmark TRACK"),
])
def test_options_a_mode_does_not_use_are_refused(capsys, dummy_corpus, argv, expected):
    code, out, err = cli(capsys, *argv)
    assert code == 2 and expected in one_error_line(err)
    assert not dummy_paper.HOOKS["ran"] and "trainable" not in out


def test_estimate_names_the_run_options_it_ignores(capsys, dummy_corpus, tmp_path):
    code, out, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--estimate",
                         "--out", str(tmp_path / "o"), "--fresh")
    assert code == 0, err
    assert ("run_all.py: note: --estimate trains nothing and projects one seed over the folds the run would train; "
            "ignored: --out, --fresh" in err)
    assert "PROJECTION" in out


@pytest.mark.parametrize("argv", [["--paper", "no_such_paper"], ["--data-root", "/no/such/folder", "--paper", "dummy"],
                                  ["--benchmark", "no_such_track"]])
def test_an_estimate_refused_later_prints_the_refusal_alone(capsys, tmp_path, argv):
    """The note naming the options --estimate ignores was printed before a refusal that came after it (an unknown
    paper or track, a missing data root): the one line of a refusal was two. It is printed once every check passed."""
    code, _, err = cli(capsys, *argv, "--estimate", "--fresh")
    assert code == 2 and "note:" not in err and len(err.strip().splitlines()) == 1, err


# ----------------------------------------------------------------------------- errors carry their cause
def test_every_project_error_derives_from_one_base():
    from common.backbones import WeightsError
    from common.datasets.tables import DatabaseNotFound, DatasetError
    from common.errors import MersuiteError
    from common.files import OutputError, OutputLocked
    from common.preprocessing.faces import NoFaceError
    from common.preprocessing.io import FrameReadError

    for cls in (ConfigError, RunError, DatasetError, DatabaseNotFound, FrameReadError, OutputError, OutputLocked,
                WeightsError, NoFaceError):
        assert issubclass(cls, MersuiteError), cls
    assert issubclass(ConfigError, ValueError) and issubclass(FrameReadError, OSError)  # old except clauses hold


def test_check_data_turns_a_project_error_into_one_line(capsys, monkeypatch, tmp_path):
    import common.datasets.check as check
    from common.datasets.tables import DatasetError

    def broken(root, **kwargs):
        raise DatasetError(f"{root}/CASME2: a folder that cannot be read\n(permission denied)")

    monkeypatch.setattr(check, "main", broken)
    code, _, err = cli(capsys, "--check-data", str(tmp_path))
    assert code == 2 and f"{tmp_path}/CASME2: a folder that cannot be read (permission denied)" in one_error_line(err)


def test_estimate_on_a_clip_with_unreadable_frames_names_the_file(capsys, smoke_corpus, tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(smoke_corpus, root)
    frames = sorted((root / "SMIC" / "SMIC_all_cropped").rglob("*.bmp"))
    assert frames
    for path in frames:  # every SMIC frame: whichever clips --estimate times, it meets one
        path.write_bytes(b"garbage, not an image")
    code, out, err = cli(capsys, *TALLURI, "--data-root", str(root), "--estimate", registry=None)
    line = one_error_line(err)
    assert code == 2 and ".bmp: cannot read this frame" in line and str(root) in line
    assert "OVERALL" not in out


def test_an_unusable_cache_folder_is_one_line_at_start(capsys, dummy_corpus, tmp_path, monkeypatch):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    monkeypatch.setenv("MERSUITE_CACHE", str(a_file))
    code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--out", str(tmp_path / "out"))
    assert code == 2
    assert one_error_line(err) == (f"run_all.py: error: MERSUITE_CACHE {a_file}: is not a folder; set MERSUITE_CACHE "
                                   "to a folder you can write")
    assert not dummy_paper.HOOKS["ran"] and not (tmp_path / "out").exists()
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "read-only"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            monkeypatch.setenv("MERSUITE_CACHE", str(locked))
            code, _, err = cli(capsys, "--paper", "dummy", "--data-root", str(dummy_corpus), "--estimate")
            assert code == 2 and f"MERSUITE_CACHE {locked}: cannot write there" in one_error_line(err)
        finally:
            locked.chmod(0o700)


@pytest.mark.parametrize("paper_id", ["see2019", "liong2018"])
def test_an_svm_given_no_iteration_is_refused_not_scored_untrained(paper_id):
    """``svm.max_iter=0`` stops the solver before its first step (an untrained SVM scored: training accuracy 0.22
    where it trains to 0.87); -1 is the field's "no limit", so 0 is refused in one line, and -1 and 1 are kept."""
    from papers import get_paper

    experiment = get_paper(paper_id).EXPERIMENTS[0]
    with pytest.raises(ConfigError, match=r"max_iter: 0 stops the solver before its first step; expected -1 "):
        effective_config(experiment, "smoke", {"svm.max_iter": "0"})
    for kept in ("-1", "1"):
        assert effective_config(experiment, "smoke", {"svm.max_iter": kept}).svm.max_iter == int(kept)


@pytest.mark.parametrize("paper_id, experiment_name, setting, own, other", [
    ("le2020", "smic_10fold_resnet50", "model.backbone", "resnet50", "vgg19"),
    ("reddy2019", "casme_sq_microexpstcnn", "model.name", "microexpstcnn", "microexpfusenet_late"),
    ("reddy2019", "casme_sq_microexpstcnn", "protocol.variant", "paper", "leakage_free"),
    ("talluri2022", "s1_smic_to_smic_model_a", "model.name", "model_a", "model_b"),
])
def test_a_setting_an_experiment_is_named_by_is_refused_another_value(paper_id, experiment_name, setting, own,
                                                                      other):
    """``--set model.backbone=vgg19`` on le2020's ResNet50 experiment trained VGG19 and filed, titled and compared
    it as ResNet50 (the paper's ResNet50 numbers beside it): a field the experiment's name states is refused
    another value, naming the experiment's own; its own value is kept."""
    from papers import get_paper

    experiment = next(e for e in get_paper(paper_id).EXPERIMENTS if e.name == experiment_name)
    with pytest.raises(ConfigError, match=rf"^--set {re.escape(setting)}={other}: experiment '{experiment_name}' is "
                                          rf"{re.escape(setting)}={own} \(its name, title and the published numbers"):
        effective_config(experiment, "smoke", {setting: other})
    kept = effective_config(experiment, "smoke", {setting: own})
    section, name = setting.split(".")
    assert getattr(getattr(kept, section), name) == own


def test_a_backbone_set_on_every_le2020_experiment_stops_before_any_work(capsys, tmp_path):
    """Without --experiment, ``--set`` reaches all of le2020's experiments: one of another backbone refuses it in one
    line, exit status 2, before any fold."""
    code, _, err = cli(capsys, "--paper", "le2020", "--profile", "smoke", "--out", str(tmp_path), "--set",
                       "model.backbone=vgg19", registry=None)
    line = one_error_line(err)
    assert code == 2 and "--set model.backbone=vgg19: experiment '" in line and "is model.backbone=" in line
    assert no_fold_trained(tmp_path)
