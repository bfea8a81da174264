"""The type checker catches the class of bug that broke talluri2022's ``model_c_tuning`` on real data.

``_inner_split`` once compared a count with ``n_classes``, the function imported from
``common.running.fold``, instead of its ``num_classes`` argument; the comparison ran only when every
class had two clips, so no test corpus reached it. ``make test`` runs mypy (docs/house.md, Static
checks); here mypy checks a scratch copy of the protocol with that comparison put back, through
``--shadow-file``, and must name the line.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXED = "and held_out >= num_classes)"
BROKEN = "and held_out >= n_classes)"

pytest.importorskip("mypy", reason="the type checker is in the test extra (pyproject.toml)")


def test_mypy_names_a_count_compared_with_the_n_classes_function(tmp_path):
    source = REPO / "papers" / "talluri2022" / "protocol.py"
    text = source.read_text()
    assert text.count(FIXED) == 1, f"{source}: expected the inner hold-out's comparison {FIXED!r} once"
    line = text[: text.index(FIXED)].count("\n") + 1
    scratch = tmp_path / "protocol.py"
    scratch.write_text(text.replace(FIXED, BROKEN))

    done = subprocess.run([sys.executable, "-m", "mypy", "--shadow-file", str(source), str(scratch), str(source)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (f"papers/talluri2022/protocol.py:{line}: error: Unsupported operand types for >= "
            f'("int" and "Callable[[FoldContext], int]")') in done.stdout, done.stdout


def test_mypy_passes_the_fixed_protocol():
    source = REPO / "papers" / "talluri2022" / "protocol.py"
    done = subprocess.run([sys.executable, "-m", "mypy", str(source)], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert "talluri2022/protocol.py" not in done.stdout, done.stdout
