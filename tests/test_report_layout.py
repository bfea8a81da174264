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
import shutil

import matplotlib.pyplot as plt
import pytest

import dummy_paper
from common.running import runner
from common.running.profiles import resolve_run
from common.orchestration.paper_reports import write_paper_report
from common.orchestration.paper_runs import corpus_summary
from common.harness import ReportContext
from papers import PAPER_IDS, get_paper
from run_cli import SMOKE_RUNS, smoke_run

MOSTLY_EMPTY = 0.25  # a page whose body fills less than a quarter of its height is three-quarters empty
# The experiment each paper's report is drawn from: its first, except where the first is long to train
# (kumar2019's megc2019_loso trains 9 smoke folds; smic_loso draws the same kinds of page from 3), and for
# the papers whose own tests make a smoke run through run_all.py (tests/run_cli.SMOKE_RUNS), that run's first
# experiment, its folds reused rather than trained again.
LAYOUT_EXPERIMENT = {paper_id: experiments[0] for paper_id, experiments in SMOKE_RUNS.items()}


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
def test_every_papers_report_from_a_smoke_run(paper_id, smoke_corpus, tmp_path, tmp_path_factory):
    module = get_paper(paper_id)
    name = LAYOUT_EXPERIMENT.get(paper_id, module.EXPERIMENTS[0].name)
    experiments = [e for e in module.EXPERIMENTS if e.name == name]
    if paper_id in SMOKE_RUNS:  # the paper's own smoke run: its folds copied here, then reused by the runner
        shutil.copytree(smoke_run(tmp_path_factory, smoke_corpus, paper_id) / paper_id / name / "folds",
                        tmp_path / "out" / paper_id / name / "folds")
    results = {e.name: runner.run_experiment(paper_id, e, resolve_run(data_root=smoke_corpus, profile="smoke",
                                             out=tmp_path / "out")) for e in experiments}
    if paper_id in SMOKE_RUNS:  # the same folds, none trained again
        assert all(fold["reused"] for fold in results[name].summary["folds"])
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


# --- the benchmark's pages, drawn from a small summary in memory ------------------------------------------------

def _benchmark_summary(p_value: float = 1.0, difference: float = 0.05, n_folds: int = 4) -> dict:
    """A benchmark's results.json, in memory: two methods on the megc2019 track's scopes, ``n_folds`` of 68 folds."""
    scopes = ["all", "smic", "casme2", "samm"]
    score = {"pooled": 0.6, "fold_mean": 0.55, "interval": {"low": 0.5, "high": 0.7}, "n": 10, "n_subjects": 4}
    confusion = [[3, 1, 0], [0, 2, 1], [1, 0, 2]]
    curve = {"epochs": [1, 2, 3], "median": [1.0, 0.8, 0.7], "low": [0.9, 0.7, 0.6], "high": [1.1, 0.9, 0.8],
             "n": [4, 4, 4]}

    def method(name: str, differs: list) -> dict:
        return {"name": name, "paper": name, "model": "m", "models": ["m"], "experiment": "megc2019",
                "title": f"{name} on the track", "profile": "paper", "seeds": [0], "folder": f"/out/{name}",
                "config": {"train": {"epochs": 3}}, "differs_from_paper": differs, "reported": [],
                "scores": {s: {"uf1": score, "uar": score} for s in ("all", "casme2")},
                "confusion": confusion, "confusion_by_scope": {"all": confusion, "casme2": confusion},
                "per_fold": {f"casme2_sub0{k}": {"n": 3, "uf1": 0.5, "accuracy": 2 / 3, "status": "ok", "seeds": 1}
                             for k in range(1, n_folds + 1)},
                "curves": {"folds": n_folds, "quantiles": [0.25, 0.75],
                           "curves": {"loss": curve, "test accuracy": {**curve, "pooled": [0.5, 0.6, 0.6]}}},
                "cost": dict.fromkeys(("parameters_total", "fold_seconds", "fit_seconds", "predict_ms_per_clip",
                                       "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached",
                                       "peak_rss_mb")) | {"folds": n_folds, "meaning": {}},
                "runs": [{"seed": 0, "warnings": []}], "vs_chance": {}, "left_out": 0, "epoch_selection": []}

    matrix = {"methods": ["a", "b"], "difference": [[0.0, difference], [-difference, 0.0]],
              "low": [[0, 0.01], [-0.09, 0]], "high": [[0, 0.09], [-0.01, 0]],
              "p_value": [[1.0, p_value], [p_value, 1.0]], "p_adjusted": [[1.0, p_value], [p_value, 1.0]],
              "n": 10, "n_subjects": 4, "n_runs": 1, "left_out": 0}
    return {"track": {"name": "megc2019", "title": "MEGC 2019 composite, LOSO (68 subjects)", "scopes": scopes,
                      "class_names": ["negative", "positive", "surprise"], "note": "LOSO"},
            "profile": "paper", "seeds": [0], "n_folds": n_folds, "n_folds_protocol": 68, "max_folds": n_folds,
            "corpus": {"kind": "real", "root": "/data", "datasets": {}, "inputs": "frames"}, "overrides": {},
            "methods": [method("a", [{"setting": "train.epochs", "paper": 500, "used": 3}]), method("b", [])],
            "statistics": {"settings": {"level": 0.95, "n_resamples": 2000, "interval": "percentile", "seed": 0,
                                        "unit": "subject", "chance": "label permutation"},
                           "pairwise": {"uf1": matrix, "uar": matrix}, "chance": {}},
            "references": [], "environment": {}, "device": "cpu", "command": "run_all.py", "seconds": 1.0}


def _luminance(colour) -> float:
    """Relative luminance (WCAG) of a matplotlib colour: black text needs a light cell (contrast >= 4.5: > 0.18)."""
    import matplotlib.colors

    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
               for c in matplotlib.colors.to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_paired_matrix_is_coloured_by_sign_and_p_and_its_text_always_reads():
    from common.leaderboard import report
    from common.reporting import style

    assert report.pair_colour(0.05, 1.0) == report.pair_colour(-0.05, 0.2) == report.PAIR_NONE  # p = 1: no colour
    assert report.pair_colour(0.05, 0.03) != report.pair_colour(-0.05, 0.03)  # the sign decides the hue
    assert report.pair_colour(0.05, 0.001) != report.pair_colour(0.05, 0.03)  # stronger below 0.01
    for p_value in (1.0, 0.03, 0.001):
        fig = report._pairwise_page(_benchmark_summary(p_value=p_value))
        cells = [patch for ax in fig.axes for patch in ax.patches]
        assert len(cells) == 2 * 4  # two metrics, 2 x 2 methods
        assert all((_luminance(cell.get_facecolor()) + 0.05) / 0.05 >= 4.5 for cell in cells)  # black text reads
        coloured = {cell.get_facecolor() for cell in cells} - {matplotlib_rgba(report.PAIR_NONE),
                                                              matplotlib_rgba("#eeeeee")}
        assert bool(coloured) == (p_value < 0.05)
        texts = [t for ax in fig.axes for t in ax.texts]
        assert texts and all(t.get_color() == style.INK for t in texts)
        plt.close(fig)


def matplotlib_rgba(colour):
    import matplotlib.colors

    return matplotlib.colors.to_rgba(colour)


def test_the_benchmark_report_completed_on_a_partial_run(tmp_path):
    """Every method's confusion on every scope with test clips, the per-subject table, the training curves, and
    "partial run: 4 of 68 folds" wherever the run is shown; the settings line lists what differs, nothing else."""
    from common.leaderboard import report

    summary = _benchmark_summary()
    assert "PARTIAL RUN: 4 of 68 folds, not comparable with published rows" in report.banner(summary)
    assert report.partial({**summary, "n_folds": 68}) == ""
    confusion = report._confusion_pages(summary)
    titles = [ax.get_title() for fig in confusion for ax in fig.axes if ax.get_title()]
    assert titles == ["a · all (n=10)", "a · casme2 (n=10)", "b · all (n=10)", "b · casme2 (n=10)"]
    header, rows = report.subject_rows(summary)
    assert header == ["fold (subject)", "test clips", "a\nUF1 | acc", "b\nUF1 | acc"]
    assert rows[0] == ["casme2_sub01", "3", "0.500 | 0.667", "0.500 | 0.667"] and len(rows) == 4
    # a method of two seeds one of which did not score a fold: that fold's cell is the one seed's, and says so
    two = {**summary["methods"][0], "seeds": [0, 1]}
    two["per_fold"] = {**two["per_fold"], "casme2_sub02": {**two["per_fold"]["casme2_sub02"], "seeds": 1}}
    two["per_fold"]["casme2_sub01"] = {**two["per_fold"]["casme2_sub01"], "seeds": 2}
    _, rows = report.subject_rows({**summary, "methods": [two]})
    assert [row[2] for row in rows[:2]] == ["0.500 | 0.667", "0.500 | 0.667\n1 of 2 seeds"]
    curves = report._curves_pages(summary)
    assert [ax.get_title() for ax in curves[0].axes] == ["loss", "test accuracy"] * 2
    methods = report._method_pages(summary)
    text = "\n".join(t.get_text() for fig in methods for t in fig.texts)
    assert "Settings that differ from the paper profile (1):" in text and "quick-only" not in text
    assert "train.epochs: paper 500 -> used 3" in text and "none: this is the paper profile as published" in text
    for fig in confusion + curves + methods:
        plt.close(fig)
    pages = []
    report.write_report(summary, tmp_path / "report.pdf", pages=pages)
    assert pages[0].title.startswith("Benchmark: MEGC 2019 composite, LOSO (68 subjects): PARTIAL run, 4 of 68")
    sections = [page.section for page in pages]
    assert {"Confusion matrices", "Per subject", "Training curves"} <= set(sections)
    assert pdf_page_count(tmp_path / "report.pdf") == len(pages)
    for page in pages:  # a summary this small leaves its method pages short: only the cut and the overflow count
        assert not page.outside and not page.truncated, page


def test_a_holdout_track_report_says_what_its_fold_is_and_that_no_published_number_exists():
    """A track scored on all its clips only (a holdout database, one fold) has no per-database column, calls its
    fold the held-out database, not a subject, and says that no published number exists where none does; its
    note counts no clips it may not have (the synthetic corpus's composite is not 442 clips)."""
    from common.leaderboard import report
    from common.leaderboard.tracks import TRACKS, get_track

    track = get_track("megc2019_to_4dme")
    summary = _benchmark_summary()
    summary["track"] = {**summary["track"], "name": track.name, "title": track.title, "note": track.note,
                        "scopes": ["all"]}
    header, rows, _ = report.leaderboard_rows(summary)
    assert not any(h.startswith(report.PER_DATABASE_HEADER) for h in header) and all(len(r) == len(header)
                                                                                     for r in rows)
    assert report.subject_rows(summary)[0][0] == "fold (held-out database)"
    assert report.references_note(summary).startswith("No published number exists for this track")
    assert report.references_note(_benchmark_summary() | {"references": [{"name": "x"}]}).startswith("Grey rows")
    with_databases = report.leaderboard_rows(_benchmark_summary())[0]
    assert f"{report.PER_DATABASE_HEADER}\n(smic / casme2 / samm)" in with_databases
    assert all("the 442" not in t.note and "real data" not in t.title for t in TRACKS)  # a synthetic run too


def test_report_pages_name_the_corpus_folder_not_its_absolute_path():
    """A maintainer's home or cache folder is not printed on a page (README's page 1 showed one): the folder's
    name only, the full path staying in results.json."""
    from common.leaderboard import report
    from common.reporting import pdf
    from common.reporting.tables import corpus_place

    cache = {"kind": "synthetic", "root": "/home/someone/mersuite/.cache/mersuite/synthetic/default-seed0-v2"}
    assert corpus_place(cache) == "default-seed0-v2" and corpus_place({"kind": "real"}) == "?"
    assert "/home" not in pdf._banner("quick", cache) and "default-seed0-v2" in pdf._banner("quick", cache)
    summary = _benchmark_summary()
    summary["corpus"] = {**summary["corpus"], **cache}
    fig = report._run_page(summary)
    text = "\n".join(t.get_text() for t in fig.texts)
    plt.close(fig)
    assert "default-seed0-v2" in text and "/home" not in text


def test_a_weights_run_shows_no_training_recipe_and_a_cut_benchmark_says_what_ran():
    """The authors' released weights train nothing: the config a page prints has no recipe under "train", one line
    instead; a benchmark cut by --max-folds does not print "max_folds = 0" as if every fold had run."""
    from common.leaderboard import report
    from common.reporting.pdf import config_lines, shown_config

    config = {"train": {"epochs": 800, "weights": "/w/STSTNet_Weights"}, "evaluation": {"max_folds": 0}}
    lines = config_lines(shown_config(config, weights={"folder": "/w/STSTNet_Weights"}, max_folds=4))
    text = "\n".join(lines)
    assert "epochs" not in text and "train = not used: the authors' released weights (STSTNet_Weights)" in text
    assert "max_folds = 0 (not what ran: --max-folds 4 kept the track's first 4 folds)" in text
    assert config_lines(shown_config(config)) == config_lines(config)  # a run that trains: as run
    summary = _benchmark_summary()
    summary["methods"][0] = {**summary["methods"][0], "weights": "/w/STSTNet_Weights", "config": config}
    fig = report._method_pages(summary)[0]
    page = "\n".join(t.get_text() for t in fig.texts)
    plt.close(fig)
    assert "epochs = 800" not in page and "--max-folds 4 kept" in page


def test_the_run_page_lists_each_reference_with_its_citation_then_its_source():
    from common.evaluation import published
    from common.leaderboard import report

    summary = _benchmark_summary()
    summary["references"] = [{"name": "HTNet", "ref": "Wang et al. 2024", "source": "Table 2",
                              "selects_on_test": "yes"}]
    fig = report._run_page(summary)
    text = " ".join(" ".join(t.get_text() for t in fig.texts).split())
    plt.close(fig)
    assert "HTNet (Wang et al. 2024): Table 2; selects on test data: yes" in text
    assert all(r.ref for r in published.REFERENCES)  # every published row names its source in the table


def test_the_forest_plots_legend_covers_no_interval():
    """The chance legend sits in a band of its own above the first method: an interval reaching far left (a
    partial run's, a weak method's) is not drawn under it."""
    from common.leaderboard import report

    summary = _benchmark_summary()
    wide = {"pooled": 0.6, "fold_mean": 0.55, "interval": {"low": 0.02, "high": 0.98}, "n": 10, "n_subjects": 4}
    for m in summary["methods"]:
        m["scores"] = {**m["scores"], "all": {"uf1": wide, "uar": wide}}
    band = {"mean": 0.33, "low": 0.2, "high": 0.46}
    summary["statistics"]["chance"] = {"all": {"uf1": band, "uar": band}}
    for methods in (summary["methods"], summary["methods"] * 5):  # 2 and 10 rows
        fig = plt.figure(figsize=report.LANDSCAPE)
        axes = [fig.add_axes((0.12, 0.1, 0.36, 0.35)), fig.add_axes((0.61, 0.1, 0.36, 0.35))]
        report.forest(axes, {**summary, "methods": methods})
        fig.canvas.draw()
        for ax in axes:
            box = ax.get_legend().get_window_extent()
            for collection in ax.collections:
                for segment in collection.get_segments():
                    (x0, y0), (x1, y1) = ax.transData.transform(segment)
                    inside_y = box.y0 <= min(y0, y1) <= box.y1 or box.y0 <= max(y0, y1) <= box.y1
                    assert not (inside_y and min(x0, x1) <= box.x1 and max(x0, x1) >= box.x0), (len(methods), segment)
        plt.close(fig)


def _page_texts(fig) -> str:
    """Every text a figure draws (titles, tick labels, table cells), one per line."""
    import matplotlib.text

    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_the_authors_weights_and_a_test_selected_run_are_marked_wherever_their_scores_are_shown(tmp_path):
    """A ``--weights`` row (the authors' released weights evaluated, nothing trained) says so in its name on page 1,
    the forest plot, the heatmap, the paired matrix, the per-fold, every-score and cost pages and the console line;
    its paper column holds the numbers the weights' source states and says so. A run whose predictions were picked
    on its test data says "(test-selected)" on the forest plot and the heatmap (page 1's table: its own column)."""
    from common.leaderboard import report
    from common.orchestration.leaderboard_runs import result_line

    summary = _benchmark_summary()
    stated = [{"metric": k, "value": 0.72, "scope": "all", "aggregation": "pooled", "source": "port README",
               "note": "", "comparable": True, "recomputed": None, "recomputed_note": ""} for k in ("uf1", "uar")]
    summary["methods"][0] = {**summary["methods"][0], "weights": "/w/STSTNet_Weights", "reported": stated}
    # b's paper number kept each subject's best test epoch: not comparable, its page 1 footnote says what it is
    unlike = [{**r, "note": "selected on test data: each subject's best test epoch", "comparable": False}
              for r in stated]
    summary["methods"][1] = {**summary["methods"][1], "reported": unlike,
                             "runs": [{"seed": 0, "warnings": [], "selected_on_test": "the best test epoch"}]}
    weights, picked = "a\n(authors' weights,\nnot trained)", "b\n(test-selected)"
    header, table, _ = report.leaderboard_rows(summary)
    cells = {row[1]: dict(zip(header, row)) for row in table}
    assert set(cells) == {"a (authors' weights, not trained)", "b"}  # b: its selection column says "yes"
    assert cells["a (authors' weights, not trained)"]["paper's\nUF1 / UAR"] == (
        "0.7200 / 0.7200 (stated by the weights' source)")
    assert cells["b"][report.SELECTION_HEADER] == "yes" and cells["b"]["paper's\nUF1 / UAR"] == (
        "0.7200\u2021 / 0.7200\u2021")
    fig = report.leaderboard_figure(summary)
    assert ("\u2021 b: the paper's UF1 / UAR is not comparable with our run (shown, never differenced): selected on "
            "test data: each subject's best test epoch") in _page_texts(fig)
    plt.close(fig)
    fig = plt.figure(figsize=report.LANDSCAPE)
    axes = [fig.add_axes((0.12, 0.1, 0.36, 0.35)), fig.add_axes((0.61, 0.1, 0.36, 0.35))]
    report.forest(axes, summary)
    for ax in axes:
        assert {t.get_text() for t in ax.get_yticklabels()} == {weights, picked}
    plt.close(fig)
    for fig in [report._heatmap_page(summary), report._pairwise_page(summary)]:
        for ax in fig.axes:
            assert {t.get_text() for t in ax.get_yticklabels()} == {weights, picked}
        plt.close(fig)
    for drawn in (report._scores_pages(summary), report._subject_pages(summary), report._cost_page(summary)[1:]):
        text = "\n".join(_page_texts(fig) for fig in drawn)
        assert weights in text and picked in text, text
        for fig in drawn:
            plt.close(fig)
    fig = report._method_pages(summary)[0]
    text = " ".join(" ".join(_page_texts(fig).split()).split())
    plt.close(fig)
    assert "Numbers stated by the weights' source, not the paper's (Experiment.weights_reported)" in text
    assert "The paper's own numbers" not in text
    line = result_line(summary, summary["methods"][0])
    assert line.startswith("[benchmark megc2019] a (authors' weights, not trained): UF1 0.600 [0.500, 0.700]")
    assert "nothing selected on the test data" in line
    assert result_line(summary, summary["methods"][1]).startswith("[benchmark megc2019] b: UF1")
    assert "SELECTED ON THE TEST DATA" in result_line(summary, summary["methods"][1])
    pages: list = []
    report.write_report(summary, tmp_path / "report.pdf", pages=pages)  # the marks fit every page
    assert pages and not any(page.outside or page.truncated for page in pages)


@pytest.mark.parametrize("seeds", [[0], [0, 1, 2]])
def test_the_captions_say_a_mean_over_seeds_and_an_interval_over_subjects_x_seeds_where_there_are_seeds(seeds):
    """With several seeds the pooled score is each seed's pooled score, then their mean, and the interval resamples
    subjects x seeds: the heatmap, the forest plot and the every-score pages say so, as the banner does."""
    from common.leaderboard import report

    summary = {**_benchmark_summary(), "seeds": seeds}
    several = len(seeds) > 1
    pooled = "pooled over folds, mean over seeds" if several else "pooled over folds"
    interval = "95% CI over subjects x seeds" if several else "95% CI over subjects"
    assert (", mean over seeds" in report.banner(summary)) == several
    fig = report._heatmap_page(summary)
    assert [ax.get_title() for ax in fig.axes] == [f"UF1 {pooled} [{interval}]", f"UAR {pooled} [{interval}]"]
    plt.close(fig)
    fig = plt.figure(figsize=report.LANDSCAPE)
    axes = [fig.add_axes((0.12, 0.1, 0.36, 0.35)), fig.add_axes((0.61, 0.1, 0.36, 0.35))]
    report.forest(axes, summary)
    assert [ax.get_xlabel().split(", scope")[0] for ax in axes] == [f"UF1 {pooled}", f"UAR {pooled}"]
    assert [ax.get_title() for ax in axes] == [f"UF1 with {interval}", f"UAR with {interval}"]
    plt.close(fig)
    drawn = report._scores_pages(summary)
    text = "\n".join(_page_texts(fig) for fig in drawn)
    for fig in drawn:
        plt.close(fig)
    assert ("pooled over folds,\nmean over seeds" in text) == several
    assert ("one confusion matrix over all folds per seed (MEGC rule), the mean over seeds" in text) == several
    assert "subjects x seeds" in text if several else "subjects x seeds" not in text
