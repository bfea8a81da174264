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


# The papers' end-to-end smoke runs through ``run_all.py`` (a subprocess, as a user runs it), each made once a test
# session and read by the paper's own tests and by tests/test_report_layout.py, which draws the paper's report
# from the first experiment's folds, reused: {paper: its experiments}. The first is the paper's first experiment,
# or one that draws the same kinds of page (kumar2019's SMIC LOSO as the composite's, on fewer folds; le2020's
# cross-database VGG19, one fold, as its 10-fold CASME II experiment's two).
SMOKE_RUNS = {
    "aouayeb2019": ("megc2019_loso",),
    "reddy2019": ("casme_sq_microexpstcnn", "casme_sq_microexpfusenet_intermediate_whole_set",
                  "smic_microexpfusenet_late_whole_set"),
    "kumar2019": ("smic_loso", "cross_casme2_to_smic"),
    "le2020": ("cross_casme2_to_samm_vgg19",),
    "talluri2022": ("s2_casme2_to_casme2_model_a", "casme2_split_runs_model_c"),
}


def smoke_run(tmp_path_factory, smoke_corpus: Path, paper_id: str) -> Path:
    """The ``--out`` folder of ``paper_id``'s smoke run of :data:`SMOKE_RUNS` (one report for its experiments),
    made once a test session (``conftest.shared_folder``)."""
    from conftest import shared_folder

    def run(out: Path) -> None:
        experiments = [arg for name in SMOKE_RUNS[paper_id] for arg in ("--experiment", name)]
        run_all_process("--paper", paper_id, *experiments, "--profile", "smoke", "--data-root", smoke_corpus,
                        "--out", out)

    return shared_folder(tmp_path_factory, f"{paper_id}-smoke-run", run)


def architectures_json(paper_id: str) -> dict:
    """``run_all.py --paper ID --architectures --json`` in this process (a module-scoped fixture has no ``capsys``;
    the JAX subset runs it as a subprocess of every paper): ``{model: {trainable_params, layers...}}``."""
    import contextlib
    import io

    import run_all

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run_all.main(["--paper", paper_id, "--architectures", "--json"]) == 0
    return json.loads(out.getvalue())["models"]


def export_dummy_frames(corpus: Path, folder: Path) -> Path:
    """``--export`` of the dummy paper's frame experiment (smoke profile) on ``corpus`` into ``folder``, in this
    process (a module-scoped fixture has no ``capsys``)."""
    import dummy_paper
    import run_all

    code = run_all.main(["--paper", "dummy_frames", "--profile", "smoke", "--data-root", str(corpus),
                         "--export", str(folder)], registry=dummy_paper.DEPLOY_REGISTRY)
    assert code == 0
    return folder
