"""Stage cache (common.preprocessing.cache): hits, invalidation, corruption, keys."""
from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from common.datasets.sample import Sample
from common.paths import REPO_ROOT
from common.preprocessing import cache
from common.preprocessing.cache import STATS, cached, sample_fingerprint


class Counter:
    """A compute() that counts its calls."""

    def __init__(self, value):
        self.calls, self.value = 0, value

    def __call__(self):
        self.calls += 1
        return self.value


@dataclasses.dataclass(frozen=True)
class MagnifyParams:
    alpha: float = 10.0
    levels: int = 4
    band: tuple[float, float] = (0.4, 3.0)


@pytest.fixture()
def sample(tmp_path) -> Sample:
    folder = tmp_path / "sub01" / "EP01"
    folder.mkdir(parents=True)
    paths = []
    for i in range(1, 4):
        path = folder / f"img{i}.jpg"
        path.write_bytes(bytes([i]) * (100 + i))
        paths.append(path)
    return Sample("casme2", "sub01", "EP01", "happiness", 1, 2, 3, 200.0, tuple(paths))


def test_second_call_performs_no_recomputation(tmp_path, sample):
    STATS.reset()
    compute = Counter({"x": np.arange(6.0).reshape(2, 3), "label": np.array("ok")})
    inputs = sample_fingerprint(sample)
    first = cached("stage_a", inputs, MagnifyParams(), compute, root=tmp_path)
    second = cached("stage_a", inputs, MagnifyParams(), compute, root=tmp_path)
    assert compute.calls == 1
    assert STATS.misses["stage_a"] == 1 and STATS.hits["stage_a"] == 1
    assert isinstance(second, dict) and set(second) == {"x", "label"}
    np.testing.assert_array_equal(second["x"], first["x"])
    assert str(second["label"]) == "ok"
    key = cache.cache_key("stage_a", inputs, MagnifyParams())
    assert (tmp_path / "stage_a" / key[:2] / f"{key}.npz").is_file()


def test_bare_array_comes_back_as_array(tmp_path):
    compute = Counter(np.ones((2, 2), np.uint8))
    for _ in range(2):
        out = cached("bare", {"clip": "x"}, {}, compute, root=tmp_path)
        assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == (2, 2)
    assert compute.calls == 1


def test_changing_a_param_invalidates_only_that_stage(tmp_path, sample):
    inputs = sample_fingerprint(sample)
    a, b = Counter(np.zeros(3)), Counter(np.ones(3))
    cached("magnify", inputs, MagnifyParams(alpha=10), a, root=tmp_path)
    cached("landmarks", inputs, {"mode": "first"}, b, root=tmp_path)
    STATS.reset()
    cached("magnify", inputs, MagnifyParams(alpha=15), a, root=tmp_path)  # new param: recompute
    cached("landmarks", inputs, {"mode": "first"}, b, root=tmp_path)  # other stage: still a hit
    cached("magnify", inputs, MagnifyParams(alpha=10), a, root=tmp_path)  # old entry kept
    assert a.calls == 2 and b.calls == 1
    assert STATS.misses == {"magnify": 1} and STATS.hits == {"landmarks": 1, "magnify": 1}


def test_params_are_canonical():
    key = cache.cache_key
    assert key("s", {"a": 1, "b": [1, 2]}, {"x": 1.5, "y": "z"}) == key("s", {"b": (1, 2), "a": 1},
                                                                        {"y": "z", "x": 1.5})
    assert key("s", {}, MagnifyParams()) == key("s", {}, MagnifyParams(alpha=10.0))
    assert key("s", {}, MagnifyParams()) != key("s", {}, MagnifyParams(levels=5))
    assert key("s", {}, {"w": np.arange(3)}) != key("s", {}, {"w": np.arange(1, 4)})
    assert key("s", {}, {}) != key("t", {}, {})
    with pytest.raises(cache.CacheKeyError, match="params"):
        key("s", {}, {"f": object()})


def test_an_entry_of_other_source_code_is_computed_again(tmp_path, monkeypatch):
    """A stage's result depends on its code, which its parameters do not name: an entry written by other code
    (before an upgrade or an edit) is not read as this code's."""
    compute = Counter(np.zeros(2))
    monkeypatch.setattr(cache, "source_digest", lambda: "a" * 64)
    cached("stage_s", {"clip": 1}, {}, compute, root=tmp_path)
    cached("stage_s", {"clip": 1}, {}, compute, root=tmp_path)
    assert compute.calls == 1
    monkeypatch.setattr(cache, "source_digest", lambda: "b" * 64)
    cached("stage_s", {"clip": 1}, {}, compute, root=tmp_path)
    assert compute.calls == 2


def test_source_digest_covers_every_python_file_of_the_suite(tmp_path):
    for name in ("common/a.py", "common/sub/b.py", "papers/p/c.py", "other/d.py", "common/notes.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    before = cache.tree_digest(tmp_path)
    assert cache.tree_digest(tmp_path) == before
    (tmp_path / "other/d.py").write_text("x = 2\n")  # outside common/ and papers/
    (tmp_path / "common/notes.md").write_text("changed\n")  # not Python
    assert cache.tree_digest(tmp_path) == before
    (tmp_path / "common/sub/b.py").write_text("x = 2\n")
    changed = cache.tree_digest(tmp_path)
    assert changed != before
    (tmp_path / "papers/p/e.py").write_text("")  # a new file, even empty
    assert cache.tree_digest(tmp_path) != changed
    (tmp_path / "papers/p/e.py").unlink()
    (tmp_path / "papers/p/c.py").rename(tmp_path / "papers/p/f.py")  # same bytes, another name
    assert cache.tree_digest(tmp_path) != changed
    assert cache.source_digest() == cache.tree_digest(REPO_ROOT)


def test_frame_file_change_invalidates(tmp_path, sample):
    before = cache.cache_key("s", sample_fingerprint(sample), {})
    os.utime(sample.frames[1], ns=(1_000_000_000, 1_000_000_000))
    assert cache.cache_key("s", sample_fingerprint(sample), {}) != before
    fingerprint = sample_fingerprint(sample)
    assert fingerprint["key"] == "casme2/sub01/EP01"
    assert [row[:2] for row in fingerprint["frames"]] == [["img1.jpg", 101], ["img2.jpg", 102], ["img3.jpg", 103]]


def test_missing_frame_is_one_clear_error(tmp_path, sample):
    Path(sample.frames[2]).unlink()
    with pytest.raises(FileNotFoundError, match="img3.jpg"):
        sample_fingerprint(sample)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_entry_is_detected_and_rebuilt(tmp_path, damage):
    compute = Counter({"x": np.arange(1000.0)})
    cached("stage_c", {"clip": 1}, {}, compute, root=tmp_path)
    path = cache.entry_path("stage_c", cache.cache_key("stage_c", {"clip": 1}, {}), tmp_path)
    content = path.read_bytes()
    path.write_bytes({"garbage": b"not a zip" * 10, "truncated": content[: len(content) // 2], "empty": b""}[damage])
    STATS.reset()
    out = cached("stage_c", {"clip": 1}, {}, compute, root=tmp_path)
    np.testing.assert_array_equal(out["x"], np.arange(1000.0))
    assert compute.calls == 2 and STATS.rebuilt["stage_c"] == 1
    assert path.read_bytes() == content  # rewritten whole
    cached("stage_c", {"clip": 1}, {}, compute, root=tmp_path)
    assert compute.calls == 2


def test_an_entry_copied_onto_another_key_is_rebuilt_not_returned(tmp_path):
    """Each entry stores its key: a valid entry of clip 1 copied onto clip 2's path (a cache merged or restored by
    hand) is another clip's result, so it is rebuilt from compute, never returned as clip 2's."""
    one = cached("stage_k", {"clip": 1}, {}, lambda: np.zeros(3), root=tmp_path)
    two_path = cache.entry_path("stage_k", cache.cache_key("stage_k", {"clip": 2}, {}), tmp_path)
    two_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cache.entry_path("stage_k", cache.cache_key("stage_k", {"clip": 1}, {}), tmp_path), two_path)
    STATS.reset()
    two = cached("stage_k", {"clip": 2}, {}, lambda: np.ones(3), root=tmp_path)
    assert np.array_equal(one, np.zeros(3)) and np.array_equal(two, np.ones(3))
    assert STATS.rebuilt["stage_k"] == 1 and STATS.misses["stage_k"] == 1
    assert np.array_equal(cached("stage_k", {"clip": 2}, {}, lambda: np.full(3, 9.0), root=tmp_path), np.ones(3))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe_entry_is_rebuilt_without_being_read(tmp_path):
    compute = Counter({"x": np.arange(1000.0)})
    fresh = cached("stage_p", {"clip": 1}, {}, compute, root=tmp_path)
    path = cache.entry_path("stage_p", cache.cache_key("stage_p", {"clip": 1}, {}), tmp_path)
    content = path.read_bytes()
    path.unlink()
    os.mkfifo(path)
    STATS.reset()
    got = {}
    # In a thread, so that a reader that opens the pipe (waiting for a writer that never comes) fails the test
    # rather than hanging it.
    worker = threading.Thread(target=lambda: got.update(out=cached("stage_p", {"clip": 1}, {}, compute,
                                                                   root=tmp_path)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    waited = worker.is_alive()
    if waited:  # open and close the pipe's write end: the waiting reader sees an empty file and returns
        os.close(os.open(path, os.O_WRONLY))
        worker.join(timeout=10)
    assert not waited, "the cache opened a named pipe to read it, and waited for a writer"
    np.testing.assert_array_equal(got["out"]["x"], fresh["x"])
    assert compute.calls == 2 and STATS.rebuilt["stage_p"] == 1
    assert path.is_file() and not path.is_symlink() and path.read_bytes() == content


@pytest.mark.parametrize("squatter", ["folder", "link to a folder outside"])
def test_folder_entry_is_removed_and_rebuilt(tmp_path, squatter):
    root, outside = tmp_path / "cache", tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the cache's")
    compute = Counter({"x": np.arange(1000.0)})
    fresh = cached("stage_f", {"clip": 1}, {}, compute, root=root)
    path = cache.entry_path("stage_f", cache.cache_key("stage_f", {"clip": 1}, {}), root)
    content = path.read_bytes()
    path.unlink()
    if squatter == "folder":  # removed whole; a link inside it is unlinked, not followed
        (path / "sub").mkdir(parents=True)
        (path / "sub" / "file.bin").write_bytes(b"x" * 10)
        (path / "out").symlink_to(outside, target_is_directory=True)
    else:  # the link is unlinked, the folder it points to kept
        path.symlink_to(outside, target_is_directory=True)
    STATS.reset()
    out = cached("stage_f", {"clip": 1}, {}, compute, root=root)
    np.testing.assert_array_equal(out["x"], fresh["x"])
    assert compute.calls == 2 and STATS.rebuilt["stage_f"] == 1
    assert path.is_file() and not path.is_symlink() and path.read_bytes() == content
    assert (outside / "keep.txt").read_text() == "not the cache's"
    cached("stage_f", {"clip": 1}, {}, compute, root=root)
    assert compute.calls == 2


def test_no_temporary_files_left_and_default_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MERSUITE_CACHE", str(tmp_path))
    cached("stage_d", {"clip": 2}, {}, Counter(np.zeros(2)))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].suffix == ".npz" and files[0].parts[-4] == "stages"


def test_bad_results_and_stage_names_are_refused(tmp_path):
    with pytest.raises(TypeError, match="ndarray or a dict"):
        cached("bad", {}, {}, lambda: [1, 2], root=tmp_path)
    with pytest.raises(TypeError, match="object array"):
        cached("bad", {}, {}, lambda: {"x": np.array([None])}, root=tmp_path)
    with pytest.raises(ValueError, match="stage"):
        cached("../escape", {}, {}, lambda: np.zeros(1), root=tmp_path)


def test_a_database_clips_key_is_the_one_it_always_was(sample, monkeypatch):
    """A new recording's key also holds its frames' folder and bytes; a database clip's is unchanged (users' caches
    are keyed so): the key below was computed before recordings got those fields, from the same files, names, sizes,
    mtimes and source digest."""
    for i, path in enumerate(sample.frames, start=1):
        os.utime(path, ns=(1_600_000_000_000_000_000 + i, 1_600_000_000_000_000_000 + i))
    monkeypatch.setattr(cache, "source_digest", lambda: "0" * 64)
    assert set(sample_fingerprint(sample)) == {"dataset", "subject", "clip", "key", "frames"}
    assert cache.cache_key("s", sample_fingerprint(sample), {}) == (
        "9363bf6c6609af15cc8c4a3030b36073c4a393a736a40d0a24a11f0c7c7cff4f")
    recording = dataclasses.replace(sample, dataset="recording", subject="", clip="EP01")
    assert {"folders", "content"} <= set(sample_fingerprint(recording))
