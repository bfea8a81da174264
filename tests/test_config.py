"""Config ranges: every numeric field declares its range; defaults and profiles satisfy it;
an override out of range, fractional where an integer is due, or not finite is refused in one line."""
from __future__ import annotations

import dataclasses
from typing import Annotated

import pytest

from common.config import (ConfigError, Range, apply_overrides, numeric_fields, parse_assignments, set_arguments,
                           validate)
from common.train_config import TrainConfig
from papers import PAPER_IDS


@dataclasses.dataclass(frozen=True)
class Section:
    rate: Annotated[float, Range(ge=0, lt=1)] = 0.5
    sizes: Annotated[tuple[int, ...], Range(ge=1)] = (2, 3)
    kernels: Annotated[tuple[tuple[int, int], ...], Range(ge=1)] = ((1, 2),)
    undeclared: float = 1.0
    flag: bool = True


@dataclasses.dataclass(frozen=True)
class Config:
    section: Section = Section()
    train: TrainConfig = TrainConfig()


def test_range_text_and_membership():
    assert [str(r) for r in (Range(ge=1), Range(gt=0), Range(ge=0, lt=1), Range(gt=0, le=1), Range(le=2), Range())] \
        == [">= 1", "> 0", "in [0, 1)", "in (0, 1]", "<= 2", "a finite number"]
    assert Range(ge=0, lt=1).contains(0) and not Range(ge=0, lt=1).contains(1)
    assert not Range().contains(float("nan")) and not Range(gt=0).contains(float("inf"))
    with pytest.raises(ValueError):
        Range(ge=0, gt=0)


@pytest.mark.parametrize("path, value, message", [
    ("train.epochs", "-1", "--set train.epochs=-1: -1 is out of range; TrainConfig.epochs must be >= 1"),
    ("train.epochs", "0", "TrainConfig.epochs must be >= 1"),  # an untrained model is never run
    ("train.epochs", "1.5", "--set train.epochs: expected int (a whole number), got '1.5'"),
    ("train.batch_size", "0", "TrainConfig.batch_size must be >= 1"),
    ("train.learning_rate", "0", "TrainConfig.learning_rate must be > 0"),
    ("train.learning_rate", "nan", "TrainConfig.learning_rate must be > 0"),
    ("train.momentum", "1", "TrainConfig.momentum must be in [0, 1)"),
    ("section.rate", "-0.1", "Section.rate must be in [0, 1)"),
    ("section.sizes", "2,0", "--set section.sizes=2,0: 0 is out of range; Section.sizes must be >= 1"),
    ("section.kernels", "[[1, 0]]", "Section.kernels must be >= 1"),
    ("section.undeclared", "inf", "Section.undeclared must be a finite number"),
    # a whole number of 401 digits inside a list: an OverflowError traceback (math.isfinite of an int), echoed short
    ("section.sizes", "[2,-" + "9" * 401 + "]", "... (406 characters): -" + "9" * 59 + "... (402 characters) is out "
                                                "of range; Section.sizes must be >= 1"),
])
def test_out_of_range_overrides_are_refused_naming_field_and_range(path, value, message):
    with pytest.raises(ConfigError) as error:
        apply_overrides(Config(), {path: value})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_value_of_any_length_is_echoed_short():
    with pytest.raises(ConfigError) as error:
        apply_overrides(Config(), {"train.optimizer": "x" * 100_000})
    assert "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (100,002 characters)" in str(error.value)
    assert len(str(error.value)) < 300


def test_an_empty_cache_or_reports_variable_is_unset(monkeypatch):
    """``MERSUITE_CACHE=`` (set to nothing) wrote the cache into the working folder: ``Path("")``."""
    from common import paths

    monkeypatch.setenv("MERSUITE_CACHE", "")
    monkeypatch.setenv("MERSUITE_REPORTS", "")
    assert paths.cache_root() == paths.REPO_ROOT / ".cache" / "mersuite"
    assert paths.reports_root() == paths.REPO_ROOT / "reports"


def test_in_range_overrides_and_whole_number_spellings():
    config = apply_overrides(Config(), {"train.epochs": "2.0", "train.batch_size": 3, "section.sizes": "4, 5",
                                        "section.rate": "0"})
    assert (config.train.epochs, config.train.batch_size, config.section.sizes, config.section.rate) == (
        2, 3, (4, 5), 0.0)
    assert validate(config) is config


def test_validate_walks_the_whole_config():
    bad = dataclasses.replace(Config(), train=TrainConfig(epochs=0))  # built in code, not through --set
    with pytest.raises(ConfigError, match=r"config train.epochs: 0 is out of range; TrainConfig.epochs must be >= 1"):
        validate(bad)
    paths = {path: declared for path, _, _, declared in numeric_fields(Config())}
    assert paths["section.undeclared"] is None and paths["train.epochs"] == Range(ge=1)
    assert "section.flag" not in paths  # a bool is not a number


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_numeric_field_of_every_paper_declares_a_range_that_defaults_and_profiles_satisfy(paper_id):
    """Registry-wide, a paper at a time: each int/float (or tuple of them) field of every experiment's config has a
    Range, and the paper configuration and every profile (quick, smoke) lie inside the ranges."""
    from papers import get_paper

    checked = 0
    for experiment in get_paper(paper_id).EXPERIMENTS:
        undeclared = [f"{cls.__module__}.{cls.__name__}.{name}" for _, cls, name, declared
                      in numeric_fields(experiment.config) if declared is None]
        assert not undeclared, f"{paper_id}/{experiment.name}: numeric fields without a Range: {undeclared}"
        validate(experiment.config)
        for profile, overrides in experiment.profiles.items():
            try:
                validate(apply_overrides(experiment.config, dict(overrides)))
            except ConfigError as exc:
                raise AssertionError(f"{paper_id}/{experiment.name} profile {profile}: {exc}") from None
        checked += 1
    assert checked >= 1


def test_every_named_option_written_as_set_arguments_reads_back_to_its_own_config():
    """A package's named options (``Pipeline.options``) as the command line writes them (``set_arguments``: what the
    results site and benchmarks/reproduce_all.py print) parse back to the config the overrides themselves give."""
    from papers import get_paper

    checked = 0
    for paper_id in PAPER_IDS:
        pipeline = getattr(get_paper(paper_id), "PIPELINE", None)
        for name, overrides in getattr(pipeline, "options", {}).items():
            arguments = set_arguments(overrides)
            assert arguments[::2] == ["--set"] * len(overrides), name
            parsed = parse_assignments(arguments[1::2])
            assert apply_overrides(pipeline.config, parsed) == apply_overrides(pipeline.config, overrides), name
            checked += 1
    assert checked >= 7  # STSTNet's MATLAB_ABLATIONS at least
