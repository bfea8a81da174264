"""The authors' released inputs of the MEGC 2019 composite (``common.datasets.released``), the state-dict reader
(``common.state_dicts``) and liong2019's ``port`` profile with ``--weights``.

Two kinds of test: on small fake trees written here in the released layouts (always run), and on the real
released files where ``MERSUITE_RELEASED`` names the folder holding ``htnet/`` and ``ststnet/`` (``.ci/run``
sets it to ``../shared/released`` when that exists; elsewhere those tests are skipped, with the reason).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import run_all
from common.datasets import load, released
from common.state_dicts import read_state_dict
from torch_files import write_legacy_state_dict

RELEASED = os.environ.get("MERSUITE_RELEASED", "")
needs_released = pytest.mark.skipif(
    not (RELEASED and (Path(RELEASED) / "htnet").is_dir() and (Path(RELEASED) / "ststnet").is_dir()),
    reason="MERSUITE_RELEASED does not name a folder holding the authors' released htnet/ and ststnet/ "
           "(.ci/run sets it to ../shared/released when that exists)")
CSV_HEADER = "dataset,sub,filename_o,label,apex,imagename,sub_filename"
# (database, subject as the csv writes it, clip, class) of a small fake composite: two subjects a database
ROWS = (("casme2", "sub01", "EP02_01f", 1), ("casme2", "sub01", "EP19_05f", 0), ("casme2", "sub02", "EP01_11f", 0),
        ("smic", "s01", "s01_ne_01", 0), ("smic", "s01", "s01_po_02", 1), ("smic", "s02", "s02_sur_01", 2),
        ("samm", "006", "006_1_2", 0), ("samm", "006", "006_1_3", 2), ("samm", "007", "007_7_1", 1))


def random_flow(seed: int, size: int = 28) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def fake_htnet(root: Path, space: bool = True, rows=ROWS) -> Path:
    """HTNet's released layout under ``root``: the csv, the flow images (a space before .png where ``space``)
    and the apex crops."""
    flows = root / "datasets" / released.HTNET_FLOWS
    crops = root / "datasets" / released.HTNET_CROPS
    flows.mkdir(parents=True)
    crops.mkdir(parents=True)
    lines = [CSV_HEADER]
    for i, (db, sub, clip, label) in enumerate(rows):
        crop = f"{sub}_{clip}.jpg"
        lines.append(f"{db},{sub},{clip},{label},,{crop},")
        cv2.imwrite(str(flows / f"{sub}_{clip}{' ' if space else ''}.png"), random_flow(i))
        cv2.imwrite(str(crops / crop), random_flow(100 + i, 224))
    (root / released.HTNET_CSV).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def fake_tree(root: Path, rows=ROWS) -> Path:
    """STSTNet's leave-one-subject-out tree: each clip the test image of its subject, a training image elsewhere."""
    tree = root / "norm_u_v_os"
    subjects = sorted({sub for _, sub, _, _ in rows})
    for i, (_, sub, clip, label) in enumerate(rows):
        for other in subjects:
            part = "u_test" if other == sub else "u_train"
            folder = tree / other / part / str(label)
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"{sub}_{clip} .png"), random_flow(i))
    return root


def _names(samples) -> set[tuple[str, str, str, str]]:
    return {(s.dataset, s.subject, s.clip, s.emotion) for s in samples}


EXPECTED = {("casme2", "sub01", "EP02_01f", "positive"), ("casme2", "sub01", "EP19_05f", "negative"),
            ("casme2", "sub02", "EP01_11f", "negative"), ("smic", "s1", "s1_ne_01", "negative"),
            ("smic", "s1", "s1_po_02", "positive"), ("smic", "s2", "s2_sur_01", "surprise"),
            ("samm", "006", "006_1_2", "negative"), ("samm", "006", "006_1_3", "surprise"),
            ("samm", "007", "007_7_1", "positive")}


@pytest.mark.parametrize("space", [True, False], ids=["space before .png (as released)", "renamed without it"])
def test_htnet_layout_reads_the_composite_under_the_loaders_names(tmp_path, space):
    samples = load("megc2019", fake_htnet(tmp_path / "HTNet", space=space))
    assert _names(samples) == EXPECTED
    first = samples[0]
    assert first.frames == () and first.meta["released"] == "htnet"
    assert released.read_flow_image(first.meta["flow_image"]).shape == (28, 28, 3)
    # the channels in the authors' order u, v, strain: the file's R, G, B (cv2 reads B, G, R)
    assert np.array_equal(released.read_flow_image(first.meta["flow_image"]), random_flow(0)[..., ::-1])
    assert all(s.meta["apex_crop"] is not None and s.meta["apex_crop"].is_file() for s in samples)
    assert {s.meta["authors_subject"] for s in samples} == {"sub01", "sub02", "s01", "s02", "006", "007"}


def test_ststnet_tree_gives_the_same_clips_and_images(tmp_path):
    from_tree = load("megc2019", fake_tree(tmp_path / "STSTNet"))
    from_htnet = load("megc2019", fake_htnet(tmp_path / "HTNet"))
    assert _names(from_tree) == _names(from_htnet) == EXPECTED
    images = {s.key: released.read_flow_image(s.meta["flow_image"]) for s in from_htnet}
    assert all(np.array_equal(released.read_flow_image(s.meta["flow_image"]), images[s.key]) for s in from_tree)


def test_rows_without_images_and_images_without_rows_are_named(tmp_path):
    root = fake_htnet(tmp_path / "HTNet")
    flows = root / "datasets" / released.HTNET_FLOWS
    (flows / "sub01_EP02_01f .png").unlink()
    cv2.imwrite(str(flows / "sub09_EP99_99 .png"), random_flow(7))
    with pytest.warns(UserWarning) as caught:
        samples = released.load(root)
    messages = " | ".join(str(w.message) for w in caught)
    assert len(samples) == len(ROWS) - 1
    assert "line 2: no flow image" in messages and "sub01_EP02_01f .png" in messages
    assert "sub09_EP99_99 .png: a flow image no csv row lists" in messages


def test_a_bad_csv_row_is_one_line_naming_the_line(tmp_path):
    root = fake_htnet(tmp_path / "HTNet")
    table = root / released.HTNET_CSV
    table.write_text(table.read_text().replace("casme2,sub01,EP02_01f,1", "casme2,sub01,EP02_01f,7"))
    with pytest.raises(released.DatasetError, match=r"line 2: class '7'; expected 0 \(negative\)"):
        released.load(root)
    # a class the separators \x1c..\x1f follow reads as str.strip leaves it (int() refused it: a ValueError)
    table.write_text(table.read_text().replace("casme2,sub01,EP02_01f,7", "casme2,sub01,EP02_01f,1\x1f"))
    assert {s.clip: s.emotion for s in released.load(root)}["EP02_01f"] == "positive"
    # a name of thousands of characters is quoted in at most 40 of them
    table.write_text(table.read_text().replace("casme2,sub01,EP02_01f,1\x1f", "casme9,sub01," + "x" * 5000 + ",1"))
    with pytest.raises(released.DatasetError, match=r"line 2: expected a database .* got 'casme9', 'sub01', 'x{40}'$"):
        released.load(root)


def test_check_data_reports_the_released_inputs_and_their_problems(tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet")
    cv2.imwrite(str(root / "datasets" / released.HTNET_FLOWS / "sub02_EP01_11f .png"), random_flow(3, 32))
    code = run_all.main(["--check-data", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 2, out  # an image a run would refuse: the status of that run
    assert "Released inputs: HTNet's released tree" in out
    # the licensed databases' absence is said in the first line, not each one's expected layout
    assert out.splitlines()[0].startswith(f"Found under {tmp_path}: the authors' released inputs (HTNet's")
    assert "not here: CASME II, " in out.splitlines()[0] and "(not needed for the released inputs)" in out
    assert "): not found: " not in out, out
    assert f"{len(ROWS)} clips = 3 SMIC-HS + 3 CASME II + 3 SAMM" in out and "6 subjects" in out
    assert "not of the released size: 1" in out and "sub02_EP01_11f .png: 32x32x3 uint8" in out
    assert "see2019/megc2019_loso: cannot run on the released inputs (it needs the clips' frames)" in out
    assert "liong2019/megc2019_loso: 9 samples" in out


def test_check_data_on_both_clones_names_the_weights_and_logs_beside_the_inputs(tmp_path, capsys):
    from common.datasets.check import main as check_main
    fake_htnet(tmp_path / "HTNet")
    ststnet = tmp_path / "STSTNet"
    (ststnet / "STSTNet_Weights").mkdir(parents=True)
    for subject in ("006", "sub01"):
        (ststnet / "STSTNet_Weights" / f"{subject}.pth").write_bytes(b"weights")
    (ststnet / "STSTNet_logfile.txt").write_text("log\n")
    assert check_main(tmp_path) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "the authors' released inputs (HTNet's" in first
    assert f"per-subject weights (2 files, e.g. 006.pth) in {ststnet / 'STSTNet_Weights'}" in first
    assert f"STSTNet's logs (STSTNet_logfile.txt) in {ststnet}" in first


def test_a_frame_method_is_refused_and_a_flow_method_runs(tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet")
    code = run_all.main(["--paper", "see2019", "--data-root", str(root), "--profile", "smoke",
                         "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "see2019/megc2019_loso needs the clips' frames" in err, err
    assert not (tmp_path / "out" / "see2019" / "megc2019_loso" / "results.json").exists()
    code = run_all.main(["--paper", "liong2019", "--data-root", str(root), "--profile", "smoke",
                         "--set", "evaluation.max_folds=1", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "corpus real, the authors' released flow images (no frames)" in out


def test_a_replaced_flow_image_or_apex_crop_recomputes_the_folds_that_read_it(tmp_path, capsys):
    """A released clip has no frames: its fold fingerprint stats the flow image and apex crop it is read from
    (``meta["input_files"]``), so a resumed run reuses its folds while they are unchanged, and recomputes the fold
    once one of them is replaced by other bytes (as a frame file replaced recomputes a database's clip)."""
    import json

    root = fake_htnet(tmp_path / "HTNet")
    out = tmp_path / "out"

    def run() -> dict[str, str]:
        code = run_all.main(["--paper", "liong2019", "--data-root", str(root), "--profile", "smoke",
                             "--set", "evaluation.max_folds=1", "--out", str(out)])
        assert code == 0, capsys.readouterr()
        folds = sorted(out.rglob("folds/*.json"))
        assert len(folds) == 1
        return {p.name: json.loads(p.read_text(encoding="utf-8"))["fingerprint"] for p in folds}

    def replace(path: Path, image: np.ndarray) -> None:
        stat = path.stat()
        cv2.imwrite(str(path), image)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))  # a later mtime, whatever the clock

    first = run()
    assert run() == first  # nothing replaced: the fold is reused
    replace(root / "datasets" / released.HTNET_FLOWS / "sub02_EP01_11f .png", random_flow(50))
    flow_replaced = run()
    assert flow_replaced.keys() == first.keys() and flow_replaced != first
    replace(root / "datasets" / released.HTNET_CROPS / "sub02_EP01_11f.jpg", random_flow(51, 224))
    crop_replaced = run()
    assert crop_replaced.keys() == first.keys() and crop_replaced not in (first, flow_replaced)


def test_a_wrong_size_image_refuses_the_run_naming_the_file(tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet")
    cv2.imwrite(str(root / "datasets" / released.HTNET_FLOWS / "samm_bad.png"), random_flow(3, 32))
    (root / "datasets" / released.HTNET_FLOWS / "006_006_1_3 .png").write_bytes(b"not a png")
    code = run_all.main(["--paper", "gan2019", "--data-root", str(root), "--profile", "smoke",
                         "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "006_006_1_3 .png: not a readable image" in err, err


# --- liong2019's port profile ------------------------------------------------------------------------------------


def port_config():
    from common.config import apply_overrides
    from papers.liong2019.config import PORT, default_config

    return apply_overrides(default_config(), PORT)


def _port_forward(state: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The authors' port (main.py) in NumPy, in PyTorch's layout (eval mode): each stream conv 3x3 with
    padding 2, ReLU, batch normalisation on running statistics, max pooling 3x3 stride 3 padding 1 (-inf),
    concatenated, average pooling 2x2, flattened channel-first, the FC; logits."""
    image = x.transpose(0, 3, 1, 2).astype(np.float64)  # N, C, H, W
    padded = np.pad(image, ((0, 0), (0, 0), (2, 2), (2, 2)))
    streams = []
    for i in (1, 2, 3):
        w, b = state[f"conv{i}.weight"].astype(np.float64), state[f"conv{i}.bias"]
        out = np.zeros((x.shape[0], w.shape[0], 30, 30))
        for dy in range(3):
            for dx in range(3):
                out += np.einsum("nchw,oc->nohw", padded[:, :, dy:dy + 30, dx:dx + 30], w[:, :, dy, dx])
        out = np.maximum(out + b[None, :, None, None], 0)
        mean, var = state[f"bn{i}.running_mean"], state[f"bn{i}.running_var"]
        out = ((out - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
               * state[f"bn{i}.weight"][None, :, None, None] + state[f"bn{i}.bias"][None, :, None, None])
        out = np.pad(out, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
        streams.append(np.stack([np.stack([out[:, :, 3 * r:3 * r + 3, 3 * c:3 * c + 3].max(axis=(2, 3))
                                           for c in range(10)], -1) for r in range(10)], -2))
    joined = np.concatenate(streams, axis=1)  # N, 16, 10, 10
    pooled = joined.reshape(x.shape[0], 16, 5, 2, 5, 2).mean(axis=(3, 5))
    return pooled.reshape(x.shape[0], -1) @ state["fc.weight"].T + state["fc.bias"]


def random_port_state(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    state = {}
    for i, n in zip((1, 2, 3), (3, 5, 8)):
        state[f"conv{i}.weight"] = rng.normal(0, 0.2, (n, 3, 3, 3)).astype(np.float32)
        state[f"conv{i}.bias"] = rng.normal(0, 0.1, n).astype(np.float32)
        state[f"bn{i}.weight"] = rng.uniform(0.5, 1.5, n).astype(np.float32)
        state[f"bn{i}.bias"] = rng.normal(0, 0.5, n).astype(np.float32)  # negative outputs: the -inf padding shows
        state[f"bn{i}.running_mean"] = rng.uniform(0, 40, n).astype(np.float32)
        state[f"bn{i}.running_var"] = rng.uniform(10, 400, n).astype(np.float32)
    state["fc.weight"] = rng.normal(0, 0.05, (3, 400)).astype(np.float32)
    state["fc.bias"] = rng.normal(0, 0.05, 3).astype(np.float32)
    return state


def test_port_network_with_copied_weights_computes_the_ports_forward_pass(tmp_path):
    """Padding 2, the max pooling's padding 1 (-inf, not zeros), the channel-first flattening of the FC."""
    import keras

    from papers.liong2019.model import AUTHORS_PORT_TRAINABLE, build_model, load_port_state_dict

    state = random_port_state(0)
    write_legacy_state_dict(tmp_path / "006.pth", state)
    model = build_model(config=port_config(), num_classes=3)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_weights) == AUTHORS_PORT_TRAINABLE
    load_port_state_dict(model, read_state_dict(tmp_path / "006.pth"))
    x = np.random.default_rng(1).integers(0, 256, (5, 28, 28, 3)).astype(np.float32)
    logits = _port_forward(state, x)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    got = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert (got.argmax(1) == logits.argmax(1)).all()


def test_port_state_dict_of_another_network_is_refused_naming_the_key(tmp_path):
    from papers.liong2019.model import build_model, load_port_state_dict

    model = build_model(config=port_config(), num_classes=3)
    state = random_port_state(0)
    state["conv2.weight"] = state["conv2.weight"][:4]
    with pytest.raises(ValueError, match=r"w.pth: conv2 has shape \(3, 3, 3, 4\), the port's network needs"):
        load_port_state_dict(model, state, "w.pth")
    state["conv2.weight"] = random_port_state(0)["conv2.weight"]
    state["bn2.num_batches_tracked"] = np.array(7)  # PyTorch's counter: taken, as the released files hold it
    load_port_state_dict(model, state, "w.pth")
    state["conv4.weight"] = state["conv3.weight"]  # a layer the port does not have: another network's file
    with pytest.raises(ValueError, match=r"w.pth: 'conv4.weight' is not a part of STSTNet's PyTorch port"):
        load_port_state_dict(model, state, "w.pth")
    del state["fc.bias"]
    with pytest.raises(ValueError, match="w.pth: no fc.bias"):
        load_port_state_dict(model, state, "w.pth")


def test_weights_are_refused_in_one_line_before_any_fold(tmp_path, capsys):
    root = fake_htnet(tmp_path / "HTNet")
    weights = tmp_path / "weights"
    weights.mkdir()
    for subject in ("sub01", "sub02", "s01", "s02", "006"):  # 007 missing
        write_legacy_state_dict(weights / f"{subject}.pth", random_port_state(1))
    base = ["--paper", "liong2019", "--data-root", str(root), "--out", str(tmp_path / "out")]
    cases = [(["--profile", "port", "--weights", str(weights)], "no weights for 1 of the 6 left-out subjects "
                                                                 "(first: 007.pth)"),
             (["--profile", "paper", "--weights", str(weights)], "only --profile port builds"),
             (["--profile", "port", "--weights", str(tmp_path / "none")], "none: no such folder")]
    for options, expected in cases:
        assert run_all.main(base + options) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err, err
    write_legacy_state_dict(weights / "007.pth", {"fc.weight": np.zeros((3, 400), np.float32)})
    assert run_all.main(base + ["--profile", "port", "--weights", str(weights)]) == 2
    assert "007.pth: no bn1.bias" in capsys.readouterr().err
    gan = ["--paper", "gan2019", "--data-root", str(root), "--profile", "smoke", "--weights", str(weights)]
    assert run_all.main(gan) == 2
    assert "gan2019/megc2019_loso cannot evaluate released weights" in capsys.readouterr().err
    assert not (tmp_path / "out" / "liong2019" / "megc2019_loso" / "results.json").exists()


def test_a_replaced_weights_file_recomputes_the_folds_of_a_weights_run(tmp_path, capsys):
    """A --weights run's folds read the left-out subject's file from the folder: the same command reuses them while
    the folder is unchanged, and recomputes them once a file is replaced (another release, another seed); they
    were reused under the same path, with the old weights' numbers."""
    import json

    root = fake_htnet(tmp_path / "HTNet")
    weights = tmp_path / "weights"
    weights.mkdir()
    for k, subject in enumerate(("sub01", "sub02", "s01", "s02", "006", "007")):
        write_legacy_state_dict(weights / f"{subject}.pth", random_port_state(k))
    out = tmp_path / "out"

    def run() -> dict[str, tuple[str, list[int]]]:
        code = run_all.main(["--paper", "liong2019", "--data-root", str(root), "--profile", "port", "--weights",
                             str(weights), "--set", "evaluation.max_folds=1", "--out", str(out)])
        assert code == 0, capsys.readouterr()
        records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.rglob("folds/*.json"))]
        assert len(records) == 1
        return {r["fold"]: (r["fingerprint"], r["y_pred"]) for r in records}

    first = run()
    assert run() == first  # nothing replaced: the fold is reused
    (fold,) = first
    subject = fold.split("_", 1)[1]
    stat = (weights / f"{subject}.pth").stat()
    write_legacy_state_dict(weights / f"{subject}.pth", random_port_state(99))
    os.utime(weights / f"{subject}.pth", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))
    replaced = run()
    assert replaced.keys() == first.keys() and replaced[fold][0] != first[fold][0]


# --- the real released files (MERSUITE_RELEASED) ------------------------------------------------------------------


def _port_log(path: Path) -> dict[str, tuple[list[int], list[int]]]:
    """STSTNet_python_logfile.txt: subject -> (predicted, ground truth) in the port's order."""
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"Subject: (\S+)\s*\nPredicted\s*: \[(.*?)\]\s*\nGround Truth: \[(.*?)\]", text)
    return {s: ([int(v) for v in p.split(",")], [int(v) for v in g.split(",")]) for s, p, g in blocks}


@needs_released
@pytest.mark.slow
def test_released_weights_give_the_ports_log_exactly(tmp_path, capsys):
    """The 68 released state dicts in our port network, on the 442 released images: the port's log, clip by clip
    (within a subject the log lists its class folders in the order it read them, each class's clips by name),
    and the port README's UF1 0.7209 / UAR 0.7250."""
    import json

    root = Path(RELEASED)
    code = run_all.main(["--paper", "liong2019", "--profile", "port", "--data-root", str(root / "htnet"),
                         "--weights", str(root / "ststnet" / "STSTNet_Weights"), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert "pooled UF1 0.7209, UAR 0.7250" in out
    # the weights are the authors', said on the summary lines, compared with their port's own numbers, and the
    # per-clip agreement with their log counted by the run itself
    assert ("the authors' released weights (STSTNet_Weights), evaluated, not trained here; 442 of 442 clips "
            "predicted as in the authors' log STSTNet_python_logfile.txt") in out
    summary = json.loads((tmp_path / "liong2019" / "megc2019_loso" / "results.json").read_text())
    assert [(r["metric"], r["reported"], round(r["difference"], 4)) for r in summary["comparison"]] == [
        ("uf1", 0.7209, 0.0), ("uar", 0.725, 0.0)]
    assert summary["released_weights"]["log"]["agree"] == summary["released_weights"]["log"]["clips"] == 442
    folds = tmp_path / "liong2019" / "megc2019_loso" / "folds"
    records = [json.loads(p.read_text()) for p in sorted(folds.glob("*.json"))]
    assert len(records) == 68 and all(r["status"] == "ok" for r in records)
    samples = load("megc2019", root / "htnet")
    log = _port_log(root / "ststnet" / "STSTNet_python_logfile.txt")
    equal = 0
    for record in records:
        clips = [samples[i] for i in record["test_indices"]]
        subject = clips[0].meta["authors_subject"]
        predicted, truth = log[subject]
        order = list(dict.fromkeys(truth))
        ranked = sorted(range(len(clips)), key=lambda j: (order.index(record["y_true"][j]), clips[j].clip))
        assert [record["y_true"][j] for j in ranked] == truth, subject
        equal += sum(record["y_pred"][j] == p for j, p in zip(ranked, predicted))
    assert equal == 442


@needs_released
def test_released_inputs_check_and_the_matlab_logs_score(tmp_path, capsys):
    root = Path(RELEASED)
    assert run_all.main(["--check-data", str(root)]) == 0
    out = capsys.readouterr().out
    assert "442 clips = 164 SMIC-HS + 145 CASME II + 133 SAMM" in out and "68 subjects" in out
    shutil.copy(root / "ststnet" / "STSTNet_logfile.txt", tmp_path / "STSTNet_logfile.txt")
    code = run_all.main(["--score", str(tmp_path / "STSTNet_logfile.txt"), "--benchmark", "megc2019",
                         "--data-root", str(root), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "scope all: UF1 0.7353" in out and "UAR 0.7186" in out
    # Table III per database (the paper's UF1: SMIC 0.6801, CASME II 0.8382, SAMM 0.6588)
    for scope, uf1 in (("smic", "0.6801"), ("casme2", "0.8382"), ("samm", "0.6588")):
        assert f"scope {scope}: UF1 {uf1}" in out
    assert "corpus real, the authors' released flow images" in out
