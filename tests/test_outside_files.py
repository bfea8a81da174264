"""Readers of files from outside never trust what a file says about itself (docs/house.md, "Files from outside"):
one crafted file for each claim a reader used to take as given, refused in one line naming the file (or, for
the cache, rebuilt), before anything the claim sizes is allocated or read.

The weights reader's crafted files are in tests/test_state_dicts.py.
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from common.files import read_npz, zip_members
from helpers import manifest_folder


# --- zip members and npz arrays (the stage cache, the arrays a fold stores beside its record) ---------------------


def _npy(shape: tuple[int, ...], data: bytes, descr: str = "<f8") -> bytes:
    """An ``.npy`` member whose header claims ``shape`` over ``data``."""
    from numpy.lib import format as npy

    handle = io.BytesIO()
    npy.write_array_header_1_0(handle, {"descr": descr, "fortran_order": False, "shape": shape})
    return handle.getvalue() + data


def _npz(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_an_array_whose_header_claims_more_than_its_bytes_is_refused_before_allocation(tmp_path):
    good = np.arange(6, dtype=np.float64).reshape(2, 3)
    np.savez(tmp_path / "good.npz", x=good, kind=np.array("dict"))
    read = read_npz(tmp_path / "good.npz")
    assert np.array_equal(read["x"], good) and str(read["kind"]) == "dict"
    # numpy.load allocates the 8 TB this header claims (MemoryError) before it finds 48 bytes
    _npz(tmp_path / "huge.npz", {"x.npy": _npy((10**12,), good.tobytes())})
    with pytest.raises(ValueError, match=r"member 'x.npy': its header claims shape \(1000000000000,\) of float64 "
                                         r"\(8000000000000 bytes\), its data holds 48"):
        read_npz(tmp_path / "huge.npz")
    _npz(tmp_path / "short.npz", {"x.npy": _npy((2, 3), good.tobytes()[:40])})
    with pytest.raises(ValueError, match="its data holds 40"):
        read_npz(tmp_path / "short.npz")
    _npz(tmp_path / "object.npz", {"x.npy": _npy((1,), b"\x80\x04N.", descr="|O")})
    with pytest.raises(ValueError, match="a object array"):
        read_npz(tmp_path / "object.npz")


def _claim_size(path: Path, size: int) -> Path:
    """Rewrite the central directory's uncompressed size of the archive's first member to ``size``."""
    data = bytearray(path.read_bytes())
    at = data.rindex(b"PK\x01\x02")
    data[at + 24:at + 28] = struct.pack("<I", size)
    path.write_bytes(bytes(data))
    return path


def test_a_zip_directory_that_lies_about_its_members_is_refused(tmp_path):
    member = _npy((2,), np.zeros(2).tobytes())
    with pytest.raises(ValueError, match=r"member '../x.npy' names a path outside the archive"):
        zip_members(_npz(tmp_path / "up.npz", {"../x.npy": member}))
    lying = _claim_size(_npz(tmp_path / "stored.npz", {"x.npy": member}), 2**32 - 2)
    with pytest.raises(ValueError, match=r"member 'x.npy' claims 4294967294 bytes from 144 compressed"):
        read_npz(lying)
    bomb = _claim_size(_npz(tmp_path / "deflated.npz", {"x.npy": member}, zipfile.ZIP_DEFLATED), 2**32 - 2)
    with pytest.raises(ValueError, match="more than its compression can give"):
        zip_members(bomb)
    with pytest.raises(ValueError, match="inflate to 144 bytes, more than the 100 expected"):
        zip_members(_npz(tmp_path / "big.npz", {"x.npy": member}), limit=100)


def test_a_cache_entry_that_lies_is_rebuilt_and_a_stored_array_file_is_none(tmp_path):
    from common.preprocessing.cache import cache_key, cached, entry_path
    from common.reporting.arrays import load_fold_arrays

    key = cache_key("probe", {"clip": "a"}, {})
    path = entry_path("probe", key, tmp_path)
    path.parent.mkdir(parents=True)
    _npz(path, {"__array__.npy": _npy((10**12,), b""), "__kind__.npy": _npy((), b"", descr="<U5"),
                "__key__.npy": _npy((), key.encode("utf-32-le"), descr="<U64")})
    got = cached("probe", {"clip": "a"}, {}, lambda: np.ones(3), root=tmp_path)
    assert np.array_equal(got, np.ones(3))  # rebuilt, not a MemoryError
    assert np.array_equal(read_npz(path)["__array__"], np.ones(3))
    _npz(tmp_path / "fold.npz", {"x.npy": _npy((10**12,), b"")})
    assert load_fold_arrays(tmp_path / "fold.npz") is None


def test_a_deflated_cache_entry_or_fold_array_is_bounded_before_it_is_inflated(tmp_path, monkeypatch):
    """Honest deflated members (each header's extent its bytes) that inflate ~1,000-fold: a cache entry (np.savez
    stores, so an entry of ours inflates to no more than its file) is rebuilt, not read; a fold's arrays past
    ``FOLD_ARRAYS_BYTES`` are None."""
    from common.preprocessing.cache import cache_key, cached, entry_path
    from common.reporting import arrays

    zeros = np.zeros(2**20)  # 8 MiB of float64, about 8 kB deflated
    key = cache_key("probe", {"clip": "b"}, {})
    path = entry_path("probe", key, tmp_path)
    path.parent.mkdir(parents=True)
    np.savez_compressed(path, __array__=zeros, __kind__=np.array("array"), __key__=np.array(key))
    assert read_npz(path)["__array__"].shape == zeros.shape and path.stat().st_size < 100_000  # a valid entry
    got = cached("probe", {"clip": "b"}, {}, lambda: np.ones(3), root=tmp_path)
    assert np.array_equal(got, np.ones(3))  # rebuilt from compute, not the 8 MiB the file inflates to
    np.savez_compressed(tmp_path / "fold.npz", x=zeros)
    assert arrays.load_fold_arrays(tmp_path / "fold.npz")["x"].shape == zeros.shape  # within the bound
    monkeypatch.setattr(arrays, "FOLD_ARRAYS_BYTES", 2**20)
    assert arrays.load_fold_arrays(tmp_path / "fold.npz") is None


def test_a_stored_member_is_read_in_place_and_its_local_header_checked(tmp_path):
    """``files.stored_member``: the member's bytes as ``ZipFile.read`` gives them, seeked in any order (h5py's
    survey of an export's weights reads its metadata so), without the member copied whole; a compressed member, a
    directory entry pointing at no local header, and data running past the file are refused."""
    import tracemalloc

    from common.files import stored_member

    data = np.arange(4 << 20, dtype=np.uint8).tobytes()  # 4 MiB
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("first.txt", b"x" * 100)
        info = zipfile.ZipInfo("model.weights.h5")
        info.extra = b"\xfe\xca\x04\x00abcd"  # a local extra field: the data starts after it
        archive.writestr(info, data)
        archive.writestr("deflated.txt", b"y" * 1000, compress_type=zipfile.ZIP_DEFLATED)
    members = {i.filename: i for i in zip_members(path)}
    tracemalloc.start()
    with stored_member(path, members["model.weights.h5"]) as handle:
        handle.seek(-10, os.SEEK_END)
        tail = handle.read(100)
        handle.seek(5)
        head = handle.read(10)
        handle.seek(3 << 20)
        middle = handle.read(8)
        peak = tracemalloc.get_traced_memory()[1]
        handle.seek(0)
        whole = handle.read()
    tracemalloc.stop()
    assert (tail, head, middle) == (data[-10:], data[5:15], data[3 << 20:(3 << 20) + 8]) and whole == data
    assert peak < 1 << 20  # the seeks and reads above copied no more than a buffer, not the 4 MiB member
    with pytest.raises(ValueError, match="'deflated.txt' is compressed"):
        with stored_member(path, members["deflated.txt"]):
            pass
    moved = members["model.weights.h5"]
    moved.header_offset += 1
    with pytest.raises(ValueError, match="no local header at offset"):
        with stored_member(path, moved):
            pass
    moved.header_offset -= 1
    moved.file_size = path.stat().st_size
    with pytest.raises(ValueError, match="run past the file's"):
        with stored_member(path, moved):
            pass


# --- the databases' spreadsheets -----------------------------------------------------------------------------------


def _workbook(path: Path, far_cell: bool = False) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Subject", "Filename", "Emotion"])
    sheet.append([1, "EP02_01f", "happiness"])
    if far_cell:
        sheet["XFD1048576"] = "x"
    book.save(path)
    return path


def _merge_everything(path: Path) -> Path:
    """The sheet's XML given a merged range over the whole sheet (openpyxl would build 17 billion cells for it)."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')
    return _npz(path, members, zipfile.ZIP_DEFLATED)


def test_a_workbook_claiming_a_huge_range_is_refused_before_it_is_read(tmp_path):
    from common.datasets.tables import DatasetError, read_sheets

    assert read_sheets(_workbook(tmp_path / "labels.xlsx"))[0][1][1] == [1, "EP02_01f", "happiness"]
    merged = _merge_everything(_workbook(tmp_path / "merged.xlsx"))
    with pytest.raises(DatasetError, match=r"merged.xlsx: xl/worksheets/sheet1.xml merges A1:XFD1048576 "
                                           r"\(17,179,869,184 cells\); expected a label table"):
        read_sheets(merged)
    with pytest.raises(DatasetError, match=r"far.xlsx: xl/worksheets/sheet1.xml declares the extent A1:XFD1048576 "
                                           r"\(17,179,869,184 cells\); expected a label table"):
        read_sheets(_workbook(tmp_path / "far.xlsx", far_cell=True))


def test_a_workbook_hiding_its_cells_in_an_entity_or_in_utf16_is_bounded_all_the_same(tmp_path):
    """Python's XML parser expands a DTD's internal entities: a merged range written through one never met the counts
    before the load (a 5 kB workbook built 2,000,000 merged cells in 1.25 GB). openpyxl parses with defusedxml, which
    refuses an entity. UTF-16 XML hid its cells from the byte counts: a member in UTF-16 is counted as UTF-8, and
    read (an Office metadata part may be UTF-16; a picture may carry a DTD, openpyxl never parses it)."""
    from common.datasets.tables import WRITTEN_CELLS, DatasetError, read_sheets

    path = _workbook(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    assert sheet.startswith(b"<worksheet") and b"<!DOCTYPE" not in sheet
    entity = dict(members)
    entity["xl/worksheets/sheet1.xml"] = (b'<!DOCTYPE worksheet [<!ENTITY r "A1:T100000">]>'
                                          + sheet.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                                                           b'<mergeCell ref="&r;"/></mergeCells>'))
    with pytest.raises(DatasetError, match=r"entity.xlsx: its XML declares an entity, a DTD or an external reference "
                                           r"\(EntitiesForbidden\)"):
        read_sheets(_npz(tmp_path / "entity.xlsx", entity, zipfile.ZIP_DEFLATED))
    cells = b"".join(b'<c r="A%d"><v>1</v></c>' % n for n in range(1, WRITTEN_CELLS + 2))
    wide = dict(members)
    wide["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", b"<row>" + cells + b"</row></sheetData>"
                                                     ).decode().encode("utf-16")  # with its byte-order mark
    with pytest.raises(DatasetError, match=rf"wide.xlsx: xl/worksheets/sheet1.xml writes more than {WRITTEN_CELLS:,} "
                                           r"cells"):
        read_sheets(_npz(tmp_path / "wide.xlsx", wide, zipfile.ZIP_DEFLATED))
    office = dict(members)  # parts spreadsheet tools add: UTF-16 metadata, a picture with a DTD
    office["customXml/item1.xml"] = '<?xml version="1.0" encoding="utf-16"?><root/>'.encode("utf-16")
    office["xl/media/image1.svg"] = b'<!DOCTYPE svg [<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">]><svg/>'
    assert read_sheets(_npz(tmp_path / "office.xlsx", office, zipfile.ZIP_DEFLATED)) == read_sheets(path)


def test_a_workbook_whose_merged_ranges_together_span_too_many_cells_is_refused_before_it_is_read(tmp_path):
    """openpyxl builds a cell for every cell of every merged range: ranges each under the bound, a few kB of XML,
    can ask for billions together (2,000 ranges of 600,000 cells: hours). Their sum is bounded."""
    from common.datasets.tables import SHEET_CELLS, DatasetError, read_sheets

    path = _workbook(tmp_path / "merges.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    ranges = b"".join(b'<mergeCell ref="A%d:F%d"/>' % (1 + k, 100_000 + k) for k in range(2_000))
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'</sheetData><mergeCells count="2000">' + ranges + b"</mergeCells>")
    assert 6 * 100_000 <= SHEET_CELLS < 2 * 6 * 100_000
    with pytest.raises(DatasetError, match=rf"merges.xlsx: xl/worksheets/sheet1.xml merges more than {SHEET_CELLS:,} "
                                           r"cells in all \(its ranges together\); expected a label table"):
        read_sheets(_npz(path, members, zipfile.ZIP_DEFLATED))


def test_a_label_csv_of_more_cells_than_a_label_table_holds_is_refused_while_it_is_read(tmp_path):
    """A few MB of commas are tens of millions of empty cells, each a Python object once read: a label .csv holds at
    most a workbook sheet's cells (WRITTEN_CELLS), counted as its rows are read, and each line at most
    files.CSV_LINE_CHARS characters, read no further."""
    from common.datasets.tables import WRITTEN_CELLS, DatasetError, read_sheets

    (tmp_path / "labels.csv").write_text("Subject,Filename,Emotion\n1,EP02_01f,happiness\n")
    assert read_sheets(tmp_path / "labels.csv") == [("labels.csv", [["Subject", "Filename", "Emotion"],
                                                                     ["1", "EP02_01f", "happiness"]])]
    (tmp_path / "commas.csv").write_text("Subject,Filename,Emotion\n" + ("," * 999 + "\n") * WRITTEN_CELLS)
    rows = WRITTEN_CELLS // 1000 + 1  # the row whose cells pass the bound: 3 + 1,000 a row
    with pytest.raises(DatasetError, match=rf"commas.csv: more than {WRITTEN_CELLS:,} cells \(by row {rows}\); "
                                           r"expected a label table"):
        read_sheets(tmp_path / "commas.csv")
    # one line of commas is refused as a line before the csv module splits it
    (tmp_path / "line.csv").write_text("Subject,Filename,Emotion\n" + "," * (1 << 20) + "\n")
    with pytest.raises(DatasetError, match=r"line.csv: cannot read this spreadsheet \(LineTooLong: line 2 holds more "
                                           r"than 262,144 characters\)"):
        read_sheets(tmp_path / "line.csv")


class _XlsSheet:
    """What xlrd gives of a sheet (``ragged_rows``: each row as long as the file writes it)."""

    def __init__(self, rows: list[list], merged: list[tuple[int, int, int, int]], nrows: int = 0, ncols: int = 0):
        import types

        self.name, self.merged_cells, self._rows = "Sheet1", merged, rows
        self.nrows, self.ncols = nrows or len(rows), ncols or max(len(r) for r in rows)
        self._cell = types.SimpleNamespace

    def row(self, i: int) -> list:
        return [self._cell(ctype=0 if v is None else 1, value=v) for v in self._rows[i]]


@pytest.mark.parametrize("sheet, expected", [
    (_XlsSheet([["Subject"]], [], nrows=65_536, ncols=256), r"sheet 'Sheet1' spans 65536 rows x 256 columns"),
    (_XlsSheet([["Subject", "Filename"], [1, "a"]], [(0, 100_000, 0, 6)] * 2),
     r"sheet 'Sheet1' merges more than [\d,]+ cells in all"),
    (_XlsSheet([["Subject", "Filename"], [1, "a"]], [(0, 100_000, 0, 6)] * 2 + [(5, 0, 0, 10**9)]),
     r"sheet 'Sheet1' merges more than [\d,]+ cells in all")])
def test_an_xls_whose_extent_or_merged_ranges_span_too_many_cells_is_refused_before_a_row_is_built(
        monkeypatch, tmp_path, sheet, expected):
    """xlrd reads an .xls as its records say: one cell far down and right makes a sheet of 16.7 million cells, and
    merged ranges over them were filled cell by cell. The sheet's extent and its merged ranges together (an
    inverted range counting none, not less) are bounded as an .xlsx's are, before a row is built (xlrd itself
    stands in here: no maintained library writes .xls)."""
    import types

    import xlrd

    from common.datasets.tables import DatasetError, read_sheets

    monkeypatch.setattr(xlrd, "open_workbook", lambda *a, **k: types.SimpleNamespace(sheets=lambda: [sheet]))
    (tmp_path / "labels.xls").write_bytes(b"")
    with pytest.raises(DatasetError, match=rf"labels.xls: {expected}"):
        read_sheets(tmp_path / "labels.xls")


def test_an_xls_sheet_keeps_its_ragged_rows_as_wide_as_the_sheet_and_fills_a_merge_across_rows(monkeypatch, tmp_path):
    import types

    import xlrd

    from common.datasets.tables import read_sheets

    sheet = _XlsSheet([["Subject", "Filename", "Emotion"], [1, "EP01"], [None, "EP02", "happiness"]], [(1, 3, 0, 1)])
    monkeypatch.setattr(xlrd, "open_workbook", lambda *a, **k: types.SimpleNamespace(sheets=lambda: [sheet]))
    (tmp_path / "labels.xls").write_bytes(b"")
    assert read_sheets(tmp_path / "labels.xls") == [("Sheet1", [["Subject", "Filename", "Emotion"],
                                                                [1, "EP01", None], [1, "EP02", "happiness"]])]


# --- frames and the released images ----------------------------------------------------------------------------------


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` RGB pixels over a few bytes of image data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def _jpeg_claiming(width: int, height: int) -> bytes:
    import cv2

    data = bytearray(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _bmp_claiming(width: int, height: int) -> bytes:
    import cv2

    data = bytearray(cv2.imencode(".bmp", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


@pytest.mark.parametrize("name, make", [("frame.png", _png_claiming), ("frame.jpg", _jpeg_claiming),
                                        ("frame.bmp", _bmp_claiming)])
def test_a_frame_whose_header_claims_too_many_pixels_is_not_decoded(tmp_path, name, make):
    from common.preprocessing.io import FrameReadError, claimed_size, frame_file_info, read_frame

    path = tmp_path / name
    path.write_bytes(make(20000, 20000))
    assert claimed_size(path.read_bytes()) == (20000, 20000)
    with pytest.raises(FrameReadError, match=rf"{name}: its header claims 20000x20000 pixels, more than any frame"):
        read_frame(path)
    info = frame_file_info(path)  # --check-data: Pillow's own bomb error, never a traceback
    assert "claims" in info.problem and "not decoded" in info.problem, info


def test_a_released_image_claiming_too_many_pixels_is_refused_naming_it(tmp_path):
    from common.preprocessing.released_images import ReleasedImageError, read_flow_image

    path = tmp_path / "sub01_EP02_01f .png"
    path.write_bytes(_png_claiming(30000, 30000))
    with pytest.raises(ReleasedImageError, match=r"sub01_EP02_01f .png: its header claims 30000x30000 pixels"):
        read_flow_image(path)


def test_a_released_apex_crop_of_another_size_or_type_is_refused_naming_it(tmp_path):
    """HTNet's released apex crops are 224x224x3 8-bit (all 442): a 1x1 image, or a 16-bit grey one, is refused,
    not made a colour crop (cv2.IMREAD_COLOR would) and resized to the points' 28 pixels unseen."""
    import cv2

    from common.preprocessing.released_images import ReleasedImageError, read_apex_crop

    good = tmp_path / "006_006_1_2.jpg"
    cv2.imwrite(str(good), np.full((224, 224, 3), 128, np.uint8))
    assert read_apex_crop(good).shape == (224, 224, 3)
    for name, image, shown in (("tiny.png", np.zeros((1, 1, 3), np.uint8), "1x1x3 uint8"),
                               ("deep.png", np.zeros((50, 80), np.uint16), "80x50 uint16")):
        cv2.imwrite(str(tmp_path / name), image)
        with pytest.raises(ReleasedImageError, match=rf"{name}: {shown}; expected the released 224x224x3 8-bit "
                                                     "apex face crop"):
            read_apex_crop(tmp_path / name)


# --- --predict: the export folder and the recording ------------------------------------------------------------------


def test_an_export_folder_whose_files_lead_outside_it_is_refused(tmp_path):
    from common.deployment.export import DeployError
    from common.deployment.predict import read_manifest

    folder = manifest_folder(tmp_path / "model")
    assert read_manifest(folder)["paper"] == "p"
    (tmp_path / "elsewhere.keras").write_bytes(b"model")  # the same bytes, so the sha256 matches
    (folder / "net.keras").unlink()
    (folder / "net.keras").symlink_to(tmp_path / "elsewhere.keras")
    with pytest.raises(DeployError, match=r"file\(s\) net.keras listed in manifest.json lead outside the folder"):
        read_manifest(folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_manifest_that_is_not_a_file_is_refused_not_read_forever(tmp_path):
    from common.deployment.export import DeployError
    from common.deployment.predict import read_manifest

    folder = tmp_path / "model"
    folder.mkdir()
    os.mkfifo(folder / "manifest.json")  # reading it would wait for a writer that never comes
    with pytest.raises(DeployError, match="manifest.json is not a file"):
        read_manifest(folder)


def test_a_video_claiming_an_impossible_frame_rate_is_read_as_giving_none(tmp_path):
    import cv2

    from common.deployment.recording import ClipRequest, clip_sample

    path = tmp_path / "fast.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 50000.0, (32, 32))
    for k in range(6):
        writer.write(np.full((32, 32, 3), 40 * k, np.uint8))
    writer.release()
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FPS) == 50000.0  # the container's claim
    sample = clip_sample(ClipRequest(path), cache_root=tmp_path / "cache", default_fps=200.0)
    assert sample.fps == 200.0 and sample.meta["fps_source"] == "the training corpus's"


# --- --score: predictions and logs -------------------------------------------------------------------------------


def test_a_log_line_without_end_is_refused_at_that_line_unread(tmp_path):
    from common.evaluation.outside import OutsideError, read_ststnet_log

    path = tmp_path / "log.txt"
    path.write_text("casme2 sub01\n" + "EP02_01f 1 1 " * 100_000, encoding="utf-8")
    with pytest.raises(OutsideError, match=r"log.txt, line 2: a line longer than 4096 characters"):
        read_ststnet_log(path, ("negative", "positive", "surprise"))


def test_a_csv_line_not_utf8_is_named_by_its_own_line_number(tmp_path):
    """A byte that is not UTF-8 on line 2001 of a streamed CSV is named at line 2001 (the strict decoder's error came
    from the block decoded ahead of the line read: 'byte 3953', no line), and at once on the first line."""
    from common.files import stream_spreadsheet_csv

    path = tmp_path / "rows.csv"
    path.write_bytes(b"key,y\n" + b"casme2/sub01/EP02_01f,1\n" * 1999 + b"casme2/sub01/EP\xff,1\n" + b"a,1\n" * 500)
    separator, rows = stream_spreadsheet_csv(path)
    assert separator == ","
    with pytest.raises(ValueError) as raised:
        for _ in rows:
            pass
    assert str(raised.value) == "line 2001 is not UTF-8 text; save it as CSV UTF-8"
    path.write_bytes(b"k\xe9y,y\n")
    with pytest.raises(ValueError, match=r"^line 1 is not UTF-8 text; save it as CSV UTF-8$"):
        stream_spreadsheet_csv(path)


@pytest.mark.parametrize("row, digits, expected", [
    ("casme2/sub01/EP02_01f,{n},0", 5000, r"line 2: expected our predictions.csv's row: .* y_true '9{60}'\.\.\. "
                                         r"\(5000 characters\), y_pred '0'$"),
    ("casme2/sub{n}/EP02_01f,0,0", 900, r"line 2: subject: a number of 900 digits; expected at most 12 "),
    ("smic/s{n}/s1_ne_01,0,0", 900, r"line 2: subject: a number of 900 digits; expected at most 12 "),
    ("samm/{n}/006_1_2,0,0", 900, r"line 2: subject: a number of 900 digits; expected at most 12 "),
    # past the longest name kept (outside.MAX_NAME), the key is refused for its length before its parts are read
    ("samm/{n}/006_1_2,0,0", 5000, r"line 2: a key of 5,013 characters \('samm/9{55}'\.\.\. \(5013 characters\)\); "
                                   r"expected at most 3,002$"),
])
def test_a_number_of_thousands_of_digits_is_refused_in_a_short_line(tmp_path, row, digits, expected):
    """A class or a subject of hundreds or thousands of digits (``int()`` refuses over 4,300: a traceback, before)
    is one line naming the file and line, quoting at most 60 characters of the cell."""
    from common.evaluation.outside import OutsideError, read_outside

    path = tmp_path / "predictions.csv"
    path.write_text("fold,key,y_true,y_pred,status\nf," + row.format(n="9" * digits) + ",ok\n", encoding="utf-8")
    with pytest.raises(OutsideError, match=expected) as caught:
        read_outside(path, ("negative", "positive", "surprise"))
    assert len(str(caught.value).removeprefix(str(path))) < 300  # the line beyond the file's name


@pytest.mark.parametrize("header, expected", [
    ("database,subject,clip,true,pred," + ",".join(f"x{k}" for k in range(1000)),
     r"line 1: unknown column\(s\) 'x0', 'x1', 'x2', 'x3', 'x4' and 995 more; expected clip, "),
    ("database,subject,clip,true,pred,p_" + "9" * 5000,
     r"line 1: unknown column\(s\) 'p_9{58}'\.\.\. \(5002 characters\); expected clip, "),
    ("database,subject,clip,true,pred" + ",pred" * 1000, r"line 1: a column is named twice in the header \('pred'\)$"),
])
def test_a_header_of_thousands_of_characters_is_named_in_a_short_line(tmp_path, header, expected):
    from common.evaluation.outside import OutsideError, read_outside

    path = tmp_path / "theirs.csv"
    path.write_text(header + "\ncasme2,sub01,EP02_01f,0,0\n", encoding="utf-8")
    with pytest.raises(OutsideError, match=expected) as caught:
        read_outside(path, ("negative", "positive", "surprise"))
    assert len(str(caught.value).removeprefix(str(path))) < 250


def test_a_class_of_thousands_of_digits_in_a_log_is_one_short_line(tmp_path):
    from common.evaluation.outside import OutsideError, read_ststnet_log

    path = tmp_path / "log.txt"
    path.write_text("smic s01\ns01_ne_01 " + "1" * 3000 + " 0\n", encoding="utf-8")
    with pytest.raises(OutsideError, match=r"line 2: true class '1{60}'\.\.\. \(3000 characters\): expected 0, 1 or 2"):
        read_ststnet_log(path, ("negative", "positive", "surprise"))


def test_a_label_naming_a_path_instead_of_a_folder_is_refused(tmp_path):
    from common.datasets import load
    from common.datasets.tables import DatasetError
    from test_datasets_loaders import casme2_tree

    # the frames exist where the path leads (outside the database's folder): before, they were read as a clip
    casme2_tree(tmp_path / "data", rows=[[1, "EP02_01f", None, 8, 9, 12, None, 12, "happiness"],
                                         [1, "../../../../elsewhere", None, 8, 9, 12, None, 12, "happiness"]])
    assert (tmp_path / "data" / "elsewhere" / "reg_img8.jpg").is_file()
    with pytest.raises(DatasetError, match=r"CASME2-coding-20140508.xlsx: row 3, column Filename: "
                                           r"'../../../../elsewhere' is a path, not a folder name"):
        load("casme2", tmp_path / "data" / "CASME2")


def test_a_label_cell_joined_into_a_path_is_one_folder_name_or_refused(tmp_path):
    """Every loader joins label cells into paths through ``discovery.child_named`` (MMEW's emotion folder, 4DME's
    and CAS(ME)^3's subjects) or ``listed_clips``: a cell that is a path is refused, never followed."""
    from common.datasets import discovery
    from common.datasets.tables import DatasetError

    (tmp_path / "db" / "Happiness").mkdir(parents=True)
    assert discovery.child_named(tmp_path / "db", "happiness") == tmp_path / "db" / "Happiness"
    for name in ("../outside", "a/b", "..", "a\\b"):
        with pytest.raises(DatasetError, match="is a path, not a folder name"):
            discovery.child_named(tmp_path / "db", name)


def test_a_csv_read_whole_is_bounded_in_bytes_and_in_line_length(tmp_path, monkeypatch):
    """--predict's list of clips is read whole: at most files.SPREADSHEET_CSV_BYTES (made small here), each line at
    most files.CSV_LINE_CHARS, checked before the csv module splits a line into cells."""
    from common import files

    path = tmp_path / "clips.csv"
    path.write_text("path,onset,apex,offset\n" + "clip,1,2,3\n" * 10)
    assert len(files.read_spreadsheet_csv(path)[1]) == 11
    monkeypatch.setattr(files, "SPREADSHEET_CSV_BYTES", 100)
    with pytest.raises(ValueError, match=r"^133 bytes, more than 100; expected a list of clips"):
        files.read_spreadsheet_csv(path)
    monkeypatch.setattr(files, "SPREADSHEET_CSV_BYTES", 4 << 20)
    path.write_text("path,onset,apex,offset\n" + "," * (files.CSV_LINE_CHARS + 1) + "\n")
    with pytest.raises(ValueError, match=r"^line 2 holds more than 262,144 characters; expected lines of at most "
                                         r"262,144 characters$"):
        files.read_spreadsheet_csv(path)


# A line past files.CSV_LINE_CHARS (262,144), and one within it whose cell passes the csv module's field limit
# (131,072): each named by its line and the bound, at the first line (read to find the separator) or a later one.
LONG_LINES = {
    "line": ("x" * 300_000, "line {} holds more than 262,144 characters; expected lines of at most 262,144 characters"),
    "cell": ("x" * 200_000, "line {}: a cell of more than 131,072 characters; expected cells of at most 131,072 "
                            "characters"),
}


@pytest.mark.parametrize("at", [1, 3])
@pytest.mark.parametrize("kind", LONG_LINES)
def test_a_csv_line_or_cell_too_long_is_named_by_its_line_and_the_bound(tmp_path, kind, at):
    """Through --score's reader (which reads a CSV or a log's first line as a CSV, streamed) and --predict's (read
    whole): one line naming the file, the line and what a line may hold (was "cannot read this CSV (...)")."""
    from common import files
    from common.evaluation.outside import OutsideError, read_outside

    text, expected = LONG_LINES[kind][0], LONG_LINES[kind][1].format(at)
    lines = ["clip,subject,database,true,pred", "EP02_01f,sub01,casme2,0,0", "EP03_02,sub01,casme2,1,1"]
    lines[at - 1] = text
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(OutsideError) as raised:
        read_outside(path, ("negative", "positive", "surprise"))
    assert str(raised.value) == f"{path}: {expected}"
    with pytest.raises(ValueError) as raised:
        files.read_spreadsheet_csv(path)
    assert str(raised.value) == expected


# --- class scores: a decimal number, never what only Python's float() takes --------------------------------------


@pytest.mark.parametrize("cell", ["1_0", "infinity", "inf", "nan", "0x1p-2", "1e999", "\uff11", "\u0661", "1.5.2",
                                  "1 0", "--1", ""])
def test_a_class_score_in_another_number_syntax_is_refused_naming_the_line_and_column(tmp_path, cell):
    """A ``score_<class>`` cell of ``1_0`` was read as 10: Python's float() takes underscores between digits, other
    scripts' digits and "infinity". A cell is now a decimal number (digits, an optional sign, point and exponent) or
    one line naming the file, the line and the column; a number past the float range (1e999) as well."""
    from common.evaluation.outside import OutsideError, read_outside

    path = tmp_path / "theirs.csv"
    path.write_text("clip,subject,database,true,pred,score_negative,score_positive,score_surprise\n"
                    "EP02_01f,sub01,casme2,0,0,0.8,0.1,0.1\n"
                    f"EP03_02,sub01,casme2,1,1,0.1,{cell},0.1\n", encoding="utf-8")
    with pytest.raises(OutsideError) as raised:
        read_outside(path, ("negative", "positive", "surprise"))
    shown = repr(cell) if cell.strip() else "empty"
    assert str(raised.value) == (f"{path}, line 3: score_positive {shown}: expected a finite decimal number (digits, "
                                 "an optional sign, point and exponent: 0.8, -1.5, 2e-3)")


def test_a_class_score_in_decimal_notation_is_read_as_written(tmp_path):
    """What the decimal pattern takes: a sign, a leading or trailing point, an exponent; a cell's surrounding spaces
    are trimmed, as for every cell of the file (`` 1`` is 1)."""
    from common.evaluation.outside import read_outside

    path = tmp_path / "theirs.csv"
    path.write_text("clip,subject,database,true,pred,score_negative,score_positive,score_surprise\n"
                    "EP02_01f,sub01,casme2,0,0, 1,.5,-2e-3\n"
                    "EP03_02,sub01,casme2,1,1,+1.,0.25E+1,10\n", encoding="utf-8")
    rows = read_outside(path, ("negative", "positive", "surprise")).rows
    assert [row.scores for row in rows] == [(1.0, 0.5, -0.002), (1.0, 2.5, 10.0)]
