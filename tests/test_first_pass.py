"""The first pass of preprocessing in several processes writes the sequential pass's cache, byte for
byte, and the folds then read every clip from it."""
from __future__ import annotations

import json
import logging

import pytest

import papers
from common.running import first_pass, runner
from common.running.profiles import resolve_run
from common.running.first_pass import FirstPass


def _files(root):
    return {path.relative_to(root): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def pool():
    with FirstPass(2) as processes:
        yield processes


@pytest.mark.parametrize("paper_id", papers.PAPER_IDS)
def test_the_parallel_first_pass_writes_the_sequential_cache_byte_for_byte(paper_id, smoke_corpus, tmp_path, pool,
                                                                           caplog):
    experiment = papers.get_paper(paper_id).EXPERIMENTS[0]
    assert experiment.first_pass is not None
    selection, folds, config = first_pass.experiment_folds(paper_id, experiment, smoke_corpus, "smoke")
    steps = experiment.first_pass(selection, folds, config)
    assert len(steps) == len(first_pass.clips_read(folds)) == len(selection)  # every clip, once

    assert first_pass.run_steps(steps, tmp_path / "sequential") == []
    pool.root = tmp_path / "parallel"
    caplog.set_level(logging.INFO, logger="common")
    pool.map(steps)
    assert f"first pass of preprocessing: {len(steps)} clip(s) in 2 process(es)" in caplog.messages[0]

    sequential, parallel = _files(tmp_path / "sequential"), _files(tmp_path / "parallel")
    assert len(sequential) >= len(steps)
    assert sorted(parallel) == sorted(sequential)
    different = [str(name) for name in sequential if parallel[name] != sequential[name]]
    assert different == []


def test_after_the_first_pass_the_folds_compute_no_preprocessing(smoke_corpus, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MERSUITE_CACHE", str(tmp_path / "cache"))  # an empty cache
    experiment = papers.get_paper("reddy2019").EXPERIMENTS[0]
    caplog.set_level(logging.INFO, logger="common")
    with FirstPass(2) as pool:
        runner.run_experiment("reddy2019", experiment, resolve_run(data_root=smoke_corpus, profile="smoke",
                              out=tmp_path / "out"), prepare_clips=pool.run)
    assert any("first pass of preprocessing" in line and "in 2 process(es)" in line for line in caplog.messages)
    folds = sorted((tmp_path / "out" / "reddy2019" / experiment.name / "folds").glob("*.json"))
    assert folds
    for path in folds:
        record = json.loads(path.read_text())
        assert record["status"] == "ok"
        assert record["cache"] and all(stage["misses"] == 0 and stage["hits"] > 0 for stage in record["cache"].values())
