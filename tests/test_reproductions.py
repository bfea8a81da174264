"""The reproductions' shipped predictions (docs/predictions/): each file is the run ``runs.json`` says, the README's
table is the one ``benchmarks/reproductions.py`` computes from them, and (with ``MERSUITE_RELEASED``) ``--score``
of a file on the released inputs gives its numbers, ``--against`` taking another."""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

import run_all
from common.evaluation import statistics as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import reproductions  # noqa: E402  (benchmarks/ is no package)

RELEASED = os.environ.get("MERSUITE_RELEASED", "")
RUNS = reproductions.manifest()


@pytest.mark.parametrize("run", RUNS, ids=[r["file"] for r in RUNS])
def test_each_file_is_the_run_its_manifest_names(run):
    path = reproductions.FOLDER / run["file"]
    predictions = st.read_predictions_csv(path)
    assert run["file"] == f"{run['method']}-{run['recipe']}-seed{run['seed']}.csv"
    assert re.fullmatch(r"[0-9a-f]{40}", run["commit"]) and run["command"].startswith("run_all.py")
    assert len(set(predictions.folds.tolist())) == run["folds"] <= reproductions.FOLDS
    if run["folds"] == reproductions.FOLDS:  # the whole composite, each clip once
        assert len(predictions) == 442 and len(set(predictions.keys.tolist())) == 442
        assert len(set(predictions.subjects.tolist())) == 68
    assert run["profile"] == run["recipe"]


def test_the_readme_table_is_the_one_the_shipped_files_give():
    table = reproductions.table(reproductions.methods())
    assert table in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.skipif(not RELEASED, reason="MERSUITE_RELEASED does not name the authors' released inputs "
                                         "(.ci/run sets it to ../shared/released when that exists)")
def test_score_of_a_shipped_file_gives_its_numbers_and_against_takes_another(tmp_path, capsys):
    first, *others = [r for r in RUNS if r["folds"] == reproductions.FOLDS]
    path = reproductions.FOLDER / first["file"]
    argv = ["--score", str(path), "--benchmark", "megc2019", "--data-root", str(Path(RELEASED) / "htnet"),
            "--out", str(tmp_path)]
    if others:
        argv += ["--against", str(reproductions.FOLDER / others[0]["file"])]
    assert run_all.main(argv) == 0, capsys.readouterr().err
    (folder,) = (tmp_path / "score" / "megc2019").iterdir()
    summary = json.loads((folder / "results.json").read_text())
    predictions = st.read_predictions_csv(path)
    assert summary["matching"]["scored"] == 442
    for metric in ("uf1", "uar"):
        expected = st.pooled_score(predictions, 3, metric)
        assert summary["statistics"]["scores"]["all"][metric]["pooled"] == pytest.approx(expected, abs=1e-9)
    if others:
        assert summary["against"]["n"] == 442
