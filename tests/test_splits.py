"""Split invariants: no subject on both sides, folds partition the samples, determinism."""
from __future__ import annotations

import numpy as np
import pytest

from common.datasets.sample import Sample
from common.evaluation import splits
from common.experiment import Fold, Selection

# MEGC 2019 composite (docs/databases.md §5): subjects and per-class counts of each database.
MEGC = {
    "smic": (16, {"negative": 70, "positive": 51, "surprise": 43}),
    "casme2": (24, {"negative": 88, "positive": 32, "surprise": 25}),
    "samm": (28, {"negative": 92, "positive": 26, "surprise": 15}),
}


def megc_mirror_samples() -> list[Sample]:
    """442 hand-made samples with the composite's 68 subjects and class counts (round-robin)."""
    samples = []
    for dataset, (n_subjects, counts) in MEGC.items():
        subjects = [f"s{i + 1:02d}" for i in range(n_subjects)]
        k = 0
        for emotion, count in counts.items():
            for _ in range(count):
                subject = subjects[k % n_subjects]
                samples.append(Sample(dataset=dataset, subject=subject, clip=f"clip{k:03d}", emotion=emotion,
                                      onset=1, apex=2, offset=3, fps=100.0, frames=()))
                k += 1
    return samples


def toy_selection(n_subjects: int = 6, per_subject: int = 6) -> Selection:
    samples, labels = [], []
    for s in range(n_subjects):
        dataset = "casme2" if s % 2 else "samm"
        for k in range(per_subject):
            samples.append(Sample(dataset=dataset, subject=f"{s:03d}", clip=f"c{k}", emotion=str(k % 3),
                                  onset=1, apex=2, offset=3, fps=200.0, frames=()))
            labels.append(k % 3)
    return Selection(samples=tuple(samples), labels=np.array(labels), class_names=("a", "b", "c"))


def assert_partition(folds, n):
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested.tolist()) == list(range(n))
    for fold in folds:
        assert not set(fold.train.tolist()) & set(fold.test.tolist())
        assert len(fold.train) + len(fold.test) == n


def test_megc_mirror_gives_68_subject_folds():
    samples = megc_mirror_samples()
    assert len(samples) == 442
    folds = splits.megc_loso(samples)
    assert len(folds) == 68
    assert_partition(folds, 442)
    groups = np.array([f"{s.dataset}/{s.subject}" for s in samples])
    for fold in folds:
        assert len(set(groups[fold.test])) == 1  # one subject tested
        assert groups[fold.test][0] not in set(groups[fold.train])  # and never trained on
    # "s01" exists in the three databases: three different subjects, three folds
    assert {"smic_s01", "casme2_s01", "samm_s01"} <= {f.name for f in folds}


def test_loso_accepts_selection_and_gives_sklearn_pairs():
    selection = toy_selection()
    folds = splits.leave_one_subject_out(selection)
    assert [f.name for f in folds] == sorted(f.name for f in folds)
    assert len(folds) == 6
    pairs = splits.pairs(folds)
    assert all(isinstance(train, np.ndarray) and isinstance(test, np.ndarray) for train, test in pairs)
    assert_partition(folds, len(selection))
    assert [f.name for f in folds] == [f.name for f in splits.leave_one_subject_out(selection)]


def test_loso_needs_two_subjects():
    selection = toy_selection(n_subjects=1)
    with pytest.raises(ValueError, match="two subjects"):
        splits.leave_one_subject_out(selection)


@pytest.mark.parametrize("grouped", [False, True])
def test_stratified_kfold_partitions_and_is_deterministic(grouped):
    selection = toy_selection(n_subjects=10)
    folds = splits.stratified_kfold(selection, k=5, seed=3, groups=grouped)
    assert [f.name for f in folds] == ["fold01", "fold02", "fold03", "fold04", "fold05"]
    assert_partition(folds, len(selection))
    again = splits.stratified_kfold(selection, k=5, seed=3, groups=grouped)
    assert all(np.array_equal(a.test, b.test) for a, b in zip(folds, again))
    other = splits.stratified_kfold(selection, k=5, seed=4, groups=grouped)
    assert any(not np.array_equal(a.test, b.test) for a, b in zip(folds, other))
    for fold in folds:  # stratified: every class in every test fold (each class has 20 samples)
        assert set(selection.labels[fold.test].tolist()) == {0, 1, 2}
        if grouped:
            assert not set(selection.groups[fold.train]) & set(selection.groups[fold.test])


def test_holdout_is_stratified_and_deterministic():
    selection = toy_selection(n_subjects=10)  # 60 samples, 20 per class
    (fold,) = splits.holdout(selection, test_size=0.2, seed=1)
    assert fold.name == "holdout"
    assert len(fold.test) == 12 and len(fold.train) == 48
    assert np.bincount(selection.labels[fold.test]).tolist() == [4, 4, 4]
    assert np.array_equal(fold.test, splits.holdout(selection, test_size=0.2, seed=1)[0].test)
    (plain,) = splits.holdout(selection, test_size=0.2, seed=1, stratify=False)
    assert len(plain.test) == 12


def test_cross_dataset_trains_on_one_database_and_tests_on_another():
    selection = toy_selection()
    (fold,) = splits.cross_dataset(selection, train="casme2", test="samm")
    assert fold.name == "casme2_to_samm"
    assert set(selection.datasets[fold.train]) == {"casme2"}
    assert set(selection.datasets[fold.test]) == {"samm"}
    with pytest.raises(ValueError, match="smic"):
        splits.cross_dataset(selection, train="smic", test="samm")


def test_paired_stratified_kfold_pairs_the_folds_of_two_databases():
    selection = toy_selection()  # 18 casme2 and 18 samm samples, 6 of each class per database
    casme2, samm = (np.flatnonzero(selection.datasets == name) for name in ("casme2", "samm"))
    folds = splits.paired_stratified_kfold(selection, ("casme2",), ("samm",), k=3, seed=0)
    assert [f.name for f in folds] == ["fold01", "fold02", "fold03"]
    assert sorted(np.concatenate([f.test for f in folds]).tolist()) == samm.tolist()  # each samm sample once
    for fold in folds:
        assert len(fold.train) == 12 and len(fold.test) == 6  # 2/3 of casme2, 1/3 of samm
        assert set(fold.train) <= set(casme2.tolist())
        assert np.bincount(selection.labels[fold.train]).tolist() == [4, 4, 4]  # stratified
        assert np.bincount(selection.labels[fold.test]).tolist() == [2, 2, 2]
    held_out = [np.setdiff1d(casme2, f.train).tolist() for f in folds]  # the training side's parts
    assert sorted(sum(held_out, [])) == casme2.tolist()
    again = splits.paired_stratified_kfold(selection, ("casme2",), ("samm",), k=3, seed=0)
    assert [f.test.tolist() for f in again] == [f.test.tolist() for f in folds]  # deterministic
    whole = splits.paired_stratified_kfold(selection, ("casme2",), ("samm",), k=3, seed=0, whole_test=True)
    assert [f.train.tolist() for f in whole] == [f.train.tolist() for f in folds]
    assert all(f.test.tolist() == samm.tolist() for f in whole)
    with pytest.raises(ValueError, match="both sides"):
        splits.paired_stratified_kfold(selection, ("casme2", "samm"), ("samm",), k=3, seed=0)
    with pytest.raises(ValueError, match="smic"):
        splits.paired_stratified_kfold(selection, ("smic",), ("samm",), k=3, seed=0)


def test_check_folds_rejects_broken_protocols():
    groups = np.array(["a", "a", "b", "b"])
    leaky = [Fold("f1", np.array([0, 2]), np.array([1, 3])), Fold("f2", np.array([1, 3]), np.array([0, 2]))]
    with pytest.raises(ValueError, match="both sides"):
        splits.check_folds(leaky, 4, groups=groups)
    overlapping = [Fold("f1", np.array([0, 1]), np.array([1, 2]))]
    with pytest.raises(ValueError, match="both the train and the test"):
        splits.check_folds(overlapping, 4)
    incomplete = [Fold("f1", np.array([0, 1]), np.array([2]))]
    with pytest.raises(ValueError, match="partition"):
        splits.check_folds(incomplete, 4)
    with pytest.raises(ValueError, match="directory-safe"):
        splits.check_folds([Fold("a/b", np.array([0]), np.array([1]))], 2, partition=False)


def test_megc_loso_keeps_only_the_first_folds_for_a_smoke_profile():
    from common.evaluation.splits import megc_loso

    samples = [Sample(dataset="casme2", subject=f"sub{i % 4:02d}", clip=f"c{i}", emotion="negative", onset=1,
                      apex=2, offset=3, fps=200.0, frames=()) for i in range(8)]
    every = megc_loso(samples)
    assert len(every) == 4 and [f.name for f in megc_loso(samples, 0)] == [f.name for f in every]
    assert [f.name for f in megc_loso(samples, 2)] == [f.name for f in every[:2]]


def test_a_fold_name_stays_under_what_a_file_system_takes():
    """A fold's folder and its record ``<fold>.json`` are named after its subject: a subject name of 250 characters
    (a CAS(ME)^3 table may hold one; the loaders take names up to 255 bytes) made a name the file system refuses, a
    traceback. Long names are bounded, and two that differ only at their end stay two folds."""
    from common.evaluation.splits import FOLD_NAME_BYTES, safe_name

    assert safe_name("casme2/sub01") == "casme2_sub01"
    a, b = safe_name("casme3/" + "s" * 249 + "a"), safe_name("casme3/" + "s" * 249 + "b")
    assert a != b and len(a) == len(b) == FOLD_NAME_BYTES and len(a + ".json") <= 255
