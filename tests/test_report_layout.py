"""Every report reads as an appendix: page 1 is the answer, no page is wasted or broken.

Each paper's report is drawn from a smoke run of its first experiment (and one more where the paper
has several), the benchmark's from a two-method dummy run; every page is checked with matplotlib's
own bounding boxes (``common.reporting.layout``): no text outside the page, no table cell narrower
than its text, no page more than three-quarters empty except the last page of a section; and no
figure is left open.
"""
from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import pytest

import dummy_paper
from common.running import runner
from common.running.profiles import resolve_run
from common.orchestration.paper_reports import write_paper_report
from common.orchestration.paper_runs import corpus_summary
from common.harness import ReportContext
from papers import PAPER_IDS, get_paper

MOSTLY_EMPTY = 0.25  # a page whose body fills less than a quarter of its height is three-quarters empty
# The experiment each paper's report is drawn from: its first, except where the first is long to train
# (kumar2019's megc2019_loso trains 9 smoke folds; smic_loso draws the same kinds of page from 3).
LAYOUT_EXPERIMENT = {"kumar2019": "smic_loso"}


def pdf_page_count(path) -> int:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", data))


def check_pages(pages, pdf) -> None:
    assert pdf_page_count(pdf) == len(pages)
    for number, page in enumerate(pages, 1):
        assert not page.outside, f"page {number} ({page.title}): text outside the page: {page.outside}"
        assert not page.truncated, f"page {number} ({page.title}): cells narrower than their text: {page.truncated}"
        last_of_section = number == len(pages) or pages[number].section != page.section
        assert page.fill >= MOSTLY_EMPTY or last_of_section, \
            f"page {number} ({page.title}) is {1 - page.fill:.0%} empty and not the last page of {page.section!r}"
    assert b"/Outlines" in pdf.read_bytes()  # bookmarks, one per section


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_papers_report_from_a_smoke_run(paper_id, smoke_corpus, tmp_path):
    module = get_paper(paper_id)
    name = LAYOUT_EXPERIMENT.get(paper_id, module.EXPERIMENTS[0].name)
    experiments = [e for e in module.EXPERIMENTS if e.name == name]
    results = {e.name: runner.run_experiment(paper_id, e, resolve_run(data_root=smoke_corpus, profile="smoke",
                                             out=tmp_path / "out")) for e in experiments}
    context = ReportContext(paper_id=paper_id, paper=module.PAPER, profile="smoke", seed=0,
                            corpus=corpus_summary(results, smoke_corpus, True), allow_faces=True, results=results)
    open_before = plt.get_fignums()
    pages = []
    pdf = write_paper_report(paper_id, results, tmp_path / "out", context, pages=pages)
    assert plt.get_fignums() == open_before, "the report left figures open"
    check_pages(pages, pdf)
    assert pages[0].title.startswith("The answer")
    # intervals beside every pooled score, computed after the run from the stored predictions
    report = json.loads((pdf.parent / "results.json").read_text())
    for name, res in results.items():
        uf1 = report["intervals"][name]["scopes"]["all"]["uf1"]
        if uf1 is None:  # a smoke fold may test one subject: no interval, and the report says why
            assert "no interval" in report["intervals"][name]["notes"]["all"]
            continue
        assert uf1["unit"] == "subjects" and uf1["n_resamples"] == 2000
        assert uf1["low"] <= res.summary["metrics"]["pooled"]["all"]["uf1"] <= uf1["high"]
    assert all(r["paper_in_interval"] is None for r in report["comparison"])  # synthetic: no verdict


@pytest.mark.dummy_databases("casme2", "samm", "megc2019")
def test_benchmark_report_layout(dummy_corpus, tmp_path):

    from common.leaderboard.report import write_report as write_benchmark_report

    corpus = dummy_corpus
    import run_all

    code = run_all.main(["--benchmark", "megc2019", "--data-root", str(corpus), "--profile", "smoke", "--out",
                         str(tmp_path / "out"), "--methods", "dummy,dummy:centroid", "--max-folds", "2"],
                        registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    dummy_paper.reset_hooks()
    assert code == 0
    summary = json.loads((tmp_path / "out" / "benchmark" / "megc2019" / "results.json").read_text())
    open_before = plt.get_fignums()
    pages = []
    pdf = write_benchmark_report(summary, tmp_path / "again.pdf", pages=pages)
    assert plt.get_fignums() == open_before
    check_pages(pages, pdf)
