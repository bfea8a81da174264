"""The papers' deviations ledgers: a row resting on code names the artefact it read and the reading taken.

The rule is the registry's (``papers.rows_without_artefact``, checked when a package is loaded, and stated in
papers/README.md): every row of a package README's ledger table (the section whose heading says "ledger") that
says "assumed", or speaks of code, a port, scripts or the authors' artefacts, must carry
``Artefact: <repository> <file.ext> <line or layer>`` (or ``Artefact: ... no public code ...``, with where we
looked) and ``Reading: ...`` naming what the `paper` profile takes or the option (docs/house.md, Faithfulness
and deviations). ``NOT_YET_AUDITED`` lists the packages still to be audited against their authors' public code.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from papers import PAPER_IDS, ledger_rows, rows_without_artefact

REPO = Path(__file__).resolve().parent.parent
# Packages whose ledgers have rows still without an artefact and a reading: none (every package audited).
NOT_YET_AUDITED: tuple[str, ...] = ()
AUDITED = tuple(paper_id for paper_id in PAPER_IDS if paper_id not in NOT_YET_AUDITED)


def test_the_check_finds_a_row_resting_on_code_without_its_artefact():
    text = "\n".join([
        "## Deviations ledger", "", "| # | where | ours | why |", "| --- | --- | --- | --- |",
        "| 1 | layers | ReLU | the authors' code |",
        "| 2 | layers | ReLU | their code. Artefact: owner/repo, `main.py` line 3. Reading: the `paper` profile |",
        "| 3 | flow | TV-L1 | assumed. Artefact: no public code (looked: owner/*). Reading: `flow=x` is an option |",
        "| 4 | epochs | 30 | choice |",
        "| 5 | input | grey | assumed. Artefact: docs/methods.md. Reading: the `paper` profile |",
        "", "## Status", "| 6 | code | - | - |"])
    assert [row.split("|")[1].strip() for row in ledger_rows(text)] == ["1", "2", "3", "4", "5"]
    assert rows_without_artefact(text) == ["1", "5"]


def test_every_paper_is_audited_or_listed():
    assert set(NOT_YET_AUDITED) <= set(PAPER_IDS) and len(AUDITED) + len(NOT_YET_AUDITED) == len(PAPER_IDS)


@pytest.mark.parametrize("paper_id", AUDITED)
def test_ledger_rows_resting_on_code_name_the_artefact_and_the_reading(paper_id):
    text = (REPO / "papers" / paper_id / "README.md").read_text()
    assert ledger_rows(text), f"{paper_id}: no ledger table"
    assert rows_without_artefact(text) == [], f"{paper_id}: ledger rows without 'Artefact: ...' and 'Reading: ...'"
