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
    assert "dummy/toy_loso: not available (needs samm" not in out  # the toy reads in-memory samples
    assert "broken: not available (ImportError: no papers.broken)" in out


def test_an_experiment_whose_database_is_not_found_says_which_in_plain_words(corpus, tmp_path, capsys):
    import shutil
    import types

    copy = shutil.copytree(corpus, tmp_path / "copy")
    shutil.rmtree(copy / "SAMM")
    needs = types.SimpleNamespace(name="needs_samm", datasets=("casme2", "samm"), loader_options={},
                                  reads_released=False, select=None)
    main(copy, papers={"toy": [needs]})
    out = capsys.readouterr().out
    assert "toy/needs_samm: not available (needs samm, not found)" in out and "LookupError" not in out


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


def _casme2_copy(corpus, tmp_path):
    """A copy of the corpus's CASME II alone, and its first clip's folder."""
    import shutil

    shutil.copytree(corpus / "CASME2", tmp_path / "copy" / "CASME2")
    clip = next(p for p in sorted((tmp_path / "copy" / "CASME2" / "Cropped" / "Cropped").glob("sub*/*")) if p.is_dir())
    return tmp_path / "copy", clip


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_a_frame_name_that_holds_no_regular_file_is_refused_naming_it(corpus, tmp_path, capsys, kind):
    """A named pipe, a folder or a link to /dev/zero under a frame's name is no frame missing ("incomplete"): the
    frame check refuses the clip, naming the entry and saying it is not a regular file."""
    import os

    root, clip = _casme2_copy(corpus, tmp_path)
    frame = sorted(clip.iterdir())[1]
    frame.unlink()
    {"fifo": os.mkfifo, "folder": os.mkdir, "device": lambda path: os.symlink("/dev/zero", path)}[kind](frame)
    assert main(root) == 2  # what a run does: screen_frames refuses the clip
    out = capsys.readouterr().out
    assert f"{frame}: cannot be read (a " in out and "not a regular file)" in out
    assert "incomplete" not in out


def test_a_clip_folder_linking_outside_the_data_root_is_listed(corpus, tmp_path, capsys):
    """A clip folder that is a symbolic link to a folder outside the data root is read there, and said so; a link to
    another folder inside the root is no line."""
    root, clip = _casme2_copy(corpus, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    clip.rename(elsewhere)
    clip.symlink_to(elsewhere)
    assert main(root) == 0
    out = capsys.readouterr().out
    assert "symbolic links leading outside the data root (followed: the clips are read there): 1" in out
    assert f"{clip}: a symbolic link to {elsewhere}, outside the data root {root}; read there: casme2/" in out
    clip.unlink()
    inside = root / "CASME2" / "moved"
    elsewhere.rename(inside)
    clip.symlink_to(inside)
    assert main(root) == 0 and "outside the data root" not in capsys.readouterr().out
