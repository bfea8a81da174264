"""The one record every loader returns (issue 2).

A ``Sample`` is one labelled expression clip of one database, read from the database's real
on-disk layout. Frame numbers (``onset``, ``apex``, ``offset``) are the database's own absolute
numbers, i.e. the integers in the frame file names, never list positions; ``frame_numbers``
gives the number of each path in ``frames`` so a position can always be recovered.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Mapping

_LAST_INT = re.compile(r"(\d+)(?!.*\d)")


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
