"""wang2024 (HTNet) on the authors' released inputs (``common.datasets.released``): the released flow image as the
input, the five points from the apex crop (``papers/wang2024/points.py``, ``data.points``), the clips on the
code's fixed points recorded per fold and flagged in results.json, the refusals, and ``--estimate``.

Two kinds of test: on small fake trees written here in HTNet's layout (always run; the detectors replaced by
fixed answers, so that no face model is needed), and on the real released crops where ``MERSUITE_RELEASED``
names the folder holding ``htnet/`` (elsewhere skipped, with the reason).
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

import run_all
from common.datasets import released
from papers.wang2024 import points as points_module
from papers.wang2024.config import HTNetConfig

RELEASED = os.environ.get("MERSUITE_RELEASED", "")
needs_released = pytest.mark.skipif(
    not (RELEASED and (Path(RELEASED) / "htnet" / released.HTNET_CSV).is_file()),
    reason="MERSUITE_RELEASED does not name a folder holding the authors' released htnet/ "
           "(.ci/run sets it to ../shared/released when that exists)")
CSV = Path(__file__).resolve().parent.parent / "papers" / "wang2024" / "released_faces.csv"
# (database, subject, clip, class): two subjects a database, every class in every training part
ROWS = (("casme2", "sub01", "EP02_01f", 1), ("casme2", "sub01", "EP19_05f", 0), ("casme2", "sub02", "EP01_11f", 2),
        ("smic", "s01", "s01_ne_01", 0), ("smic", "s01", "s01_po_02", 1), ("smic", "s02", "s02_sur_01", 2),
        ("samm", "006", "006_1_2", 0), ("samm", "006", "006_1_3", 2), ("samm", "007", "007_7_1", 1))
# What the fake detector "finds" on a crop of CASME II's sub01 (x, y at 28 pixels); no face on the others
FOUND = np.array([[8.6, 9.2], [19.4, 9.1], [14.0, 15.0], [9.9, 20.3], [18.2, 20.7]], dtype=np.float32)


def fake_htnet(root: Path, crops: bool = True) -> Path:
    """HTNet's released layout: the csv, the 28x28 flow images (a space before .png), the 224x224 apex crops."""
    flows = root / "datasets" / released.HTNET_FLOWS
    flows.mkdir(parents=True)
    lines = ["dataset,sub,filename_o,label,apex,imagename,sub_filename"]
    for i, (db, sub, clip, label) in enumerate(ROWS):
        rng = np.random.default_rng(i)
        lines.append(f"{db},{sub},{clip},{label},,{sub}_{clip}.jpg,")
        flow = rng.integers(0, 256, (28, 28, 3), dtype=np.uint8)
        flow[0, 0], flow[0, 1] = 0, 255  # every channel reaches 0 and 255, as every released image does
        cv2.imwrite(str(flows / f"{sub}_{clip} .png"), flow)
        if crops:
            (root / "datasets" / released.HTNET_CROPS).mkdir(exist_ok=True)
            cv2.imwrite(str(root / "datasets" / released.HTNET_CROPS / f"{sub}_{clip}.jpg"),
                        rng.integers(0, 256, (224, 224, 3), dtype=np.uint8))
    (root / released.HTNET_CSV).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _fake_detector(crop_bgr: np.ndarray) -> np.ndarray:
    """The fixed answer of a detector: FOUND on sub01's crops (told apart by their first pixel), else no face."""
    return FOUND.copy() if tuple(crop_bgr[0, 0]) in SUB01_PIXELS else np.zeros((0, 2), np.float32)


SUB01_PIXELS: set[tuple[int, ...]] = set()


@pytest.fixture
def fake_detectors(monkeypatch, tmp_path):
    """Both detectors replaced by :func:`_fake_detector`, the Keras MTCNN taken as installed, and a fresh cache."""
    root = fake_htnet(tmp_path / "HTNet")
    SUB01_PIXELS.clear()
    for _, sub, clip, _ in ROWS:
        if sub == "sub01":
            crop = cv2.imread(str(root / "datasets" / released.HTNET_CROPS / f"{sub}_{clip}.jpg"))
            SUB01_PIXELS.add(tuple(crop[0, 0]))
    monkeypatch.setattr(points_module, "mtcnn_points", _fake_detector)
    monkeypatch.setattr(points_module, "dlib_points", _fake_detector)
    monkeypatch.setattr(points_module, "mtcnn_installed", lambda: True)
    monkeypatch.setenv("MERSUITE_CACHE", str(tmp_path / "cache"))
    return root


def test_the_input_is_the_released_image_cut_at_the_crops_points(fake_detectors, tmp_path):
    from papers.wang2024.preprocessing import FALLBACK_POINTS, clip_inputs, four_areas

    samples = released.load(fake_detectors)
    by_subject = {s.subject: s for s in samples}
    found, missed = by_subject["sub01"], by_subject["s2"]
    point, ok = points_module.released_points(found, "mtcnn", 28, tmp_path / "cache")
    assert ok and np.allclose(point, FOUND)
    point, ok = points_module.released_points(missed, "mtcnn", 28, tmp_path / "cache")
    assert not ok and np.allclose(point, FALLBACK_POINTS)
    x = clip_inputs([found, missed], HTNetConfig(), tmp_path / "cache")
    for sample, at, image in ((found, FOUND, x[0]), (missed, FALLBACK_POINTS, x[1])):
        # the file's integers in cv2.imread's order (strain, v, u), as main_HTNet.py l. 110 reads them; the
        # images reach 0 and 255 in every channel, so the rescaling at 28 leaves them as they are
        bgr = cv2.imread(str(sample.meta["flow_image"])).astype(np.float32)
        np.testing.assert_array_equal(image, four_areas(bgr, at))


def test_the_fold_record_and_results_json_flag_the_clips_on_fixed_points(fake_detectors, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_all.main(["--paper", "wang2024", "--data-root", str(fake_detectors), "--profile", "smoke",
                         "--set", "evaluation.max_folds=1", "--out", str(out)])
    log = capsys.readouterr().out
    assert code == 0, log
    folder = out / "wang2024" / "megc2019_loso"
    results = json.loads((folder / "results.json").read_text())
    (record_file,) = sorted((folder / "folds").glob("*.json"))
    record = json.loads(record_file.read_text())
    # the first fold reads every clip (training and test): the two of sub01 found, seven on the fixed points
    assert record["extra"]["points"]["detector"] == "mtcnn"
    assert (record["extra"]["points"]["found"], record["extra"]["points"]["fallback"]) == (2, 7)
    flagged = [f for f in results["selection"]["flagged"] if f["stage"] == "points"]
    assert len(flagged) == 7 and not any("/sub01/" in f["key"] for f in flagged)
    assert all("main_HTNet.py l. 76-82" in f["reason"] for f in flagged)
    assert results["corpus"]["inputs"] == released.INPUT_KIND
    assert "7 clip(s) flagged by the folds' inputs (stage points" in log


def test_the_points_reading_is_a_config_field_that_changes_the_config_hash():
    from common.running.profiles import config_hash

    default = HTNetConfig()
    assert default.data.points == "mtcnn"
    dlib = dataclasses.replace(default, data=dataclasses.replace(default.data, points="dlib"))
    assert config_hash(dlib) != config_hash(default)


@pytest.mark.parametrize("case", ["no_mtcnn", "no_crops"])
def test_what_cannot_give_the_points_is_refused_in_one_line_before_any_fold(case, monkeypatch, tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet", crops=case != "no_crops")
    monkeypatch.setattr(points_module, "mtcnn_installed", lambda: case != "no_mtcnn")
    monkeypatch.setenv("MERSUITE_CACHE", str(tmp_path / "cache"))
    code = run_all.main(["--paper", "wang2024", "--data-root", str(root), "--profile", "smoke",
                         "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    expected = ("data.points=mtcnn needs the Keras MTCNN, which is not installed, for 9 apex crop(s) whose points "
                "are not in the stage cache" if case == "no_mtcnn" else "9 released clip(s) have no apex face crop "
                "(first: ")
    assert expected in err, err
    assert not (tmp_path / "out" / "wang2024" / "megc2019_loso" / "folds").exists()


def test_points_in_the_stage_cache_need_no_detector(fake_detectors, monkeypatch, tmp_path):
    """A machine without the Keras MTCNN (a card with JAX alone) reads the points a machine with it cached; a crop
    whose points are not cached is refused, named."""
    cache = tmp_path / "cache"
    samples = released.load(fake_detectors)
    found = [points_module.crop_points(s, "mtcnn", cache) for s in samples]
    monkeypatch.setattr(points_module, "mtcnn_installed", lambda: False)
    monkeypatch.setattr(points_module, "mtcnn_points", lambda crop: pytest.fail("the detector ran"))
    assert points_module.points_problem(samples, "mtcnn", cache) == ""
    for sample, points in zip(samples, found):
        np.testing.assert_array_equal(points_module.crop_points(sample, "mtcnn", cache), points)
    changed = samples[3].meta["apex_crop"]
    cv2.imwrite(str(changed), cv2.imread(str(changed))[::-1])  # another crop: its cache key differs
    problem = points_module.points_problem(samples, "mtcnn", cache)
    assert f"for 1 apex crop(s) whose points are not in the stage cache (first: {samples[3].key};" in problem
    assert points_module.points_problem(samples, "dlib", cache) == ""  # dlib is the suite's own: always there


def test_estimate_keeps_the_released_clips_and_refuses_a_frame_method(fake_detectors):
    from common.datasets import load
    from common.errors import RunError
    from common.estimate.projection import estimate_experiment
    from papers import get_paper

    data = {"megc2019": load("megc2019", fake_detectors)}
    experiment = dataclasses.replace(get_paper("wang2024").EXPERIMENTS[0], training_stages=None)  # counts only
    counted = estimate_experiment("wang2024", experiment, data, profile="paper")
    assert (counted.clips, counted.dropped_short, counted.folds) == (len(ROWS), 0, 6)
    frames_method = dataclasses.replace(get_paper("see2019").EXPERIMENTS[0], training_stages=None)
    with pytest.raises(RunError, match="needs the clips' frames"):
        estimate_experiment("see2019", frames_method, data, profile="paper")


def test_the_faces_table_gives_the_counts_the_ledger_states():
    with open(CSV, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 442
    found = {d: sum(r[d] == "1" for r in rows) for d in ("mtcnn", "facenet", "dlib")}
    differs = sum(r["differs"] == "1" for r in rows)
    assert differs == sum(len({r["mtcnn"], r["facenet"], r["dlib"]}) > 1 for r in rows)
    ledger = (CSV.parent / "README.md").read_text(encoding="utf-8")
    for detector, n in found.items():
        assert re.search(rf"{detector}[^|]*?\b{n} found, {442 - n} on the fixed points", ledger), (detector, n)


# --- the real released crops (MERSUITE_RELEASED) -----------------------------------------------------------------


@needs_released
@pytest.mark.parametrize("detector", ["mtcnn", "dlib"])
def test_the_detectors_on_a_few_real_crops_agree_with_the_faces_table(detector, tmp_path):
    if detector == "mtcnn" and not points_module.mtcnn_installed():
        pytest.skip("the Keras MTCNN (pip install 'mtcnn>=1.0.0', a dependency of the project) is not installed")
    with open(CSV, newline="", encoding="utf-8") as handle:
        table = {r["clip"]: r for r in csv.DictReader(handle)}
    samples = released.load(Path(RELEASED) / "htnet")
    # a clip of each database where the detector finds a face and one where it does not, as the table says
    chosen = []
    for database in ("casme2", "smic", "samm"):
        for value in ("1", "0"):
            chosen += [s for s in samples if s.dataset == database and table[s.key][detector] == value][:1]
    assert len(chosen) >= 4
    for sample in chosen:
        point, ok = points_module.released_points(sample, detector, 28, tmp_path)
        assert ok == (table[sample.key][detector] == "1"), sample.key
        assert point.shape == (5, 2) and np.all(np.isfinite(point))
