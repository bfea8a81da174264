"""The people behind the clips: which subjects of two databases are one person (docs/databases.md §13).

A composite of several databases must keep each person on one side of every fold. Two subject names are one
person when

1. a paper documents it: a row of ``data/shared_subjects.csv`` (database and subject on either side, the reason
   and the source; ``*`` for both subjects: every subject of the one is the subject of the same number in the
   other), or
2. their clips hold byte-identical frame files: the first, middle and last frame file of every clip are hashed
   (SHA-1 of the bytes, read once a process and file), and two subjects that share a digest share a recording.

:func:`person_groups` joins the subject names that either links (union-find) and gives each sample its person;
:func:`links` lists every link with its reason, for ``--check-data``. Written here: no library tells which
recordings of two databases are the same.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
from pathlib import Path
from collections.abc import Iterable, Sequence

from common.files import read_regular_bytes
from common.datasets.sample import Sample
from common.datasets.tables import DatasetError

SHARED_CSV = Path(__file__).resolve().parent / "data" / "shared_subjects.csv"
COLUMNS = ("dataset_a", "subject_a", "dataset_b", "subject_b", "reason", "source")


@dataclasses.dataclass(frozen=True)
class Link:
    """Two subjects (``dataset/subject``) that are one person, and why."""

    a: str
    b: str
    reason: str


def read_shared(path: str | Path | None = None) -> list[tuple[str, str, str, str, str]]:
    """The rows of ``data/shared_subjects.csv`` (or ``path``): (dataset_a, subject_a, dataset_b, subject_b, reason)."""
    path = SHARED_CSV if path is None else Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the shared-subjects table ({error})") from None
    if rows and set(COLUMNS) - set(rows[0]):
        raise DatasetError(f"{path}: expected the columns {', '.join(COLUMNS)}")
    return [(r["dataset_a"], r["subject_a"], r["dataset_b"], r["subject_b"], f"{r['reason']} ({r['source']})")
            for r in rows]


def _same_subject(subject: str, row_subject: str) -> bool:
    """A row's subject names one subject (``s1``) or, as ``s<n>``-style rules do, every subject whose number is the
    same (``s1`` = ``s01``): names compare by their letters and the value of their number."""
    def parts(text: str) -> tuple[str, int | None]:
        match = re.fullmatch(r"([^0-9]*?)0*([0-9]+)", text)
        return (match.group(1).lower(), int(match.group(2))) if match else (text.lower(), None)
    return parts(subject) == parts(row_subject)


def documented_links(samples: Sequence[Sample], path: str | Path | None = None) -> list[Link]:
    """The table's links between subjects present in ``samples``; a row with ``*`` for both subjects links the
    subjects of the same number (``s1`` = ``s01``)."""
    people = {(s.dataset, s.subject) for s in samples}
    found = []
    for dataset_a, subject_a, dataset_b, subject_b, reason in read_shared(path):
        rule = subject_a == subject_b == "*"
        for d1, s1 in sorted(people):
            if d1 != dataset_a or not (rule or _same_subject(s1, subject_a)):
                continue
            for d2, s2 in sorted(people):
                if d2 == dataset_b and (_same_subject(s2, s1) if rule else _same_subject(s2, subject_b)):
                    found.append(Link(f"{d1}/{s1}", f"{d2}/{s2}", reason))
    return found


_DIGESTS: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> SHA-1 of its bytes


def _digest(path: Path) -> str | None:
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in _DIGESTS:
            _DIGESTS[key] = hashlib.sha1(read_regular_bytes(path)).hexdigest()
        return _DIGESTS[key]
    except OSError:
        return None  # an unreadable file links nothing; the frame checks name it


def frame_links(samples: Iterable[Sample]) -> list[Link]:
    """Links between subjects whose clips hold a byte-identical frame file (first, middle or last of a clip)."""
    first_seen: dict[str, tuple[str, Path]] = {}
    found: dict[tuple[str, str], Link] = {}
    for sample in samples:
        person = f"{sample.dataset}/{sample.subject}"
        frames = sample.frames
        for path in dict.fromkeys((frames[0], frames[len(frames) // 2], frames[-1])) if frames else ():
            digest = _digest(Path(path))
            if digest is None:
                continue
            other, other_path = first_seen.setdefault(digest, (person, Path(path)))
            pair = (min(person, other), max(person, other))
            if other != person and pair not in found:
                found[pair] = Link(pair[0], pair[1], f"identical frame files {other_path} and {path}")
    return list(found.values())


def links(samples: Sequence[Sample], path: str | Path | None = None) -> list[Link]:
    """Every link between the subjects of ``samples``: documented, then by identical frames. The MEGC 2019
    composite's samples are its sources' (same dataset and subject names), so nothing links them to themselves."""
    return documented_links(samples, path) + frame_links(samples)


def person_groups(samples: Sequence[Sample], path: str | Path | None = None) -> list[str]:
    """Each sample's person: its ``dataset/subject``, or the names it is linked to (:func:`links`) joined by ``+``
    in sorted order (``casme2/sub01+casme3/spNO.5``): the groups of a leave-one-person-out protocol."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    names = [f"{s.dataset}/{s.subject}" for s in samples]
    for name in names:
        root(name)
    for link in links(samples, path):
        a, b = root(link.a), root(link.b)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for name in sorted(parent):
        members.setdefault(root(name), []).append(name)
    return ["+".join(members[root(name)]) for name in names]
