"""Make ``papers/wang2024/released_faces.csv``: per clip of the authors' released inputs (HTNet's tree, 442 apex
face crops), whether each detector finds a face where wang2024 looks for its five points (README ledger 13), and
so which clips take the code's fixed points.

    .venv/bin/python benchmarks/count_wang2024_released_faces.py --data-root HTNet   # HTNet: a clone of its repository
    .venv/bin/python benchmarks/count_wang2024_released_faces.py --data-root HTNet \\
        --facenet-python /tmp/venv-facenet/bin/python

Columns (1 found, 0 no face, empty not measured):

- ``mtcnn``: the Keras MTCNN of PyPI's ``mtcnn`` (a dependency of the project), ``data.points=mtcnn``, the
  `paper` reading (``papers/wang2024/points.mtcnn_points``: the crop resized to 28x28, in B, G, R order);
- ``facenet``: the authors' own detector, facenet-pytorch's MTCNN, as ``main_HTNet.py`` l. 68-76 calls it
  (``MTCNN(margin=0, image_size=28, select_largest=True, post_process=False)``, ``detect(..., landmarks=True)``
  on the same 28x28 B, G, R array). It needs PyTorch, which the suite does not install: ``--facenet-python``
  names the interpreter of a separate environment that has it (``python -m venv /tmp/venv-facenet &&
  /tmp/venv-facenet/bin/pip install torch==2.2.2 torchvision==0.17.2 'numpy<2' opencv-python-headless
  facenet-pytorch==2.6.0``); without it the column is kept from the existing csv, else left empty;
- ``dlib``: the suite's dlib 68-point landmarks on the whole 224-pixel crop, ``data.points=dlib``;
- ``differs``: 1 where the measured detectors do not all agree;
- ``same_cut``: where both MTCNNs find a face, 1 if the four points the areas are cut at (eyes, mouth corners),
  clipped to 7..21 and truncated as the code does, are the same whole pixels, else 0; empty elsewhere;
- ``mtcnn_points``, ``facenet_points``: the five points each MTCNN finds (x y at 28 pixels, 3 decimals, ";"
  between points, in MTCNN's order: left eye, right eye, nose, left and right mouth corner); empty for no face.

Prints the counts per detector (faces found / fixed points) and the clips where they differ, by database.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "papers" / "wang2024" / "released_faces.csv"
COLUMNS = ("clip", "crop", "database", "mtcnn", "facenet", "dlib", "differs", "same_cut", "mtcnn_points",
           "facenet_points")
DETECTORS = ("mtcnn", "facenet", "dlib")

# Run in the facenet environment: reads crop paths (JSON on stdin), prints {path: found} (JSON). The call is
# main_HTNet.py l. 69-73's, with its settings, on the CPU instead of 'cuda:0'.
FACENET_CHILD = """
import json, sys
import cv2
from facenet_pytorch import MTCNN
detector = MTCNN(margin=0, image_size=28, select_largest=True, post_process=False, device="cpu")
found = {}
for path in json.load(sys.stdin):
    small = cv2.resize(cv2.imread(path), (28, 28), interpolation=cv2.INTER_AREA)
    _, _, landmarks = detector.detect(small, landmarks=True)
    found[path] = None if landmarks is None else landmarks[0].tolist()
print(json.dumps(found))
"""


def facenet_found(python: str, crops: list[str]) -> dict[str, list | None]:
    """{crop path: the five points facenet-pytorch's MTCNN finds (x, y at 28 pixels), None for no face},
    computed by ``python`` (an environment with PyTorch and facenet-pytorch)."""
    done = subprocess.run([python, "-c", FACENET_CHILD], input=json.dumps(crops), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"--facenet-python {python}: the facenet-pytorch check failed: "
                         f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cut(points) -> list[list[int]]:
    """The whole pixels the four areas are cut at: the eyes' and the mouth corners' points (the nose's area is
    not used, ``preprocessing.TILES``), each coordinate clipped to 7..21 and truncated (main_HTNet.py l. 86-92;
    ``preprocessing.four_areas``)."""
    return np.clip(np.asarray(points, dtype=np.float64)[[0, 1, 3, 4]], 7, 21).astype(int).tolist()


def written(points) -> str:
    """Five points as the csv writes them: "x y;x y;..." (3 decimals); "" for none."""
    if points is None or len(points) == 0:
        return ""
    return ";".join(f"{x:.3f} {y:.3f}" for x, y in np.asarray(points, dtype=np.float64))


def previous_column(path: Path, column: str) -> dict[str, str]:
    """{clip: value} of ``column`` in an existing csv at ``path`` ({} if none)."""
    from common.files import csv_text  # the cells as main wrote them (common.files.csv_cell)

    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {csv_text(row["clip"]): csv_text(row.get(column) or "") for row in csv.DictReader(handle)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", required=True, help="HTNet's released tree (or a folder above it)")
    parser.add_argument("--facenet-python", default=None,
                        help="the interpreter of an environment with torch and facenet-pytorch (the official chain)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the csv written (default: {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)

    from common.datasets.released import load
    from common.files import csv_cell
    from common.preprocessing.released_images import read_apex_crop
    from papers.wang2024.points import dlib_points, mtcnn_installed, mtcnn_points

    samples = [s for s in load(args.data_root) if s.meta.get("apex_crop") is not None]
    if not samples:
        print(f"{args.data_root}: no apex crops (HTNet's datasets/combined_datasets_whole/ expected)", file=sys.stderr)
        return 2
    if not mtcnn_installed():
        print("the Keras MTCNN is not installed: pip install 'mtcnn>=1.0.0'", file=sys.stderr)
        return 2
    rows = []
    keras_points = []
    for sample in samples:
        crop = read_apex_crop(sample.meta["apex_crop"])
        keras_points.append(mtcnn_points(crop))
        rows.append({"clip": sample.key, "crop": Path(sample.meta["apex_crop"]).name, "database": sample.dataset,
                     "mtcnn": str(int(len(keras_points[-1]) > 0)), "dlib": str(int(len(dlib_points(crop)) > 0)),
                     "mtcnn_points": written(keras_points[-1])})
    if args.facenet_python:
        found = facenet_found(args.facenet_python, [str(s.meta["apex_crop"]) for s in samples])
        for row, sample, ours in zip(rows, samples, keras_points):
            theirs = found[str(sample.meta["apex_crop"])]
            row["facenet"] = str(int(theirs is not None))
            row["same_cut"] = "" if theirs is None or len(ours) == 0 else str(int(cut(ours) == cut(theirs)))
            row["facenet_points"] = written(theirs)
    else:
        kept = {column: previous_column(args.out, column) for column in ("facenet", "same_cut", "facenet_points")}
        for row in rows:
            row.update({column: values.get(row["clip"], "") for column, values in kept.items()})
        print("facenet column: " + ("kept from the existing csv" if any(kept.values()) else "not measured")
              + " (--facenet-python runs it)")
    for row in rows:
        measured = {row[d] for d in DETECTORS if row[d] != ""}
        row["differs"] = str(int(len(measured) > 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    print(f"{len(rows)} apex crops of {args.data_root}; faces found / fixed points per detector:")
    for detector in DETECTORS:
        values = [row[detector] for row in rows if row[detector] != ""]
        if values:
            found_n = values.count("1")
            by_db = {db: sum(r[detector] == "0" for r in rows if r["database"] == db)
                     for db in sorted({r["database"] for r in rows})}
            print(f"  {detector:<8} {found_n} found, {len(values) - found_n} fixed points "
                  f"(fixed points by database: {', '.join(f'{db} {n}' for db, n in by_db.items())})")
    for a, b in (("mtcnn", "facenet"), ("mtcnn", "dlib"), ("facenet", "dlib")):
        both = [r for r in rows if r[a] != "" and r[b] != ""]
        if both:
            differ = [r["clip"] for r in both if r[a] != r[b]]
            first = f" (first: {', '.join(differ[:5])})" if differ else ""
            print(f"  {a} vs {b}: {len(differ)} clip(s) differ{first}")
    same = [r["same_cut"] for r in rows if r["same_cut"] != ""]
    if same:
        print(f"  where both MTCNNs find a face ({len(same)} clips), the four areas cut at the same whole pixels: "
              f"{same.count('1')}")
        pairs = [(r["mtcnn_points"], r["facenet_points"]) for r in rows if r["mtcnn_points"] and r["facenet_points"]]
        gaps = np.abs(np.array([[[float(v) for v in p.split()] for p in a.split(";")] for a, _ in pairs])
                      - np.array([[[float(v) for v in p.split()] for p in b.split(";")] for _, b in pairs]))
        print(f"  the two MTCNNs' points there: mean |difference| {gaps.mean():.2f} px, median {np.median(gaps):.2f}, "
              f"largest {gaps.max():.2f} (x and y at 28 pixels)")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
