"""The benchmark's tracks: shared protocols, defined once, as data.

A track names its databases, class mapping, splitter and scopes; adding one is a few lines (a
:class:`common.experiment.Track` in :data:`TRACKS`). Every method of the benchmark sees the
track's selection and folds unchanged (paired comparisons); see ``Track``'s docstring.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from common.datasets.sample import Sample
from common.evaluation.splits import leave_one_database_out, megc_loso
from common.experiment import Selection, Track

MEGC_CLASSES = ("negative", "positive", "surprise")  # the MEGC 2019 composite's three classes
MEGC_DATABASES = ("smic", "casme2", "samm")


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


MEGC2019 = Track(
    name="megc2019", title="MEGC 2019 composite, leave-one-subject-out (68 subjects on the real data)",
    datasets=("megc2019",), class_names=MEGC_CLASSES, select=megc_composite,
    folds=lambda selection, seed: megc_loso(selection), scopes=("all",) + MEGC_DATABASES,
    note="SMIC-HS + CASME II + SAMM, 3 classes; LOSO; UF1/UAR pooled over folds (the challenge's rule)")

MEGC2019_HDE = Track(
    name="megc2019_hde", title="MEGC 2019 composite, leave-one-database-out (holdout-database evaluation)",
    datasets=("megc2019",), class_names=MEGC_CLASSES, select=megc_composite,
    folds=lambda selection, seed: leave_one_database_out(selection), scopes=("all",) + MEGC_DATABASES,
    note="the same clips; train on two databases, test on the third (MEGC 2018's HDE); pooled UF1/UAR")

TRACKS: tuple[Track, ...] = (MEGC2019, MEGC2019_HDE)


def get_track(name: str) -> Track:
    for track in TRACKS:
        if track.name == name:
            return track
    raise KeyError(f"unknown benchmark track {name!r}; tracks: {', '.join(t.name for t in TRACKS)}")
