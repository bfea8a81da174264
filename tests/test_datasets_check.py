"""``common.datasets.check.main`` (``run_all.py --check-data ROOT``): report and exit status."""
from __future__ import annotations

import pytest

from common.datasets.check import main
from common.datasets.synthetic import flat_renderer, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("check") / "corpus", size="smoke", renderer=flat_renderer,
                        progress=False)


def test_reports_every_database_and_the_composite(corpus, capsys):
    import dummy_paper

    assert main(corpus, papers={"dummy": dummy_paper.EXPERIMENTS, "broken": ImportError("no papers.broken")}) == 0
    out = capsys.readouterr().out
    for title in ("CASME II (casme2)", "SMIC-HS (smic)", "SMIC-HS-E (smic_e)", "SAMM (samm)", "CAS(ME)^2 (casme_sq)"):
        assert title in out
    assert "official list and MEGC rules agree" in out
    assert "36 = 9 SMIC-HS + 12 CASME II + 15 SAMM (real data: 442 = 164 + 145 + 133)" in out
    assert "no apex annotated: 1" in out and "offset unknown" in out  # the '/' apex and CAS(ME)^2 offset 0
    assert "Paper selections:" in out and "RESULT: usable" in out
    assert "dummy/toy_loso: not available (LookupError: needs samm" not in out  # the toy reads in-memory samples
    assert "broken: not available (ImportError: no papers.broken)" in out


def test_missing_clips_are_listed(corpus, tmp_path, capsys):
    import shutil

    copy = shutil.copytree(corpus, tmp_path / "copy")
    victim = next(p for p in sorted((copy / "SAMM" / "SAMM" / "007").iterdir()))
    shutil.rmtree(victim)
    assert main(copy) == 0
    out = capsys.readouterr().out
    assert "missing or empty clips (skipped): 1" in out and victim.name in out


def test_unusable_database_gives_a_non_zero_exit(corpus, tmp_path, capsys):
    import shutil

    copy = shutil.copytree(corpus, tmp_path / "copy")
    (copy / "SAMM" / "SAMM" / "SAMM_Micro_FACS_Codes_v2.xlsx").write_bytes(b"broken")
    assert main(copy) == 2  # the status a run on this root would get
    assert "UNUSABLE" in capsys.readouterr().out


def test_nothing_found_and_bad_root(tmp_path, capsys):
    assert main(tmp_path) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Nothing usable under {tmp_path}: no micro-expression database and no authors' released " \
                       "inputs within 6 folder levels"
    assert len(lines) <= 11 and lines[-1] == "RESULT: nothing usable found"
    assert main(tmp_path / "missing") == 2
