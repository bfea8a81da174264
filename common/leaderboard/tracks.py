"""The benchmark's tracks: shared protocols, defined once, as data.

A track names its databases, class mapping, splitter and scopes; adding one is a few lines (a
:class:`common.experiment.Track` in :data:`TRACKS`). Every method of the benchmark sees the
track's selection and folds unchanged (paired comparisons); see ``Track``'s docstring.

The cross-database tracks (docs/databases.md §13) put several databases in the MEGC three classes
(``common.datasets.MEGC3``) and keep each person on one side of every fold: a person is a subject, or the
subjects of two databases that ``common.datasets.leakage`` links (documented, or by identical frame files).

- ``cd6me`` / ``cd6me_lodo``: MEB's composite of six databases (Varanka et al., "Data Leakage and Evaluation
  Issues in Micro-Expression Analysis": CASME, CASME II, SAMM, 4DME, MMEW, CAS(ME)^3 part A), leave one person
  out across all of them, and leave one database out.
- ``megc2019_to_casme3`` / ``megc2019_to_4dme``: train on the MEGC 2019 composite, test on a database it never
  saw (the holdout-database evaluation of the MEGC challenges since 2022).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from common.datasets import MEGC3, megc2019
from common.datasets.leakage import person_groups
from common.datasets.sample import Sample
from common.evaluation.splits import (check_folds, leave_one_database_out, mapped_selection, megc_composite, megc_loso,
                                      safe_name)
from common.experiment import Fold, Selection, Track

MEGC2019 = Track(
    name="megc2019", title="MEGC 2019 composite, leave-one-subject-out",
    datasets=("megc2019",), class_names=megc2019.CLASSES, select=megc_composite,
    folds=lambda selection, seed: megc_loso(selection), scopes=megc2019.SCOPES,
    note="SMIC-HS + CASME II + SAMM, 3 classes; LOSO (68 subjects, 442 clips on the real data); UF1/UAR pooled "
         "over folds (the challenge's rule)")

MEGC2019_HDE = Track(
    name="megc2019_hde", title="MEGC 2019 composite, leave-one-database-out (holdout-database evaluation)",
    datasets=("megc2019",), class_names=megc2019.CLASSES, select=megc_composite,
    folds=lambda selection, seed: leave_one_database_out(selection), scopes=megc2019.SCOPES,
    note="the same clips; train on two databases, test on the third (MEGC 2018's HDE); pooled UF1/UAR")

CD6ME = ("casme", "casme2", "samm", "4dme", "mmew", "casme3")  # MEB's CrossDataset, in its order


def composite_selection(data: Mapping[str, list[Sample]], databases: Sequence[str]) -> Selection:
    """The samples of ``databases`` in the MEGC three classes (``common.datasets.MEGC3``); every other sample is
    dropped and recorded with the mapping that left it out. ``megc2019`` stands for the composite's samples,
    already in those classes (the official list)."""
    parts = []
    for name in databases:
        if name == "megc2019":
            parts.append(megc_composite(data))
        else:
            parts.append(mapped_selection(data, {name: MEGC3[name]}, megc2019.CLASSES, owner="the track",
                                          what="mapping to the MEGC three classes (docs/databases.md)"))
    return Selection(samples=tuple(s for p in parts for s in p.samples),
                     labels=np.concatenate([p.labels for p in parts]).astype(int), class_names=megc2019.CLASSES,
                     dropped=tuple(d for p in parts for d in p.dropped))


def _fold(name: str, train: np.ndarray, test: np.ndarray) -> Fold:
    return Fold(name=safe_name(name), train=np.asarray(train, dtype=int), test=np.asarray(test, dtype=int))


def leave_one_person_out(selection: Selection) -> list[Fold]:
    """One fold per person (``leakage.person_groups``: a subject, or the linked subjects of several databases),
    named after the person; no person on both sides, every sample tested once."""
    people = np.array(person_groups(selection.samples))
    if len(set(people)) < 2:
        raise ValueError(f"leave-one-person-out needs at least two people, got {sorted(set(people))}")
    folds = [_fold(person.replace("/", "_"), np.flatnonzero(people != person), np.flatnonzero(people == person))
             for person in sorted(set(people))]
    return check_folds(folds, len(selection), groups=people, partition=True)


def leave_one_database_out_people(selection: Selection) -> list[Fold]:
    """One fold per database: test on it, train on the others' samples whose person is not in it (a person in
    two databases never trains the fold that tests them); every sample tested once."""
    people = np.array(person_groups(selection.samples))
    datasets = selection.datasets
    if len(set(datasets)) < 2:
        raise ValueError(f"leave-one-database-out needs at least two databases, got {sorted(set(datasets))}")
    folds = []
    for database in sorted(set(datasets)):
        test = np.flatnonzero(datasets == database)
        train = np.flatnonzero((datasets != database) & ~np.isin(people, people[test]))
        folds.append(_fold(database, train, test))
    return check_folds(folds, len(selection), groups=people, partition=True)


def holdout_database(selection: Selection, test: str) -> list[Fold]:
    """One fold ``to_<test>``: test on every sample of database ``test``, train on every other
    sample whose person is not among the tested ones."""
    people = np.array(person_groups(selection.samples))
    datasets = selection.datasets
    tested = np.flatnonzero(datasets == test)
    if tested.size == 0:
        raise ValueError(f"holdout database {test!r}: no sample of it (databases: {sorted(set(datasets))})")
    train = np.flatnonzero((datasets != test) & ~np.isin(people, people[tested]))
    return check_folds([_fold(f"to_{test}", train, tested)], len(selection), groups=people, partition=False)


CD6ME_LOSO = Track(
    name="cd6me", title="MEB's six-database composite (CASME, CASME II, SAMM, 4DME, MMEW, CAS(ME)^3 A), "
                        "leave-one-person-out",
    datasets=CD6ME, class_names=megc2019.CLASSES, select=lambda data: composite_selection(data, CD6ME),
    folds=lambda selection, seed: leave_one_person_out(selection), scopes=("all",) + CD6ME,
    note="MEB's CrossDataset (Varanka et al.), in the MEGC 3 classes (DEVIATION: MEB scores action units); one "
         "fold per person, a person in two databases being one; pooled UF1/UAR")

CD6ME_LODO = Track(
    name="cd6me_lodo", title="MEB's six-database composite, leave-one-database-out",
    datasets=CD6ME, class_names=megc2019.CLASSES, select=lambda data: composite_selection(data, CD6ME),
    folds=lambda selection, seed: leave_one_database_out_people(selection), scopes=("all",) + CD6ME,
    note="the same clips; train on five databases, test on the sixth (no tested person in training); pooled UF1/UAR")

MEGC2019_TO_CASME3 = Track(
    name="megc2019_to_casme3", title="Holdout database: train on the MEGC 2019 composite, test on CAS(ME)^3 part A",
    datasets=("megc2019", "casme3"), class_names=megc2019.CLASSES,
    select=lambda data: composite_selection(data, ("megc2019", "casme3")),
    folds=lambda selection, seed: holdout_database(selection, "casme3"), scopes=("all",),
    note="the MEGC 2019 composite's clips train (442 on the real data), CAS(ME)^3 part A in the MEGC 3 classes "
         "tests (the later MEGC challenges' unseen-database protocol); one fold")

MEGC2019_TO_4DME = Track(
    name="megc2019_to_4dme", title="Holdout database: train on the MEGC 2019 composite, test on 4DME",
    datasets=("megc2019", "4dme"), class_names=megc2019.CLASSES,
    select=lambda data: composite_selection(data, ("megc2019", "4dme")),
    folds=lambda selection, seed: holdout_database(selection, "4dme"), scopes=("all",),
    note="the MEGC 2019 composite's clips train (442 on the real data), 4DME in the MEGC 3 classes (one emotion "
         "a clip) tests; one fold")

TRACKS: tuple[Track, ...] = (MEGC2019, MEGC2019_HDE, CD6ME_LOSO, CD6ME_LODO, MEGC2019_TO_CASME3, MEGC2019_TO_4DME)

# What one fold of each track tests, in the words of the reports' per-fold page: (its column, its sentence).
FOLDS_ARE = {
    "megc2019": ("fold (subject)", "one subject under leave-one-subject-out"),
    "megc2019_hde": ("fold (database)", "one database under leave-one-database-out"),
    "cd6me": ("fold (person)", "one person under leave-one-person-out: a subject, or the subjects of two databases "
                               "that are one person"),
    "cd6me_lodo": ("fold (database)", "one database under leave-one-database-out"),
    "megc2019_to_casme3": ("fold (held-out database)", "the held-out database, the track's one fold"),
    "megc2019_to_4dme": ("fold (held-out database)", "the held-out database, the track's one fold"),
}


def folds_are(track_name: str) -> tuple[str, str]:
    """(column, sentence) of what one fold of ``track_name`` tests (:data:`FOLDS_ARE`; "fold", "one fold" else)."""
    return FOLDS_ARE.get(track_name, ("fold", "one fold"))


def fold_word(track_name: str) -> str:
    """What one fold of ``track_name`` tests, in a word (:data:`FOLDS_ARE`'s column): "subject", "person",
    "database", "held-out database"; "fold" for a track it does not list. The epoch-selection gauge's "best epoch
    per <word>" says it: on a leave-one-database-out track each fold's best epoch is a database's, not a subject's."""
    column = folds_are(track_name)[0]
    return column[column.find("(") + 1:-1] if "(" in column else "fold"


def get_track(name: str) -> Track:
    for track in TRACKS:
        if track.name == name:
            return track
    raise KeyError(f"unknown benchmark track {name!r}; tracks: {', '.join(t.name for t in TRACKS)}")
