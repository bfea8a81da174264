"""The MEGC 2019 composite (See et al., FG 2019 challenge): SMIC-HS + CASME II + SAMM in 3 classes.

docs/databases.md §5. With the official ``combined_3class_gt.csv`` (no header, CRLF; ``s01`` for SMIC
folder ``s1``, ``6`` for SAMM ``006``) under the root, or given as ``gt_csv=``, its rows are the
composite. Otherwise the composite is derived by the challenge rules below, minus the clips that
``data/corrections.csv`` excludes for ``megc2019`` (the three CASME II clips the official list drops).
Samples keep their source ``dataset``; ``emotion`` is the composite class, the original in ``meta``.
"""
from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

from common.files import bounded_lines, open_regular
from common.datasets import casme2, discovery, released, samm, smic
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.invariants import screen_annotations
from common.datasets.released import composite_names
from common.datasets.sample import Sample, warn_dropped
from common.datasets.tables import DatabaseNotFound, DatasetError, bounded_rows

CLASSES = ("negative", "positive", "surprise")  # csv classes 0, 1, 2
GT_CSV = re.compile(r"^combined_3class_gt.*\.csv$", re.IGNORECASE)
SOURCES = ("smic", "casme2", "samm")
SCOPES = ("all",) + SOURCES  # what a composite run is scored on: all of it, then each database
# MEGC 2019 recognition-challenge document: negative = Repression, Anger, Contempt, Disgust, Fear, Sadness;
# positive = Happiness; surprise = Surprise; others dropped. Footnote: CASME II negative is disgust +
# repression only (CASME II fear and sadness are not used). SMIC keeps its own three classes.
# The composite on the real data (docs/databases.md §5.1): each database's subjects and clips (68 subjects, 442 clips)
REAL_COUNTS = {"smic": (16, 164), "casme2": (24, 145), "samm": (28, 133)}
RULES = {
    "casme2": {"disgust": "negative", "repression": "negative", "happiness": "positive", "surprise": "surprise"},
    "samm": {"anger": "negative", "contempt": "negative", "disgust": "negative", "fear": "negative",
             "sadness": "negative", "happiness": "positive", "surprise": "surprise"},
    "smic": {"negative": "negative", "positive": "positive", "surprise": "surprise"},
}


def find_gt_csv(root: Path) -> Path | None:
    hits = discovery.find_files(root, GT_CSV)
    # The plain combined_3class_gt.csv is complete; the "-2" copy lacks samm,32,032_3_1 (docs/databases.md §5.1).
    return sorted(hits, key=lambda p: (p.stem.lower() != "combined_3class_gt", p.name))[0] if hits else None


def read_gt_csv(path: Path) -> list[tuple[str, str, str, str]]:
    """(database, normalised subject, on-disk clip name, class) per row of the official list.

    A repeated row is merged into the first (a ``DroppedWarning`` says so); a clip listed twice
    with two classes is a ``DatasetError`` naming both lines.
    """
    rows = []
    try:
        with open_regular(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            lines = bounded_rows(csv.reader(bounded_lines(handle)), path)
    except (OSError, ValueError, csv.Error) as error:  # ValueError: not UTF-8 text, a line too long (LineTooLong)
        raise DatasetError(f"{path}: cannot read the MEGC ground-truth csv ({error})") from None
    seen: dict[tuple[str, str, str], tuple[int, str]] = {}  # (db, subject, clip) -> (line, class)
    for line, row in enumerate(lines, start=1):
        row = [c.strip() for c in row]
        if not any(row):
            continue  # the "-2" copy has a ",,," line after every row
        if len(row) < 4 or row[0].lower() not in SOURCES or row[3] not in ("0", "1", "2"):
            raise DatasetError(f"{path}, line {line}: expected 'database,subject,clip,class' with database in "
                               f"{'/'.join(SOURCES)} and class 0/1/2, got {','.join(row)!r}")
        db, subject, clip = composite_names(row[0], row[1], row[2])
        label = CLASSES[int(row[3])]
        first = seen.get((db, subject, clip))
        if first is not None:  # a repeated row would make a duplicate sample
            if first[1] != label:
                raise DatasetError(f"{path}, line {line}: {db} {subject}/{clip} is listed again with class "
                                   f"{label!r}, but line {first[0]} gives {first[1]!r}; expected one class per clip")
            warn_dropped(f"{path}, line {line}: duplicate row for {db} {subject}/{clip} (same class as line "
                         f"{first[0]}); merged", f"{db}/{subject}/{clip}")
            continue
        seen[(db, subject, clip)] = (line, label)
        rows.append((db, subject, clip, label))
    return rows


def _composite(sample: Sample, label: str) -> Sample:
    meta = dict(sample.meta, original_emotion=sample.emotion, composite="megc2019")
    return dataclasses.replace(sample, emotion=label, meta=meta)


def load(root, gt_csv=None, cropped: bool = True, corrections=True) -> list[Sample]:
    """The composite: from the official csv when present (or ``gt_csv=``), else by the rules above; where the
    root holds none of the three databases but the authors' released inputs (``common.datasets.released``:
    HTNet's or STSTNet's tree), their 442 clips, without frames."""
    root = discovery.check_root(root)
    try:
        # Each source screened as common.datasets.load screens it (what a valid sample is: invariants).
        sources = {"smic": screen_annotations(smic.load(root, cropped=cropped, corrections=corrections)),
                   "casme2": screen_annotations(casme2.load(root, cropped=cropped, corrections=corrections)),
                   "samm": screen_annotations(samm.load(root, corrections=corrections))}
    except DatabaseNotFound as absent:
        try:  # the released inputs; a released tree that is incomplete (HTNet's csv without its flow images) is
            return released.load(root)  # refused naming what it lacks, not the databases' layout
        except DatabaseNotFound:
            raise absent from None
    # gt_csv: None = use the official csv when one is under root; a path = that file; False = derive.
    csv_path = None if gt_csv is False else Path(gt_csv) if gt_csv is not None else find_gt_csv(root)
    if csv_path is not None:
        if not csv_path.is_file():
            raise DatasetError(f"{csv_path}: expected the MEGC 2019 combined_3class_gt.csv here; not found")
        index = {(s.dataset, s.subject, s.clip): s for samples in sources.values() for s in samples}
        composite = []
        for db, subject, clip, label in read_gt_csv(csv_path):
            sample = index.get((db, subject, clip))
            if sample is None:
                warn_dropped(f"{csv_path}: {db} {subject}/{clip} is in the MEGC list but was not loaded "
                              f"(missing on disk or in the spreadsheet); skipped", f"{db}/{subject}/{clip}")
                continue
            composite.append(_composite(sample, label))
        return composite
    table = read_corrections(corrections)
    composite = []
    for db in SOURCES:
        kept = apply_corrections(sources[db], table, "megc2019")
        for s in kept:
            if s.emotion in RULES[db]:
                composite.append(_composite(s, RULES[db][s.emotion]))
            else:  # recorded (quietly: a hundred clips on the real data), never silent
                warn_dropped(f"{s.key}: emotion {s.emotion!r} is not in the MEGC 2019 composite's {db} classes "
                             f"({', '.join(sorted(RULES[db]))})", s.key, quiet=True)
    return composite
