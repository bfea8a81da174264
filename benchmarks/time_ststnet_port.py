#!/usr/bin/env python
"""Time the authors' PyTorch port of STSTNet (christy1206/STSTNet, ``main.py``) on the released inputs, for
the side-by-side of ``benchmarks/bench_fold_parallel.py --authors``: its own training script, run as its README
says (``python main.py --train True``), on the first ``--subjects`` left-out subjects of the composite's LOSO.
Prints, never asserts; run by hand (never in ``make test``), in a PyTorch environment::

    python3 -m venv /tmp/venv-port
    /tmp/venv-port/bin/pip install torch==2.13.0 torchsummary opencv-python-headless scikit-learn matplotlib
    git clone https://github.com/christy1206/STSTNet /tmp/STSTNet        # commit 1afb56e read
    .venv/bin/python benchmarks/time_ststnet_port.py --clone /tmp/STSTNet --data-root HTNet \\
        --python /tmp/venv-port/bin/python --subjects 2

Their script reads a leave-one-subject-out tree from its working folder (``norm_u_v_os/<subject>/u_train|
u_test/<class>/``) and trains one fold a subject folder there, 800 epochs, evaluating the test subject after
every epoch. This script writes that tree for the chosen subjects only (links to the released flow images,
the training part every other subject's clips, as the full tree holds them), in a temporary working folder
beside a link to their ``main.py``: their code is run, never copied or changed. The subjects are the first of
our folds (``common.evaluation.splits.megc_loso`` on ``common.datasets.released.load``), so that our paths can
be timed on the same folds (``--paper liong2019 --profile port --set evaluation.max_folds=N``).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.datasets.megc2019 import CLASSES
from common.datasets.released import load
from common.evaluation.splits import megc_composite, megc_loso


def write_tree(root: Path, data_root: Path, subjects: int) -> list[str]:
    """``root/norm_u_v_os/<subject>/u_train|u_test/<class>/<image>`` for the first ``subjects`` folds: links to
    the released images. Returns the authors' names of those subjects."""
    selection = megc_composite({"megc2019": load(data_root)})
    names = []
    for fold in megc_loso(selection, subjects):
        first = selection.samples[int(fold.test[0])]
        subject = str(first.meta["authors_subject"])
        names.append(subject)
        for part, indices in (("u_train", fold.train), ("u_test", fold.test)):
            for index in indices:
                sample, label = selection.samples[int(index)], int(selection.labels[int(index)])
                folder = root / "norm_u_v_os" / subject / part / str(label)
                folder.mkdir(parents=True, exist_ok=True)
                image = Path(sample.meta["flow_image"])
                (folder / f"{sample.dataset}_{sample.subject}_{sample.clip}.png").symlink_to(image.resolve())
    return names


def time_port(clone: Path, data_root: Path, python: str, subjects: int) -> tuple[float, float, list[str], str]:
    """(wall seconds, CPU seconds, the subjects, its own "Total Time Taken" line) of the authors' ``main.py
    --train True`` on the first ``subjects`` folds; a ``RuntimeError`` with its output's end if it fails."""
    if not (clone / "main.py").is_file():
        raise RuntimeError(f"no main.py in {clone} (give a clone of christy1206/STSTNet)")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        names = write_tree(work, data_root, subjects)
        (work / "main.py").symlink_to((clone / "main.py").resolve())
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([python, "main.py", "--train", "True"], cwd=work, capture_output=True, text=True,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"main.py exited {done.returncode}: {(done.stdout + done.stderr)[-1500:]}")
    own = next((line for line in done.stdout.splitlines() if line.startswith("Total Time Taken")), "not printed")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), names, own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clone", type=Path, required=True, help="the authors' repository (its main.py)")
    parser.add_argument("--data-root", type=Path, required=True, help="the released inputs (HTNet's tree)")
    parser.add_argument("--python", default=sys.executable, help="a Python with PyTorch (theirs runs in it)")
    parser.add_argument("--subjects", type=int, default=2, help="left-out subjects (folds) to train")
    args = parser.parse_args(argv)
    try:
        wall, cpu, names, own = time_port(args.clone, args.data_root, args.python, args.subjects)
    except RuntimeError as error:
        print(f"time_ststnet_port: {error}")
        return 1
    print(f"authors' PyTorch port (main.py --train True, 800 epochs), {len(names)} folds ({', '.join(names)}; "
          f"classes {', '.join(CLASSES)}): wall {wall:.1f} s, CPU {cpu:.1f} s, {wall / len(names):.1f} s a fold "
          f"({1000 * wall / len(names) / 800:.1f} ms a fold-epoch); its own clock: {own}")
    print(f"the 68-fold LOSO at that rate: {wall / len(names) * 68 / 60:.0f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
