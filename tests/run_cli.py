"""``run_all.py`` in a subprocess, as a user runs it (the papers' end-to-end tests share these), and the dummy
export that the deployment tests predict from."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_all_process(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python run_all.py ARGS`` from the repository root; asserts exit 0, showing the output's tail if not."""
    done = subprocess.run([sys.executable, str(REPO / "run_all.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def architectures_json(paper_id: str, timeout: int = 300) -> dict:
    """``run_all.py --paper ID --architectures --json``: ``{model: {trainable_params, layers...}}``."""
    done = run_all_process("--paper", paper_id, "--architectures", "--json", timeout=timeout)
    return json.loads(done.stdout)["models"]


def export_dummy_frames(corpus: Path, folder: Path) -> Path:
    """``--export`` of the dummy paper's frame experiment (smoke profile) on ``corpus`` into ``folder``, in this
    process (a module-scoped fixture has no ``capsys``)."""
    import dummy_paper
    import run_all

    code = run_all.main(["--paper", "dummy_frames", "--profile", "smoke", "--data-root", str(corpus),
                         "--export", str(folder)], registry=dummy_paper.DEPLOY_REGISTRY)
    assert code == 0
    return folder
