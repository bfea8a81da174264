"""The synthetic corpus plan: which subjects, clips, emotions and frame numbers each database gets.

A plan is pure data (no pixels): ``layouts.py`` writes it in the real on-disk layouts and the faces
come from ``faces.py``. Three shapes:

* ``smoke``: seconds to write; 3 subjects per database, each with every label the papers map
  (CASME II happiness/surprise/disgust/repression/others, SAMM anger/happiness/surprise/contempt/
  other/disgust, SMIC negative/positive/surprise), 18-22 frames at 160x160; CAS(ME)^2 2 subjects
  with ~110-frame long videos at 192x160 for the anger1/happy1/disgust1 stimuli.
* ``default`` (the demo): 4 subjects per database (12 MEGC LOSO folds), 9-10 clips each balanced
  over the MEGC classes plus other labels, 30-50 frames at 256x256; CAS(ME)^2 4 subjects with 3
  long videos of 200 frames at 320x240 and 3 coded expressions each (micro ones <= 17 frames).
* ``mirror=True``: the real subject and class counts (docs/databases.md §1.5, 2.1, 3.2, 4.2, 5.1) at the
  frame size of ``size``; with ``smoke`` 18-22 frames per clip at 64x64 (long videos 48 frames at 96x80)
  so a test can write all 580 clips and 95 long videos in seconds.
* CASME, CAS(ME)^3 parts A and C, MMEW and 4DME (``EXTRA``, docs/databases.md §9-12), in ``smoke`` and ``default``
  but not in ``mirror``: 2 subjects each (3 in ``default``), every MEGC class per subject and one label the
  MEGC classes leave out, 12-14 frames at 96x96 (``default``: 20-30 at 128x128).

Nothing but the rendered motion reveals a class: clip numbers, frame numbers and subjects are drawn
independently of the label (SMIC and CAS(ME)^2 names carry the class in the real layouts too).
"""
from __future__ import annotations

import dataclasses
import zlib

import numpy as np

SIZES = ("smoke", "default")
FPS = {"casme2": 200.0, "smic": 100.0, "samm": 200.0, "casme_sq": 30.0,  # docs/databases.md §1.2, 2.1, 3.1, 4.1
       "casme": 60.0, "casme3": 30.0, "casme3_c": 30.0, "mmew": 90.0, "4dme": 60.0}  # §9.1, 10.1, 11.1, 12.1
# Face-identity offsets so no two databases share a synthetic person.
IDENTITY_OFFSET = {"casme2": 0, "smic": 100, "samm": 200, "casme_sq": 300, "casme": 400, "casme3": 500,
                   "casme3_c": 600, "mmew": 700, "4dme": 800}
# The databases the smoke and default plans add beside the five above, with the labels each subject shows: every
# MEGC class and one label outside them (4DME's a clip with two emotions), in the database's own words.
EXTRA = {"casme": ("disgust", "happiness", "surprise", "tense"),
         "casme3": ("disgust", "happy", "surprise", "others"),
         "casme3_c": ("negative", "positive", "surprise", "others"),
         "mmew": ("anger", "happiness", "surprise", "others"),
         "4dme": ("negative", "positive", "surprise", "negative+surprise")}
# The label faces.py renders (and AUS codes) for a label of these databases it does not know by that name.
RENDERED = {"tense": "others", "amusement": "happiness", "negative+surprise": "surprise", "happy": "happiness",
            "sad": "sadness"}


@dataclasses.dataclass(frozen=True)
class SizeSpec:
    name: str
    face: tuple[int, int]  # (width, height) of CASME II / SMIC / SAMM frames
    clip_frames: tuple[int, int]  # inclusive range of frames per clip
    video: tuple[int, int]  # (width, height) of CAS(ME)^2 long videos
    video_frames: int  # frames per CAS(ME)^2 long video
    smic_pad: int  # neutral frames before/after the SMIC-HS part of a SMIC-HS-E long clip
    extra_face: tuple[int, int] = (96, 96)  # (width, height) of the EXTRA databases' frames
    extra_frames: tuple[int, int] = (12, 14)  # inclusive range of their frames per clip
    extra_subjects: int = 0  # subjects per EXTRA database (0: none written)


SIZE_SPECS = {
    "smoke": SizeSpec("smoke", (160, 160), (18, 22), (192, 160), 110, 4, extra_subjects=2),  # >= 18: Reddy's SMIC
    "default": SizeSpec("default", (256, 256), (30, 50), (320, 240), 200, 10, (128, 128), (20, 30), 3),
    # Mirror at smoke size is the real-shape test corpus (tests/test_real_shape.py): the real counts, small
    # frames (64 px is the faces' minimum), and as many frames per clip as smoke (>= 18: Reddy's SMIC rule),
    # long videos that hold Reddy's smoke 20-frame windows.
    "mirror-smoke": SizeSpec("mirror-smoke", (64, 64), (18, 22), (96, 80), 48, 1),
    "mirror-default": SizeSpec("mirror-default", (256, 256), (30, 50), (320, 240), 200, 10),
}


@dataclasses.dataclass(frozen=True)
class Clip:
    """One expression clip of CASME II, SMIC-HS (with its SMIC-HS-E long clip) or SAMM."""

    dataset: str  # casme2 | smic | samm
    subject: str  # normalised: sub01, s1, 006
    clip: str
    emotion: str  # the database's label, lower case
    onset: int  # absolute frame numbers
    apex: int
    offset: int
    action_units: str
    identity: int  # face identity index for faces.make_subject
    apex_cell: str | None = None  # spreadsheet quirk written instead of the apex ("/")
    long_first: int = 0  # SMIC-HS-E: first frame number of the long clip (0 = not SMIC)
    long_last: int = 0
    # SMIC-HS-E: a 2nd micro-expression (onset, apex, offset) in the long clip
    second: tuple[int, int, int] | None = None
    video: str = ""  # CAS(ME)^3: the video (part A's a..m, part C's a) holding the clip among others

    @property
    def rendered(self) -> str:
        """The emotion ``faces.py`` renders for the label."""
        return RENDERED.get(self.emotion, self.emotion)

    @property
    def first(self) -> int:
        """First frame number written (the long clip's for SMIC)."""
        return self.long_first or self.onset

    @property
    def last(self) -> int:
        return self.long_last or self.offset


@dataclasses.dataclass(frozen=True)
class Expression:
    """One coded CAS(ME)^2 expression inside a long video."""

    expression_id: str  # anger1_1
    onset: int  # 1-based frame numbers (img001 = 1)
    apex: int
    offset: int  # true offset (rendered)
    offset_cell: int  # what the code file says (0 = unknown)
    action_units: str
    category: str  # negative | positive | surprise | others
    kind: str  # micro | macro
    self_report: str
    render: str  # the emotion rendered


@dataclasses.dataclass(frozen=True)
class Video:
    """One CAS(ME)^2 long video ``rawpic/s15/15_0401girlcrashing``."""

    subject: str  # s15
    participant: int  # 1 (naming rule 1)
    code: str  # 0401
    folder_name: str  # girlcrashing
    rule_name: str  # anger1
    n_frames: int
    expressions: tuple[Expression, ...]
    identity: int


@dataclasses.dataclass(frozen=True)
class Plan:
    size: SizeSpec
    seed: int
    mirror: bool
    clips: tuple[Clip, ...]
    videos: tuple[Video, ...]
    samm_padding: dict  # subject -> 4 or 5 digits

    def of(self, dataset: str) -> list[Clip]:
        return [c for c in self.clips if c.dataset == dataset]


# CAS(ME)^2 naming rules (docs/databases.md §4.1/4.2): stimulus code, folder suffix, naming-rule-2 name.
STIMULI = (("0101", "disgustingteeth", "disgust1"), ("0102", "eatingworms", "disgust2"),
           ("0401", "girlcrashing", "anger1"), ("0402", "beatingpregnantwoman", "anger2"),
           ("0502", "funnyerrors", "happy1"), ("0503", "unnyfarting", "happy2"), ("0505", "funnyinnovations", "happy3"),
           ("0507", "climbingthewall", "happy4"), ("0508", "funnydunkey", "happy5"))
CASME_SQ_SUBJECTS = (15, 16, 19, 20, 21, 22, 23, 24, 25, 26, 27, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 40)
STIMULUS_EMOTION = {"anger": ("negative", "anger", "anger"), "disgust": ("negative", "disgust", "disgust"),
                    "happy": ("positive", "happiness", "happiness")}  # category, self-report, rendered emotion

# Real counts (docs/databases.md): CASME II 1.5 (bob, 257 rows), SMIC-HS 2.1, SAMM 3.2, CAS(ME)^2 4.2, MEGC 5.1.
CASME2_CLASSES = {"others": 99, "disgust": 63, "happiness": 33, "repression": 27, "surprise": 25, "sadness": 8,
                  "fear": 2}
CASME2_PER_SUBJECT = (9, 13, 7, 5, 19, 5, 9, 3, 15, 14, 10, 12, 8, 4, 3, 4, 36, 3, 16, 11, 2, 2, 12, 11, 7, 17)
CASME2_NOT_IN_MEGC = ("sub10", "sub18")  # docs/databases.md §5.1: CASME II sub10 and sub18 are absent from MEGC
# The three clips MEGC drops (data/corrections.csv) with the labels and apex quirks they have in the real coding file.
CASME2_DROPPED = (("sub04", "EP12_01f", "disgust", "/"), ("sub09", "EP02_02f", "happiness", "/"),
                  ("sub05", "EP09_05f", "disgust", "onset"))
SMIC_SUBJECTS = (1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20)
SMIC_CLASSES = {"negative": 70, "positive": 51, "surprise": 43}
SAMM_MEGC_SUBJECTS = (6, 7, *range(9, 25), 26, 28, *range(30, 38))
SAMM_EXTRA_SUBJECT = 25  # DEVIATION: Iced counts 29 SAMM subjects, MEGC 28; which one has only "Other" clips is unknown
SAMM_APEX_QUIRKS = {"028": "028_4_1", "032": "032_3_1"}  # apex outside onset..offset (docs/databases.md §3.2)
SAMM_CLASSES = {"anger": 57, "contempt": 12, "disgust": 9, "fear": 8, "happiness": 26, "other": 26, "sadness": 6,
                "surprise": 15}
CASME_SQ_COUNTS = {"videos": 95, "macro": 300, "micro": 57, "offset_unknown": 44}
MEGC_CLASS = {
    "casme2": {"disgust": "negative", "repression": "negative", "happiness": "positive", "surprise": "surprise"},
    "smic": {"negative": "negative", "positive": "positive", "surprise": "surprise"},
    "samm": {"anger": "negative", "contempt": "negative", "disgust": "negative", "fear": "negative",
             "sadness": "negative", "happiness": "positive", "surprise": "surprise"},
}

AUS = {  # plausible codes per label, in each database's notation (docs/databases.md §1.4, 3.2)
    "happiness": ("12", "6+12", "R12"), "surprise": ("1+2", "1+2+25"), "disgust": ("4+L10", "9", "4+9"),
    "repression": ("14", "L14+L15", "15+17"), "others": ("4", "L10", "?"), "fear": ("1+2+4+20",),
    "sadness": ("1+4+15",), "anger": ("4+7", "4 or 7", "R4+23"), "contempt": ("R14", "L14"), "other": ("L14", "45"),
    "negative": ("4",), "positive": ("12",),
}
SMIC_CODES = {"negative": "ne", "positive": "po", "surprise": "sur"}


def clip_seed(seed: int, *parts) -> int:
    """A stable per-clip seed from the corpus seed and the clip's identity (never its label)."""
    return zlib.crc32("/".join(map(str, (seed, *parts))).encode()) & 0x7FFFFFFF


def _timing(rng: np.random.Generator, spec: SizeSpec, start_low: int, start_high: int) -> tuple[int, int, int]:
    n = int(rng.integers(spec.clip_frames[0], spec.clip_frames[1] + 1))
    onset = int(rng.integers(start_low, start_high))
    apex = onset + int(round((n - 1) * rng.uniform(0.3, 0.6)))
    return onset, apex, onset + n - 1


def _distribute(per_subject: dict[str, int], totals: dict[str, int], rng: np.random.Generator,
                composite: set[str], outside: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Labels per subject with the given per-subject and per-label totals; subjects in ``outside`` get
    only labels outside ``composite``, every other subject at least one composite label."""
    pool = [label for label, n in totals.items() for _ in range(n)]
    if sum(per_subject.values()) != len(pool):
        raise ValueError(f"{sum(per_subject.values())} clip slots for {len(pool)} labels")
    rng.shuffle(pool)
    labels: dict[str, list[str]] = {s: [] for s in per_subject}

    def take(subject: str, want_composite: bool) -> None:
        index = next(i for i, label in enumerate(pool) if (label in composite) == want_composite)
        labels[subject].append(pool.pop(index))

    for subject in outside:
        for _ in range(per_subject[subject]):
            take(subject, False)
    for subject, n in per_subject.items():
        if subject not in outside and n:
            take(subject, True)
    for subject, n in per_subject.items():
        while len(labels[subject]) < n:
            labels[subject].append(pool.pop())
    return labels


def _casme2_names(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    """Irregular CASME II Filenames (EP02_01f, EP03_02, EP01_2, EP09f, EP06_02_01), drawn independently of labels."""
    names: list[str] = []
    while len(names) < n:
        episode, index = int(rng.integers(1, 20)), int(rng.integers(1, 12))
        style = int(rng.integers(0, 10))
        if style < 5:
            name = f"EP{episode:02d}_{index:02d}f"
        elif style < 8:
            name = f"EP{episode:02d}_{index:02d}"
        elif style == 8:
            name = f"EP{episode:02d}_{index}"
        else:
            name = f"EP{episode:02d}f" if index < 6 else f"EP{episode:02d}_02_{index:02d}"
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def _casme2(spec: SizeSpec, mirror: bool, rng: np.random.Generator, seed: int) -> list[Clip]:
    if mirror:
        subjects = {f"sub{i:02d}": n for i, n in enumerate(CASME2_PER_SUBJECT, start=1)}
        totals = dict(CASME2_CLASSES)
        for subject, _, label, _ in CASME2_DROPPED:
            subjects[subject] -= 1
            totals[label] -= 1
        labels = _distribute(subjects, totals, rng, set(MEGC_CLASS["casme2"]), CASME2_NOT_IN_MEGC)
    elif spec.name == "smoke":
        labels = {f"sub{i:02d}": ["happiness", "surprise", "disgust", "repression", "others"] for i in (1, 2, 3)}
    else:
        extra = ("fear", "sadness")
        labels = {f"sub{i:02d}": ["happiness", "happiness", "surprise", "surprise", "disgust", "disgust",
                                  "repression", "others", extra[i % 2]] for i in (1, 2, 3, 4)}
    clips = []
    for number, (subject, subject_labels) in enumerate(labels.items()):
        order = rng.permutation(len(subject_labels))
        taken = {name for s, name, _, _ in CASME2_DROPPED if s == subject}
        names = _casme2_names(rng, len(subject_labels), taken)
        for name, k in zip(names, order):
            onset, apex, offset = _timing(rng, spec, 1, 300)
            label = subject_labels[k]
            clips.append(Clip("casme2", subject, name, label, onset, apex, offset,
                              str(rng.choice(AUS[label])), IDENTITY_OFFSET["casme2"] + number))
        if mirror:
            for s, name, label, quirk in CASME2_DROPPED:
                if s == subject:
                    onset, apex, offset = _timing(rng, spec, 1, 300)
                    clips.append(Clip("casme2", subject, name, label, onset, apex, offset,
                                      str(rng.choice(AUS[label])), IDENTITY_OFFSET["casme2"] + number,
                                      apex_cell=str(onset) if quirk == "onset" else quirk))
    if not mirror:  # one '/' apex cell (docs/databases.md §1.4), on a clip chosen without regard to its label
        k = int(rng.integers(len(clips)))
        clips[k] = dataclasses.replace(clips[k], apex_cell="/")
    return sorted(clips, key=lambda c: (c.subject, c.clip))


def _smic(spec: SizeSpec, mirror: bool, rng: np.random.Generator, seed: int) -> list[Clip]:
    if mirror:
        base, extra = divmod(sum(SMIC_CLASSES.values()), len(SMIC_SUBJECTS))
        per_subject = {f"s{s}": base + (i < extra) for i, s in enumerate(SMIC_SUBJECTS)}
        labels = _distribute(per_subject, SMIC_CLASSES, rng, set(SMIC_CLASSES))
    elif spec.name == "smoke":
        labels = {f"s{i}": ["negative", "positive", "surprise"] for i in (1, 2, 3)}
    else:
        labels = {f"s{i}": ["negative", "positive", "surprise"] * 3 for i in (1, 2, 3, 4)}
    clips = []
    for number, (subject, subject_labels) in enumerate(labels.items()):
        counters = dict.fromkeys(SMIC_CODES, 0)
        for label in subject_labels:
            counters[label] += 1
            n = int(rng.integers(spec.clip_frames[0], spec.clip_frames[1] + 1))
            long_first = int(rng.integers(10_000, 900_000))
            onset = long_first + spec.smic_pad
            offset = onset + n - 1
            clips.append(Clip("smic", subject, f"{subject}_{SMIC_CODES[label]}_{counters[label]:02d}", label, onset,
                              (onset + offset) // 2, offset, "", IDENTITY_OFFSET["smic"] + number,
                              long_first=long_first, long_last=offset + spec.smic_pad))
    # SMIC-HS-E rows may hold up to 3 micro-expressions: give the first long clip a second one after the first.
    first = clips[0]
    n = max(3, spec.clip_frames[0] // 2)
    onset = first.long_last + 2
    clips[0] = dataclasses.replace(first, long_last=onset + n - 1 + spec.smic_pad,
                                   second=(onset, onset + n // 2, onset + n - 1))
    return clips


def _samm(spec: SizeSpec, mirror: bool, rng: np.random.Generator, seed: int) -> list[Clip]:
    if mirror:
        total = sum(SAMM_CLASSES.values())
        extra_clips = 2
        base, extra = divmod(total - extra_clips, len(SAMM_MEGC_SUBJECTS))
        per_subject = {f"{s:03d}": base + (i < extra) for i, s in enumerate(SAMM_MEGC_SUBJECTS)}
        per_subject[f"{SAMM_EXTRA_SUBJECT:03d}"] = extra_clips
        labels = _distribute(per_subject, SAMM_CLASSES, rng, set(MEGC_CLASS["samm"]), (f"{SAMM_EXTRA_SUBJECT:03d}",))
    elif spec.name == "smoke":
        labels = {s: ["anger", "happiness", "surprise", "contempt", "other", "disgust"] for s in ("006", "007", "009")}
    else:
        extra_labels = ("fear", "sadness")
        labels = {s: ["anger", "anger", "happiness", "happiness", "surprise", "surprise", "contempt", "disgust",
                      "other", extra_labels[i % 2]] for i, s in enumerate(("006", "007", "009", "010"))}
    clips = []
    for number, subject in enumerate(sorted(labels)):
        subject_labels = labels[subject]
        order = rng.permutation(len(subject_labels))
        inducements = rng.integers(1, 8, size=len(subject_labels))
        quirk = SAMM_APEX_QUIRKS.get(subject) if mirror else None
        counters: dict[int, int] = {int(quirk.split("_")[1]): 1} if quirk else {}
        for i, (k, inducement) in enumerate(zip(order, inducements)):
            counters[int(inducement)] = counters.get(int(inducement), 0) + 1
            label = subject_labels[k]
            onset, apex, offset = _timing(rng, spec, 1000, 9000)
            name = f"{subject}_{inducement}_{counters[int(inducement)]}"
            apex_cell = None
            if quirk and i == 0:  # the real sheet's apex lies outside onset..offset here (data/corrections.csv)
                name, apex_cell = quirk, str(offset + 3)
            clips.append(Clip("samm", subject, name, label, onset, apex, offset, str(rng.choice(AUS[label])),
                              IDENTITY_OFFSET["samm"] + number, apex_cell=apex_cell))
    return clips


def _casme_sq(spec: SizeSpec, mirror: bool, rng: np.random.Generator, seed: int) -> list[Video]:
    if mirror:
        n_subjects = len(CASME_SQ_SUBJECTS)
        base, extra = divmod(CASME_SQ_COUNTS["videos"], n_subjects)
        per_subject = [base + (i < extra) for i in range(n_subjects)]
        stimuli = [[STIMULI[j] for j in sorted(rng.choice(len(STIMULI), n, replace=False))] for n in per_subject]
        n_expressions = CASME_SQ_COUNTS["macro"] + CASME_SQ_COUNTS["micro"]
        counts = np.full(CASME_SQ_COUNTS["videos"], n_expressions // CASME_SQ_COUNTS["videos"])
        counts[rng.permutation(len(counts))[: n_expressions % len(counts)]] += 1
        kinds = ["micro"] * CASME_SQ_COUNTS["micro"] + ["macro"] * CASME_SQ_COUNTS["macro"]
        rng.shuffle(kinds)
    else:
        n_subjects = 2 if spec.name == "smoke" else 4
        chosen = [s for s in STIMULI if s[2] in ("anger1", "happy1", "disgust1")]
        stimuli = [chosen for _ in range(n_subjects)]
        per_video = 2 if spec.name == "smoke" else 3
        counts = np.full(n_subjects * len(chosen), per_video)
        kinds = (["micro", "macro"] + ["macro"] * (per_video - 2)) * len(counts)
    n_rows = int(counts.sum())
    unknown_offsets = set(rng.choice([i for i, k in enumerate(kinds) if k == "macro"],
                                     CASME_SQ_COUNTS["offset_unknown"] if mirror else max(1, n_rows // 12),
                                     replace=False))
    videos, row = [], 0
    video_index = 0
    for number in range(n_subjects):
        folder = CASME_SQ_SUBJECTS[number]
        per_stimulus: dict[str, int] = {}
        for code, suffix, rule_name in stimuli[number]:
            k = int(counts[video_index])
            video_index += 1
            window = spec.video_frames // k
            category, self_report, render = STIMULUS_EMOTION[rule_name.rstrip("0123456789")]
            expressions = []
            for j in range(k):
                kind = kinds[row]
                fraction = rng.uniform(0.3, 0.6) if kind == "micro" else rng.uniform(0.5, 0.85)
                length = max(3, int(window * fraction))
                if kind == "micro":
                    length = min(length, 17)  # micro rows are at most 17 frames (docs/databases.md §4.2)
                onset = 1 + j * window + int(rng.integers(0, window - length + 1))
                apex = onset + int(round((length - 1) * rng.uniform(0.3, 0.6)))
                offset = onset + length - 1
                per_stimulus[rule_name] = per_stimulus.get(rule_name, 0) + 1
                expressions.append(Expression(
                    f"{rule_name}_{per_stimulus[rule_name]}", onset, apex, offset,
                    0 if row in unknown_offsets else offset, str(rng.choice(AUS[render])), category, kind,
                    self_report, render))
                row += 1
            videos.append(Video(f"s{folder}", number + 1, code, suffix, rule_name, spec.video_frames,
                                tuple(expressions), IDENTITY_OFFSET["casme_sq"] + number))
    return videos


def _extra(spec: SizeSpec, rng: np.random.Generator) -> list[Clip]:
    """The EXTRA databases' clips: ``spec.extra_subjects`` subjects each, the labels of :data:`EXTRA` in an order
    drawn per subject, frame numbers drawn independently of the label."""
    clips = []
    for dataset, labels in EXTRA.items():
        for number in range(spec.extra_subjects):
            order = rng.permutation(len(labels))
            video_frame = int(rng.integers(100, 2000))  # CAS(ME)^3: the clips follow each other in one video
            for k, index in enumerate(order):
                label = labels[index]
                n = int(rng.integers(spec.extra_frames[0], spec.extra_frames[1] + 1))
                if dataset == "mmew":
                    onset = 1 + int(rng.integers(0, 3))  # MMEW clips are numbered from 1
                elif dataset in ("casme3", "casme3_c"):
                    onset = video_frame
                    video_frame += n + int(rng.integers(5, 40))
                else:
                    onset = int(rng.integers(1, 300))
                apex = onset + int(round((n - 1) * rng.uniform(0.3, 0.6)))
                subject, clip, video = _extra_names(dataset, number, k, label, onset, rng)
                clips.append(Clip(dataset, subject, clip, label, onset, apex, onset + n - 1,
                                  str(rng.choice(AUS[RENDERED.get(label, label)])),
                                  IDENTITY_OFFSET[dataset] + number, video=video))
    return clips


def _extra_names(dataset: str, number: int, k: int, label: str, onset: int, rng: np.random.Generator
                 ) -> tuple[str, str, str]:
    """(subject, clip, video) as each database names them (docs/databases.md §9-12)."""
    if dataset == "casme":
        return f"sub{number + 1:02d}", f"EP{int(rng.integers(1, 20)):02d}_{k + 1}", ""
    if dataset == "casme3":  # two clips share video "a"; the clip is <video>_<onset>
        video = "a" if k < 2 else "bcdefghijklm"[k - 2]
        return f"spNO.{(1, 5, 9)[number]}", f"{video}_{onset}", video
    if dataset == "casme3_c":  # one video a subject; the clip is the row's count
        return f"{number + 1:02d}", str(k + 1), "a"
    if dataset == "mmew":
        index = ("happiness", "surprise", "anger", "disgust", "fear", "sadness", "others").index(label) + 1
        return f"S{number + 1:02d}", f"S{number + 1:02d}-{index:02d}-{k + 1:03d}", ""
    return f"S{number + 1}", f"S{number + 1}_{k + 1:02d}", ""  # 4dme


def make_plan(size: str = "default", seed: int = 0, mirror: bool = False) -> Plan:
    """The corpus plan for ``size`` (``smoke``/``default``), deterministic for ``seed``."""
    if size not in SIZES:
        raise ValueError(f"size={size!r}: expected one of {', '.join(SIZES)}")
    spec = SIZE_SPECS[f"mirror-{size}" if mirror else size]
    rng = np.random.default_rng(clip_seed(seed, "plan", size, mirror))
    clips = _casme2(spec, mirror, rng, seed) + _smic(spec, mirror, rng, seed) + _samm(spec, mirror, rng, seed)
    videos = _casme_sq(spec, mirror, rng, seed)
    padding = {s: int(rng.choice((4, 5))) for s in sorted({c.subject for c in clips if c.dataset == "samm"})}
    first = sorted(padding)
    padding[first[0]], padding[first[-1]] = 5, 4  # both paddings always occur (006_05562.jpg, 009_3577.jpg)
    # Drawn last, from their own stream: the five databases above are the same with or without them.
    extra = _extra(spec, np.random.default_rng(clip_seed(seed, "extra", size))) if not mirror else []
    return Plan(spec, seed, mirror, tuple(clips + extra), tuple(videos), padding)


def megc_rows(plan: Plan, excluded: set[tuple[str, str, str]]) -> list[tuple[str, str, str, int]]:
    """The composite as the official csv writes it: (db, subject, clip, class 0/1/2), csv spellings."""
    classes = ("negative", "positive", "surprise")
    rows: list[tuple[str, str, str, int]] = []
    for db in ("casme2", "smic", "samm"):
        for c in plan.of(db):
            label = MEGC_CLASS[db].get(c.emotion)
            if label is None or (db, c.subject, c.clip) in excluded:
                continue
            if db == "smic":  # s1 / s1_ne_01 -> s01 / s01_ne_01
                number = int(c.subject[1:])
                rows.append((db, f"s{number:02d}", f"s{number:02d}" + c.clip[len(c.subject):], classes.index(label)))
            elif db == "samm":
                rows.append((db, str(int(c.subject)), c.clip, classes.index(label)))
            else:
                rows.append((db, c.subject, c.clip, classes.index(label)))
    return rows
