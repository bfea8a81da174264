"""The report: the PDF is written and opens, and its tables hold results.json's numbers."""
from __future__ import annotations

import csv
import dataclasses
import json
import logging
import re

import matplotlib.pyplot as plt
import matplotlib.text
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
    assert cell["paper"] == "0.7600 (recomputed 0.7200)" and cell["ours-paper"] == "-0.0200"  # as papers print
    assert cell["paper in CI"] == "yes" and cell["source"] == "Table 3 [1]"
    assert dict(zip(header, body[1]))["paper"] == "0.7400"
    assert lines[0].startswith(pdf.RECOMPUTED_MEANING) and "use the recomputed value" in lines[0]
    assert "[1] exp: pooled over folds; recomputed: the published UAR is precision" in lines
    _, _, plain = pdf.reported_table(answer[1:], synthetic=False)
    assert not any("recomputed" in line for line in plain)  # nothing said where nothing was recomputed


# --- the report completed: every scope, the training curves, partial runs, the authors' weights ------------------

SCOPES = ("all", "smic", "casme2", "samm")


def _fold_record(name: str, y_true: list[int], epochs: list[list[int]], loss: list[float]) -> dict:
    return {"fold": name, "status": "ok", "y_true": y_true, "y_pred": epochs[-1],
            "history": {"loss": loss, "accuracy": [1 - v / 2 for v in loss]},
            "extra": {"epoch_predictions": {"model": "m", "y_pred": epochs}}}


def _experiment_summary(**more) -> dict:
    """A results.json of one experiment, in memory: four scopes, two folds with their histories."""
    confusion = [[3, 1, 0], [0, 2, 1], [1, 0, 2]]
    pooled = {scope: {"uf1": 0.6, "uar": 0.6, "accuracy": 0.7, "n": 10, "confusion": confusion} for scope in SCOPES}
    folds = [{"name": f"sub0{k}", "status": "ok", "reason": "", "seconds": 1.0, "n_train": 20, "n_test": 5,
              "parameters": {}, "history": {"loss": [1.0, 0.5]}, "reused": False} for k in (1, 2)]
    return {"title": "a composite", "profile": "paper", "corpus": {"kind": "real", "root": "/data"},
            "metrics": {"pooled": pooled, "fold_mean": {}, "per_fold": {}}, "metrics_reported": ["uf1", "uar"],
            "class_names": ["negative", "positive", "surprise"], "folds": folds, "n_samples": 10, "seed": 0,
            "config": {"evaluation": {"max_folds": 0}}, **more}


class _Pages:
    """A stand-in for the report's document: keeps the drawn pages to look at."""

    def __init__(self):
        self.figures = []

    def section(self, title):
        pass

    def savefig(self, fig):
        self.figures.append(fig)


def _texts(figures) -> str:
    return "\n".join(t.get_text() for fig in figures for t in fig.findobj(matplotlib.text.Text))


def test_training_curves_are_the_folds_median_and_band_per_epoch():
    from common.evaluation.curves import training_curves

    records = [_fold_record("a", [0, 1], [[0, 0], [0, 1], [0, 1]], [1.0, 0.8, 0.6]),
               _fold_record("b", [2], [[1], [2]], [1.2, 1.0]),
               _fold_record("c", [1, 1], [[1, 1], [1, 0], [1, 1]], [0.9, 0.7, 0.5]),
               {"fold": "d", "status": "failed", "y_true": [0], "y_pred": [], "history": {"loss": [9.0]}}]
    curves = training_curves(records)
    assert curves["folds"] == 3 and list(curves["curves"]) == ["loss", "train accuracy", "test accuracy"]
    loss = curves["curves"]["loss"]
    assert loss["epochs"] == [1, 2, 3] and loss["n"] == [3, 3, 2]  # fold b recorded two epochs; d failed
    assert loss["median"] == pytest.approx([1.0, 0.8, 0.55])
    assert loss["low"][0] == pytest.approx(0.95) and loss["high"][0] == pytest.approx(1.1)  # quartiles of 3 folds
    test = curves["curves"]["test accuracy"]
    assert test["median"] == pytest.approx([0.5, 1.0, 1.0]) and test["n"] == [3, 3, 2]  # (0.5, 0, 1), (1, 1, 0.5)
    assert test["pooled"] == pytest.approx([3 / 5, 4 / 5])  # all folds' clips; two epochs recorded by every fold
    assert training_curves([])["curves"] == {}


def test_every_scope_has_its_confusion_matrix_and_the_curves_are_drawn():
    """No scope is left to results.json (four scopes, four matrices), and the training curves show the folds'
    median and band of the loss, the training and the test accuracy."""
    from common.evaluation.curves import training_curves
    from common.reporting import pdf
    from common.reporting.layout import inspect_page

    records = [_fold_record("sub01", [0, 1], [[0, 0], [0, 1]], [1.0, 0.5]),
               _fold_record("sub02", [2], [[1], [2]], [1.1, 0.6])]
    doc = _Pages()
    pdf._experiment_section(doc, "exp", _experiment_summary(), {}, False, [], training_curves(records))
    titles = [ax.get_title() for fig in doc.figures for ax in fig.axes]
    assert [t for t in titles if "(n=" in t] == [f"{scope} (n=10)" for scope in SCOPES]
    assert {"loss", "train accuracy", "test accuracy"} <= set(titles)
    text = _texts(doc.figures)
    assert "not drawn" not in text and "median over the 2 scored folds" in text
    for fig in doc.figures:
        page = inspect_page(fig)
        assert not page.outside and not page.truncated
        plt.close(fig)


def test_the_face_check_line_says_what_was_done_on_inputs_without_frames():
    from common.reporting import pdf

    released = _experiment_summary(selection={"selected": 442, "kept": 442, "by_class": {}},
                                   face_quality={"policy": "exclude", "counts": {"released": 442},
                                                 "note": "no face check: the released inputs are the authors' "
                                                         "flow images and apex crops"})
    lines = pdf._selection_lines(released)
    assert "No face check: the released inputs are the authors' flow images and apex crops (released 442)" in lines
    assert not any("?" in line for line in lines)
    frames = {**released, "face_quality": {"policy": "exclude", "sampled_frames": 3, "counts": {"ok": 40}}}
    assert "Face check (3 frames per clip): ok 40" in pdf._selection_lines(frames)


def test_a_partial_run_is_marked_and_never_compared():
    """A run with fewer folds than its protocol: "partial run: N of M folds" on its pages, and no difference
    or verdict beside the published numbers."""
    from common.reporting import pdf, tables

    partial = _experiment_summary(folds_protocol=68, comparison=[
        {"metric": "uf1", "scope": "all", "aggregation": "pooled", "reported": 0.6, "ours": 0.6, "difference": 0.0,
         "source": "Table 1", "note": ""}])
    assert tables.run_partial(partial) == "partial run: 2 of 68 folds, not comparable with published rows"
    assert pdf.run_marks(partial) == ["PARTIAL RUN: 2 of 68 folds, not comparable with published rows"]
    assert tables.run_partial({**partial, "folds_protocol": 2}) == ""
    chosen = {**partial, "folds_protocol": 2, "selected_on_test": "the epoch of highest accuracy on the test split"}
    assert pdf.run_marks(chosen) == ["SELECTED ON THE TEST DATA: the predictions are of the epoch of highest accuracy "
                                     "on the test split"]  # on every page of the experiment, as a partial run's mark
    older = _experiment_summary(config={"evaluation": {"max_folds": 2}})  # written before folds_protocol
    assert tables.run_partial(older).startswith("partial run: the first 2 folds only")
    interval = {"low": 0.5, "high": 0.7}
    rows = [{**row, "interval": interval} for row in tables.comparison_rows({"exp": partial})]
    assert rows[0]["partial"] and pdf.paper_in_interval(rows[0], interval) is None
    header, body, lines = pdf.reported_table(rows, synthetic=False)
    cells = dict(zip(header, body[0]))
    assert cells["ours-paper"] == "–" and cells["paper in CI"] == "–"
    assert any("partial run: 2 of 68 folds" in line for line in lines)
    whole = [{**row, "partial": ""} for row in rows]
    assert dict(zip(header, pdf.reported_table(whole, synthetic=False)[1][0]))["paper in CI"] == "yes"


def test_a_fold_left_out_of_the_scores_is_said_above_them():
    """A failed (or diverged) fold is not in the scores, though the summary line counts every fold: the page
    that shows the experiment's scores says so above them, naming the fold; a run with every fold scored
    carries no such warning."""
    from common.reporting import pdf

    summary = _experiment_summary()
    summary["folds"][1].update(status="failed", reason="out of memory")
    summary["metrics"]["not_scored"] = ["sub02"]
    doc = _Pages()
    pdf._experiment_section(doc, "exp", summary, {}, False, [], None)
    first = " ".join(_texts(doc.figures[:1]).split())  # the page of the scores table, unwrapped
    assert "uf1 pooled [95% CI]" in first
    assert ("WARNING: 1 of 2 folds failed, diverged (nan) or were empty and are NOT in these scores (sub02)"
            in first)
    whole = _Pages()
    pdf._experiment_section(whole, "exp", _experiment_summary(), {}, False, [], None)
    assert "NOT in these scores" not in _texts(whole.figures)
    for fig in doc.figures + whole.figures:
        plt.close(fig)


def test_page_one_names_the_partial_experiments_of_a_mixed_run():
    """Page 1 shows every experiment's scores under one banner: a partial mark that holds for one experiment
    only names it, so the whole experiment's rows are not read as partial nor the partial one's as whole; a
    mark every experiment shares is said once, without names."""
    from common.reporting import pdf

    partial, whole = _experiment_summary(folds_protocol=68), _experiment_summary()
    context = ReportContext(paper_id="p", paper=None, profile="paper", corpus=whole["corpus"])
    doc = _Pages()
    pdf._answer(doc, {"loso": partial, "kfold": whole}, context, {})
    text = " ".join(_texts(doc.figures[:1]).split())  # unwrapped
    assert "PARTIAL RUN: 2 of 68 folds, not comparable with published rows (experiments: loso)" in text
    both = _Pages()
    pdf._answer(both, {"loso": partial, "again": partial}, context, {})
    text = " ".join(_texts(both.figures[:1]).split())
    assert "PARTIAL RUN: 2 of 68 folds, not comparable with published rows" in text and "experiments:" not in text
    for fig in doc.figures + both.figures:
        plt.close(fig)


WEIGHTS = {"folder": "/x/STSTNet_Weights", "trained": False, "stated_source": "the port's README",
           "log": {"file": "/x/STSTNet_python_logfile.txt", "folds": 68, "folds_total": 68, "clips": 442, "agree": 442},
           "notes": []}


def test_the_authors_weights_are_labelled_as_theirs():
    """A --weights run: its numbers are the authors' weights evaluated here, compared with what their artefact
    states, never "ours" against "the paper"; the per-clip agreement with their log is said."""
    from common.evaluation.comparison import released_weights_record
    from common.experiment import Reported
    from common.reporting import pdf, tables

    line = tables.weights_line(WEIGHTS)
    assert line == ("the authors' released weights (STSTNet_Weights), evaluated, not trained here; 442 of 442 clips "
                    "predicted as in the authors' log STSTNet_python_logfile.txt")
    assert pdf.run_marks(_experiment_summary(released_weights=WEIGHTS)) == [f"WEIGHTS: {line}"]
    rows = [{"experiment": "e", "metric": "uf1", "scope": "all", "aggregation": "pooled", "reported": 0.7209,
             "ours": 0.7209, "difference": 0.0, "source": "README", "interval": {"low": 0.6, "high": 0.8}}]
    header, body, _ = pdf.reported_table(rows, synthetic=False, weights=True)
    assert header[4:9] == ["stated", "weights here", "weights here 95% CI", "weights-stated", "stated in CI"]
    assert body[0][4:6] == ["0.7209", "0.7209"]
    assert not {"paper", "ours"} & set(header)
    # the fold records' per-clip counts, summed; a fold the log does not cover is said
    records = [{"status": "ok", "extra": {"released_log": {"log": "/x/log.txt", "clips": 5, "agree": 4, "note": ""}}},
               {"status": "ok", "extra": {"released_log": {"log": "/x/log.txt", "clips": 0, "agree": 0,
                                                           "note": "log.txt has no block for subject s9"}}}]
    record = released_weights_record("/x/W", records, (Reported("uf1", 0.72, source="README"),))
    assert record["log"] == {"file": "/x/log.txt", "folds": 1, "folds_total": 2, "clips": 5, "agree": 4}
    assert record["notes"] == ["log.txt has no block for subject s9"] and record["stated_source"] == "README"
    assert tables.weights_line(record).endswith("4 of 5 clips predicted as in the authors' log log.txt "
                                                "(1 of 2 folds compared)")
    assert released_weights_record("/x/W", [{"status": "ok", "extra": {}}])["log"] is None


def test_the_report_of_the_authors_weights_says_so_on_page_one():
    from common.reporting import pdf
    from common.reporting.layout import inspect_page

    summary = _experiment_summary(released_weights=WEIGHTS, comparison=[
        {"metric": "uf1", "scope": "all", "aggregation": "pooled", "reported": 0.7209, "ours": 0.7209,
         "difference": 0.0, "source": "README", "note": ""}])
    doc = _Pages()
    pdf._answer(doc, {"exp": summary}, ReportContext(paper_id="p", paper=None, profile="port",
                                                     corpus=summary["corpus"]), {})
    text = _texts(doc.figures)
    assert doc.figures[0].texts[0].get_text().startswith("The answer: the authors' released weights, evaluated")
    assert "WEIGHTS: the authors' released weights (STSTNet_Weights)" in text and "ours" not in text.lower()
    for fig in doc.figures:
        page = inspect_page(fig)
        assert not page.outside and not page.truncated
        plt.close(fig)


def test_a_table_cell_of_wide_glyphs_is_as_wide_as_its_text():
    """A column is sized to its text as the check measures it, not to its length in average glyphs: an experiment
    name of wide glyphs (m, underscores) ran past its cell at its length times the average width (talluri2022's
    answer page; at 6.5 pt in a table too wide to be stretched, as here, it did)."""
    from common.reporting.figures import SANS_EM, Flow, text_points
    from common.reporting.layout import inspect_page

    name = "s2_casme2_to_casme2_model_a"
    assert text_points(name, 6.5) > len(name) * SANS_EM * 6.5  # wider than the average-width estimate
    flow = Flow("a table")
    flow.table(["experiment", "metric", "scope", "published", "ours", "interval", "source of the number"],
               [[name, "uf1", "all", "0.565", "0.333", "[0.111, 0.667]", "Table 4, Scenario-02"]] * 2,
               size=6.5, min_size=6.5)
    (fig,) = flow.finish()
    assert inspect_page(fig).truncated == ()
    plt.close(fig)


def test_names_are_drawn_as_written_and_a_log_axis_keeps_its_powers_of_ten(tmp_path):
    """``style.drawable``: a title and tick labels given as text draw a ``$`` pair as written (as mathtext,
    ``$\\nosuch$`` stopped the page with a traceback); the numbers a log axis writes (``$10^{3}$``) stay mathtext."""
    from common.reporting import style

    fig, ax = plt.subplots()
    ax.plot([1e3, 1e6], [0, 1])
    ax.set_xscale("log")
    ax.set_title("cost$\\nosuch$.csv")
    ax.set_yticks([0, 1], ["EP$\\nosuch{$", "b"])
    style.drawable(fig)
    fig.savefig(tmp_path / "page.pdf")
    assert not ax.title.get_parse_math() and not any(t.get_parse_math() for t in ax.get_yticklabels())
    assert all(t.get_parse_math() for t in ax.get_xticklabels())
    plt.close(fig)


def test_a_papers_own_page_beside_published_numbers_marks_a_partial_run_and_gives_it_no_difference():
    """A paper's own page of published numbers beside ours (``common.reporting.published``: see2019, liong2018,
    wang2024; gan2019's own) showed a partial run's scores, or scores with folds left out, under the profile and
    corpus alone (only the running header said PARTIAL), and gan2019's gave "ours - published" for them: such a
    page now says the marks beside the numbers, and gives no difference; a whole run's page is unchanged."""
    import types

    from common.reporting.published import published_beside_ours_page
    from papers.gan2019 import pages as gan_pages

    partial = _experiment_summary(folds_protocol=68)
    left_out = _experiment_summary()
    left_out["folds"][1].update(status="failed", reason="out of memory")
    left_out["metrics"]["not_scored"] = ["sub02"]
    for summary, says in ((partial, "PARTIAL RUN: 2 of 68 folds, not comparable with published rows"),
                          (left_out, "WARNING: 1 of 2 folds failed, diverged (nan) or were empty and are NOT in these "
                                     "scores (sub02)")):
        doc = _Pages()
        result = types.SimpleNamespace(summary=summary, selection=types.SimpleNamespace(class_names=("a", "b", "c")))
        published_beside_ours_page(doc, result, None, title="t", published={"all": (0.7, 0.7)},
                                   scope_titles={"all": "all"}, source="Table 2")
        assert says in " ".join(_texts(doc.figures).split())
        difference = gan_pages.comparison_rows(summary)[2]
        assert difference[0] == "ours - published (none: the run is marked above)" and set(difference[1:]) == {"-"}
        for fig in doc.figures:
            plt.close(fig)
    from papers.aouayeb2019 import pages as aouayeb_pages  # Table 2 reproduced: ours the last row of published ones

    assert "PARTIAL RUN: 2 of 68 folds" in aouayeb_pages.run_line(partial)
    assert "NOT in these scores (sub02)" in aouayeb_pages.run_line(left_out)
    whole = _experiment_summary()
    assert "PARTIAL" not in aouayeb_pages.run_line(whole) and "NOT in" not in aouayeb_pages.run_line(whole)
    assert gan_pages.comparison_rows(whole)[2][0] == "ours - published"
    assert all(cell.startswith(("+", "-0")) for cell in gan_pages.comparison_rows(whole)[2][1:])


def test_a_papers_own_pages_mark_synthetic_partial_and_test_selected_numbers_beside_the_papers(monkeypatch):
    """The pages that put our numbers beside a paper's say what ours are: gan2019's gave an "ours - published"
    difference on the SYNTHETIC corpus, kumar2019's Table 7 page and reddy2019's pages named no mark (the corpus,
    an epoch picked on the test split), and the running header of a paper's report, on every page past page 1,
    never said that the predictions' epoch was picked on the test data."""
    import types

    from common.reporting import figures, tables
    from common.reporting.pdf import running_header
    from papers.gan2019.pages import comparison_rows
    from papers.gan2019.reported import SCOPES
    from papers.kumar2019.pages import cross_pages
    from papers.reddy2019.pages import kernel_study_pages

    pooled = {scope: {"uf1": 0.5, "uar": 0.5} for scope in SCOPES}
    synthetic = {"corpus": {"kind": "synthetic"}, "metrics": {"pooled": pooled}, "folds": [{}] * 2}
    real = {**synthetic, "corpus": {"kind": "real"}}
    assert tables.score_marks(synthetic) == [tables.SYNTHETIC_MARK] and tables.score_marks(real) == []
    assert comparison_rows(real)[2][1:] != ["-"] * 2 * len(SCOPES)
    assert comparison_rows(synthetic)[2][1:] == ["-"] * 2 * len(SCOPES)  # no difference on generated clips
    # kumar2019's Table 7 page: each shown run's marks above the table
    shown: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(figures, "text_page", lambda title, lines, **_: shown.append((title, lines)) or plt.figure())
    result = types.SimpleNamespace(name="cross_casme2_to_smic", summary=synthetic)
    cross_pages(types.SimpleNamespace(savefig=lambda fig: None), result,
                types.SimpleNamespace(results={result.name: result}))
    assert shown[0][1][0] == f"cross_casme2_to_smic: {tables.SYNTHETIC_MARK}"
    # reddy2019's kernel study: its best epoch is picked on the split it is scored on
    subtitles: list[str] = []
    monkeypatch.setattr(figures, "table_pages", lambda *args, subtitle="", **_: subtitles.append(subtitle) or [])
    chosen = {**real, "selected_on_test": "the epoch of best accuracy on the 20% split"}
    kernel_study_pages(None, types.SimpleNamespace(records=[], summary=chosen), None)
    assert subtitles[0].startswith("SELECTED ON THE TEST DATA: the predictions are of the epoch of best accuracy")
    # the running header of every page
    context = ReportContext(paper_id="reddy2019", profile="paper", seed=0, corpus={"kind": "real"})
    assert "SELECTED ON THE TEST DATA" in running_header("reddy2019", context, {"e": chosen})
    assert "SELECTED" not in running_header("reddy2019", context, {"e": real})
    released = ReportContext(paper_id="liong2019", profile="paper", seed=0,
                             corpus={"kind": "real", "inputs": "the authors' released flow images (no frames)"})
    assert "· corpus REAL, the authors' released flow images (no frames)" in running_header("liong2019", released, {})


def test_the_score_and_comparison_tables_say_what_each_number_is_as_the_pages_do():
    """scores.csv and comparison.csv held a partial run's, a test-selected run's and the authors' weights' numbers
    as a whole held-out training's, and comparison.csv gave a partial run a difference from the published number
    that the report's pages refuse it: their rows now carry ``partial``, ``selected_on_test`` and ``weights``, and a
    partial run's comparison rows no difference."""
    from common.evaluation.comparison import comparison_rows as build
    from common.paper import Reported
    from common.reporting import tables

    built = build([Reported("uf1", 0.74, "all", "pooled", "Table 3")], {"pooled": {"all": {"uf1": 0.70}}}, [])
    whole = {"comparison": built, "profile": "paper", "corpus": {"kind": "real"}, "folds": [{}] * 4,
             "folds_protocol": 4, "metrics": {"pooled": {"all": {"uf1": 0.70, "n": 8}}}, "metrics_reported": ["uf1"]}
    partial = {**whole, "folds_protocol": 68, "selected_on_test": "the best test epoch",
               "released_weights": {"folder": "/authors/weights"}}
    (kept,), (cut,) = tables.comparison_rows({"e": whole}), tables.comparison_rows({"e": partial})
    assert kept["difference"] == pytest.approx(-0.04) and (kept["partial"], kept["weights"]) == ("", "")
    assert cut["difference"] is None and cut["partial"] == "partial run: 4 of 68 folds, not comparable with " \
                                                          "published rows"
    assert (cut["selected_on_test"], cut["weights"]) == ("the best test epoch", "/authors/weights")
    assert tables.comparison_rows({"e": {**whole, "overrides": {"train.epochs": 2}}})[0]["profile"] == (
        "paper + --set train.epochs=2")  # a row read alone says its recipe was changed
    (score,) = tables.score_rows({"e": partial})
    assert {k: score[k] for k in ("partial", "selected_on_test", "weights")} == {
        "partial": cut["partial"], "selected_on_test": "the best test epoch", "weights": "/authors/weights"}
    assert {"partial", "selected_on_test", "weights"} <= set(tables.SCORE_COLUMNS) & set(tables.COMPARISON_COLUMNS)
