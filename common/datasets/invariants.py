"""What a valid sample is, stated and checked in one place, for every database.

A sample is valid when:

1. **label**: its emotion is a word of its database's own vocabulary (:data:`VOCABULARY`); a
   composite (MEGC 2019) sample is checked on its source database's label.
2. **annotation**: ``onset <= apex <= offset`` (the apex may be unknown, the offset may be unknown
   for CAS(ME)^2), and the apex lies within the clip's frames on disk.
3. **frame numbers**: no two frame files of the clip parse to the same frame number (gaps are
   allowed and recorded by the run as flags).
4. **identity**: a clip (database, subject, clip name, slot) is listed once; and no two clips hold
   byte-identical frames (first, middle and last frame files compared).
5. **frame files**: every frame decodes as an image of the format its name says (JPEG, PNG, BMP,
   TIFF), complete (no truncated file), and every frame of a clip has the same size.
6. **motion**: the clip moves between its onset and its apex: the onset frame (the clip's first,
   from which every loader lists it) and the annotated apex frame differ in at least one pixel;
   without an apex annotation, some frame differs from the first. Frames are compared decoded,
   pixel for pixel (a maximum absolute difference of 0 is no motion); no flow is computed.

What happens when a rule fails (each verdict is one :class:`Verdict`):

* rules 1-3 and a clip listed twice with the same label: the sample is **dropped** and recorded
  with its reason (stage = the rule's name) in the selection record of a run's ``results.json``
  and report, and in ``--check-data``'s listing; a clip listed twice keeps its first listing.
* a clip listed twice under two labels or two annotations (onset, apex or offset differ), or byte-identical
  frames under two labels: **refused** (``DatasetError``; one line naming both, exit status 2), since no rule
  can say which is right; byte-identical frames under one label in two places: the later one is dropped (merged).
* rule 5: **refused**, naming the file (a run stops before the face stage; ``--check-data``
  marks the database unusable and lists every such file).
* rule 6: **flagged** (kept, recorded in the run's selection record with stage ``motion``, and
  listed by ``--check-data``); **refused** by a run of an experiment whose input is the motion
  from onset to apex (``Experiment.needs_motion``: the optical-flow methods, whose input of such a
  clip is a flow of zero), naming the clip.

:func:`screen_annotations` applies rules 1-4 (key part) on what a loader returned, reading no
frame (``common.datasets.load`` calls it for every database, the MEGC composite for its
sources); :func:`frame_verdicts` and :func:`content_duplicates` read frame files (rule 5 and the
content part of rule 4): a run calls them on the samples it selected, ``--check-data`` on all;
:func:`motion_verdicts` decodes the frames it compares (rule 6), on the samples that pass rule 5.
"""
from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Iterable, Sequence

import numpy as np

from common.files import read_regular_bytes
from common.datasets.sample import Dropped, Sample, frame_number, warn_dropped
from common.datasets.tables import DatasetError
from common.preprocessing.io import frame_file_info, read_frame

if TYPE_CHECKING:  # annotations only: common.preprocessing.io imports OpenCV, loaded when frames are checked
    from common.preprocessing.io import FrameFileInfo

# The databases' own label words (lower case, as the loaders store them).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "casme2": ("happiness", "surprise", "disgust", "repression", "others", "fear", "sadness"),
    "smic": ("negative", "positive", "surprise"),
    "smic_e": ("negative", "positive", "surprise"),
    "samm": ("anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise", "other"),
    "casme_sq": ("negative", "positive", "surprise", "others"),
    "casme": ("happiness", "amusement", "surprise", "disgust", "repression", "sadness", "fear", "contempt", "tense",
              "others"),
    "casme3": ("disgust", "surprise", "others", "fear", "anger", "sad", "happy"),
    "casme3_c": ("negative", "positive", "surprise", "others"),
    "mmew": ("happiness", "surprise", "anger", "disgust", "fear", "sadness", "others"),
    "4dme": ("positive", "negative", "surprise", "repression", "others"),  # a clip may carry two: "a+b"
}
RULES = ("label", "annotation", "frame_numbers", "identity", "frame_files", "motion")  # also a recorded drop's stage


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One failed rule for one sample: ``action`` drop (recorded), refuse (the run stops) or flag
    (kept and recorded; rule 6, which the caller turns into a refusal where the method needs motion)."""

    key: str  # Sample.key
    rule: str  # one of RULES
    reason: str  # the true reason, naming the file or clip
    action: str = "drop"  # or "refuse", "flag"

    def dropped(self) -> Dropped:
        return Dropped(self.key, self.reason, self.rule)


# ----------------------------------------------------------------------------- rules 1-3 (no frame read)


def annotation_check(onset: int | None, apex: int | None, offset: int | None) -> tuple[str, tuple[str, ...]]:
    """``(why, fields)``: why ``onset``/``apex``/``offset`` (absolute frame numbers; apex/offset may be None) are not
    ordered, and the fields (``onset``, ``apex``, ``offset``) the reason is about; ``("", ())`` when they are. The one
    place the ordering rule is written: :func:`annotation_problem` and :func:`annotation_fields` read it."""
    if onset is None:
        return "no usable onset frame", ("onset",)
    if offset is not None and onset > offset:
        return f"onset {onset} is after offset {offset} (expected onset <= apex <= offset)", ("onset", "offset")
    if apex is not None and apex < onset:
        return f"apex {apex} is before onset {onset} (expected onset <= apex <= offset)", ("onset", "apex")
    if apex is not None and offset is not None and apex > offset:
        return f"apex {apex} is after offset {offset} (expected onset <= apex <= offset)", ("apex", "offset")
    return "", ()


def annotation_problem(onset: int | None, apex: int | None, offset: int | None) -> str:
    """Why ``onset``/``apex``/``offset`` are not ordered, or ``""`` (:func:`annotation_check`). Used by the loaders
    before they list a clip's frames, and by :func:`sample_verdicts`."""
    return annotation_check(onset, apex, offset)[0]


def annotation_fields(onset: int | None, apex: int | None, offset: int | None) -> tuple[str, ...]:
    """The fields (``onset``, ``apex``, ``offset``) that :func:`annotation_problem`'s reason is about, in that
    order (``()`` when there is none; :func:`annotation_check`): a loader maps them to its columns to name the
    cells of a dropped row."""
    return annotation_check(onset, apex, offset)[1]


def source_label(sample: Sample) -> str:
    """The sample's label in its own database's words (a composite keeps the original in ``meta``)."""
    return str(sample.meta.get("original_emotion", sample.emotion))


def sample_verdicts(sample: Sample) -> list[Verdict]:
    """Rules 1-3 of one sample; reads no frame."""
    found = []
    vocabulary = VOCABULARY.get(sample.dataset)
    label = source_label(sample)
    # A clip labelled with two emotions (4DME) is written "negative+surprise": each must be a word of the vocabulary.
    if vocabulary is not None and not all(part in vocabulary for part in label.split("+")):
        found.append(Verdict(sample.key, "label", f"emotion {label!r} is not a {sample.dataset} label "
                             f"(expected one of {', '.join(vocabulary)})"))
    problem = annotation_problem(sample.onset, sample.apex, sample.offset)
    numbers = sample.frame_numbers
    if not problem and sample.apex is not None and numbers and not numbers[0] <= sample.apex <= numbers[-1]:
        problem = (f"apex {sample.apex} is outside the clip's frames on disk ({numbers[0]}..{numbers[-1]}, "
                   f"in {sample.frames[0].parent})")
    if problem:
        found.append(Verdict(sample.key, "annotation", problem))
    repeated = [n for n, count in Counter(numbers).items() if count > 1]
    if repeated:
        files = [p.name for p in sample.frames if frame_number(p) == repeated[0]]
        found.append(Verdict(sample.key, "frame_numbers",
                             f"{sample.frames[0].parent}: files {' and '.join(files)} both give frame number "
                             f"{repeated[0]}" + (f" ({len(repeated) - 1} more number(s) like it)" if len(repeated) > 1
                                                 else "") + "; expected one file per frame number"))
    return found


def key_duplicates(samples: Sequence[Sample]) -> tuple[list[Verdict], list[int]]:
    """(verdicts, indices of the later listings to drop) for clips listed more than once.

    Two labels for one clip, or two annotations (onset, apex or offset differ), is a refusal (``DatasetError``
    raised here, naming both places): no rule can say which is right. A place is the label row that lists the
    clip (``meta["label_row"]``, ``<file>, row <n>``, set by the spreadsheet loaders), else its frame folder.
    """
    first: dict[str, int] = {}
    verdicts, later = [], []
    for i, sample in enumerate(samples):
        j = first.setdefault(sample.key, i)
        if j == i:
            continue
        other = samples[j]
        if other.emotion != sample.emotion:
            raise DatasetError(f"{_listed_at(sample)}: clip {sample.key} is labelled {sample.emotion!r} here and "
                               f"{other.emotion!r} at {_listed_at(other)}; expected one label per clip")
        here, there = (sample.onset, sample.apex, sample.offset), (other.onset, other.apex, other.offset)
        if here != there:
            raise DatasetError(f"{_listed_at(sample)}: clip {sample.key} is annotated onset/apex/offset "
                               f"{'/'.join(map(str, here))} here and {'/'.join(map(str, there))} at "
                               f"{_listed_at(other)}; expected one annotation per clip")
        verdicts.append(Verdict(sample.key, "identity", f"listed again at {_listed_at(sample)} with the same label "
                                f"{sample.emotion!r} as at {_listed_at(other)}; merged into the first"))
        later.append(i)
    return verdicts, later


def _place(sample: Sample) -> str:
    return str(sample.frames[0].parent) if sample.frames else sample.key


def _listed_at(sample: Sample) -> str:
    # Two listings of one clip share its frame folder: the label row tells them apart.
    return str(sample.meta.get("label_row") or _place(sample))


def screen_annotations(samples: Sequence[Sample]) -> list[Sample]:
    """``samples`` without those failing rules 1-3 or listed twice; each drop is warned as a
    ``DroppedWarning`` (stage = the rule) so ``common.datasets.load`` records it."""
    verdicts, later_listings = key_duplicates(samples)
    later = set(later_listings)
    for verdict in verdicts:
        warn_dropped(f"{verdict.key}: {verdict.reason}", verdict.key, stacklevel=3, stage=verdict.rule)
    kept = []
    for i, sample in enumerate(samples):
        if i in later:
            continue
        problems = sample_verdicts(sample)
        for verdict in problems:
            warn_dropped(f"{verdict.key}: {verdict.reason}; skipped", verdict.key, stacklevel=3, stage=verdict.rule)
        if not problems:
            kept.append(sample)
    return kept


# ----------------------------------------------------------------------------- rule 5 and content identity


def frame_verdicts(samples: Iterable[Sample]) -> list[Verdict]:
    """Rule 5 for every sample: each frame file complete, of the format its name says, and one size
    per clip (``io.frame_file_info`` reads a file's header and last bytes, never decodes it)."""
    found: list[Verdict] = []
    seen: dict[Path, FrameFileInfo] = {}
    for sample in samples:
        sizes: dict[tuple[int, int], Path] = {}
        for path in sample.frames:
            info = seen.get(path)
            if info is None:
                info = seen[path] = frame_file_info(path)
            if info.problem:
                found.append(Verdict(sample.key, "frame_files", f"{path}: {info.problem}", "refuse"))
                break
            sizes.setdefault(info.size, path)
        if len(sizes) > 1:
            (size_a, file_a), (size_b, file_b) = list(sizes.items())[:2]
            found.append(Verdict(sample.key, "frame_files",
                                 f"{file_b}: frame of {size_b[0]}x{size_b[1]} pixels, but {file_a.name} of the same "
                                 f"clip is {size_a[0]}x{size_a[1]}; expected one frame size per clip", "refuse"))
    return found


def content_fingerprint(sample: Sample) -> str:
    """A digest of the bytes of the clip's first, middle and last frame files, and their count."""
    digest = hashlib.sha1(str(len(sample.frames)).encode())
    for path in dict.fromkeys((sample.frames[0], sample.frames[len(sample.frames) // 2], sample.frames[-1])):
        try:
            digest.update(read_regular_bytes(path))
        except OSError as error:
            digest.update(f"unreadable {path}: {error}".encode())
    return digest.hexdigest()


def content_duplicates(samples: Sequence[Sample], labels: Sequence | None = None) -> tuple[list[Verdict], list[int]]:
    """(verdicts, indices to drop) for clips whose frames are byte-identical to an earlier clip's.

    ``labels``: the label of each sample as the caller uses it (a selection's class); defaults to
    ``sample.emotion``. Under two labels: a ``Verdict`` with action ``refuse``; under one: the later
    clip is dropped (merged). Two slots of one long video share no frames and are never compared equal.
    """
    labels = [s.emotion for s in samples] if labels is None else list(labels)
    first: dict[str, int] = {}
    verdicts, later = [], []
    for i, sample in enumerate(samples):
        if not sample.frames:
            continue
        j = first.setdefault(content_fingerprint(sample), i)
        if j == i:
            continue
        other = samples[j]
        if labels[j] != labels[i]:
            verdicts.append(Verdict(sample.key, "identity",
                                    f"{_place(sample)}: its frames are byte-identical to those of {other.key} "
                                    f"({_place(other)}), labelled {sample.emotion!r} here and {other.emotion!r} there; "
                                    f"expected one label per clip", "refuse"))
        else:
            verdicts.append(Verdict(sample.key, "identity",
                                    f"{_place(sample)}: its frames are byte-identical to those of {other.key} "
                                    f"({_place(other)}), same label; merged into the first"))
            later.append(i)
    return verdicts, later


@dataclasses.dataclass(frozen=True)
class FrameScreen:
    """The verdicts of rule 5 and of content identity on a list of samples (:func:`screen_frames`)."""

    kept: tuple[int, ...]  # indices of the samples that pass
    dropped: tuple[Verdict, ...]  # merged content duplicates (recorded)
    refused: tuple[Verdict, ...]  # broken frame files, mixed sizes, one content under two labels

    def refusal(self) -> str:
        """One line for the first refusal (``""`` when none)."""
        if not self.refused:
            return ""
        more = f" (and {len(self.refused) - 1} more like it)" if len(self.refused) > 1 else ""
        return f"{self.refused[0].reason} (clip {self.refused[0].key}){more}; replace or remove the clip " \
               f"(run_all.py --check-data ROOT lists them all)"


def screen_frames(samples: Sequence[Sample], labels: Sequence | None = None) -> FrameScreen:
    """Rule 5 (:func:`frame_verdicts`), then content identity (:func:`content_duplicates`) on the
    samples whose frame files pass; what a run does before its face stage, on the samples it selected."""
    refused = frame_verdicts(samples)
    broken = {v.key for v in refused}
    usable = [i for i, s in enumerate(samples) if s.key not in broken]
    labels = [s.emotion for s in samples] if labels is None else list(labels)
    verdicts, later = content_duplicates([samples[i] for i in usable], [labels[i] for i in usable])
    merged = {usable[j] for j in later}
    return FrameScreen(kept=tuple(i for i in usable if i not in merged),
                       dropped=tuple(v for v in verdicts if v.action == "drop"),
                       refused=tuple(refused) + tuple(v for v in verdicts if v.action == "refuse"))


# ----------------------------------------------------------------------------- rule 6: motion


def motion_verdict(sample: Sample) -> Verdict | None:
    """Rule 6 for one clip: ``None`` when it moves between its onset and apex, else a flag naming the frames.

    The onset is the clip's first frame (every loader lists a clip from its onset, and the flow methods
    take the first frame as the onset); the apex is the annotated one (``Sample.apex_position``). Without
    an apex annotation (SMIC-HS) every later frame is compared with the first until one differs, so a
    moving clip costs two decodes. Decoded pixels, not file bytes, are compared: two encodings of one
    image are no motion. A clip without frame files (in-memory samples of tests) is not checked.
    """
    frames = sample.frames
    if len(frames) < 2:
        return None
    place = frames[0].parent
    if sample.apex is not None:
        apex = sample.apex_position
        if apex == 0:
            return Verdict(sample.key, "motion", f"{place}: its apex frame {frames[0].name} is its onset frame "
                           f"(apex {sample.apex}, onset {sample.onset}); no motion between onset and apex", "flag")
        if np.array_equal(read_frame(frames[0]), read_frame(frames[apex])):
            return Verdict(sample.key, "motion", f"{place}: its onset frame {frames[0].name} and apex frame "
                           f"{frames[apex].name} are identical (maximum absolute difference 0); no motion between "
                           f"onset and apex", "flag")
        return None
    first = read_frame(frames[0])
    if any(not np.array_equal(first, read_frame(path)) for path in frames[1:]):
        return None
    return Verdict(sample.key, "motion", f"{place}: all {len(frames)} frames are identical to its onset frame "
                   f"{frames[0].name} (no apex annotated; maximum absolute difference 0); the clip does not move",
                   "flag")


def motion_verdicts(samples: Iterable[Sample]) -> list[Verdict]:
    """Rule 6 for every sample (:func:`motion_verdict`): the flags of the clips without motion."""
    return [v for v in (motion_verdict(s) for s in samples) if v is not None]


def motion_refusal(verdicts: Sequence[Verdict], who: str) -> str:
    """One line refusing the motionless clips ``verdicts`` for ``who`` (``paper/experiment``), or ``""``."""
    if not verdicts:
        return ""
    more = f" (and {len(verdicts) - 1} more like it)" if len(verdicts) > 1 else ""
    return (f"{verdicts[0].reason} (clip {verdicts[0].key}){more}; {who} reads the motion from onset to apex "
            f"(Experiment.needs_motion), which such a clip does not have; correct its onset and apex or remove the "
            f"clip (run_all.py --check-data ROOT lists them all)")
