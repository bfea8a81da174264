"""The one record every loader returns.

A ``Sample`` is one labelled expression clip of one database, read from the database's real
on-disk layout. Frame numbers (``onset``, ``apex``, ``offset``) are the database's own absolute
numbers, i.e. the integers in the frame file names, never list positions; ``frame_numbers``
gives the number of each path in ``frames`` so a position can always be recovered.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any
from collections.abc import Mapping
import warnings

_LAST_INT = re.compile(r"([0-9]+)(?!.*[0-9])")  # ASCII digits: int() reads others too


def frame_number(path: str | Path) -> int:
    """The last integer in a frame file's name (``reg_img46.jpg`` -> 46, ``006_05562.jpg`` -> 5562)."""
    match = _LAST_INT.search(Path(path).stem)
    if match is None:
        raise ValueError(f"{path}: expected a frame file name ending in a frame number")
    return int(match.group(1))


@dataclasses.dataclass(frozen=True)
class Sample:
    """One expression clip. ``meta`` holds anything database-specific (see ``common.datasets``)."""

    dataset: str  # casme2 | smic | smic_e | samm | casme_sq (source database, also inside megc2019)
    subject: str  # normalised: sub01 (CASME II), s1 (SMIC), s01 (SMIC-E), 006 (SAMM), s15 (CAS(ME)^2)
    clip: str  # the database's own clip name (EP02_01f, s1_ne_01, 006_1_2, anger1_1)
    emotion: str  # the database's label, lower case; for megc2019 the composite class
    onset: int  # absolute frame number
    apex: int | None  # absolute frame number; None when the annotation has none
    offset: int | None  # absolute frame number; None when unknown (CAS(ME)^2 offset 0)
    fps: float
    frames: tuple[Path, ...]  # sorted by frame number
    action_units: str = ""
    meta: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """Unique id across databases: ``dataset/subject/clip`` (plus ``#slot`` for SMIC-E)."""
        slot = self.meta.get("slot")
        base = f"{self.dataset}/{self.subject}/{self.clip}"
        return f"{base}#{slot}" if slot not in (None, "", 1) else base

    @property
    def frame_numbers(self) -> tuple[int, ...]:
        return tuple(frame_number(p) for p in self.frames)

    def position(self, number: int) -> int:
        """Index in ``frames`` of the frame whose file number is closest to ``number``."""
        numbers = self.frame_numbers
        return min(range(len(numbers)), key=lambda i: abs(numbers[i] - number))

    @property
    def apex_position(self) -> int:
        """Index of the apex frame in ``frames``; the middle frame when the apex is unknown."""
        if self.apex is None:
            return len(self.frames) // 2
        return self.position(self.apex)


@dataclasses.dataclass(frozen=True)
class Dropped:
    """A sample left out of a run, or merged into another, with why (nothing is dropped silently).

    ``stage`` says who dropped it: ``loader`` (listed but missing on disk, duplicate row merged, a
    folder that cannot be read), a rule of ``common.datasets.invariants`` (``label``, ``annotation``,
    ``frame_numbers``, ``identity``),
    ``selection`` (the paper's ``select``: emotion outside its mapping, too short for it),
    ``frames`` (fewer frames than the experiment's ``min_frames``), ``faces`` (no face, under the
    ``exclude`` faces policy).
    """

    key: str  # Sample.key (dataset/subject/clip), or the spreadsheet row when no sample was made
    reason: str
    stage: str = "loader"

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "reason": self.reason, "stage": self.stage}


class DroppedWarning(UserWarning):
    """Warned by a loader for each listed sample it skips or merges; ``common.datasets.load`` records them.

    ``quiet``: recorded but not shown (a drop by definition, e.g. a class outside the MEGC 2019
    composite, which would otherwise print a line for a hundred clips of every real run).
    """

    def __init__(self, message: str, key: str = "", quiet: bool = False, stage: str = "loader") -> None:
        super().__init__(message)
        self.key = key
        self.quiet = quiet
        self.stage = stage  # who dropped it: "loader", or the rule of common.datasets.invariants


def warn_dropped(message: str, key: str = "", stacklevel: int = 3, quiet: bool = False, stage: str = "loader") -> None:
    """``warnings.warn`` a :class:`DroppedWarning` (from a loader, about the sample ``key``)."""
    warnings.warn(DroppedWarning(message, key, quiet, stage), stacklevel=stacklevel)
