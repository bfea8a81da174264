"""The benchmark's tracks: shared protocols, defined once, as data.

A track names its databases, class mapping, splitter and scopes; adding one is a few lines (a
:class:`common.experiment.Track` in :data:`TRACKS`). Every method of the benchmark sees the
track's selection and folds unchanged (paired comparisons); see ``Track``'s docstring.
"""
from __future__ import annotations

from common.datasets import megc2019
from common.evaluation.splits import leave_one_database_out, megc_composite, megc_loso
from common.experiment import Track

MEGC2019 = Track(
    name="megc2019", title="MEGC 2019 composite, leave-one-subject-out (68 subjects on the real data)",
    datasets=("megc2019",), class_names=megc2019.CLASSES, select=megc_composite,
    folds=lambda selection, seed: megc_loso(selection), scopes=megc2019.SCOPES,
    note="SMIC-HS + CASME II + SAMM, 3 classes; LOSO; UF1/UAR pooled over folds (the challenge's rule)")

MEGC2019_HDE = Track(
    name="megc2019_hde", title="MEGC 2019 composite, leave-one-database-out (holdout-database evaluation)",
    datasets=("megc2019",), class_names=megc2019.CLASSES, select=megc_composite,
    folds=lambda selection, seed: leave_one_database_out(selection), scopes=megc2019.SCOPES,
    note="the same clips; train on two databases, test on the third (MEGC 2018's HDE); pooled UF1/UAR")

TRACKS: tuple[Track, ...] = (MEGC2019, MEGC2019_HDE)


def get_track(name: str) -> Track:
    for track in TRACKS:
        if track.name == name:
            return track
    raise KeyError(f"unknown benchmark track {name!r}; tracks: {', '.join(t.name for t in TRACKS)}")
