"""Real data handled honestly, part A: faces, bad frame files, bad annotations.

Every case either refuses with one line naming the file, or completes and records what it
dropped or flagged (``results.json``: ``selection`` and ``face_quality``). Trees are copies of
the synthetic smoke corpus that the tests damage: a CASME II clip without a face, one whose face
leaves the frame after its middle, a truncated JPEG, a one-frame clip, a gap in the frame
numbers, a missing clip folder, duplicate rows in the MEGC csv.
"""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from common.datasets import DatasetError, dropped, load
from common.datasets.check import main as check_main
from common.errors import RunError
from common.running import runner
from common.running.profiles import resolve_run
from common.evaluation.splits import leave_one_subject_out
from common.experiment import Experiment, FoldOutcome, Selection
from common.preprocessing import face_quality
from common.preprocessing.io import FrameReadError, frame_file_problem, read_frame

# ----------------------------------------------------------------------------- trees


def _blank(path: Path) -> None:
    """Overwrite a frame with a flat grey image of the same size (no face)."""
    image = cv2.imread(str(path))
    cv2.imwrite(str(path), np.full_like(image, 128))


def _clips(root: Path) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load("casme2", root)


@pytest.fixture(scope="module")
def faces_tree(smoke_corpus, tmp_path_factory):
    """The smoke corpus with CASME II clip 0 faceless and clip 1's face gone after its middle."""
    root = shutil.copytree(smoke_corpus, tmp_path_factory.mktemp("faces") / "corpus")
    samples = _clips(root)
    faceless, leaving = samples[0], samples[1]
    for path in faceless.frames:
        _blank(path)
    for path in leaving.frames[len(leaving.frames) // 2 + 1:]:
        _blank(path)
    return root, faceless.key, leaving.key


def _copy(tree: Path, tmp_path: Path) -> Path:
    return shutil.copytree(tree, tmp_path / "copy")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# ----------------------------------------------------------------------------- a toy experiment on real loaders

EMOTIONS = ("disgust", "happiness", "surprise", "repression")  # CASME II "others" is not mapped


def _select(data, config) -> Selection:
    from common.datasets.sample import Dropped

    samples, labels, left_out = [], [], []
    for s in data["casme2"]:
        if s.emotion in EMOTIONS:
            samples.append(s)
            labels.append(EMOTIONS.index(s.emotion))
        else:
            left_out.append(Dropped(s.key, f"emotion {s.emotion!r} is not mapped", "selection"))
    return Selection(tuple(samples), np.array(labels, dtype=int), EMOTIONS, dropped=tuple(left_out))


def _majority(ctx) -> FoldOutcome:
    labels = ctx.selection.labels
    guess = int(np.bincount(labels[ctx.fold.train], minlength=len(EMOTIONS)).argmax())
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=np.full(len(ctx.fold.test), guess))


TOY = Experiment(name="toy", title="toy majority class on CASME II", datasets=("casme2",), config=None,
                 select=_select, folds=lambda sel, cfg, seed: leave_one_subject_out(sel), run_fold=_majority)


def _run_result(root: Path, out: Path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runner.run_experiment("toy", TOY, resolve_run(data_root=root, profile="smoke", out=out, **kwargs))


def _run(root: Path, out: Path, **kwargs) -> dict:
    return _run_result(root, out, **kwargs).summary


# ----------------------------------------------------------------------------- frame files


@pytest.mark.parametrize("ext", ["jpg", "png", "bmp"])
def test_truncated_frame_fails_naming_the_file(tmp_path, ext):
    image = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    path = tmp_path / f"img1.{ext}"
    cv2.imwrite(str(path), image)
    assert frame_file_problem(path) == "" and read_frame(path).shape == (48, 64, 3)
    _truncate(path)
    assert frame_file_problem(path)
    with pytest.raises(FrameReadError, match=rf"img1\.{ext}: truncated"):
        read_frame(path)


def test_zero_padding_after_the_jpeg_end_is_accepted(tmp_path):
    path = tmp_path / "img1.jpg"
    cv2.imwrite(str(path), np.zeros((16, 16, 3), np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00" * 7)
    assert frame_file_problem(path) == "" and read_frame(path, "gray").shape == (16, 16)


def test_a_jpeg_damaged_inside_fails_naming_the_file_though_it_ends_whole(tmp_path):
    """Cut short with its end marker kept, or bytes overwritten inside: the file ends whole and OpenCV decodes it
    (libjpeg fills the lost rows with grey and warns on stderr only), so the strict decoding must name it; stray
    bytes before the end marker (libjpeg's "extraneous bytes", pixels whole) are not refused."""
    from common.preprocessing.io import decode_image

    image = cv2.resize(np.random.default_rng(0).integers(0, 255, (12, 16, 3), dtype=np.uint8), (160, 120))
    path = tmp_path / "img1.jpg"
    cv2.imwrite(str(path), image)
    whole = path.read_bytes()
    middle = len(whole) // 2
    for damaged in (whole[:middle] + whole[-2:], whole[:middle] + b"\x00" * 300 + whole[middle + 300:]):
        path.write_bytes(damaged)
        assert frame_file_problem(path) == ""  # the ends are whole: only decoding finds it
        assert cv2.imdecode(np.frombuffer(damaged, np.uint8), cv2.IMREAD_COLOR) is not None  # OpenCV's silence
        for read in (lambda: read_frame(path), lambda: decode_image(path, cv2.IMREAD_COLOR)):
            with pytest.raises(FrameReadError, match=r"img1\.jpg: damaged JPEG data \(.+\): part of the image"):
                read()
    path.write_bytes(whole[:-2] + b"\x07\x07\x07" + whole[-2:])
    np.testing.assert_array_equal(read_frame(path), read_frame(path))
    assert read_frame(path).shape == (120, 160, 3)


# ----------------------------------------------------------------------------- the face-quality stage


def test_face_quality_verdicts_on_frames():
    from skimage import data

    face = np.ascontiguousarray(data.astronaut()[:260, 80:330])  # 250 x 260, the face about 90 px wide
    grey = np.full_like(face, 128)
    assert face_quality.assess([face, face, face]).verdict == "ok"
    assert face_quality.assess([grey, grey]).verdict == "no_face"
    fallback = face_quality.assess([grey, face, face])
    assert fallback.verdict == "fallback" and "first frame" in fallback.reason
    lost = face_quality.assess([face, face, grey], positions=[0, 5, 9])
    assert lost.verdict == "face_lost" and "9" in lost.reason and lost.found == (True, True, False)
    canvas = np.full((260, 400, 3), 128, np.uint8)
    left, right = canvas.copy(), canvas.copy()
    left[:, :250], right[:, 150:] = face, face  # the head jumps sideways by 150 px, far more than a quarter face
    jumped = face_quality.assess([left, right])
    assert jumped.verdict == "face_lost" and jumped.box_shift > face_quality.MAX_BOX_SHIFT
    assert list(face_quality.sample_positions(20)) == [0, 3, 5, 8, 11, 14, 16, 19]
    assert list(face_quality.sample_positions(3)) == [0, 1, 2]


def test_check_data_faces_on_the_smoke_corpus_reports_every_clip_ok(smoke_corpus, capsys):
    assert check_main(smoke_corpus, faces=True) == 0
    out = capsys.readouterr().out
    for db, n in (("casme2", 15), ("smic", 9), ("smic_e", 10), ("samm", 18), ("casme_sq", 12)):
        assert f"faces ({n} clips, up to 8 frames each): ok {n}\n" in out, db
    assert "flagged" not in out and "INCOMPLETE" not in out


def test_check_data_faces_names_the_faceless_the_leaving_and_the_truncated(faces_tree, tmp_path, capsys):
    tree, faceless, leaving = faces_tree
    root = _copy(tree, tmp_path)
    victim = sorted((root / "SAMM" / "SAMM" / "006").glob("*/*.jpg"))[3]
    _truncate(victim)
    assert check_main(root, faces=True) == 2  # an incomplete frame makes SAMM unusable
    out = capsys.readouterr().out
    assert f"{victim}: truncated or incomplete JPEG" in out
    assert f"{faceless}: no_face: no face in any of the 8 sampled frames" in out
    assert f"{leaving}: face_lost: no face in sampled frame(s)" in out
    assert "faces (15 clips, up to 8 frames each): ok 13, no_face 1, face_lost 1" in out
    assert "RESULT: unusable: SAMM" in out


# ----------------------------------------------------------------------------- runs


def test_run_excludes_a_faceless_clip_and_flags_a_leaving_face(faces_tree, tmp_path):
    tree, faceless, leaving = faces_tree
    res = _run(tree, tmp_path)
    stored = json.loads((tmp_path / "toy" / "toy" / "results.json").read_text())
    assert stored["face_quality"] == res["face_quality"] and stored["selection"] == res["selection"]
    faces, selection = res["face_quality"], res["selection"]
    assert faces["policy"] == "exclude" and faces["counts"]["no_face"] == 1 and faces["counts"]["face_lost"] == 1
    assert faces["verdicts"][faceless] == "no_face" and faces["verdicts"][leaving] == "face_lost"
    assert len(faces["verdicts"]) == selection["selected"] == 12  # 15 clips, 3 "others" left out by select
    dropped_by_key = {d["key"]: d for d in selection["dropped"]}
    assert dropped_by_key[faceless]["stage"] == "faces" and "no face" in dropped_by_key[faceless]["reason"]
    assert [d["stage"] for d in selection["dropped"]].count("selection") == 3  # the unmapped emotion
    assert any(d["reason"] == "emotion 'others' is not mapped" for d in selection["dropped"])
    assert selection["kept"] == res["n_samples"] == 11
    assert sum(selection["by_class"]["selected"].values()) == 12 and sum(selection["by_class"]["kept"].values()) == 11
    assert [f["key"] for f in selection["flagged"] if f["stage"] == "faces"] == [leaving]
    keys = set()  # the test keys of every fold record
    for fold in (tmp_path / "toy" / "toy" / "folds").glob("*.json"):
        keys |= set(json.loads(fold.read_text())["keys"])
    assert faceless not in keys and leaving in keys


def test_faces_policy_keep_and_refuse(faces_tree, tmp_path):
    tree, faceless, _ = faces_tree
    kept = _run(tree, tmp_path / "keep", faces_policy="keep")
    assert kept["n_samples"] == 12 and kept["face_quality"]["policy"] == "keep"
    assert any(f["key"] == faceless and "no_face" in f["reason"] for f in kept["selection"]["flagged"])
    with pytest.raises(RunError, match=rf"{faceless} has no face .*refused under --faces-policy refuse"):
        _run(tree, tmp_path / "refuse", faces_policy="refuse")
    with pytest.raises(RunError, match="faces policy 'skip'"):
        _run(tree, tmp_path / "bad", faces_policy="skip")


def test_run_refuses_a_truncated_frame_naming_it(smoke_corpus, tmp_path):
    root = _copy(smoke_corpus, tmp_path)
    victim = _clips(root)[4].frames[-1]
    _truncate(victim)
    with pytest.raises(RunError, match=rf"{victim}: truncated or incomplete JPEG"):
        _run(root, tmp_path / "out")


def test_one_frame_clip_is_dropped_gaps_flagged_missing_folder_recorded(smoke_corpus, tmp_path):
    root = _copy(smoke_corpus, tmp_path)
    samples = [s for s in _clips(root) if s.emotion in EMOTIONS]
    short, gappy, gone = samples[0], samples[1], samples[2]
    for path in short.frames:  # the apex frame stays (an apex outside the frames on disk is another rule)
        if path != short.frames[short.apex_position]:
            path.unlink()
    gappy.frames[3].unlink()
    shutil.rmtree(gone.frames[0].parent)
    res = _run(root, tmp_path / "out")
    selection = res["selection"]
    by_key = {d["key"]: d for d in selection["dropped"]}
    assert by_key[short.key]["stage"] == "frames" and "1 frame(s)" in by_key[short.key]["reason"]
    assert "needs at least 2" in by_key[short.key]["reason"]
    assert by_key[gone.key]["stage"] == "loader" and "missing or empty on disk" in by_key[gone.key]["reason"]
    gap = [f for f in selection["flagged"] if f["key"] == gappy.key]
    assert gap and gap[0]["stage"] == "frames" and "1 frame(s) missing" in gap[0]["reason"]
    assert f"(number(s) {gappy.frame_numbers[3]})" in gap[0]["reason"]
    assert selection["kept"] == res["n_samples"] == 12 - 2  # select kept 11 (one folder gone); one too short


def test_a_clip_folder_linked_from_outside_the_data_root_is_recorded_not_refused(smoke_corpus, tmp_path):
    """A clip folder that is a link to a copy outside --data-root is followed, and results.json says so."""
    root = _copy(smoke_corpus, tmp_path)
    linked = [s for s in _clips(root) if s.emotion in EMOTIONS][0]
    folder = linked.frames[0].parent
    elsewhere = shutil.copytree(folder, tmp_path / "elsewhere" / folder.name)  # outside the data root
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere, target_is_directory=True)
    res = _run(root, tmp_path / "out")
    stored = json.loads((tmp_path / "out" / "toy" / "toy" / "results.json").read_text())["selection"]
    assert stored["outside_root"] == {"root": str(root.resolve()), "count": 1, "keys": [linked.key]}
    assert res["selection"]["kept"] == res["n_samples"] == 12  # followed and used: recorded, never refused


# ----------------------------------------------------------------------------- annotations


def test_duplicate_megc_rows_are_merged_and_recorded(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path)
    csv = root / "combined_3class_gt.csv"
    rows = csv.read_bytes().splitlines(keepends=True)
    csv.write_bytes(b"".join(rows + rows[:2]))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        samples = load("megc2019", root)
    assert len(samples) == len({s.key for s in samples}) == 36
    merged = dropped("megc2019", root)
    assert len(merged) == 2 and all("duplicate row" in d.reason and d.stage == "loader" for d in merged)
    assert merged[0].key == "casme2/sub01/EP09_1" and f"{csv}, line {len(rows) + 1}" in merged[0].reason
    assert check_main(root) == 0
    out = capsys.readouterr().out
    assert "official list and MEGC rules agree (36 vs 36 samples)" in out and "duplicate row" in out
    conflicting = rows + [rows[0].replace(b",0", b",1")]
    csv.write_bytes(b"".join(conflicting))
    with pytest.raises(DatasetError, match=rf"line {len(rows) + 1}: .*EP09_1.*line 1 gives 'negative'"):
        load("megc2019", root)


def test_papers_record_the_emotions_outside_their_mapping(smoke_corpus):
    from papers.le2020 import EXPERIMENTS as LE
    from papers.talluri2022 import EXPERIMENTS as TALLURI

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        casme2 = load("casme2", smoke_corpus)
    talluri = next(e for e in TALLURI if e.datasets == ("casme2",))
    le = next(e for e in LE if e.datasets == ("casme2",))
    for selection in (talluri.select({"casme2": casme2}, talluri.config), le.select({"casme2": casme2}, le.config)):
        assert len(selection) + len(selection.dropped) == len(casme2)
        assert all(d.stage == "selection" and "emotion" in d.reason for d in selection.dropped)
    assert len(talluri.select({"casme2": casme2}, talluri.config).dropped) == 6  # others and repression


def test_report_selection_page_shows_thumbnails_only_where_faces_may_be_shown(faces_tree, tmp_path):
    import dataclasses

    from common.harness import ReportContext
    from common.orchestration import paper_reports

    tree = faces_tree[0]
    result = _run_result(tree, tmp_path / "run")
    res = result.summary
    # a frame moved since the run: its cell says so (read before the report, never inside a page)
    flagged = [dict(f) for f in res["face_quality"]["flagged"]]
    flagged[0]["frames"] = [str(tmp_path / "moved.jpg")] + list(flagged[0]["frames"][1:])
    moved = dataclasses.replace(result, summary={**res, "face_quality": {**res["face_quality"], "flagged": flagged}})
    pdfs = {}
    for kind, allow, run in (("synthetic", True, result), ("real", False, result), ("moved", True, moved)):
        context = ReportContext(paper_id="toy", corpus={**res["corpus"], "kind": "real" if kind == "real" else
                                                        "synthetic"}, allow_faces=allow, profile=res["profile"])
        pdf = paper_reports.write_paper_report("toy", {"toy": run}, tmp_path / kind, context)
        pdfs[kind] = pdf.read_bytes()
        stored = json.loads((pdf.parent / "results.json").read_text())["experiments"]["toy"]
        assert stored["selection"]["dropped"] == res["selection"]["dropped"]
    images = {kind: data.count(b"/Subtype /Image") for kind, data in pdfs.items()}  # confusion heatmaps too
    assert images["synthetic"] - images["real"] == 6  # 2 flagged clips x 3 frames; licensed faces never embedded
    assert images["synthetic"] - images["moved"] == 1
    cells = paper_reports.flagged_frames(moved.summary)[0]["cells"]
    assert cells[0]["image"] is None and cells[0]["note"].startswith("frame moved since the run: ")
    assert "moved.jpg" in cells[0]["note"] and all(c["image"].dtype == np.uint8 for c in cells[1:])
    assert paper_reports.thumbnails({"toy": result}, allow_faces=False) == {}  # no face is even read


def test_megc_rules_record_the_emotions_they_leave_out_quietly(smoke_corpus):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        samples = load("megc2019", smoke_corpus, gt_csv=False)
    left_out = dropped("megc2019", smoke_corpus, gt_csv=False)
    assert len(samples) == 36 and left_out and not caught  # recorded, not printed
    assert all("is not in the MEGC 2019 composite" in d.reason for d in left_out)
    assert {d.key.split("/")[0] for d in left_out} == {"casme2", "samm"}  # 'others' and the like
