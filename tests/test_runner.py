"""The resumable fold loop: resume gives identical results, failures are recorded."""
from __future__ import annotations

import dataclasses
import functools
import json
import logging

import numpy as np
import pytest

import dummy_paper
from common.config import ConfigError
from common.errors import RunError
from common.running import profiles, runner
from common.running.corpus import is_synthetic
from common.running.profiles import effective_config, resolve_profile
from common.evaluation.records import fold_record_problem
from common.evaluation.splits import leave_one_subject_out
from common.experiment import Fold

EXPERIMENT = dummy_paper.EXPERIMENTS[0]
# the runner reads the dummy paper's databases (tests/dummy_paper.py)
# every run of this file reads the dummy paper's databases
resolve_run = functools.partial(profiles.resolve_run, loader=dummy_paper.load)
run_experiment = runner.run_experiment
ALL_FOLDS = {"casme2_sub01", "casme2_sub02", "samm_006", "samm_007"}




def _strict_json(path):
    def no_constants(name):
        raise AssertionError(f"{path} holds {name}, not strict JSON")
    return json.loads(path.read_text(), parse_constant=no_constants)


def test_resume_after_interrupt_gives_identical_results(dummy_corpus, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="common")
    full = run_experiment("dummy", EXPERIMENT, resolve_run(data_root=dummy_corpus, profile="quick", seed=1,
                          out=tmp_path / "full")).summary
    lines = caplog.messages  # the run's log lines
    assert dummy_paper.HOOKS["ran"] == ALL_FOLDS
    assert any("fold 4/4" in line and "ETA" not in line for line in lines)
    # each fold's scores say what they are: that fold's own test clips (a corpus the runner reads as real here)
    scored = [line for line in lines if " uf1=" in line]
    assert len(scored) == len(full["folds"]) == 4
    assert all(" on its 6 test clips in " in line and "SYNTHETIC" not in line for line in scored), scored
    assert any("ETA" in line for line in lines)

    out = tmp_path / "resumed"
    dummy_paper.reset_hooks()
    dummy_paper.HOOKS["interrupt"].add("casme2_sub02")  # Ctrl-C during the second fold
    with pytest.raises(KeyboardInterrupt):
        run_experiment("dummy", EXPERIMENT, resolve_run(data_root=dummy_corpus, profile="quick", seed=1, out=out))
    folds_dir = out / "dummy" / "toy_loso" / "folds"
    assert sorted(p.name for p in folds_dir.glob("*.json")) == ["casme2_sub01.json"]
    assert not list(folds_dir.glob(".*"))  # no temporary file left behind

    dummy_paper.reset_hooks()
    resumed = run_experiment("dummy", EXPERIMENT, resolve_run(data_root=dummy_corpus, profile="quick", seed=1,
                             out=out)).summary
    assert dummy_paper.HOOKS["ran"] == ALL_FOLDS - {"casme2_sub01"}  # only the missing folds ran
    assert [f["reused"] for f in resumed["folds"]] == [True, False, False, False]
    assert resumed["metrics"] == full["metrics"]
    assert resumed["comparison"] == full["comparison"]
    full_csv = (tmp_path / "full" / "dummy" / "toy_loso" / "predictions.csv").read_text()
    assert (out / "dummy" / "toy_loso" / "predictions.csv").read_text() == full_csv
    assert len(full_csv.strip().splitlines()) == 1 + 24

    record = _strict_json(folds_dir / "samm_006.json")
    assert record["status"] == "ok" and record["profile"] == "quick" and record["seed"] == 1
    assert record["subjects"] == ["006"] * 6 and record["datasets"] == ["samm"] * 6
    assert record["keys"][0] == "samm/006/negative_0"
    assert record["y_true"] == [0, 0, 1, 1, 2, 2]
    assert np.array(record["probabilities"]).shape == (6, 3)
    assert record["parameters"] == {"dummy_mlp": 27}
    assert len(record["history"]["loss"]) == 2
    results = _strict_json(out / "dummy" / "toy_loso" / "results.json")
    assert results["profile"] == "quick" and results["corpus"]["kind"] == "real"
    assert results["corpus"]["datasets"] == {"casme2": 12, "samm": 12}

    # another config: stored folds are not reused, and the log says why (a Keras-free run_fold, for speed)
    caplog.clear()
    dummy_paper.reset_hooks()
    fast = dataclasses.replace(EXPERIMENT, run_fold=dummy_paper.nearest_centroid_fold)
    run_experiment("dummy", fast, resolve_run(data_root=dummy_corpus, profile="smoke", seed=1, out=out))
    assert dummy_paper.HOOKS["ran"] == ALL_FOLDS
    assert sum("recomputing" in line for line in caplog.messages) == 4
    dummy_paper.reset_hooks()
    run_experiment("dummy", fast, resolve_run(data_root=dummy_corpus, profile="smoke", seed=1, out=out, fresh=True))
    assert dummy_paper.HOOKS["ran"] == ALL_FOLDS  # --fresh: nothing reused


def test_failed_nan_and_empty_folds_are_recorded_and_the_run_goes_on(dummy_corpus, tmp_path):
    with_empty = dataclasses.replace(
        EXPERIMENT, folds=lambda sel, cfg, seed: leave_one_subject_out(sel) + [Fold("empty", np.arange(3),
                                                                                  np.array([], dtype=int))])
    dummy_paper.HOOKS["fail"].add("samm_006")
    dummy_paper.HOOKS["nan"].add("casme2_sub01")
    res = run_experiment("dummy", with_empty, resolve_run(data_root=dummy_corpus, profile="smoke",
                                                          out=tmp_path)).summary
    status = {f["name"]: (f["status"], f["reason"]) for f in res["folds"]}
    assert status["samm_006"] == ("failed", "RuntimeError: planned failure in samm_006")
    assert status["casme2_sub01"][0] == "nan" and "epoch 1" in status["casme2_sub01"][1]
    assert status["empty"] == ("empty", "fold has 3 training and 0 test samples")
    assert status["samm_007"][0] == "ok"
    assert res["status_counts"] == {"nan": 1, "ok": 2, "failed": 1, "empty": 1}
    # the diverged fold keeps its predictions but is not in the headline metrics
    metrics = res["metrics"]
    assert sorted(metrics["not_scored"]) == ["casme2_sub01", "empty", "samm_006"]
    assert metrics["nan_folds"] == ["casme2_sub01"] and metrics["nan_policy"] == "exclude"
    assert metrics["pooled"]["all"]["n"] == 12 and metrics["fold_mean"]["all"]["n_folds"] == 2
    assert metrics["per_fold"]["casme2_sub01"]["all"]["n"] == 6  # its own score, shown in the per-fold table
    assert any("1 of 5 folds (casme2_sub01) diverged" in w and "NOT in the pooled" in w for w in res["warnings"])
    assert any("samm_006" in w and "failed" in w for w in res["warnings"])
    rows = (tmp_path / "dummy" / "toy_loso" / "predictions.csv").read_text().splitlines()
    assert sum(",nan," in row for row in rows) == 6  # its predictions are kept, marked
    fold_dir = tmp_path / "dummy" / "toy_loso" / "folds"
    assert "planned failure" in (fold_dir / "samm_006" / "error.txt").read_text()
    assert (fold_dir / "samm_007" / "dummy_mlp_history.csv").exists()
    _strict_json(fold_dir / "casme2_sub01.json")  # the NaN loss is stored as null

    # a rerun retries the failed fold only
    dummy_paper.reset_hooks()
    res = run_experiment("dummy", with_empty, resolve_run(data_root=dummy_corpus, profile="smoke",
                                                          out=tmp_path)).summary
    assert dummy_paper.HOOKS["ran"] == {"samm_006"}
    assert res["status_counts"] == {"nan": 1, "ok": 3, "empty": 1}


def test_profiles_overrides_and_missing_databases(dummy_corpus, tmp_path):
    assert resolve_profile(None, None) == "quick"
    assert resolve_profile(None, dummy_corpus) == "paper"
    with pytest.raises(RunError, match="unknown profile"):
        resolve_profile("fast", None)
    assert effective_config(EXPERIMENT, "paper", {}).train.epochs == 2
    assert effective_config(EXPERIMENT, "smoke", {}).train.epochs == 1
    assert effective_config(EXPERIMENT, "smoke", {"train.epochs": "3"}).train.epochs == 3
    with pytest.raises(ConfigError, match="epochz"):
        effective_config(EXPERIMENT, "smoke", {"train.epochz": "3"})
    (dummy_corpus / "samm.present").unlink()
    with pytest.raises(RunError, match=r"'toy_loso' needs database.*: samm \("):
        run_experiment("dummy", EXPERIMENT, resolve_run(data_root=dummy_corpus, out=tmp_path))
    assert not is_synthetic(dummy_corpus)
    (dummy_corpus / "corpus.json").write_text(json.dumps({"size": "smoke", "seed": 0, "mirror": False}))
    assert is_synthetic(dummy_corpus)
    assert resolve_profile(None, dummy_corpus) == "quick"


def test_weight_decay_is_half_l2_of_every_kernel():
    """common.training.compile_model: weight decay = 0.5 * wd * ||W||^2 over kernels (Keras 3 regularizers)."""
    from common.train_config import TrainConfig
    from common.training import compile_model

    model = compile_model(dummy_paper.build_model(), TrainConfig(weight_decay=0.01))
    kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
    assert len(kernels) == 2
    expected = sum(0.5 * 0.01 * float(np.sum(np.square(k))) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)


FAST = dataclasses.replace(EXPERIMENT, run_fold=dummy_paper.nearest_centroid_fold)  # Keras-free, for speed


def test_a_folds_line_on_the_synthetic_corpus_says_so():
    """A finished fold's line: its UF1, UAR (the MEGC pair every table prints; it lacked UAR) and accuracy on its own
    clips, and that the corpus is synthetic; the authors' weights (``--weights``) and an epoch picked on the test
    clips are said too (a worker's, a cluster's and --fold-parallel's folds logged neither)."""
    import types

    from common.running.fold_jobs import fold_line

    job = types.SimpleNamespace(label="[p/e] fold 1/2 s01", selection=types.SimpleNamespace(class_names=("a", "b")),
                                synthetic=True, config=None)
    record = {"status": "ok", "y_true": [0, 1, 1], "y_pred": [0, 1, 0], "seconds": 1.0, "reason": ""}
    assert fold_line(job, record) == ("[p/e] fold 1/2 s01: ok uf1=0.667 uar=0.750 acc=0.667 on its 3 test clips "
                                      "(SYNTHETIC corpus) in 0m01s")
    weights = types.SimpleNamespace(train=types.SimpleNamespace(weights="/authors/weights"))
    chosen = {**record, "extra": {"selected_on_test": "the epoch of best test accuracy"}}
    line = fold_line(types.SimpleNamespace(**{**vars(job), "synthetic": False, "config": weights}), chosen)
    assert "on its 3 test clips (the authors' weights, not trained here; SELECTED ON THE TEST DATA) in" in line


def test_damaged_fold_files_are_recomputed_with_a_notice(dummy_corpus, tmp_path, caplog):
    """A fold file that is valid JSON but lacks a key (or has a wrong type, lists of different
    lengths, another fold's samples) is recomputed with a notice, like a truncated one; never a KeyError."""
    first = run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke", out=tmp_path)).summary
    folds_dir = tmp_path / "dummy" / "toy_loso" / "folds"

    def edit(name, change):
        record = json.loads((folds_dir / f"{name}.json").read_text())
        change(record)
        (folds_dir / f"{name}.json").write_text(json.dumps(record))

    edit("casme2_sub01", lambda r: r.pop("y_pred"))
    edit("casme2_sub02", lambda r: r.update(status=["ok"]))
    edit("samm_006", lambda r: r["keys"].reverse())  # well-formed, but not this fold's order of samples
    text = (folds_dir / "samm_007.json").read_text()
    (folds_dir / "samm_007.json").write_text(text[: len(text) // 2])  # truncated
    assert fold_record_problem([]) == "holds a JSON list, not a fold record"

    dummy_paper.reset_hooks()
    caplog.set_level(logging.INFO, logger="common")
    again = run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke", out=tmp_path)).summary
    assert dummy_paper.HOOKS["ran"] == ALL_FOLDS
    notices = "\n".join(line for line in caplog.messages if "recomputing" in line)
    assert "casme2_sub01: stored casme2_sub01.json is damaged (key 'y_pred' is missing); recomputing" in notices
    assert "casme2_sub02.json is damaged (key 'status' is a list)" in notices
    assert "samm_006.json does not fit this fold (its sample keys are not the selection's)" in notices
    assert "samm_007.json is damaged (is not valid JSON" in notices
    assert again["metrics"] == first["metrics"]


# Well-formed fold files whose numbers were changed after the run: each reused, each would have been a silent
# change of the run's scores, its predictions.csv or its summary, or a traceback (probabilities, extra).
TAMPERED = (
    ("true classes", lambda r: r.update(y_true=[(c + 1) % 3 for c in r["y_true"]]),
     "does not fit this fold (its true classes are not the selection's labels)"),
    ("databases", lambda r: r.update(datasets=["smic"] * len(r["datasets"])),
     "does not fit this fold (its databases or subjects are not the selection's)"),
    ("subjects", lambda r: r.update(subjects=[None] * len(r["subjects"])), "is damaged ('subjects' holds a value"),
    ("counts", lambda r: r.update(n_train=10 ** 40), "does not fit this fold (it counts 10000000000000000000 training"),
    ("time", lambda r: r.update(seconds=float("inf")), "is damaged ('seconds' is inf, not a time)"),
    ("time beyond a float", lambda r: r.update(seconds=10 ** 400), "is damaged ('seconds' is 1000000000"),
    ("a probability beyond a float", lambda r: r.update(probabilities=[[10 ** 400] * 3 for _ in r["y_pred"]]),
     "is damaged ('probabilities' holds a row that is not as many finite numbers"),
    ("probabilities", lambda r: r.update(probabilities=[["a"] * 3 for _ in r["y_pred"]]),
     "is damaged ('probabilities' holds a row that is not as many finite numbers"),
    ("probability columns", lambda r: r.update(probabilities=[[1.0] for _ in r["y_pred"]]),
     "does not fit this fold (its probabilities are not one per class (3))"),
    ("predictions", lambda r: r.update(probabilities=[[float(k == c) for k in range(3)] for c in r["y_pred"]],
                                       y_pred=[(c + 1) % 3 for c in r["y_pred"]]),
     "is damaged ('y_pred' gives class"),
    ("history", lambda r: r.update(history={"loss": {"a": 1}}), "is damaged (history 'loss' is not a list"),
    ("extra", lambda r: r.update(extra="x"), "is damaged ('extra' is not an object)"),
    ("no predictions", lambda r: r.update(test_indices=[], keys=[], datasets=[], subjects=[], y_true=[], y_pred=[],
                                          probabilities=None),
     "does not fit this fold (it is marked ok but holds no predictions)"),
    ("marked empty", lambda r: r.update(status="empty"),
     "does not fit this fold (it is marked empty, but the fold has training and test samples)"),
)


@pytest.mark.parametrize("what, change, notice", TAMPERED, ids=[t[0] for t in TAMPERED])
def test_a_fold_file_changed_after_the_run_is_recomputed_not_reused(dummy_corpus, tmp_path, caplog, what, change,
                                                                    notice):
    """Every per-sample column but the predictions is checked against the selection, the predictions against the
    probabilities' arg-max, the counts against the fold, the numbers for being finite numbers: a changed file is
    recomputed with a notice, the scores are the run's."""
    first = run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke", out=tmp_path)).summary
    path = tmp_path / "dummy" / "toy_loso" / "folds" / "casme2_sub01.json"
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))  # Python writes inf as Infinity; read_json takes it as a float
    dummy_paper.reset_hooks()
    caplog.set_level(logging.INFO, logger="common")
    again = run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke", out=tmp_path)).summary
    assert dummy_paper.HOOKS["ran"] == {"casme2_sub01"}
    assert any(f"stored casme2_sub01.json {notice}" in line for line in caplog.messages), caplog.messages
    assert again["metrics"] == first["metrics"]


def test_out_dir_that_is_a_file_or_locked_is_one_line_before_any_work(dummy_corpus, tmp_path):
    import fcntl

    a_file = tmp_path / "report.txt"
    a_file.write_text("not a folder")
    for out in (a_file, a_file / "below"):
        with pytest.raises(RunError) as error:
            run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke", out=out))
        assert "is not a folder" in str(error.value) and "\n" not in str(error.value)
    assert not dummy_paper.HOOKS["ran"]

    # another run holds the experiment folder's lock (a separate open file: flock is per open file)
    exp_dir = tmp_path / "out" / "dummy" / "toy_loso"
    exp_dir.mkdir(parents=True)
    with open(exp_dir / ".mersuite.lock", "a+") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        other.write("pid 99999, started 2026-01-01T00:00:00, command run_all.py --paper dummy\n")
        other.flush()
        with pytest.raises(RunError, match=r"toy_loso is in use by another run \(pid 99999"):
            run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke", out=tmp_path / "out"))
        assert not dummy_paper.HOOKS["ran"] and not (exp_dir / "folds").exists()
    # released (the other run ended): the run goes ahead
    res = run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke",
                                                    out=tmp_path / "out")).summary
    assert res["status_counts"] == {"ok": 4}


def test_an_out_dir_that_cannot_be_written_is_one_line(dummy_corpus, tmp_path, monkeypatch):
    import common.files

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(common.files.tempfile, "mkstemp", read_only)  # as in a read-only folder (tests run as root)
    with pytest.raises(RunError, match=r"output folder .*toy_loso: cannot write there \(Permission denied\)$"):
        run_experiment("dummy", FAST, resolve_run(data_root=dummy_corpus, profile="smoke", out=tmp_path))
    assert not dummy_paper.HOOKS["ran"]


def test_a_failing_fold_whose_work_dir_cannot_be_written_is_still_recorded(dummy_corpus, tmp_path):
    def fails(ctx):
        raise RuntimeError("planned")

    folds_dir = tmp_path / "dummy" / "toy_loso" / "folds"
    folds_dir.mkdir(parents=True)
    (folds_dir / "samm_006").write_text("a file where the fold's work dir should be")
    res = run_experiment("dummy", dataclasses.replace(EXPERIMENT, run_fold=fails), resolve_run(data_root=dummy_corpus,
                         profile="smoke", out=tmp_path)).summary
    reasons = {f["name"]: f["reason"] for f in res["folds"]}
    assert reasons["samm_006"].startswith("RuntimeError: planned (error.txt not written:")
    assert reasons["samm_007"] == "RuntimeError: planned"
    assert res["status_counts"] == {"failed": 4}


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    from common.files import atomic_write

    target = tmp_path / "results.json"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError):
        with atomic_write(target) as handle:
            handle.write("half a new file")
            raise ZeroDivisionError("writing fails halfway")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    with atomic_write(target, "wb") as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new"


EDITS = (
    # a clip of casme2_sub01: tested in that fold, trained on in the three others
    ("apex", {"apex": 7}),
    ("onset", {"onset": 2}),
    ("offset", {"offset": 8}),
    ("frame rate", {"fps": 200.0}),
    ("emotion label", {"emotion": "surprise"}),
)


@pytest.mark.parametrize("what, change", EDITS, ids=[e[0] for e in EDITS])
def test_a_clip_edited_between_two_runs_recomputes_every_fold_that_reads_it(dummy_corpus, tmp_path, what, change):
    """A label or an annotation edited in the spreadsheet between two runs keeps the clip's key: every fold that
    trains or tests on the clip is recomputed (not only the fold whose test classes change), and the scores are
    those of a fresh run on the edited data."""
    edits: dict[str, dict] = {}

    def load(name, root, **options):
        return [dataclasses.replace(s, **edits.get(s.key, {})) for s in dummy_paper.load(name, root, **options)]

    def run(out, fresh=False):
        dummy_paper.reset_hooks()
        spec = profiles.resolve_run(data_root=dummy_corpus, profile="smoke", out=out, fresh=fresh, loader=load)
        return run_experiment("dummy", FAST, spec).summary

    run(tmp_path / "out")
    edits["casme2/sub01/negative_0"] = change
    again = run(tmp_path / "out")
    assert dummy_paper.HOOKS["ran"] == ALL_FOLDS, what
    assert again["metrics"] == run(tmp_path / "fresh", fresh=True)["metrics"]
    run(tmp_path / "out")
    assert not dummy_paper.HOOKS["ran"]  # unchanged since: every fold reused


def test_the_fold_fingerprint_sees_a_replaced_frame_file(tmp_path):
    """A frame file of a clip replaced (another size, or another mtime) between two runs changes the fingerprint
    of every fold that reads the clip, as it changes the clip's stage cache keys (``cache.frames_fingerprint``)."""
    import os

    from common.datasets.sample import Sample
    from common.experiment import Selection

    frames = []
    for k in range(3):
        frames.append(tmp_path / f"img{k}.jpg")
        frames[-1].write_bytes(b"x" * 10)
    samples = tuple(Sample(dataset="casme2", subject=subject, clip="c", emotion="happiness", onset=0, apex=1,
                           offset=2, fps=200.0, frames=tuple(frames) if subject == "sub01" else ())
                    for subject in ("sub01", "sub02"))
    selection = Selection(samples=samples, labels=np.array([0, 1]), class_names=("happiness", "other"))
    base = {"paper": "dummy", "experiment": "toy", "profile": "smoke", "seed": 0, "config_hash": "0", "data_root": "/"}
    fold = Fold("sub02", np.array([0]), np.array([1]))
    before = runner.fold_fingerprint(base, selection, fold)
    assert runner.fold_fingerprint(base, selection, fold, runner.selection_inputs(selection)) == before
    stat = os.stat(frames[1])
    frames[1].write_bytes(b"y" * 11)  # another size
    os.utime(frames[1], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    resized = runner.fold_fingerprint(base, selection, fold)
    assert resized != before
    os.utime(frames[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))  # the same size, another mtime
    assert runner.fold_fingerprint(base, selection, fold) not in (before, resized)


def test_a_runs_score_line_and_report_name_its_set_overrides_beside_the_profile(dummy_corpus, tmp_path, caplog):
    """``--set`` changes the recipe: a run given ``--set train.epochs=3`` printed "profile smoke" beside its pooled
    scores, on its report's banner and running header, as if the profile had run unchanged. They now name the
    overrides (``config.profile_label``); a results.json's overrides that are not a mapping are left out, and a long
    list is cut."""
    from common.config import profile_label
    from common.harness import ReportContext
    from common.reporting.pdf import running_header

    caplog.set_level(logging.INFO)
    run = resolve_run(data_root=dummy_corpus, profile="smoke", out=tmp_path, overrides={"train.epochs": 3})
    summary = run_experiment("dummy", FAST, run).summary
    assert "(profile smoke + --set train.epochs=3, corpus" in caplog.text
    assert summary["overrides"] == {"train.epochs": 3}
    context = ReportContext(paper_id="dummy", profile="smoke", seed=0, corpus=summary["corpus"])
    assert "profile smoke + --set train.epochs=3 ·" in running_header("dummy", context, {"toy_loso": summary})
    assert profile_label("paper", {}) == "paper" and profile_label("paper", ["x"]) == "paper"
    # --weights DIR is said apart (the authors' weights' marks), not as a change of the recipe
    assert profile_label("port", {"train.weights": "/w", "train.epochs": 2}) == "port + --set train.epochs=2"
    assert profile_label("paper", {"a.b": "x" * 500}, limit=40).endswith("...")


def test_folds_whose_test_sets_overlap_are_warned_of_beside_their_pooled_scores():
    """Talluri's five random 80/20 splits (and a cross-database model per fold tested on the whole target) test
    some clips in several folds: "pooled ... on N samples" counted predictions as clips, with no word of it. The run
    now warns (results.json ``warnings``, the report, the log); folds that partition the clips do not."""
    from common.running.runner import fold_warnings

    def record(name, tested):
        return {"fold": name, "status": "ok", "test_indices": tested, "extra": {}}

    assert fold_warnings([record("f1", [0, 1]), record("f2", [2, 3])], {}) == []
    (warning,) = fold_warnings([record("run1", [0, 1, 2]), record("run2", [2, 3, 0])], {})
    assert warning.startswith("the folds' test sets overlap: 6 predictions of 4 distinct clips")
