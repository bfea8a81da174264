"""Evaluation protocols as named functions on scikit-learn splitters (docs/house.md, Evaluation).

Every protocol takes a :class:`~common.experiment.Selection` (or a plain list of
:class:`~common.datasets.sample.Sample`; labels are then the ``emotion`` strings) and returns a
list of :class:`~common.experiment.Fold` whose ``train``/``test`` are index arrays into it.
``pairs(folds)`` gives the scikit-learn reading, a list of ``(train, test)`` index pairs.

- :func:`leave_one_subject_out`: ``LeaveOneGroupOut`` with ``dataset/subject`` as the group, so
  subject ``s1`` of SMIC and ``s1`` of another database are different subjects.
- :func:`megc_loso`: the same for the MEGC 2019 composite (68 folds on the real composite:
  16 SMIC + 24 CASME II + 28 SAMM subjects), whose samples :func:`megc_composite` selects (the
  protocol's selection: the ``megc2019`` loader's clips in its three classes,
  ``common.datasets.megc2019.CLASSES``).
- :func:`stratified_kfold`: ``StratifiedKFold(shuffle=True, random_state=seed)`` (Talluri k=5,
  Le k=10); ``groups=True`` uses ``StratifiedGroupKFold`` for subject-independent folds.
- :func:`holdout`: one ``train_test_split`` (Reddy et al. 80/20), stratified by default.
- :func:`cross_dataset`: train on every sample of one database, test on every sample of another.
- :func:`paired_stratified_kfold`: stratified k-fold of the training database(s) paired fold by fold
  with a stratified k-fold of the test database(s) (Talluri et al.'s cross-dataset scenarios), or
  every training fold tested on the whole test database(s).

Each protocol is deterministic for its seed and checks its own invariants (no sample on both
sides, no subject on both sides where the protocol promises it, folds partition the samples
where they should), raising ``ValueError`` otherwise. Fold names are directory-safe.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.model_selection import (
    LeaveOneGroupOut,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)

from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.datasets.sample import Dropped, Sample
from common.experiment import Fold, Selection
from common.files import fitting_name

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def mapped_selection(data: Mapping[str, Sequence[Sample]], mappings: Mapping[str, Mapping[str, str]],
                     class_names: tuple[str, ...], *, owner: str, what: str, lower: bool = False) -> Selection:
    """The samples of each database of ``mappings`` (in its order) whose emotion that database's mapping sends
    to one of ``class_names``, labelled by it; every other sample goes to ``dropped``, naming the mapping
    (``owner``'s ``what``: "le2020's smic regrouping") and its keys, never silently. ``lower``: the emotion
    is looked up lower-cased."""
    samples, labels, dropped = [], [], []
    for name, mapping in mappings.items():
        for sample in data[name]:
            target = mapping.get(sample.emotion.lower() if lower else sample.emotion)
            if target is not None:
                samples.append(sample)
                labels.append(class_names.index(target))
            else:
                dropped.append(Dropped(sample.key, f"emotion {sample.emotion!r} is not in {owner}'s {name} {what} "
                                       f"({', '.join(sorted(mapping))})", "selection"))
    return Selection(samples=tuple(samples), labels=np.asarray(labels, dtype=int), class_names=class_names,
                     dropped=tuple(dropped))



FOLD_NAME_BYTES = 200  # a fold's folder and its record "<fold>.json" stay under the file systems' 255 bytes


def safe_name(text: str) -> str:
    """A directory-safe fold name: ``casme2/sub01`` -> ``casme2_sub01``; at most :data:`FOLD_NAME_BYTES` characters
    (a subject name of 250 ended in a traceback: ``common.files.fitting_name``)."""
    name = _UNSAFE.sub("_", str(text)).strip("._")
    if not name:
        raise ValueError(f"cannot make a file name from {text!r}")
    return fitting_name(name, FOLD_NAME_BYTES, str(text))


def _parts(data: Selection | Sequence[Sample]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(groups "dataset/subject", datasets, labels) of a Selection or a list of Samples."""
    if isinstance(data, Selection):
        return data.groups, data.datasets, np.asarray(data.labels)
    samples = list(data)
    if samples and not all(isinstance(s, Sample) for s in samples):
        raise ValueError("expected a Selection or a list of Sample records")
    groups = np.array([f"{s.dataset}/{s.subject}" for s in samples])
    datasets = np.array([s.dataset for s in samples])
    labels = np.array([s.emotion for s in samples])
    return groups, datasets, labels


def pairs(folds: Sequence[Fold]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The scikit-learn reading of a protocol: ``[(train_indices, test_indices), ...]``."""
    return [(fold.train, fold.test) for fold in folds]


def check_folds(folds: Sequence[Fold], n: int, groups: np.ndarray | None = None,
                partition: bool = True) -> list[Fold]:
    """Raise ``ValueError`` unless the folds keep their promises; return them unchanged.

    Always: indices in range, no index twice in a fold, no sample on both sides, unique names.
    ``groups``: no group (subject) on both sides of any fold. ``partition``: every sample is
    tested exactly once over all folds.
    """
    names = [f.name for f in folds]
    if len(set(names)) != len(names):
        raise ValueError(f"fold names are not unique: {names}")
    tested = np.zeros(n, dtype=int)
    for fold in folds:
        if safe_name(fold.name) != fold.name:
            raise ValueError(f"fold name {fold.name!r} is not directory-safe")
        for side in (fold.train, fold.test):
            if len(side) and (side.min() < 0 or side.max() >= n):
                raise ValueError(f"fold {fold.name}: index out of range 0..{n - 1}")
            if len(np.unique(side)) != len(side):
                raise ValueError(f"fold {fold.name}: a sample appears twice on one side")
        if np.intersect1d(fold.train, fold.test).size:
            raise ValueError(f"fold {fold.name}: a sample is on both the train and the test side")
        if groups is not None:
            shared = np.intersect1d(groups[fold.train], groups[fold.test])
            if shared.size:
                raise ValueError(f"fold {fold.name}: subject(s) {list(shared)} on both sides")
        tested[fold.test] += 1
    if partition and not np.all(tested == 1):
        bad = np.flatnonzero(tested != 1)
        raise ValueError(f"folds do not partition the samples: {len(bad)} samples tested "
                         f"{sorted(set(tested[bad].tolist()))} times")
    return list(folds)


def _fold(name: str, train, test) -> Fold:
    return Fold(name=safe_name(name), train=np.asarray(train, dtype=int), test=np.asarray(test, dtype=int))


def leave_one_subject_out(data: Selection | Sequence[Sample]) -> list[Fold]:
    """``LeaveOneGroupOut`` over ``dataset/subject``; fold names ``<dataset>_<subject>`` (sorted)."""
    groups, _, _ = _parts(data)
    n = len(groups)
    if n == 0:
        raise ValueError("leave-one-subject-out needs at least one sample")
    if len(np.unique(groups)) < 2:
        raise ValueError(f"leave-one-subject-out needs at least two subjects, got {sorted(set(groups))}")
    index = np.arange(n)
    folds = [_fold(groups[test][0], train, test)
             for train, test in LeaveOneGroupOut().split(index, groups=groups)]
    return check_folds(folds, n, groups=groups, partition=True)


def megc_composite(data: Mapping[str, list[Sample]]) -> Selection:
    """The MEGC 2019 composite (SMIC-HS + CASME II + SAMM, 442 clips on the real data), its three classes.

    The ``megc2019`` loader already maps each database's emotions by the challenge's rules; a
    sample outside the three classes is an error of the loader, never silently dropped.
    """
    samples = tuple(data["megc2019"])
    unknown = sorted({s.emotion for s in samples} - set(MEGC_CLASSES))
    if unknown:
        raise ValueError(f"megc2019 track: emotions {unknown} are not MEGC 2019 composite classes {MEGC_CLASSES}")
    labels = np.array([MEGC_CLASSES.index(s.emotion) for s in samples], dtype=int)
    return Selection(samples=samples, labels=labels, class_names=MEGC_CLASSES)


def megc_loso(data: Selection | Sequence[Sample], max_folds: int = 0) -> list[Fold]:
    """The MEGC 2019 composite protocol: LOSO over its subjects (68 folds on the real composite).
    ``max_folds`` > 0 keeps only the first folds, still subject-independent (a smoke profile's
    ``evaluation.max_folds``); 0 keeps them all."""
    folds = leave_one_subject_out(data)
    return folds[:max_folds] if max_folds > 0 else folds


def leave_one_database_out(data: Selection | Sequence[Sample]) -> list[Fold]:
    """``LeaveOneGroupOut`` over the database: train on the others, test on one (MEGC 2018's holdout-
    database evaluation); fold names ``<database>`` (sorted)."""
    _, datasets, _ = _parts(data)
    if len(np.unique(datasets)) < 2:
        raise ValueError(f"leave-one-database-out needs at least two databases, got {sorted(set(datasets.tolist()))}")
    index = np.arange(len(datasets))
    folds = [_fold(datasets[test][0], train, test) for train, test in LeaveOneGroupOut().split(index, groups=datasets)]
    return check_folds(folds, len(datasets), groups=datasets, partition=True)


def stratified_kfold(data: Selection | Sequence[Sample], k: int, seed: int, groups: bool = False) -> list[Fold]:
    """``StratifiedKFold(k, shuffle=True, random_state=seed)``; fold names ``fold01``...

    ``groups=True``: ``StratifiedGroupKFold`` with ``dataset/subject`` groups (subject-independent).
    """
    subject_groups, _, labels = _parts(data)
    n = len(labels)
    if k < 2 or k > n:
        raise ValueError(f"stratified k-fold: k={k} must be between 2 and the {n} samples")
    index = np.arange(n)
    if groups:
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = splitter.split(index, labels, groups=subject_groups)
    else:
        splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(index, labels)
    folds = [_fold(f"fold{i + 1:02d}", train, test) for i, (train, test) in enumerate(splits)]
    return check_folds(folds, n, groups=subject_groups if groups else None, partition=True)


def holdout(data: Selection | Sequence[Sample], test_size: float = 0.2, seed: int = 0,
            stratify: bool = True) -> list[Fold]:
    """One ``train_test_split`` fold named ``holdout`` (stratified by label unless ``stratify=False``)."""
    _, _, labels = _parts(data)
    n = len(labels)
    index = np.arange(n)
    train, test = train_test_split(index, test_size=test_size, random_state=seed,
                                   stratify=labels if stratify else None)
    folds = [_fold("holdout", np.sort(train), np.sort(test))]
    check_folds(folds, n, partition=False)
    if len(folds[0].train) + len(folds[0].test) != n:
        raise ValueError("hold-out split does not cover every sample")
    return folds


def cross_dataset(data: Selection | Sequence[Sample], train: str = "casme2", test: str = "samm") -> list[Fold]:
    """One fold ``<train>_to_<test>``: every sample of database ``train`` vs every sample of ``test``."""
    _, datasets, _ = _parts(data)
    if train == test:
        raise ValueError(f"cross-dataset needs two different databases, got {train!r} twice")
    found = sorted(set(datasets.tolist()))
    train_idx = np.flatnonzero(datasets == train)
    test_idx = np.flatnonzero(datasets == test)
    for name, idx in ((train, train_idx), (test, test_idx)):
        if idx.size == 0:
            raise ValueError(f"cross-dataset: no sample of database {name!r} (databases present: {found})")
    folds = [_fold(f"{train}_to_{test}", train_idx, test_idx)]
    return check_folds(folds, len(datasets), partition=False)


def paired_stratified_kfold(data: Selection | Sequence[Sample], train: Sequence[str], test: Sequence[str], k: int,
                            seed: int, whole_test: bool = False) -> list[Fold]:
    """Cross-dataset stratified k-fold: fold ``i`` trains on the ``i``-th training part of
    ``StratifiedKFold(k, shuffle=True, random_state=seed)`` over the samples of the ``train``
    databases and tests on the ``i``-th test part of the same splitter over the ``test`` databases,
    so every test sample is predicted once; ``whole_test=True`` tests every fold on all the test
    databases' samples (each predicted k times). Fold names ``fold01``...; ``train`` and ``test``
    must not share a database.
    """
    _, datasets, labels = _parts(data)
    if set(train) & set(test):
        raise ValueError(f"paired stratified k-fold: databases {sorted(set(train) & set(test))} are on both sides")
    train_idx = np.flatnonzero(np.isin(datasets, list(train)))
    test_idx = np.flatnonzero(np.isin(datasets, list(test)))
    found = sorted(set(datasets.tolist()))
    for side, names, idx in (("train", train, train_idx), ("test", test, test_idx)):
        if k < 2 or k > idx.size:
            raise ValueError(f"paired stratified k-fold: k={k} must be between 2 and the {idx.size} samples of "
                             f"the {side} databases {list(names)} (databases present: {found})")

    def parts(idx: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        return [(idx[a], idx[b]) for a, b in splitter.split(np.arange(idx.size), labels[idx])]

    train_parts = parts(train_idx)
    test_parts = [(None, test_idx)] * k if whole_test else parts(test_idx)
    folds = [_fold(f"fold{i + 1:02d}", np.sort(a), np.sort(b))
             for i, ((a, _), (_, b)) in enumerate(zip(train_parts, test_parts))]
    return check_folds(folds, len(datasets), partition=False)
