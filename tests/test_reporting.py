"""The report: the PDF is written and opens, and its tables hold results.json's numbers."""
from __future__ import annotations

import csv
import dataclasses
import json
import logging
import re

import pytest

import dummy_paper
from common.running import runner
from common.running.profiles import resolve_run
from common.harness import ReportContext
from common.orchestration.architectures import compare_with_paper, model_summary
from common.orchestration.paper_reports import write_paper_report

FAST = dataclasses.replace(dummy_paper.EXPERIMENTS[0], run_fold=dummy_paper.nearest_centroid_fold)


def pdf_pages(path) -> int:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), "not a PDF"
    assert data.rstrip().endswith(b"%%EOF"), "PDF not closed"
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", data))


@pytest.fixture()
def results(dummy_corpus, tmp_path):
    res = runner.run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke",
                                out=tmp_path / "out", loader=dummy_paper.load))
    yield res


def test_report_pdf_and_tables_hold_the_results(results, tmp_path):
    context = ReportContext(paper_id="dummy", paper=dummy_paper.PAPER, profile="smoke", seed=0,
                            corpus=results.summary["corpus"], seconds=1.5, results={"toy_loso": results})
    pdf = write_paper_report("dummy", {"toy_loso": results}, tmp_path / "out", context)
    assert pdf == tmp_path / "out" / "dummy" / "report.pdf"
    # the answer (chart, comparison, notes, our scores), the experiment (two pages: summary, confusion,
    # per-fold strip plot, curves, fold table, selection, config), architecture, the paper's own page, the run
    assert pdf_pages(pdf) == 6
    assert b"profile: smoke    corpus: REAL" in pdf.read_bytes()  # the PDF's Subject metadata
    assert "report_pages:False" in dummy_paper.HOOKS["ran"]  # real corpus: no faces unless opted in

    paper_json = json.loads((pdf.parent / "results.json").read_text())
    assert paper_json["profile"] == "smoke" and paper_json["corpus"]["kind"] == "real"
    assert paper_json["allow_faces"] is False
    assert paper_json["citation"] == dummy_paper.PAPER.citation
    experiment = paper_json["experiments"]["toy_loso"]
    assert experiment["metrics"] == results.summary["metrics"]
    # the subject-bootstrap interval of every pooled score (4 subjects), as the benchmark computes it
    uf1 = paper_json["intervals"]["toy_loso"]["scopes"]["all"]["uf1"]
    assert uf1["low"] <= experiment["metrics"]["pooled"]["all"]["uf1"] == uf1["estimate"] <= uf1["high"]
    assert uf1["n_subjects"] == 4 and uf1["n_resamples"] == 2000 and uf1["method"] == "percentile"

    with (pdf.parent / "comparison.csv").open() as handle:
        comparison = list(csv.DictReader(handle))
    assert len(comparison) == 2
    for row, expected in zip(comparison, experiment["comparison"]):
        ours = experiment["metrics"][row["aggregation"]][row["scope"]][row["metric"]]
        assert float(row["ours"]) == pytest.approx(ours) == pytest.approx(expected["ours"])
        assert float(row["reported"]) == expected["reported"]
        assert float(row["difference"]) == pytest.approx(ours - expected["reported"])
        assert row["profile"] == "smoke" and row["corpus"] == "real"
    with (pdf.parent / "scores.csv").open() as handle:
        scores = list(csv.DictReader(handle))
    assert len(scores) == 2 * 3 * 3  # aggregations x scopes x metrics
    for row in scores:
        metrics = experiment["metrics"][row["aggregation"]][row["scope"]]
        assert float(row["value"]) == pytest.approx(metrics[row["metric"]])

    architectures = json.loads((pdf.parent / "architectures.json").read_text())["models"]
    match = {r["name"]: r["match"] for r in architectures["dummy_mlp"]["paper_comparison"]}
    assert match == {"hidden": True, "scores": False}  # the dummy table's 99 params are wrong on purpose


def test_synthetic_corpus_allows_faces_and_failed_models_do_not_lose_numbers(results, tmp_path, caplog):
    broken = dataclasses.replace(dummy_paper.PAPER, models={"dummy_mlp": lambda: 1 / 0})
    corpus = {**results.summary["corpus"], "kind": "synthetic"}
    synthetic = dataclasses.replace(results, summary={**results.summary, "corpus": corpus})
    caplog.set_level(logging.INFO, logger="common")
    pdf = write_paper_report("dummy", {"toy_loso": synthetic}, tmp_path / "out",
                             ReportContext(paper_id="dummy", paper=broken, profile="smoke", corpus=corpus,
                                           allow_faces=True))
    assert pdf_pages(pdf) == 5  # no architecture page
    assert any("could not build" in m for m in caplog.messages)
    assert "report_pages:True" in dummy_paper.HOOKS["ran"]
    assert json.loads((pdf.parent / "results.json").read_text())["allow_faces"] is True


def test_write_report_draws_only_what_it_is_given(results, tmp_path, caplog):
    """Reporting computes nothing: without the inputs computed before it, no intervals, no model built."""
    from common.reporting import write_report

    unbuildable = dataclasses.replace(dummy_paper.PAPER, models=lambda: 1 / 0)
    context = ReportContext(paper_id="dummy", paper=unbuildable, profile="smoke", corpus=results.summary["corpus"])
    caplog.set_level(logging.INFO, logger="common")
    pdf = write_report("dummy", {"toy_loso": results}, tmp_path / "out", context)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("common.")]
    assert pdf_pages(pdf) == 5 and not messages  # no architecture page, and no attempt to build one
    paper_json = json.loads((pdf.parent / "results.json").read_text())
    assert paper_json["intervals"] == {} and paper_json["comparison"][0]["ours_low"] is None
    assert json.loads((pdf.parent / "architectures.json").read_text()) == {"models": {}}


def test_model_summary_and_paper_table_comparison():
    summary = model_summary(dummy_paper.build_model(units=4))
    assert summary["trainable_params"] == 2 * 4 + 4 + 4 * 3 + 3
    assert summary["non_trainable_params"] == 0
    assert [(layer["name"], layer["class"], layer["output_shape"]) for layer in summary["layers"]] == [
        ("features", "InputLayer", [None, 2]), ("hidden", "Dense", [None, 4]), ("scores", "Dense", [None, 3])]
    rows = compare_with_paper(summary, [{"name": "hidden", "output_shape": [4], "params": None},
                                        {"name": "lstm", "output_shape": [120], "params": 10}])
    assert [r["match"] for r in rows] == [True, False]


def test_a_recomputed_number_is_shown_beside_the_published_one_and_compared_with():
    """A published number the authors' own artefact does not give (``Reported.recomputed``): page 1's table
    shows both and says so; the difference, "paper in CI" and comparison.csv use the recomputed value."""
    from common.evaluation.comparison import comparison_rows
    from common.experiment import Reported
    from common.reporting import pdf, tables

    reported = (Reported("uar", 0.76, "all", "pooled", "Table 3", note="pooled over folds",
                         recomputed=0.72, recomputed_note="the published UAR is precision"),
                Reported("uf1", 0.74, "all", "pooled", "Table 3"))
    built = comparison_rows(reported, {"pooled": {"all": {"uar": 0.70, "uf1": 0.70}}}, [])
    results = {"exp": {"comparison": built, "profile": "paper", "corpus": {"kind": "real"}}}
    intervals = {"exp": {"scopes": {"all": {m: {"low": 0.65, "high": 0.73, "estimate": 0.70} for m in ("uf1", "uar")}}}}
    rows = pdf._comparison_with_intervals(results, intervals, synthetic=False)  # comparison.csv's rows
    uar, uf1 = rows
    assert uar["reported"] == 0.76 and uar["recomputed"] == 0.72 and uar["compared_with"] == "recomputed"
    assert uar["difference"] == pytest.approx(0.70 - 0.72) and uar["paper_in_interval"] is True  # 0.72, not 0.76
    assert uf1["difference"] == pytest.approx(0.70 - 0.74) and uf1["paper_in_interval"] is False
    assert uf1["recomputed"] is None and uf1["compared_with"] == "published"
    assert {"recomputed", "compared_with", "recomputed_note"} <= set(tables.COMPARISON_COLUMNS)

    answer = [{**row, "interval": intervals["exp"]["scopes"]["all"][row["metric"]]}
              for row in tables.comparison_rows(results)]
    header, body, lines = pdf.reported_table(answer, synthetic=False)
    cell = dict(zip(header, body[0]))
    assert cell["paper"] == "0.760 (recomputed 0.720)" and cell["ours-paper"] == "-0.020"
    assert cell["paper in CI"] == "yes" and cell["source"] == "Table 3 [1]"
    assert dict(zip(header, body[1]))["paper"] == "0.740"
    assert lines[0].startswith(pdf.RECOMPUTED_MEANING) and "use the recomputed value" in lines[0]
    assert "[1] exp: pooled over folds; recomputed: the published UAR is precision" in lines
    _, _, plain = pdf.reported_table(answer[1:], synthetic=False)
    assert not any("recomputed" in line for line in plain)  # nothing said where nothing was recomputed
