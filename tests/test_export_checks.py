"""An export folder is verified as a whole before use, and an export never fails after its training.

One smoke export of talluri2022 (its first experiment: one small 3-D CNN, the cheapest export of the registry)
is written once for the module; each test tampers a copy of it and runs ``run_all.py --predict`` on it: exit
status 2, one line on stderr naming the field or file, no traceback. The export destination's refusals run on
the dummy paper's ``dummy_frames`` experiment (tests/dummy_paper.py), before any training.
"""
from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import pytest

import dummy_paper
import run_all
from papers import PAPER_IDS

pytestmark = pytest.mark.slow

PAPER, EXPERIMENT = "talluri2022", "s1_smic_to_smic_model_a"
HASH = "manifest_sha256"


def cli(capsys, *argv, registry=None) -> tuple[int, str, str]:
    code = run_all.main([str(a) for a in argv], registry=registry)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, expected: str, *argv, registry=None, status: int = 2) -> str:
    """``run_all.py ARGV`` exits ``status`` (2: nothing done; 3: a write failed after the training, whose result
    is kept) with one line on stderr that contains ``expected``, and no traceback."""
    code, _, err = cli(capsys, *argv, registry=registry)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == status, err
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("run_all.py: error: "), err
    assert expected in lines[0], lines[0]
    return lines[0]


def own_hash(manifest: dict) -> str:
    """The manifest's own hash, worked out here from its documented form (docs/running.md): the sha256 of the
    manifest without that field, as UTF-8 JSON with sorted keys and no spaces."""
    content = {key: value for key, value in manifest.items() if key != HASH}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def export(smoke_corpus, tmp_path_factory):
    """(the export folder, its manifest, a clip folder of the smoke corpus to name as --predict CLIP)."""
    folder = tmp_path_factory.mktemp("checked") / "model"
    code = run_all.main(["--paper", PAPER, "--experiment", EXPERIMENT, "--profile", "smoke", "--data-root",
                         str(smoke_corpus), "--export", str(folder)])
    assert code == 0
    clip = sorted(smoke_corpus.rglob("*.jpg"))[0].parent
    return folder, json.loads((folder / "manifest.json").read_text()), clip


def tampered(export, tmp_path: Path, manifest, *, rehash: bool = False, raw: str | None = None) -> Path:
    """A copy of the export with ``manifest`` written as its manifest.json (``raw``: that text instead);
    ``rehash``: its own hash recomputed, as someone covering an edit would."""
    folder = tmp_path / "model"
    if not folder.exists():
        shutil.copytree(export[0], folder)
    if raw is None:
        if rehash:
            manifest = {**manifest, HASH: own_hash(manifest)}
        raw = json.dumps(manifest, indent=1)
    (folder / "manifest.json").write_text(raw)
    return folder


def predict_refused(capsys, export, folder: Path, expected: str) -> str:
    return refused(capsys, expected, "--predict", export[2], "--model", folder, "--out", folder.parent / "out")


def test_the_manifest_covers_itself_and_every_file(export):
    _, manifest, _ = export
    assert manifest[HASH] == own_hash(manifest)
    assert set(manifest["files"]) >= {"model_a.keras", "training_predictions.csv"}
    assert manifest["class_names"] == ["happy", "disgust", "surprise"]  # talluri2022's CLASSES, in order
    assert manifest["models"]["model_a"]["outputs"] == [None, 3]


def test_every_field_is_required(capsys, export, tmp_path):
    _, manifest, _ = export
    for name in manifest:  # every field the export writes
        edited = {key: value for key, value in manifest.items() if key != name}
        predict_refused(capsys, export, tampered(export, tmp_path, edited), f"field '{name}' is missing")
    nested = {"models": ("model_a", ("file", "inputs", "outputs")), "keras": (None, ("backend", "version")),
              "training_corpus": (None, ("kind", "root", "datasets", "samples", "fps", "fingerprint", "dropped")),
              "source": (None, ("kind",))}
    for top, (inner, fields) in nested.items():
        for name in fields:
            edited = json.loads(json.dumps(manifest))
            table = edited[top][inner] if inner else edited[top]
            del table[name]
            field = ".".join(p for p in (top, inner, name) if p)
            predict_refused(capsys, export, tampered(export, tmp_path, edited), f"field '{field}'")


def test_every_field_has_its_type(capsys, export, tmp_path):
    _, manifest, _ = export
    wrong = {"integer": ("2", "a string"), "string": (2, "an integer"), "object": ([], "an array"),
             "array": ({}, "an object")}
    kinds = {bool: "boolean", int: "integer", str: "string", dict: "object", list: "array"}
    for name, value in manifest.items():
        replacement, shown = wrong[kinds[type(value)]]
        predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, name: replacement}),
                        f"field '{name}' is {shown}")
    # the issue's own examples, and values of the right type outside their domain
    cases = [("files", ["model_a.keras"], "field 'files' is an array; expected an object (file name -> sha256)"),
             ("min_frames", "two", "field 'min_frames' is a string (\"two\"); expected an integer"),
             ("min_frames", 0, "field 'min_frames' is an integer (0); expected an integer >= 1"),
             ("min_frames", True, "field 'min_frames' is a boolean"),
             ("paper", "", "field 'paper' is a string (\"\"); expected a non-empty string"),
             ("profile", "fast", "field 'profile' is a string (\"fast\"); expected one of paper, quick, smoke"),
             ("class_names", ["happy", 2, "surprise"], "field 'class_names[1]' is an integer"),
             ("class_names", ["happy", "happy", "surprise"], "field 'class_names' repeats a name"),
             ("files", {**manifest["files"], "../elsewhere.txt": "0" * 64}, "field 'files' lists '../elsewhere.txt'"),
             ("files", {**manifest["files"], "training_predictions.csv": "not a digest"},
              "field 'files.training_predictions.csv' is a string"),
             ("training_corpus", {**manifest["training_corpus"], "fps": [-200.0]},
              "field 'training_corpus.fps[0]' is a number (-200.0); expected a finite frame rate > 0"),
             ("models", {"model_a": {**manifest["models"]["model_a"], "inputs": [[None, "18"]]}},
              "field 'models.model_a.inputs[0][1]' is a string"),
             ("models", {"model_a": {**manifest["models"]["model_a"], "file": "training_predictions.csv"}},
              "field 'models.model_a.file' is a string (\"training_predictions.csv\"); expected 'model_a.keras'"),
             ("source", {"kind": "track", "track": "megc2019"}, "field 'source.model' is missing")]
    for name, value, expected in cases:
        predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, name: value}, rehash=True), expected)
    # not JSON as the export writes it: NaN, a key twice, not an object
    text = json.dumps(manifest)
    for raw, expected in ((text.replace('"seed": 0', '"seed": NaN'), "NaN is not a JSON number"),
                          (text.replace('"seed": 0', '"seed": 0, "seed": 1'), "key 'seed' appears twice"),
                          ("[1, 2]", "manifest.json is an array; expected an object"),
                          # valid JSON that Python reads as infinity: refused as NaN is, not a traceback when hashed
                          (text.replace('"seed": 0', '"seed": 0, "extra": 1e999999'),
                           "the number 1e999999 is beyond a float's")):
        predict_refused(capsys, export, tampered(export, tmp_path, None, raw=raw), expected)
    # a list of 100,000 names is named in a short line, not echoed whole
    for names, expected in ((["x"] * 100_000, "repeats a name (a string (\"x\"), 100000 times among 100000)"),
                            ([f"x{k}" for k in range(100_000)], "is x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, ... "
                                                                "(100000 in all); talluri2022/")):
        line = predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "class_names": names},
                                                        rehash=True), expected)
        assert len(line) < 600


def test_a_manifest_edited_by_hand_is_refused(capsys, export, tmp_path):
    _, manifest, _ = export
    reordered = {**manifest, "class_names": ["surprise", "disgust", "happy"]}
    predict_refused(capsys, export, tampered(export, tmp_path, reordered), "was changed after the export")
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "title": "mine"}),
                    f"its field '{HASH}'")
    # the hash recomputed: the class names and min_frames are checked against the code
    line = predict_refused(capsys, export, tampered(export, tmp_path, reordered, rehash=True),
                           "field 'class_names' is surprise, disgust, happy")
    assert "classes in this code are happy, disgust, surprise" in line
    more = manifest["min_frames"] + 1
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "min_frames": more}, rehash=True),
                    f"field 'min_frames' is {more}; talluri2022/s1_smic_to_smic_model_a needs")
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "experiment": "nope"}, rehash=True),
                    "has no experiment 'nope'")
    track = {**manifest, "source": {"kind": "track", "track": "nowhere", "model": None}}
    predict_refused(capsys, export, tampered(export, tmp_path, track, rehash=True), "unknown benchmark track")


def test_a_swapped_model_file_is_refused_before_prediction(capsys, export, tmp_path):
    import keras

    _, manifest, _ = export
    folder = tampered(export, tmp_path, manifest)
    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs)).save(folder / "model_a.keras")
    predict_refused(capsys, export, folder, "file(s) model_a.keras differ from the sha256")
    # the file's sha256 and the manifest's own hash recomputed: the model against the shapes it records
    digest = hashlib.sha256((folder / "model_a.keras").read_bytes()).hexdigest()
    swapped = {**manifest, "files": {**manifest["files"], "model_a.keras": digest}}
    line = predict_refused(capsys, export, tampered(export, tmp_path, swapped, rehash=True),
                           "model_a.keras takes inputs [[None, 4]] and gives [None, 3], but manifest.json records "
                           "inputs [[None, 18, 24, 24, 1]]")
    assert "model 'model_a'" in line


def test_a_manifest_edited_with_its_hashes_recomputed_is_refused_by_the_model_files_record(capsys, export, tmp_path):
    """The hash has no key: an edit of what changes a prediction (another preprocessing in the overrides, with the
    config and its hash made to match the code; another fitted state) passes every hash and every check against
    the code. Each model file records what the export wrote (manifest.MODEL_RECORD): the edit is refused."""
    import papers
    from common.config import to_dict
    from common.deployment.manifest import MODEL_RECORD, read_model_record
    from common.deployment.export import find_experiment
    from common.running.profiles import config_hash, effective_config

    folder, manifest, _ = export
    assert read_model_record(folder / "model_a.keras")["overrides"] == manifest["overrides"]
    experiment, _ = find_experiment(papers.get_paper(PAPER), PAPER, EXPERIMENT)
    overrides = {**manifest["overrides"], "data.edge": "interpolate"}  # other inputs, the same shapes
    config = effective_config(experiment, manifest["profile"], overrides)
    edited = {**manifest, "overrides": overrides, "config": to_dict(config), "config_hash": config_hash(config),
              "preprocessing": {k: v for k, v in to_dict(config).items() if k != "train"}}
    line = predict_refused(capsys, export, tampered(export, tmp_path, json.loads(json.dumps(edited)), rehash=True),
                           "manifest.json field 'overrides' is not what model_a.keras records")
    assert "edited after the export and its hashes recomputed" in line
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "state": {"motion_scale": 2.5}},
                                             rehash=True), "field 'state' is not what model_a.keras records")
    assert MODEL_RECORD == "mersuite.json"


def test_a_model_file_whose_arrays_claim_what_it_does_not_hold_is_refused_before_keras_reads_them(capsys, export,
                                                                                                      tmp_path):
    """Keras reads each array of a .keras archive whole before it compares its shape with the layer's: one array
    replaced by a compressed one claiming 2 GB (a few kB in the file; every hash recomputed, as a deliberate edit
    would) is refused from the HDF5 metadata, before anything is allocated; so is the member compressed."""
    import io
    import resource
    import zipfile

    import h5py

    _, manifest, _ = export
    folder = tampered(export, tmp_path, manifest)
    model_file = folder / "model_a.keras"
    with zipfile.ZipFile(model_file) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    weights = io.BytesIO()
    with h5py.File(io.BytesIO(members["model.weights.h5"]), "r") as source, h5py.File(weights, "w") as target:
        arrays = []
        source.visititems(lambda name, item: arrays.append(name) if isinstance(item, h5py.Dataset) else None)
        for name in arrays:
            if name == arrays[0]:
                target.create_dataset(name, shape=(500_000_000,), dtype="f4", chunks=(1_000_000,), compression="gzip")
            else:
                target.create_dataset(name, data=source[name][()])

    def rewrite(method: int) -> dict:
        with zipfile.ZipFile(model_file, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, weights.getvalue() if name == "model.weights.h5" else data,
                                 compress_type=method if name == "model.weights.h5" else zipfile.ZIP_STORED)
        digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
        return {**manifest, "files": {**manifest["files"], "model_a.keras": digest}}

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    predict_refused(capsys, export, tampered(export, tmp_path, rewrite(zipfile.ZIP_STORED), rehash=True),
                    "model_a.keras: its model.weights.h5: its arrays claim more than its own")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 500_000  # kB: nothing near 2 GB allocated
    predict_refused(capsys, export, tampered(export, tmp_path, rewrite(zipfile.ZIP_DEFLATED), rehash=True),
                    "model_a.keras: its model.weights.h5 is compressed (Keras stores it as it is)")
    model_file.write_bytes(b"not a zip archive")  # zipfile.BadZipFile, which is no ValueError
    digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "files": {**manifest["files"],
                                                                                      "model_a.keras": digest}},
                                             rehash=True), "model_a.keras: File is not a zip file")


def test_a_model_config_larger_than_its_weights_is_refused_before_keras_builds_it(capsys, export, tmp_path):
    """Keras builds a .keras archive's model from its config.json, allocating every variable, before it reads the
    weights and compares shapes: the last Dense layer edited to 2**21 units (a 1 GiB kernel; every hash recomputed,
    as a deliberate edit would) is refused from the config's shapes, nothing allocated."""
    import resource
    import zipfile

    _, manifest, _ = export
    folder = tampered(export, tmp_path, manifest)
    with zipfile.ZipFile(folder / "model_a.keras") as archive:
        config = json.loads(archive.read("config.json"))
        stored = archive.getinfo("model.weights.h5").file_size
    last = [layer for layer in config["config"]["layers"] if "units" in layer["config"]][-1]
    last["config"]["units"] = 2 ** 21
    files = _rewrite_member(folder, "config.json", json.dumps(config).encode(), zipfile.ZIP_DEFLATED)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "files": {**manifest["files"],
                                                                                              **files}}, rehash=True),
                           "model_a.keras: its config.json describes a model of ")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 500_000  # kB: nothing near 1 GiB allocated
    claimed = int(line.split("a model of ")[1].split(" bytes")[0].replace(",", ""))
    assert claimed > 128 * 2 ** 21 * 4  # the kernel alone (dense_1's 128 units in, float32)
    assert f"bytes of weights, more than its model.weights.h5 holds ({stored:,})" in line


def _rewrite_member(folder: Path, member: str, data: bytes, compress_type: int) -> dict:
    """model_a.keras with ``member`` replaced by ``data``; the manifest's files entry for it recomputed."""
    import zipfile

    model_file = folder / "model_a.keras"
    with zipfile.ZipFile(model_file) as archive:
        members = {info.filename: (archive.read(info), info.compress_type) for info in archive.infolist()}
    members[member] = (data, compress_type)
    with zipfile.ZipFile(model_file, "w") as archive:
        for name, (content, method) in members.items():
            archive.writestr(name, content, compress_type=method)
    return {"model_a.keras": hashlib.sha256(model_file.read_bytes()).hexdigest()}


def test_a_state_no_export_writes_nan_weights_or_a_json_member_past_its_bound_are_refused(capsys, export, tmp_path):
    """Edits whose hashes were recomputed: a state of another type or range, or missing (the record edited too), is
    one line naming the field; NaN weights gave NaN scores printed as a prediction, now refused naming the model
    folder; a config.json inflating to 20 MB of spaces is refused from the archive's directory before Keras reads it;
    a manifest.json linking outside the folder is refused as a listed file's link is."""
    import io
    import zipfile

    import h5py
    import numpy as np

    _, manifest, _ = export
    for scale, shown in (("2", 'a string ("2")'), (-1.0, "a number (-1.0)"), (0, "an integer (0)")):
        predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "state": {"motion_scale": scale}},
                                                 rehash=True),
                        f"manifest.json: field 'state.motion_scale' is {shown}; expected null or a finite number > 0")
    # the key deleted from the manifest and from the model file's record alike: refused where the method reads it
    shutil.rmtree(tmp_path / "model", ignore_errors=True)
    folder = tampered(export, tmp_path, manifest)
    with zipfile.ZipFile(folder / "model_a.keras") as archive:
        record = json.loads(archive.read("mersuite.json"))
    record["state"] = {}
    files = _rewrite_member(folder, "mersuite.json", json.dumps(record).encode(), zipfile.ZIP_DEFLATED)
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "state": {},
                                                                "files": {**manifest["files"], **files}}, rehash=True),
                    f"--model {folder}: manifest.json field 'state' has no 'motion_scale', which "
                    f"{PAPER}/{EXPERIMENT} reads (it holds nothing)")
    # NaN weights: every array of the model NaN, the file's sha256 and the manifest's own hash recomputed
    shutil.rmtree(tmp_path / "model")
    folder = tampered(export, tmp_path, manifest)
    with zipfile.ZipFile(folder / "model_a.keras") as archive:
        weights = io.BytesIO(archive.read("model.weights.h5"))
    with h5py.File(weights, "a") as arrays:
        arrays.visititems(lambda name, item: item.__setitem__(..., np.nan) if isinstance(item, h5py.Dataset)
                          and item.dtype.kind == "f" else None)
    files = _rewrite_member(folder, "model.weights.h5", weights.getvalue(), zipfile.ZIP_STORED)
    line = predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "files": {**manifest["files"],
                                                                                              **files}}, rehash=True),
                           f"--model {folder}: {PAPER}/{EXPERIMENT} gave scores that are not one distribution per "
                           "clip (clip 1's are not all finite: nan, nan, nan)")
    assert not (folder.parent / "out").exists() and "export the model again" in line
    # a config.json of 20 MB of spaces, deflated to a few kB
    shutil.rmtree(tmp_path / "model")
    folder = tampered(export, tmp_path, manifest)
    with zipfile.ZipFile(folder / "model_a.keras") as archive:
        config = archive.read("config.json")
    files = _rewrite_member(folder, "config.json", config + b" " * (20 << 20), zipfile.ZIP_DEFLATED)
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "files": {**manifest["files"], **files}},
                                             rehash=True),
                    f"model_a.keras: its config.json inflates to {len(config) + (20 << 20):,} bytes, more than a "
                    "model's JSON (16,777,216 at most)")
    # manifest.json a link to a copy outside the folder
    shutil.rmtree(tmp_path / "model")
    folder = tampered(export, tmp_path, manifest)
    (tmp_path / "outside.json").write_text((folder / "manifest.json").read_text())
    (folder / "manifest.json").unlink()
    (folder / "manifest.json").symlink_to(tmp_path / "outside.json")
    predict_refused(capsys, export, folder, f"--model {folder}: manifest.json leads outside the folder (a link)")


def test_a_model_file_with_a_member_no_export_writes_is_refused_before_keras_extracts_it(capsys, export, tmp_path):
    """Keras extracts a whole .keras archive of more than three members to a temporary folder: a member beyond the
    export's (64 MiB of zeros, deflated; every hash recomputed, as a deliberate edit would) was written out and the
    clip predicted. It is refused naming the file and the member."""
    import zipfile

    _, manifest, _ = export
    folder = tampered(export, tmp_path, manifest)
    with zipfile.ZipFile(folder / "model_a.keras", "a") as archive:
        info = zipfile.ZipInfo("assets/zeros.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            for _ in range(64):
                member.write(bytes(1 << 20))
    digest = hashlib.sha256((folder / "model_a.keras").read_bytes()).hexdigest()
    predict_refused(capsys, export, tampered(export, tmp_path, {**manifest, "files": {**manifest["files"],
                                                                                      "model_a.keras": digest}},
                                             rehash=True),
                    f"--model {folder}: model_a.keras: it holds a member 'assets/zeros.bin' that no export writes "
                    "(expected only metadata.json, config.json, model.weights.h5, mersuite.json); export the model "
                    "again")


def test_the_unmodified_export_still_predicts(capsys, export, tmp_path):
    folder, manifest, clip = export
    code, out, err = cli(capsys, "--predict", clip, "--model", folder, "--out", tmp_path / "out", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["class_names"] == manifest["class_names"]
    assert all(math.isclose(sum(c["probabilities"].values()), 1.0, rel_tol=1e-5) for c in payload["clips"])


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_experiment_names_its_classes_without_data(paper_id):
    """load_export compares the manifest's class names with the code's: each experiment's select on no data."""
    import papers
    from common.deployment.predict import code_class_names
    from common.running.profiles import effective_config
    from common.leaderboard.tracks import TRACKS

    module = papers.get_paper(paper_id)
    experiments = list(module.EXPERIMENTS)
    entry = getattr(module, "benchmark_experiment", None)
    if callable(entry):
        experiments += [entry(track, None) for track in TRACKS]
    for experiment in experiments:
        names = code_class_names(experiment, effective_config(experiment, "smoke"))
        assert len(names) >= 2 and len(set(names)) == len(names), (paper_id, experiment.name, names)


# --------------------------------------------------------------------------------------------------
# --export DIR: what could stop the write is refused before the training; a failed write keeps the result


def export_argv(smoke_corpus: Path, out: Path) -> list:
    return ["--paper", "dummy_frames", "--profile", "smoke", "--data-root", smoke_corpus, "--export", out]


def export_refused(capsys, smoke_corpus: Path, out: Path, expected: str) -> str:
    dummy_paper.HOOKS["ran"].clear()
    line = refused(capsys, expected, *export_argv(smoke_corpus, out), registry=dummy_paper.DEPLOY_REGISTRY)
    assert "export" not in dummy_paper.HOOKS["ran"], "the export fold trained before the refusal"
    if out.parent.is_dir():  # no temporary folder left
        assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    return line


def test_a_destination_that_cannot_take_the_export_is_refused_before_training(capsys, smoke_corpus, tmp_path,
                                                                              monkeypatch):
    # a mount point (a volume): the export renames its folder into place, which a mount point refuses
    mounted = tmp_path / "volume"
    mounted.mkdir()
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda path: os.fspath(path) == str(mounted) or real_ismount(path))
    export_refused(capsys, smoke_corpus, mounted, "is a mount point")
    # a folder the rename probe cannot move (the kernel's EBUSY, as for a bind mount)
    busy = tmp_path / "busy"
    busy.mkdir()
    real_rename = os.rename

    def rename(src, dst, *args, **kwargs):
        if os.fspath(src) == str(busy):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    export_refused(capsys, smoke_corpus, busy, "cannot be renamed (Device or resource busy)")
    # a parent that is not writable (simulated: the suite may run as root), or is a file
    real_access = os.access
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: path != locked and real_access(path, mode, **kw))
    export_refused(capsys, smoke_corpus, locked / "model", "cannot write into")
    (tmp_path / "a_file").write_text("")
    export_refused(capsys, smoke_corpus, tmp_path / "a_file" / "model", "cannot create")
    # a folder that is not an earlier export, or an earlier export with files of the user's: kept, refused
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"name": "not an export"}')
    export_refused(capsys, smoke_corpus, other, "is not an export's")
    (other / "manifest.json").write_text(json.dumps({"format_version": 1, "files": {"model.keras": "0" * 64}}))
    (other / "model.keras").write_text("")
    (other / "notes.txt").write_text("mine")
    export_refused(capsys, smoke_corpus, other, "holds 1 file(s) the earlier export did not write (notes.txt)")
    assert (other / "notes.txt").read_text() == "mine"


def test_a_users_symbolic_link_is_never_deleted_or_replaced(capsys, smoke_corpus, tmp_path):
    """An earlier export holding a link of the user's (to a folder or a file elsewhere) is refused before training:
    replacing the export would delete the link. A destination that is itself a link is refused: the export would
    replace the link, not the folder it names."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    out = tmp_path / "model"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"format_version": 1, "files": {}}))  # an earlier export
    (out / "data").symlink_to(mine, target_is_directory=True)
    export_refused(capsys, smoke_corpus, out, "holds 1 symbolic link(s) the earlier export did not write (data)")
    assert (out / "data").is_symlink() and (mine / "notes.txt").read_text() == "mine"
    linked = tmp_path / "linked"
    linked.symlink_to(out, target_is_directory=True)
    export_refused(capsys, smoke_corpus, linked, f"is a symbolic link (to {out}); give the folder it points to")
    assert linked.is_symlink() and (out / "data").is_symlink()


def test_a_folder_the_user_added_to_an_earlier_export_is_never_deleted(capsys, smoke_corpus, tmp_path):
    """An earlier export holding a folder the export did not write (an empty one here, at the top or inside a
    folder the export wrote) is refused before training, as a file or link of the user's is: replacing the export
    would delete it. The export's own folders are its: an export leaves no empty folder, so a second export
    replaces the first."""
    out = tmp_path / "model"
    (out / "training").mkdir(parents=True)
    (out / "training" / "history.csv").write_text("")
    (out / "manifest.json").write_text(json.dumps({"format_version": 1, "files": {"training/history.csv": "0" * 64}}))
    for mine in (out / "mine", out / "training" / "mine"):
        mine.mkdir()
        relative = mine.relative_to(out).as_posix()
        export_refused(capsys, smoke_corpus, out, f"--export {out}: it holds 1 folder(s) the earlier export did not "
                                                  f"write ({relative}), which replacing it would delete; move them "
                                                  f"out; give a new or empty folder, or an earlier export")
        assert mine.is_dir()
        mine.rmdir()
    for _ in range(2):  # the earlier export, then the one written here, replaced
        code, _, err = cli(capsys, *export_argv(smoke_corpus, out), registry=dummy_paper.DEPLOY_REGISTRY)
        assert code == 0, err
        assert not [p for p in out.rglob("*") if p.is_dir() and not any(p.iterdir())]


def test_a_write_that_fails_after_training_keeps_the_result(capsys, smoke_corpus, tmp_path, monkeypatch):
    out = tmp_path / "model"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"format_version": 1, "files": {}}))  # an earlier export
    earlier = (out / "manifest.json").read_text()
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):  # the finished export cannot be renamed into place
        name = Path(src).name
        if name.startswith(".model.") and not name.startswith(".model.old-") and Path(dst) == out:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    line = refused(capsys, "the export trained but cannot be put in place (Invalid cross-device link)",
                   *export_argv(smoke_corpus, out), registry=dummy_paper.DEPLOY_REGISTRY, status=3)
    kept = Path(line.split("the finished export is kept in ")[1].split(": move it")[0])
    assert kept.parent == tmp_path and kept.name.startswith(".model.")
    assert (out / "manifest.json").read_text() == earlier  # the earlier export is back in place
    monkeypatch.undo()
    code, _, err = cli(capsys, "--predict", sorted(smoke_corpus.rglob("*.jpg"))[0].parent, "--model", kept,
                       "--out", tmp_path / "out", registry=dummy_paper.DEPLOY_REGISTRY)
    assert code == 0, err  # the kept folder is the whole export
    # the disk fills while the trained export is written: what was written is kept, and named
    real_write_text = Path.write_text

    def write_text(path, *args, **kwargs):
        if path.name == "training_predictions.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    line = refused(capsys, "the export trained but cannot be written (No space left on device)",
                   *export_argv(smoke_corpus, tmp_path / "second"), registry=dummy_paper.DEPLOY_REGISTRY, status=3)
    kept = Path(line.split("what was written is kept in ")[1])
    assert (kept / f"{dummy_paper.FRAMES_MODEL}.keras").is_file() and not (tmp_path / "second").exists()


def test_what_was_put_at_the_destination_during_the_training_is_never_deleted(capsys, smoke_corpus, tmp_path,
                                                                              monkeypatch):
    """The destination was checked before the training only: a file the user put into the earlier export meanwhile
    was deleted with it, a folder made at a new destination too. It is checked again right before the rename: what
    is there is left as it is, and the finished export kept beside it and named (exit status 3). No lock file is
    left in the destination's parent folder."""
    from common.deployment import export as export_module

    out = tmp_path / "model"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"format_version": 1, "files": {}}))  # an earlier export
    earlier = (out / "manifest.json").read_text()
    real_text = export_module.training_predictions_text
    meanwhile: list = []  # what the user does while the export trains

    def training_done(*args, **kwargs):  # called once the training is done, before the rename
        for act in meanwhile:
            act()
        return real_text(*args, **kwargs)

    monkeypatch.setattr(export_module, "training_predictions_text", training_done)

    def kept_export(line: str) -> Path:
        kept = Path(line.split("the finished export is kept in ")[1].split(": move it")[0])
        assert kept.parent == tmp_path and (kept / "manifest.json").is_file()
        shutil.rmtree(kept)
        return kept

    meanwhile[:] = [lambda: (out / "notes.txt").write_text("mine")]
    line = refused(capsys, f"--export {out}: changed during the training and is left as it is: it holds 1 file(s) the "
                           "earlier export did not write (notes.txt)", *export_argv(smoke_corpus, out),
                   registry=dummy_paper.DEPLOY_REGISTRY, status=3)
    kept_export(line)
    assert (out / "notes.txt").read_text() == "mine" and (out / "manifest.json").read_text() == earlier
    fresh = tmp_path / "fresh"  # a new destination, where a folder of the user's appears
    meanwhile[:] = [lambda: fresh.mkdir(), lambda: (fresh / "data.txt").write_text("mine")]
    line = refused(capsys, f"--export {fresh}: changed during the training and is left as it is: the folder is not "
                           "empty and holds no earlier export (manifest.json)", *export_argv(smoke_corpus, fresh),
                   registry=dummy_paper.DEPLOY_REGISTRY, status=3)
    kept_export(line)
    assert (fresh / "data.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    meanwhile[:] = []
    code, _, err = cli(capsys, *export_argv(smoke_corpus, out), registry=dummy_paper.DEPLOY_REGISTRY)
    assert code == 0, err  # the earlier export, with nothing of the user's in it, is replaced
    assert json.loads((out / "manifest.json").read_text())["format_version"] > 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left aside, no lock file
