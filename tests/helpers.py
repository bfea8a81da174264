"""Helpers only the tests use, kept out of the production modules they look into.

Each reads what its module computes (often through a private name) and gives the tests a view of it:
a forward-pass FLOP count, the band-passed signal of the magnification filter, a flat image's LBP label.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np


def is_free_text(cls: type, name: str) -> bool:
    """True when ``cls.name`` is marked ``common.config.FreeText``."""
    from common.config import FreeText, _hints, _split_annotated

    return any(isinstance(extra, FreeText) for extra in _split_annotated(_hints(cls)[name])[1])


def forward_flops(model: Any) -> int:
    """FLOPs (2 x multiply-adds) of one sample's forward pass (the layers ``common.flops`` names)."""
    from common.flops import _count

    return _count(model, training=False)


def non_trainable_parameters(model: Any) -> int:
    return int(sum(np.prod(w.shape) for w in model.non_trainable_weights))


def action_unit_code(emotion: str, seed: int, event: int = 0) -> str:
    """The FACS code ("6+12", "4+R14", "" for none) that the synthetic faces' ``render_clip`` (or event
    ``event`` of ``render_video``) moves for (emotion, seed)."""
    from common.datasets.synthetic.action_units import emotion_recipe
    from common.datasets.synthetic.faces import _recipe_rng

    return emotion_recipe(emotion, _recipe_rng(seed, event)).code


def transform_points(points, matrix) -> np.ndarray:
    """Apply a (2, 3) affine to (N, 2) points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ np.asarray(matrix)[:, :2].T + np.asarray(matrix)[:, 2]


def keep_textured_frames(frames: np.ndarray, threshold: float | None = None, method: str = "gaussian") -> np.ndarray:
    """(T,) bool: True for the frames ``common.preprocessing.texture`` keeps (probability >= threshold, its
    ``THRESHOLD`` 0.5 by default: Kumar et al. sec. 3.2 removes those below), with its default window,
    blocks and D0."""
    from common.preprocessing import texture

    threshold = texture.THRESHOLD if threshold is None else threshold
    return texture.texture_probabilities(frames, texture.WINDOW, texture.BLOCKS, texture.D0, method) >= threshold


def all_equal_label(points: int, method: str = "nri_uniform") -> int:
    """The LBP label of a pixel whose ``points`` neighbours all equal it (every bit set, since a
    neighbour >= the centre gives 1): the "uniform bin" a flat image fills."""
    return {"default": 2 ** points - 1, "uniform": points, "nri_uniform": points * (points - 1) + 1}[method]


def temporal_band_pass(video: np.ndarray, **filter_options) -> np.ndarray:
    """The band-passed signal (T, ...) float32 of a float clip through ``common.preprocessing.magnification``'s
    filter; options as its ``low_pass_coefficients``."""
    from common.preprocessing.magnification import _BandPass, low_pass_coefficients

    video = np.asarray(video, dtype=np.float32)
    band_pass = _BandPass(video[0], *low_pass_coefficients(**filter_options))
    out = np.zeros_like(video)
    for t in range(1, video.shape[0]):
        band_pass.step(video[t], out[t])
    return out


def check_kept_fold_model(fold_model, fresh_build) -> Any:
    """A package's ``fold_model()`` kept across folds (``common.training.compiled_like``): the second call, after
    a fold's training has moved every weight and optimiser slot and the runner has seeded again, is the same compiled
    model, back at the start a fresh build (``fresh_build()``, after the same seeding) has. Returns that model."""
    from common.training import forget_compiled, set_seed

    forget_compiled()
    set_seed(0)
    model = fold_model()
    initial = [v.numpy().copy() for v in model.variables]  # weights, BN statistics, dropout and flip seed states
    optimiser_initial = [v.numpy().copy() for v in model.optimizer.variables]
    for variable in [*model.variables, *model.optimizer.variables]:  # what a fold's training would do
        variable.assign(variable.numpy() + 1)
    set_seed(0)  # the runner seeds every fold alike
    again = fold_model()
    assert again is model  # compiled and traced once
    assert all(np.array_equal(v.numpy(), b) for v, b in zip(again.variables, initial))
    assert all(np.array_equal(v.numpy(), b) for v, b in zip(again.optimizer.variables, optimiser_initial))
    set_seed(0)
    fresh = fresh_build()
    assert all(np.array_equal(v.numpy(), b) for v, b in zip(fresh.variables, initial))
    return model


def public_list(released: str | Path) -> dict[str, int]:
    """The MEGC 2019 composite's public list (HTNet's ``combined_3_class2_for_optical_flow.csv`` under
    ``released/htnet``), read here with the csv module and not the suite's loader, as a reviewer's join would read
    it: ``{"dataset/sub/filename_o": label}``."""
    listed = Path(released) / "htnet" / "combined_3_class2_for_optical_flow.csv"
    with listed.open(newline="", encoding="utf-8-sig") as handle:
        return {f"{r['dataset']}/{r['sub']}/{r['filename_o']}": int(r["label"]) for r in csv.DictReader(handle)}


def best_test_epoch_scores(records: list[dict], latest: bool) -> tuple[float, float]:
    """A scorer written here, apart from ``common.evaluation``: the pooled UF1 and UAR (each class's F1 and recall
    from the pooled counts, averaged over the three classes) of the fold records with each fold at the epoch of its
    best test accuracy, the earliest of tied epochs or, with ``latest``, the last (``main_HTNet.py``'s ``<=``)."""
    from common.evaluation.epoch_selection import epoch_rows

    truth, chosen = [], []
    for record in records:
        rows = np.asarray(epoch_rows(record))
        accuracy = (rows == np.asarray(record["y_true"])[None, :]).mean(axis=1)
        best = np.flatnonzero(accuracy == accuracy.max())
        truth.append(np.asarray(record["y_true"]))
        chosen.append(rows[best[-1] if latest else best[0]])
    y, p = np.concatenate(truth), np.concatenate(chosen)
    uf1 = np.mean([2 * np.sum((y == c) & (p == c)) / (np.sum(y == c) + np.sum(p == c)) for c in range(3)])
    uar = np.mean([np.sum((y == c) & (p == c)) / np.sum(y == c) for c in range(3)])
    return float(uf1), float(uar)


def manifest_folder(folder: Path, model_bytes: bytes = b"model", **fields: Any) -> Path:
    """An export folder whose manifest passes every field check, its own hash and the files' sha256 (no model loads:
    ``read_manifest`` is checked alone); ``fields`` replace the manifest's (None: the field left out)."""
    import hashlib
    import json

    from common.deployment.export import FORMAT_VERSION, MANIFEST, mersuite_version
    from common.deployment.manifest import HASH_FIELD, manifest_digest
    from common.preprocessing.cache import source_digest

    folder.mkdir()
    (folder / "net.keras").write_bytes(model_bytes)
    manifest = {
        "format_version": FORMAT_VERSION, "mersuite_version": mersuite_version(), "paper": "p", "experiment": "e",
        "title": "t", "source": {"kind": "experiment"}, "profile": "smoke", "overrides": {}, "seed": 0, "config": {},
        "config_hash": "0" * 16, "preprocessing": {}, "class_names": ["a", "b"],
        "models": {"net": {"file": "net.keras", "inputs": [[None, 2]], "outputs": [None, 2]}}, "state": {},
        "min_frames": 2, "source_digest": source_digest(), "faces_policy": "exclude",
        "training_corpus": {"kind": "synthetic", "root": "/x", "datasets": {"casme2": 2}, "samples": 2, "fps": [200],
                            "fingerprint": "f", "dropped": 0},
        "keras": {"backend": "tensorflow", "version": "3"}, "date": "today",
        "files": {"net.keras": hashlib.sha256(model_bytes).hexdigest()},
    }
    manifest = {key: value for key, value in {**manifest, **fields}.items() if value is not None}
    manifest[HASH_FIELD] = manifest_digest(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return folder
