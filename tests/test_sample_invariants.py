"""What a valid sample is (``common.datasets.invariants``), one property per rule, on damaged copies
of the smoke corpus.

Each case copies the database(s) it damages out of the session's smoke corpus, then checks the same
verdict through a run (the runner with a majority-class toy experiment on that database, or
``run_all.py`` in-process where the case refuses before any training) and through
``--check-data``: a refusal is one line naming the file or clip (exit 2 for the CLI, UNUSABLE for
the check); a drop is recorded in the run's selection record with its rule and true reason, and
listed by the check under the same rule.
"""
from __future__ import annotations

import dataclasses
import errno
import logging
import os
import shutil
import warnings
from pathlib import Path

import cv2
import numpy as np
import openpyxl
import pytest

import run_all
from common.datasets import invariants, load
from common.datasets.check import main as check_main
from common.datasets.tables import DatasetError
from common.errors import RunError
from common.running import runner
from common.running.profiles import resolve_run
from common.evaluation.splits import leave_one_subject_out
from common.experiment import Experiment, FoldOutcome, Selection
from common.preprocessing.io import FrameReadError, frame_file_info, read_frames

FOLDERS = {"casme2": "CASME2", "smic": "SMIC", "smic_e": "SMIC", "samm": "SAMM", "casme_sq": "CAS(ME)^2"}

# ----------------------------------------------------------------------------- trees and runs


def _copy(corpus: Path, tmp_path: Path, *databases: str) -> Path:
    """A root holding copies of the databases' folders (and the synthetic manifest)."""
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(corpus / "corpus.json", root / "corpus.json")
    for folder in dict.fromkeys(FOLDERS[d] for d in databases):
        shutil.copytree(corpus / folder, root / folder, symlinks=True)
    return root


def _samples(root: Path, name: str) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load(name, root)


def _toy(database: str) -> Experiment:
    """Majority class over the database's own labels, leave one subject out (no model, no frames read)."""
    classes = invariants.VOCABULARY[database]

    def select(data, config):
        samples = tuple(data[database])
        return Selection(samples, np.array([classes.index(s.emotion) for s in samples], dtype=int), classes)

    def majority(ctx):
        guess = int(np.bincount(ctx.selection.labels[ctx.fold.train], minlength=len(classes)).argmax())
        return FoldOutcome(test_indices=ctx.fold.test, y_pred=np.full(len(ctx.fold.test), guess))

    return Experiment(name=database, title=f"toy on {database}", datasets=(database,), config=None, select=select,
                      folds=lambda sel, cfg, seed: leave_one_subject_out(sel), run_fold=majority)


def _run(root: Path, database: str, out: Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = resolve_run(data_root=root, profile="smoke", out=out)
        return runner.run_experiment("toy", _toy(database), run).summary["selection"]


def _check(root: Path, capsys) -> tuple[int, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = check_main(root)
    return code, capsys.readouterr().out


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = run_all.main(list(argv))
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("run_all.py: error: ") and "Traceback" not in err, err
    return code, lines[0]


def _sheet(path: Path, edit) -> None:
    book = openpyxl.load_workbook(path)
    edit(book.worksheets[0])
    book.save(path)


def _casme2_sheet(root: Path) -> Path:
    return root / "CASME2" / "CASME2-coding-20140508.xlsx"


def _samm_sheet(root: Path) -> Path:
    return root / "SAMM" / "SAMM" / "SAMM_Micro_FACS_Codes_v2.xlsx"


def _samm_row(ws, clip: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == clip)


# ----------------------------------------------------------------------------- rule 5: frame files


def _text_as_jpg(path: Path) -> None:
    path.write_text("not an image, but named like one\n")


def _png_as_jpg(path: Path) -> None:
    ok, data = cv2.imencode(".png", cv2.imread(str(path)))
    path.write_bytes(data.tobytes())


def _jpg_as_bmp(path: Path) -> None:
    ok, data = cv2.imencode(".jpg", cv2.imread(str(path)))
    path.write_bytes(data.tobytes())


def _one_pixel(path: Path) -> None:
    ok, data = cv2.imencode(path.suffix, np.zeros((1, 1, 3), np.uint8))
    path.write_bytes(data.tobytes())


# (database, which frame of which clip, damage, what the verdict says)
FRAME_CASES = [
    ("casme2", 0, 3, _text_as_jpg, "not an image file; expected a JPEG image, as its name says"),
    ("casme2", 1, 2, _png_as_jpg, "holds a PNG image under a .jpg name; expected JPEG content"),
    ("smic", 0, 4, _jpg_as_bmp, "holds a JPEG image under a .bmp name; expected BMP content"),
    ("samm", 2, 5, _one_pixel, "frame of 1x1 pixels, but"),  # a 1x1 frame inside a clip
    ("casme_sq", 0, 0, _one_pixel, "is 1x1; expected one frame size per clip"),  # a 1x1 first frame
]


@pytest.mark.parametrize("database, clip, frame, damage, verdict", FRAME_CASES,
                         ids=[f"{c[0]}-{c[3].__name__}" for c in FRAME_CASES])
def test_a_bad_frame_file_is_refused_by_the_run_and_the_check(smoke_corpus, tmp_path, capsys, database, clip, frame,
                                                               damage, verdict):
    root = _copy(smoke_corpus, tmp_path, database)
    sample = _samples(root, database)[clip]
    victim = sample.frames[frame]
    damage(victim)
    named = victim if frame else sample.frames[1]  # a bad first frame: the second is the one that differs
    with pytest.raises(RunError) as refused:
        _run(root, database, tmp_path / "out")
    assert str(refused.value).startswith(f"{named}: ") and verdict in str(refused.value)
    assert f"(clip {sample.key})" in str(refused.value) and "\n" not in str(refused.value)
    code, out = _check(root, capsys)
    assert code == 2 and "INVALID FRAME FILES OR CLIPS (a run refuses these clips): 1" in out
    assert verdict in out and sample.key in out


def test_tiff_frames_are_frames_and_a_jpeg_named_tif_is_refused(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "casme2")
    sample = _samples(root, "casme2")[0]
    for path in sample.frames:  # a re-export of one clip as TIFF: valid
        cv2.imwrite(str(path.with_suffix(".tif")), cv2.imread(str(path)))
        path.unlink()
    reloaded = {s.key: s for s in _samples(root, "casme2")}[sample.key]
    assert [p.suffix for p in reloaded.frames] == [".tif"] * len(sample.frames)
    assert frame_file_info(reloaded.frames[0]).format == "TIFF" and not invariants.frame_verdicts([reloaded])
    assert _check(root, capsys)[0] == 0
    _jpg_as_bmp(reloaded.frames[-1])  # JPEG bytes under a .tif name
    code, out = _check(root, capsys)
    assert code == 2 and f"{reloaded.frames[-1]}: holds a JPEG image under a .tif name" in out


def test_read_frames_never_resizes_silently(tmp_path):
    paths = []
    for i, size in enumerate([(1, 1), (32, 24), (32, 24)]):
        paths.append(tmp_path / f"img{i}.png")
        cv2.imwrite(str(paths[-1]), np.full((size[1], size[0], 3), 90, np.uint8))
    with pytest.raises(FrameReadError, match=r"img1\.png: frame of 32x24 pixels, but img0\.png .* is 1x1"):
        read_frames(paths)
    with pytest.raises(FrameReadError, match=r"img1\.png: frame of 32x24"):
        read_frames(paths, size=(16, 16))  # the declared resize applies to frames that agree, never to mixed ones
    assert read_frames(paths[1:], "gray", size=(16, 16)).shape == (2, 16, 16)


# ----------------------------------------------------------------------------- rule 3: frame numbers


@pytest.mark.parametrize("database, rename", [
    ("casme2", lambda p: p.with_name(p.name.replace("reg_img", "reg_img0"))),  # reg_img46 and reg_img046
    ("smic", lambda p: p.with_name(p.name.replace("reg_image", "image"))),  # reg_image059663 and image059663
    ("samm", lambda p: p.with_name(p.stem.replace("_", "_0") + ".jpg")),  # 006_05562 and 006_005562
])
def test_two_files_with_one_frame_number_drop_the_clip(smoke_corpus, tmp_path, capsys, database, rename):
    root = _copy(smoke_corpus, tmp_path, database)
    sample = _samples(root, database)[1]
    original = sample.frames[2]
    twin = rename(original)
    shutil.copy(original, twin)
    selection = _run(root, database, tmp_path / "out")
    by_key = {d["key"]: d for d in selection["dropped"]}
    assert by_key[sample.key]["stage"] == "frame_numbers"
    reason = by_key[sample.key]["reason"]
    assert original.name in reason and twin.name in reason and f"frame number {sample.frame_numbers[2]}" in reason
    assert selection["kept"] == selection["selected"]  # dropped before the selection
    code, out = _check(root, capsys)
    assert code == 0 and f"[frame_numbers] {sample.key}: {sample.frames[0].parent}: files" in out


# ----------------------------------------------------------------------------- rule 4: identity


def test_a_smic_clip_in_two_class_folders_is_refused(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "smic", "casme2", "samm")
    shutil.copy(smoke_corpus / "combined_3class_gt.csv", root)
    source = next(root.glob("SMIC/SMIC_all_cropped/HS/s1/micro/negative/s1_ne_01"))
    copy = source.parent.parent / "positive" / source.name
    shutil.copytree(source, copy)
    with pytest.raises(DatasetError, match=rf"{copy}: clip smic/s1/s1_ne_01 is labelled 'positive' here and "
                                           rf"'negative' at {source}"):
        load("smic", root)
    code, line = _cli(capsys, "--paper", "aouayeb2019", "--profile", "smoke", "--data-root", str(root),
                      "--out", str(tmp_path / "out"))
    assert code == 2 and "smic/s1/s1_ne_01 is labelled 'positive' here and 'negative' at" in line
    code, out = _check(root, capsys)
    assert code == 2 and "UNUSABLE" in out and f"{copy}: clip smic/s1/s1_ne_01 is labelled 'positive'" in out


def test_a_renamed_copy_of_a_smic_clip_under_another_label_is_refused_by_content(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "smic")
    source = next(root.glob("SMIC/SMIC_all_cropped/HS/s2/micro/surprise/*"))
    copy = source.parent.parent / "negative" / "s2_ne_99"
    shutil.copytree(source, copy)
    with pytest.raises(RunError) as refused:
        _run(root, "smic", tmp_path / "out")
    line = str(refused.value)  # the two places, in the order the loader met them
    assert f"{source}: its frames are byte-identical to those of smic/s2/{copy.name} ({copy})" in line
    assert "labelled 'surprise' here and 'negative' there; expected one label per clip" in line
    code, out = _check(root, capsys)
    assert code == 2 and f"{source}: its frames are byte-identical to those of smic/s2/{copy.name}" in out


def test_a_samm_clip_copied_under_another_name_and_the_same_label_is_merged(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "samm")
    sample = _samples(root, "samm")[0]
    copy = sample.frames[0].parent.with_name(sample.clip + "9")
    shutil.copytree(sample.frames[0].parent, copy)

    def add_row(ws):
        row = [c.value for c in ws[_samm_row(ws, sample.clip)]]
        ws.append([row[0], copy.name] + row[2:])
    _sheet(_samm_sheet(root), add_row)
    selection = _run(root, "samm", tmp_path / "out")
    by_key = {d["key"]: d for d in selection["dropped"]}
    merged = by_key[f"samm/{sample.subject}/{copy.name}"]
    assert merged["stage"] == "identity" and f"byte-identical to those of {sample.key}" in merged["reason"]
    assert "merged into the first" in merged["reason"] and selection["kept"] == selection["selected"] - 1
    code, out = _check(root, capsys)
    assert code == 0 and "clips whose frames copy another's (a run merges them into the first): 1" in out


def test_a_casme2_row_repeated_is_merged_or_refused(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "casme2")
    sheet = _casme2_sheet(root)
    _sheet(sheet, lambda ws: ws.append([c.value for c in ws[2]]))  # the same row again
    selection = _run(root, "casme2", tmp_path / "same")
    repeated = [d for d in selection["dropped"] if d["key"] == "casme2/sub01/EP09_1"]
    assert [d["stage"] for d in repeated] == ["identity"] and "listed again" in repeated[0]["reason"]
    assert "same label 'repression'" in repeated[0]["reason"]
    assert _check(root, capsys)[0] == 0

    def relabel(ws):
        ws.cell(ws.max_row, 9).value = "happiness"
    _sheet(sheet, relabel)
    with pytest.raises(RunError, match="casme2/sub01/EP09_1 is labelled 'happiness' here and 'repression' at"):
        _run(root, "casme2", tmp_path / "other")
    code, out = _check(root, capsys)
    assert code == 2 and "UNUSABLE" in out and "is labelled 'happiness' here and 'repression'" in out


def test_a_casme2_row_repeated_with_another_onset_is_refused(smoke_corpus, tmp_path, capsys):
    """The same clip and label with another onset is two annotations for one clip, refused as two labels are: no
    rule can say which is right, and merging would keep one silently."""
    root = _copy(smoke_corpus, tmp_path, "casme2")
    first = _samples(root, "casme2")[0]

    def repeat_with_a_later_onset(ws):
        row = [c.value for c in ws[2]]
        ws.append(row[:3] + [row[3] + 1] + row[4:])
    _sheet(_casme2_sheet(root), repeat_with_a_later_onset)
    annotations = f"{first.onset + 1}/{first.apex}/{first.offset} here and {first.onset}/{first.apex}/{first.offset}"
    with pytest.raises(DatasetError, match=rf"clip {first.key} is annotated onset/apex/offset {annotations} at "):
        load("casme2", root)
    code, out = _check(root, capsys)
    assert code == 2 and "UNUSABLE" in out and f"{annotations} at" in out and "expected one annotation per clip" in out


# ----------------------------------------------------------------------------- rule 2: annotations


def _set_cell(row: int, column: int, value):
    def edit(ws):
        ws.cell(row, column).value = value
    return edit


ANNOTATION_CASES = [
    # (database, edit of its spreadsheet, key, expected reason)
    ("casme2", lambda root: _sheet(_casme2_sheet(root), _set_cell(2, 5, 300)),  # apex 300 > offset 259
     "casme2/sub01/EP09_1", "apex 300 is after offset 259"),
    ("casme2", lambda root: _sheet(_casme2_sheet(root), _set_cell(2, 4, 270)),  # onset 270 > offset 259
     "casme2/sub01/EP09_1", "onset 270 is after offset 259"),
    ("samm", lambda root: _sheet(_samm_sheet(root), lambda ws: setattr(ws.cell(_samm_row(ws, "006_1_1"), 5), "value",
                                                                        4300)),  # apex before onset 4366
     "samm/006/006_1_1", "apex 4300 is before onset 4366"),
    ("casme_sq", lambda root: _sheet(root / "CAS(ME)^2" / "CAS(ME)^2code_final.xlsx",
                                     _set_cell(1, 4, 3)),  # apex 3 before onset 7 (offset known)
     "casme_sq/s15/disgust1_1", "apex 3 is before onset 7"),
    ("smic_e", lambda root: _sheet(next(root.glob("SMIC/*/HS_long/SMIC-HS-E_annotation.xlsx")),
                                   _set_cell(2, 9, 219010)),  # slot 1 offset before its onset 219016
     "smic_e/s01/s1_ne_01", "onset 219016 is after offset 219010"),
]


@pytest.mark.parametrize("database, edit, key, reason", ANNOTATION_CASES,
                         ids=[f"{c[0]}-{c[3].split()[0]}-{c[3].split()[3]}" for c in ANNOTATION_CASES])
def test_misordered_onset_apex_offset_is_dropped_with_its_reason(smoke_corpus, tmp_path, capsys, database, edit, key,
                                                                 reason):
    root = _copy(smoke_corpus, tmp_path, database)
    edit(root)
    selection = _run(root, database, tmp_path / "out")
    by_key = {d["key"]: d for d in selection["dropped"]}
    assert by_key[key]["stage"] == "annotation" and reason in by_key[key]["reason"]
    assert "missing" not in by_key[key]["reason"]  # the true reason, not "missing or empty on disk"
    code, out = _check(root, capsys)
    assert code == 0 and "[annotation] " in out and reason in out


def test_an_apex_beyond_the_frames_on_disk_is_not_snapped_to_the_last_frame(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "samm")
    sample = next(s for s in _samples(root, "samm") if s.apex is not None)
    for path in sample.frames[sample.apex_position:]:  # the apex and every frame after it are gone
        path.unlink()
    selection = _run(root, "samm", tmp_path / "out")
    dropped = {d["key"]: d for d in selection["dropped"]}[sample.key]
    assert dropped["stage"] == "annotation"
    assert f"apex {sample.apex} is outside the clip's frames on disk ({sample.frame_numbers[0]}.." in dropped["reason"]
    assert f"[annotation] {sample.key}: apex {sample.apex} is outside" in _check(root, capsys)[1]


# ----------------------------------------------------------------------------- rule 1: labels


@pytest.mark.parametrize("database, edit, key, label", [
    ("casme2", lambda root: _sheet(_casme2_sheet(root), _set_cell(3, 9, "hapiness")), "casme2/sub01/EP10_08",
     "hapiness"),
    ("samm", lambda root: _sheet(_samm_sheet(root), lambda ws: setattr(ws.cell(_samm_row(ws, "006_1_2"), 10), "value",
                                                                        "Joy")), "samm/006/006_1_2", "joy"),
    ("casme_sq", lambda root: _sheet(root / "CAS(ME)^2" / "CAS(ME)^2code_final.xlsx", _set_cell(2, 7, "happy")),
     "casme_sq/s15/disgust1_2", "happy"),
])
def test_a_label_outside_the_database_vocabulary_is_dropped(smoke_corpus, tmp_path, capsys, database, edit, key,
                                                            label):
    root = _copy(smoke_corpus, tmp_path, database)
    edit(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert key not in {s.key for s in load(database, root)}
    selection = _run(root, database, tmp_path / "out")
    dropped = {d["key"]: d for d in selection["dropped"]}[key]
    assert dropped["stage"] == "label" and f"emotion {label!r} is not a {database} label" in dropped["reason"]
    code, out = _check(root, capsys)
    assert code == 0 and f"[label] {key}: emotion {label!r}" in out


# ----------------------------------------------------------------------------- folders


def test_a_looping_symlink_hides_nothing_and_is_named(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "casme2", "samm")
    loop = root / "CASME2" / "Cropped" / "loop"
    os.symlink(loop, loop)  # a link to itself, beside the database's frame folders
    assert len(_samples(root, "casme2")) == 15
    sample = _samples(root, "samm")[0]
    clip = sample.frames[0].parent
    shutil.rmtree(clip)
    os.symlink(clip, clip)  # a clip folder that loops
    selection = _run(root, "samm", tmp_path / "out")
    dropped = {d["key"]: d for d in selection["dropped"]}[sample.key]
    assert f"{clip}: cannot list this folder (symbolic link loop" in dropped["reason"]
    code, out = _check(root, capsys)
    assert f"{loop}: symbolic link loop" in out and "RESULT: usable: CASME II, SAMM" in out


def test_an_unreadable_folder_is_named_as_such(smoke_corpus, tmp_path, capsys, monkeypatch):
    root = _copy(smoke_corpus, tmp_path, "casme2", "samm")  # tests run as root: chmod would not stop them
    sample = _samples(root, "casme2")[2]
    locked = {sample.frames[0].parent, root / "SAMM" / "SAMM"}
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) in locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)
    monkeypatch.setattr(os, "scandir", scandir)
    selection = _run(root, "casme2", tmp_path / "out")
    dropped = {d["key"]: d for d in selection["dropped"]}[sample.key]
    assert dropped["reason"].startswith(f"{sample.frames[0].parent}: cannot list this folder (permission denied)")
    code, out = _check(root, capsys)
    assert "cannot list this folder (permission denied)" in out
    first = out.splitlines()[0]  # the summary says SAMM is not found, and which folder could not be read
    assert "not here: " in first and "SAMM" in first.split("not here: ")[1]
    assert f"could not read: {root / 'SAMM' / 'SAMM'}: permission denied" in first


# ----------------------------------------------------------------------------- rule 6: motion


def _freeze(sample) -> None:
    """Every frame of the clip becomes a copy of its first frame: a clip that does not move."""
    first = sample.frames[0].read_bytes()
    for path in sample.frames[1:]:
        path.write_bytes(first)


def _apex_on_onset(clip: str):
    """A CASME II sheet edit: the clip's ApexFrame (column 5) set to its OnsetFrame (column 4)."""
    def edit(ws):
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == clip)
        ws.cell(row, 5).value = ws.cell(row, 4).value
    return edit


def test_a_clip_without_motion_is_flagged_kept_or_refused_by_the_method_and_listed(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "casme2", "smic")
    casme2, smic = _samples(root, "casme2"), _samples(root, "smic")
    frozen, on_onset, still = casme2[0], casme2[1], smic[0]
    _freeze(frozen)
    _freeze(still)  # SMIC-HS has no apex: every frame is compared with the first
    _sheet(_casme2_sheet(root), _apex_on_onset(on_onset.clip))
    verdicts = {v.key: v for v in invariants.motion_verdicts(_samples(root, "casme2") + _samples(root, "smic"))}
    assert set(verdicts) == {frozen.key, on_onset.key, still.key} and {v.action for v in verdicts.values()} == {"flag"}
    assert f"onset frame {frozen.frames[0].name} and apex frame " in verdicts[frozen.key].reason
    assert f"its apex frame {on_onset.frames[0].name} is its onset frame" in verdicts[on_onset.key].reason
    assert f"all {len(still.frames)} frames are identical to its onset frame" in verdicts[still.key].reason
    # a method that keeps such clips: kept (15 of 15) and flagged with stage motion
    selection = _run(root, "casme2", tmp_path / "out")
    flagged = {f["key"]: f for f in selection["flagged"] if f["stage"] == "motion"}
    assert set(flagged) == {frozen.key, on_onset.key} and selection["kept"] == selection["selected"] == 15
    assert flagged[frozen.key]["reason"] == verdicts[frozen.key].reason
    # a method whose input is the motion from onset to apex: the run is refused, naming the clip
    with pytest.raises(RunError) as refused:
        runner.run_experiment("toy", dataclasses.replace(_toy("casme2"), needs_motion=True),
                              resolve_run(data_root=root, profile="smoke", out=tmp_path / "out2"))
    message = str(refused.value)
    assert f"(clip {frozen.key}) (and 1 more like it)" in message and "Experiment.needs_motion" in message
    assert "\n" not in message
    code, out = _check(root, capsys)
    assert code == 0 and "clips without motion between onset and apex" in out
    assert all(key in out for key in verdicts)


def test_a_flow_method_refuses_a_corpus_of_frozen_clips_through_the_cli(smoke_corpus, tmp_path, capsys):
    root = _copy(smoke_corpus, tmp_path, "casme2", "smic", "samm")
    for name in ("casme2", "smic", "samm"):
        for sample in _samples(root, name):
            _freeze(sample)  # every clip: a flow of zero everywhere, the constant-class UF1 it used to give
    code, line = _cli(capsys, "--paper", "liong2019", "--data-root", str(root), "--profile", "smoke",
                      "--out", str(tmp_path / "out"))
    assert code == 2 and ("identical (maximum absolute difference 0)" in line or "frames are identical to" in line)
    assert "liong2019/megc2019_loso reads the motion from onset to apex (Experiment.needs_motion)" in line
    assert "(and 35 more like it)" in line and not (tmp_path / "out" / "liong2019" / "report.pdf").exists()


# ----------------------------------------------------------------------------- label spreadsheets


def test_a_label_sheet_is_chosen_by_its_header_and_the_choice_recorded(smoke_corpus, tmp_path, capsys, caplog):
    root = _copy(smoke_corpus, tmp_path, "casme2")
    path = _casme2_sheet(root)
    book = openpyxl.load_workbook(path)
    book.create_sheet("Cover", 0)  # a blank first sheet, the data on the second
    book.save(path)
    assert len(_samples(root, "casme2")) == 15
    caplog.set_level(logging.INFO, logger="common")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = runner.run_experiment("toy", _toy("casme2"), resolve_run(data_root=root, profile="smoke",
                                        out=tmp_path / "out")).summary
    choice = "sheet 'Sheet1' (2 of 2; 'Cover' (empty) skipped)"
    assert summary["corpus"]["label_sheets"] == {str(path.resolve()): choice}
    assert f"[toy/casme2] labels: {path.resolve()}: read from {choice}" in caplog.messages
    code, out = _check(root, capsys)
    assert code == 0 and f"label sheet: {choice}" in out
    # no sheet has the columns: one line naming the file and every sheet looked at
    book = openpyxl.load_workbook(path)
    book.worksheets[1].cell(1, 4).value = "Onset"
    book.save(path)
    code, line = _cli(capsys, "--paper", "le2020", "--experiment", "casme2_10fold_vgg19", "--data-root", str(root))
    assert code == 2 and f"{path}: expected a sheet whose header row (within its first 20 rows) has the " in line
    assert "looked at 2 sheet(s): 'Cover' (empty); 'Sheet1' (first row: Subject, Filename, Unnamed: 2, Onset," in line
    code, out = _check(root, capsys)
    assert code == 2 and "UNUSABLE" in out and "looked at 2 sheet(s)" in out
