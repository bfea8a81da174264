"""The walkthrough's promises: the template paper, copied under another name, passes the registry's
checks unchanged, and the README's table of papers is the registry.

``papers/README.md`` names one real package as the example to copy (:data:`TEMPLATE`). Here it is
copied into a temporary folder with its id changed everywhere (folder, imports, ``PAPER.id``, cache
stage names), registered as ``papers.<new id>`` by extending the package's search path and the
registry tuple, and walked by every check of ``tests/test_registry.py`` (:data:`CHECKS`).
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

import papers
from test_registry import CHECKS

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = "talluri2022"  # the package papers/README.md tells a newcomer to copy
NEW_ID = "sixth2030"  # first author and year, as every id


def test_the_walkthrough_names_the_template_it_copies():
    walkthrough = (REPO / "papers" / "README.md").read_text()
    assert f"papers/{TEMPLATE}/" in walkthrough
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


@pytest.fixture()
def copied_paper(tmp_path, monkeypatch):
    """``papers/<TEMPLATE>`` copied to ``<tmp>/extra/<NEW_ID>`` with the id renamed, registered."""
    extra = tmp_path / "extra"
    target = extra / NEW_ID
    shutil.copytree(REPO / "papers" / TEMPLATE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in target.iterdir():
        if path.suffix in (".py", ".md"):
            path.write_text(path.read_text().replace(TEMPLATE, NEW_ID))
    assert TEMPLATE not in "".join(p.read_text() for p in target.glob("*.py"))
    monkeypatch.setattr(papers, "__path__", [*papers.__path__, str(extra)])
    monkeypatch.setattr(papers, "PAPER_IDS", (*papers.PAPER_IDS, NEW_ID))
    yield NEW_ID
    for name in [m for m in sys.modules if m == f"papers.{NEW_ID}" or m.startswith(f"papers.{NEW_ID}.")]:
        del sys.modules[name]


def test_the_template_copied_under_a_new_name_passes_the_registry_checks(copied_paper, smoke_corpus, tmp_path):
    module = papers.get_paper(copied_paper)
    assert module.PAPER.id == copied_paper
    assert Path(module.__file__).resolve().parent.parent == tmp_path / "extra"  # the copy, not the original
    fixtures = {"smoke_corpus": smoke_corpus, "tmp_path": tmp_path / "runs"}
    (tmp_path / "runs").mkdir()
    for check, needs in CHECKS:
        check(copied_paper, *(fixtures[name] for name in needs))
