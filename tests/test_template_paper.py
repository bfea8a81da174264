"""The walkthrough's promises: the template paper, copied under another name with its network changed, passes
every check of a paper unchanged; the walkthrough names every hook of ``Experiment`` and counts what a
newcomer reads; the README's table of papers is the registry.

``papers/README.md`` names one real package as the example to copy (:data:`TEMPLATE`, a network). Here it is
copied into a temporary folder with its id changed everywhere (folder, imports, ``PAPER.id``, cache
stage names), its network changed as a newcomer changes it (:func:`_change_the_network`: the layers, their
count, the paper's layer table, nothing outside the folder), registered as ``papers.<new id>`` by extending the
package's search path and the registry tuple, and walked by every check of ``tests/test_registry.py``
(:data:`CHECKS`), the model check of ``tests/test_models.py``, the ledger check of ``tests/test_ledgers.py``,
the fold-parallel check of ``tests/test_fold_parallel.py`` and the export-and-predict check of
``tests/test_deployment.py``.
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import sys
import types
from pathlib import Path

import pytest

import papers
from common.experiment import Experiment
from test_fold_parallel import check_folds_together, fold_parallel_profiles
from test_ledgers import rows_without_artefact
from test_models import run_model_test
from test_registry import CHECKS

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = "gan2019"  # the package papers/README.md tells a newcomer to copy: the smallest network
NEW_ID = "tenth2030"  # first author and year, as every id
# What the walkthrough tells a newcomer to read besides the template's own modules (every .py of it).
# The author's side of the contract only (the harness's types, common/experiment.py, are looked up by name).
READ_ALSO = ("common/paper.py", "common/flow_cnn.py", "common/train_config.py")
# The trial's network: the template's two fully connected layers at 512 units instead of 1,024. Its count,
# derived by hand: streams 2 x (156 + 2,416) = 5,144; FC1 1,568 x 512 + 512 = 803,328; FC2 512 x 512 + 512 =
# 262,656; output 512 x 3 + 3 = 1,539.
CHANGED_COUNT = 1_072_667
CHANGES = {  # file of the copy -> (what the template says, what the trial writes)
    "config.py": ("dense_units: Annotated[tuple[int, ...], Range(ge=1)] = (1024, 1024)",
                  "dense_units: Annotated[tuple[int, ...], Range(ge=1)] = (512, 512)"),
    "model.py": ("LAYER_TRAINABLE = 2_664_475", f"LAYER_TRAINABLE = {CHANGED_COUNT:_}"),
    "reported.py": ('"output_shape": [1024]', '"output_shape": [512]'),
}
MOST_LINES = 800  # the promise: a method is added reading fewer lines than this (the README's pointer included)
POINTER = "**Adding a method.**"  # the README's paragraph that points to the walkthrough, on its second screen


def _walkthrough() -> str:
    return (REPO / "papers" / "README.md").read_text()


def _reading_list() -> list[str]:
    """The files a newcomer reads, in the walkthrough's order: it, the template's modules and README (the card and
    the ledger the newcomer rewrites), then READ_ALSO."""
    template = sorted(str(p.relative_to(REPO)) for p in (REPO / "papers" / TEMPLATE).glob("*.py"))
    return ["papers/README.md", *template, f"papers/{TEMPLATE}/README.md", *READ_ALSO]


def _printed_counts(readme: str) -> tuple[int, dict[str, int]]:
    """The total of "What to read: N lines" and the table under it, ``{path: lines}``."""
    section = readme.split("**What to read:", 1)[1].split("\n\n", 2)
    total = int(section[0].split("lines", 1)[0].replace(",", ""))
    rows = re.findall(r"^\| `([\w/.]+)`[^|]*\| ([\d,]+) \|$", section[1], flags=re.MULTILINE)
    return total, {path: int(lines.replace(",", "")) for path, lines in rows}


def _pointer_lines(readme: str) -> int:
    """The lines of the README's paragraph that points to the walkthrough (:data:`POINTER`)."""
    return len(readme.split(POINTER, 1)[1].split("\n\n", 1)[0].splitlines())


def test_the_walkthrough_counts_what_a_newcomer_reads_under_eight_hundred_lines():
    """Every file of the reading list has a row, none is longer than its row says, the rows add up to the
    total, and the total with the README's pointer, near its top, is under :data:`MOST_LINES`."""
    total, printed = _printed_counts(_walkthrough())
    files = _reading_list()
    assert list(printed) == files, "the walkthrough's table of what to read is not the test's reading list"
    counted = {path: len((REPO / path).read_text().splitlines()) for path in files}
    longer = {path: (lines, printed[path]) for path, lines in counted.items() if lines > printed[path]}
    assert not longer, f"longer than papers/README.md says (lines, printed): {longer}"
    readme = (REPO / "README.md").read_text()
    assert readme.index(POINTER) < len("\n".join(readme.splitlines()[:60])), "the pointer is not on the 2nd screen"
    assert sum(printed.values()) == total and total + _pointer_lines(readme) < MOST_LINES, (total, MOST_LINES)


def test_the_line_count_parser_reads_the_numbers_it_is_given():
    """The check above could fail: a table is read row by row, its total apart."""
    readme = ("x\n**What to read: 1,012 lines**, in order:\n\n| file | lines |\n| --- | --- |\n"
              "| `papers/README.md` (this) | 12 |\n| `common/experiment.py` | 1,000 |\n\nafter\n")
    assert _printed_counts(readme) == (1012, {"papers/README.md": 12, "common/experiment.py": 1000})


def test_the_walkthrough_names_every_field_of_experiment_in_order():
    """The walkthrough's table of hooks lists ``Experiment``'s fields, every one, in their order."""
    table = _walkthrough().split("### Every field of `Experiment`", 1)[1].split("\n\n", 2)[1]
    named = [name for row in table.splitlines()[2:] for name in re.findall(r"`(\w+)`", row.split("|")[1])]
    assert named == [field.name for field in dataclasses.fields(Experiment)]


def test_the_walkthrough_states_the_accepted_published_rows_and_the_ledger_rule():
    """What the registry checks, said where the newcomer reads: the names ``stands_for`` accepts, every one, and the
    words that make a ledger row need its artefact (``papers.NEEDS_ARTEFACT``)."""
    from common.evaluation import published

    step = _walkthrough().split("The names accepted:", 1)[1].split("(`common.evaluation.published.NAMES`", 1)[0]
    assert [name.strip() for name in " ".join(step.split()).rstrip(". ").split(",")] == list(published.NAMES)
    ledger = _walkthrough().split("**Ledger**", 1)[1].split("\n8. ", 1)[0]
    for word in ("assumed", "code", "port", "scripts", "authors'"):
        assert f"**{word}**" in ledger and papers.NEEDS_ARTEFACT.search(word), word


def test_the_walkthrough_names_the_template_it_copies():
    walkthrough = _walkthrough()
    assert f"## Adding a paper: copy `papers/{TEMPLATE}/`" in walkthrough
    assert f"cp -r papers/{TEMPLATE} papers/<id>" in walkthrough
    steps = re.findall(r"^\d+\. \*\*(.+?)\*\*", walkthrough, flags=re.MULTILINE)
    assert steps[-1] == "Check: `make check-paper ID=<id>`", steps  # the last step: one command
    assert "\ncheck-paper: " in (REPO / "Makefile").read_text()
    assert TEMPLATE in papers.PAPER_IDS


def _papers_section(readme: str) -> str:
    return readme.split("\n## The papers", 1)[1].split("\n## ", 1)[0]


def _readme_paper_ids(readme: str) -> list[str]:
    """The ids in the first column of the table under the README's "## The papers" heading."""
    section = _papers_section(readme)
    return re.findall(r"^\|\s*`([a-z0-9_]+)`\s*\|", section, flags=re.MULTILINE)


def test_the_readme_table_of_papers_is_the_registry():
    assert _readme_paper_ids((REPO / "README.md").read_text()) == list(papers.PAPER_IDS)


def test_the_readme_table_parser_sees_a_missing_paper():
    """The check above could fail: a table that lacks one registered paper gives another list."""
    readme = (REPO / "README.md").read_text()
    line = next(line for line in _papers_section(readme).splitlines() if line.startswith(f"| `{TEMPLATE}`"))
    assert _readme_paper_ids(readme.replace(line + "\n", "")) != list(papers.PAPER_IDS)


def _copy_template(extra: Path, new_id: str, monkeypatch, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """``papers/<TEMPLATE>`` copied to ``<extra>/<new_id>`` with the id renamed, ``edits`` made (file -> (what the
    template says, what the copy writes); each must be found), registered (the package path and the tuple)."""
    target = extra / new_id
    shutil.copytree(REPO / "papers" / TEMPLATE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in target.iterdir():
        if path.suffix in (".py", ".md"):
            path.write_text(path.read_text().replace(TEMPLATE, new_id))
    assert TEMPLATE not in "".join(p.read_text() for p in target.glob("*.py"))
    for name, (before, after) in (edits or {}).items():
        text = (target / name).read_text()
        assert before in text, f"the template's {name} no longer says {before!r}: update the test's edit"
        (target / name).write_text(text.replace(before, after))
    if str(extra) not in papers.__path__:
        monkeypatch.setattr(papers, "__path__", [*papers.__path__, str(extra)])
    monkeypatch.setattr(papers, "PAPER_IDS", (*papers.PAPER_IDS, new_id))
    return target


def _forget(*paper_ids: str) -> None:
    """The copies' modules out of ``sys.modules`` (the next test imports its own)."""
    for paper_id in paper_ids:
        for name in [m for m in sys.modules if m == f"papers.{paper_id}" or m.startswith(f"papers.{paper_id}.")]:
            del sys.modules[name]


@pytest.fixture()
def copied_paper(tmp_path, monkeypatch):
    """``papers/<TEMPLATE>`` copied to ``<tmp>/extra/<NEW_ID>`` with the id renamed and its network changed
    (:data:`CHANGES`), registered."""
    _copy_template(tmp_path / "extra", NEW_ID, monkeypatch, CHANGES)
    yield NEW_ID
    _forget(NEW_ID)


# A paper that publishes no number run here, as the walkthrough declares it (step 5).
NO_NUMBER = {"__init__.py": ('stands_for=("OFF-ApexNet",), reported=reported.REPORTED)', 'stands_for=(), reported=())')}
NO_NUMBER_DECLARED = ("    models=MODEL_BUILDERS,", '    no_published_number="the paper reports on its own protocols '
                      'only",\n    models=MODEL_BUILDERS,')


def test_the_template_copied_under_a_new_name_passes_the_registry_checks(copied_paper, smoke_corpus, tmp_path):
    """The registry's checks of a package (test_registry's, test_models', the ledger's and the comparison's; the
    fold-parallel and deployment checks follow), on the copy declared as a paper with no published number: the
    state the walkthrough allows. ``make check-paper`` on a package runs more (its real-shape fold, first pass,
    report layout, config, settings, predict and export checks)."""
    from test_comparison import test_no_row_marked_not_comparable_carries_a_difference as comparison_check

    init = tmp_path / "extra" / copied_paper / "__init__.py"
    before, after = NO_NUMBER["__init__.py"]
    init.write_text(init.read_text().replace(before, after).replace(*NO_NUMBER_DECLARED))
    module = papers.get_paper(copied_paper)
    assert module.PAPER.no_published_number and not module.EXPERIMENTS[0].reported
    comparison_check(copied_paper)
    assert module.PAPER.id == copied_paper
    # a flow network is a model plus data: no inputs or protocol of its own
    assert not {"preprocessing.py", "protocol.py"} & {p.name for p in (tmp_path / "extra" / copied_paper).iterdir()}
    assert Path(module.__file__).resolve().parent.parent == tmp_path / "extra"  # the copy, not the original
    fixtures = {"smoke_corpus": smoke_corpus, "tmp_path": tmp_path / "runs"}
    (tmp_path / "runs").mkdir()
    for check, needs in CHECKS:
        check(copied_paper, *(fixtures[name] for name in needs))
    assert [count for count, _ in module.PAPER.parameter_counts.values()] == [CHANGED_COUNT]  # the copy's own
    for name in module.PAPER.models:  # tests/test_models.py's check, which takes its models from the registry
        run_model_test(copied_paper, name)
    assert rows_without_artefact((tmp_path / "extra" / copied_paper / "README.md").read_text()) == []


def test_a_wrong_stands_for_refuses_the_copy_in_one_line_and_the_benchmark_runs_the_others(copied_paper, capsys):
    """The copy naming a published row that is not there (``stands_for``) is refused where it is loaded, in one
    line naming the package, the field and the accepted names; the benchmark leaves it out in one line and keeps
    every other method, and the leaderboard's rows stand."""
    from common.errors import DeclarationError
    from common.evaluation import published
    from common.orchestration import cli

    init = Path(papers.get_paper(copied_paper).__file__)
    for name in [m for m in sys.modules if m == f"papers.{copied_paper}" or m.startswith(f"papers.{copied_paper}.")]:
        del sys.modules[name]
    text = init.read_text()
    assert 'stands_for=("OFF-ApexNet",)' in text
    init.write_text(text.replace('stands_for=("OFF-ApexNet",)', 'stands_for=("Dual Inception",)'))
    with pytest.raises(DeclarationError) as caught:
        papers.get_paper(copied_paper)
    line = str(caught.value)
    assert "\n" not in line and line.startswith(f"papers.{copied_paper}: PIPELINE.stands_for names 'Dual Inception'")
    assert all(name in line for name in published.NAMES)  # what is accepted
    methods, left_out = cli._benchmark_methods(papers, None)
    assert [paper_id for paper_id, _, _ in methods] == [p for p in papers.PAPER_IDS if p != copied_paper]
    assert left_out == [f"{line}; left out of the benchmark"]
    assert f"{line}; left out of the benchmark" in capsys.readouterr().err
    runs_as = {r.name: r.runs_as for r in cli._benchmark_references(papers)}
    assert runs_as["OFF-ApexNet"] == "gan2019" and "Dual Inception" not in runs_as


@pytest.mark.slow
def test_the_template_copied_under_a_new_name_trains_folds_together_as_one_by_one(copied_paper, smoke_corpus,
                                                                                  tmp_path):
    for profile in fold_parallel_profiles(copied_paper):
        check_folds_together(copied_paper, profile, smoke_corpus, tmp_path / profile)


@pytest.mark.slow
def test_the_template_copied_under_a_new_name_exports_and_predicts(copied_paper, capsys, smoke_corpus, tmp_path):
    from test_deployment import check_export_and_predict

    check_export_and_predict(copied_paper, capsys, smoke_corpus, tmp_path)


# Two packages a newcomer could write: one that raises on import (``Paper`` without its citation), one whose network
# takes two channels where it declares three (the flow's u, v and strain).
CITATION = ('    citation="Y. S. Gan, S.-T. Liong, W.-C. Yau, Y.-C. Huang, L.-K. Tan. Signal Processing: Image '
            'Communication "\n             "74:129-139, 2019. arXiv:1805.08699",\n')
BROKEN = {"fail2030": {"__init__.py": (CITATION, "")},
          "shape2030": {"__init__.py": ("channels=(U, V)", "channels=(U, V, STRAIN)")}}


@pytest.mark.dummy_databases("casme2", "samm", "megc2019")
def test_a_package_that_fails_on_import_or_takes_other_inputs_is_refused_alone(tmp_path, monkeypatch, capsys,
                                                                               dummy_corpus):
    """Each broken package is refused in one line naming the package, its file and what was expected; ``--list``
    lists the others, a benchmark runs the others and names the left out (console, results.json, report), and
    ``--methods`` naming a broken one refuses the run in one line before any work."""
    import dummy_paper
    import run_all
    from common.errors import DeclarationError
    from common.leaderboard.report import _run_page
    from common.orchestration import leaderboard_runs

    for paper_id, edits in BROKEN.items():
        _copy_template(tmp_path / "extra", paper_id, monkeypatch, edits)
    init = tmp_path / "extra" / "shape2030" / "__init__.py"
    init.write_text(init.read_text().replace("import U, V, flow_network", "import STRAIN, U, V, flow_network"))
    try:
        with pytest.raises(DeclarationError) as caught:
            papers.get_paper("fail2030")
        failed = str(caught.value)
        assert "\n" not in failed and failed.startswith("papers.fail2030: importing it failed at ")
        assert "fail2030/__init__.py line " in failed and "'citation'" in failed and "expected" in failed
        papers.get_paper("shape2030")  # the cheap checks pass: the network is built only where it is checked
        [shape] = papers.package_problems("shape2030")
        assert shape.startswith("papers.shape2030: papers/shape2030/model.py: ") and "\n" not in shape
        assert "(28, 28, 2)" in shape and "expected one input (28, 28, 3)" in shape

        registry = types.SimpleNamespace(PAPER_IDS=("dummy", *BROKEN), get_paper=lambda paper_id: (
            dummy_paper.get_paper(paper_id) if paper_id == "dummy" else papers.get_paper(paper_id)))

        def cli(*argv: str) -> tuple[int, str, str]:
            code = run_all.main(list(argv), registry=registry, loader=dummy_paper.load)
            return (code, *capsys.readouterr())

        code, out, _ = cli("--list")
        assert code == 0 and "dummy [implemented]" in out
        assert f"fail2030: not available: {failed}" in out and f"shape2030: not available: {shape}" in out
        common = ("--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--profile", "smoke", "--max-folds", "1")
        code, _, err = cli(*common, "--methods", "dummy,fail2030", "--out", str(tmp_path / "refused"))
        assert code == 2 and [line for line in err.splitlines() if line.strip()] == [
            f"run_all.py: error: --methods names 'fail2030', which is refused: {failed}; drop it from --methods to "
            "run the others"]
        assert not (tmp_path / "refused").exists()  # before any work
        pages: list[dict] = []  # the report's run page, drawn from the summary the benchmark hands its writer
        monkeypatch.setattr(leaderboard_runs, "write_report", lambda bench, path: pages.append(bench.summary))
        code, _, err = cli(*common, "--out", str(tmp_path / "out"))
        assert code == 0, err
        assert f"{failed}; left out of the benchmark" in err and f"{shape}; left out of the benchmark" in err
        summary = json.loads((tmp_path / "out" / "benchmark" / "megc2019" / "results.json").read_text())
        assert [m["name"] for m in summary["methods"]] == ["dummy"]
        assert summary["left_out"] == [f"{failed}; left out of the benchmark", f"{shape}; left out of the benchmark"]
        assert pages == [summary]
        page = " ".join(" ".join(text.get_text().split()) for text in _run_page(summary).texts)
        assert "Left out of this benchmark" in page and "papers.fail2030: importing it failed" in page
        assert "Profile smoke seed 0 folds" in page  # one seed said as one ("seeds [0]" before)
    finally:
        _forget(*BROKEN)


def test_the_template_with_no_published_number_passes_the_package_checks(tmp_path, monkeypatch):
    """A paper that publishes no number run here declares it (``PAPER.no_published_number``, ``stands_for=()``,
    ``reported=()``): the package checks pass and the comparison test accepts it; the same copy without the
    declaration is refused in one line saying what to write."""
    from test_comparison import test_no_row_marked_not_comparable_carries_a_difference as comparison_check

    target = _copy_template(tmp_path / "extra", "nonumber2030", monkeypatch, NO_NUMBER)
    try:
        assert papers.package_problems("nonumber2030") == [
            "papers.nonumber2030: no experiment has a published number; expected Reported numbers in reported.py "
            "(reported=), or PAPER.no_published_number saying why the paper publishes none run here"]
        _forget("nonumber2030")
        init = target / "__init__.py"
        init.write_text(init.read_text().replace(*NO_NUMBER_DECLARED))
        assert papers.package_problems("nonumber2030") == []
        comparison_check("nonumber2030")
    finally:
        _forget("nonumber2030")
