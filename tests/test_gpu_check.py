"""benchmarks/gpu_check.py --tiny: the one command for a GPU machine still runs, here on the CPU."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_gpu_check_tiny_runs_every_part_and_prints_the_table(smoke_corpus):
    # the session's smoke corpus and preprocessing cache (tests/conftest.py): the check's own code, not the faces again
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--tiny", "--data-root",
                           str(smoke_corpus)], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    lines = done.stdout.splitlines()
    model = next(line for line in lines if line.startswith("aouayeb2019/region_cnn_3"))
    fit_rate, device_rate = (float(v.replace(",", "")) for v in model.split()[-2:])
    assert fit_rate > 0 and device_rate > 0
    run = next(line for line in lines if line.startswith("aouayeb2019/megc2019_loso"))
    assert run.split()[1] == "1" and run.split()[-1] == "0"  # one fold measured, run_all.py exit 0
