"""``python run_all.py --check-data ROOT``: what the loaders find under ROOT, and whether it is usable.

Reports, per database: where it was found, samples per class and subjects, clips listed but missing
on disk, samples that break a rule of ``common.datasets.invariants`` (skipped, with the rule), incomplete
clips, frame files that are not complete images of the format their name says or of their clip's
size, clips whose frames copy another's (``invariants.screen_frames``, what a run applies), and clips
without motion between onset and apex (``invariants.motion_verdicts``);
with ``faces=True`` (``--faces``) the face-quality verdict of every clip
(``common.preprocessing.face_quality``, cached, so a later run reuses it) and the flagged clips;
then the MEGC 2019 composite (official csv and rule-derived, which must agree; 442 = 164 + 145 +
133 on the real data) and every paper experiment's selection. Returns 0 when every database found
is usable, 1 when one is unusable (incomplete frame files included) or none is found, 2 when ROOT
is not a folder. Clips flagged by the face check do not make a database unusable: a run drops
no-face clips by default and records every flagged clip.
"""
from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from common.datasets import casme2, casme_sq, DATABASE_TITLES, DATASETS, load, megc2019, released, samm, smic
from common.datasets.tables import SHEETS, DatabaseNotFound, DatasetError
from common.datasets.discovery import UNREADABLE
from common.datasets.invariants import motion_verdicts, screen_frames
from common.datasets.released import holds_released, is_released
from common.datasets.sample import DroppedWarning
from common.preprocessing.face_quality import sample_face_quality
from common.preprocessing.io import FrameReadError

FINDERS = {"casme2": casme2.find, "smic": smic.find, "smic_e": smic.find_e, "samm": samm.find,
           "casme_sq": casme_sq.find}
TITLES = DATABASE_TITLES
REAL_MEGC = {"smic": 164, "casme2": 145, "samm": 133}  # docs/databases.md §5.1
SHOW = 8  # lines listed per kind of problem


def _load(name: str, root: Path, **options):
    """(samples, warning messages) of one loader; a message of a sample dropped by a rule of
    ``common.datasets.invariants`` starts with ``[rule]``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        samples = load(name, root, **options)
    messages = []
    for w in caught:
        stage = getattr(w.message, "stage", "loader") if isinstance(w.message, DroppedWarning) else "loader"
        messages.append(str(w.message) if stage == "loader" else f"[{stage}] {w.message}")
    return samples, list(dict.fromkeys(messages))


def _rule_drop(message: str) -> bool:
    return message.startswith("[")


def _unreadable(root: Path) -> list[str]:
    return [f"{p}: {cause}" for p, cause in UNREADABLE.items() if p == root or root in p.parents]


def _listing(title: str, lines: list[str]) -> None:
    if lines:
        print(f"    {title}: {len(lines)}")
        for line in lines[:SHOW]:
            print(f"      - {line}")
        if len(lines) > SHOW:
            print(f"      ... and {len(lines) - SHOW} more")


def _counts(samples) -> str:
    counts = Counter(s.emotion for s in samples)
    return ", ".join(f"{label} {n}" for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _anomalies(samples) -> dict[str, list[str]]:
    # An apex outside onset..offset never gets here: invariants.screen_annotations drops it, with why.
    found: dict[str, list[str]] = {"no apex annotated": [], "offset unknown": [],
                                   "incomplete (frames missing between onset and offset)": [], "corrected": []}
    for s in samples:
        where = s.key
        if s.apex is None:
            found["no apex annotated"].append(where)
        if s.offset is None:
            found["offset unknown"].append(where)
        if s.meta.get("missing_frames", 0) > 0:
            found["incomplete (frames missing between onset and offset)"].append(
                f"{where}: {s.meta['missing_frames']} missing of {s.meta['missing_frames'] + len(s.frames)}")
        if s.meta.get("corrections"):
            found["corrected"].append(f"{where}: {'; '.join(s.meta['corrections'])}")
    if samples and samples[0].dataset == "smic":
        found.pop("no apex annotated")  # SMIC-HS has no apex annotation at all (docs/databases.md §2.1)
    return found


def _frame_problems(samples) -> tuple[list[str], list[str], list[str]]:
    """(refused, merged, motionless): the lines of ``invariants.screen_frames`` and
    ``invariants.motion_verdicts`` (the code a run applies before its face stage): frame files that are
    not complete images of the format their name says or of the clip's size, clips whose frames copy
    another's, clips without motion between onset and apex (among those whose frame files pass)."""
    screen = screen_frames(samples)
    motionless = []
    for i in screen.kept:
        try:
            motionless += [f"{v.reason} (clip {v.key})" for v in motion_verdicts([samples[i]])]
        except FrameReadError as error:
            motionless.append(f"not checked: {error} (clip {samples[i].key})")
    return ([f"{v.reason} (clip {v.key})" for v in screen.refused],
            [f"{v.reason} (clip {v.key})" for v in screen.dropped], motionless)


def _face_report(samples) -> tuple[Counter, list[str]]:
    """(verdict counts, ``key: verdict: reason`` lines of the flagged clips)."""
    counts: Counter = Counter()
    flagged = []
    for s in samples:
        try:
            quality = sample_face_quality(s)
        except FrameReadError as error:
            counts["unreadable"] += 1
            flagged.append(f"{s.key}: not checked: {error}")
            continue
        counts[quality.verdict] += 1
        if quality.verdict != "ok":
            flagged.append(f"{s.key}: {quality.verdict}: {quality.reason} ({s.frames[0].parent})")
    return counts, flagged


def _check_database(name: str, root: Path, loaded: dict, faces: bool = False, say_absent: bool = True) -> str:
    """'absent', 'unusable' or 'ok'; prints the report of one database (an absent one only if ``say_absent``)."""
    title = TITLES[name]
    try:
        found = FINDERS[name](root)
    except DatabaseNotFound as error:
        if say_absent:
            print(f"{title} ({name}): not found: {error}")
        return "absent"
    except OSError as error:  # the filesystem's own error, named as such
        print(f"{title} ({name}):\n    UNUSABLE: {error}")
        return "unusable"
    except DatasetError as error:  # its signature is there, but it cannot be read
        print(f"{title} ({name}):\n    UNUSABLE: {error}")
        return "unusable"
    print(f"{title} ({name}):")
    if found.spreadsheet is not None:
        print(f"    labels: {found.spreadsheet}")
    print(f"    frames: {found.frames}{' (cropped)' if found.cropped else ''}")
    try:
        samples, messages = _load(name, root)
    except DatasetError as error:
        print(f"    UNUSABLE: {error}")
        return "unusable"
    sheet = SHEETS.get(found.spreadsheet.resolve()) if found.spreadsheet is not None else None
    if sheet is not None and sheet.sheets > 1:  # the table's sheet, chosen by its header (tables.choose_sheet)
        print(f"    label sheet: {sheet.describe()}")
    _listing("folders that could not be read (not searched)", _unreadable(root))
    if not samples:
        print("    UNUSABLE: no sample could be loaded")
        _listing("problems", messages)
        return "unusable"
    loaded[name] = samples
    subjects = {s.subject for s in samples}
    print(f"    {len(samples)} samples from {len(subjects)} subjects at {samples[0].fps:g} fps: {_counts(samples)}")
    if name == "casme_sq":
        types = sorted(Counter(s.meta["type"] for s in samples).items())
        print(f"    types: {', '.join(f'{k} {v}' for k, v in types)}")
    _listing("missing or empty clips (skipped)", [m for m in messages if not _rule_drop(m)])
    _listing("invalid samples (skipped, each with the rule it breaks)", [m for m in messages if _rule_drop(m)])
    for kind, lines in _anomalies(samples).items():
        _listing(kind, lines)
    broken, merged, motionless = _frame_problems(samples)
    _listing("INVALID FRAME FILES OR CLIPS (a run refuses these clips)", broken)
    _listing("clips whose frames copy another's (a run merges them into the first)", merged)
    _listing("clips without motion between onset and apex (a run of an optical-flow method refuses them; "
             "the others keep and flag them)", motionless)
    if faces:
        counts, flagged = _face_report(samples)
        print(f"    faces ({len(samples)} clips, up to 8 frames each): "
              + ", ".join(f"{verdict} {n}" for verdict, n in sorted(counts.items(), key=lambda kv: -kv[1])))
        _listing("clips flagged by the face check", flagged)
        if flagged:
            print("    (a run drops no_face clips by default and records every flagged clip in its results and "
                  "report; see --faces-policy)")
    return "unusable" if broken else "ok"


def _check_megc(root: Path, loaded: dict) -> None:
    if not all(n in loaded for n in REAL_MEGC):
        print(f"{TITLES['megc2019']}: not available (needs SMIC-HS, CASME II and SAMM)")
        return
    csv_path = megc2019.find_gt_csv(root)
    derived, _ = _load("megc2019", root, gt_csv=False)
    composite = derived
    print(f"{TITLES['megc2019']}:")
    if csv_path is not None:
        composite, messages = _load("megc2019", root, gt_csv=csv_path)
        print(f"    official list: {csv_path}")
        _listing("listed but not loaded, or merged", messages)
        official, rules = {s.key: s.emotion for s in composite}, {s.key: s.emotion for s in derived}
        differ = (sorted(set(official) ^ set(rules))
                  + sorted(k for k in set(official) & set(rules) if official[k] != rules[k]))
        print(f"    official list and MEGC rules {'agree' if not differ else 'DISAGREE'} "
              f"({len(composite)} vs {len(derived)} samples)")
        _listing("differences", differ)
    else:
        print("    no combined_3class_gt.csv under the root: derived by the MEGC rules")
    loaded["megc2019"] = composite
    per_db = Counter(s.dataset for s in composite)
    parts = " + ".join(f"{per_db[db]} {TITLES[db]}" for db in REAL_MEGC)
    real = " + ".join(str(n) for n in REAL_MEGC.values())
    print(f"    {len(composite)} = {parts} (real data: 442 = {real}); "
          f"{len({(s.dataset, s.subject) for s in composite})} subjects (real: 68)")
    for db in REAL_MEGC:
        print(f"      {TITLES[db]:<10} {_counts([s for s in composite if s.dataset == db])}")


def _check_released(root: Path, loaded: dict) -> str:
    """The authors' released inputs (``common.datasets.released``): where, what kind, the clips per database and
    class, and their problems (images that do not decode or have the wrong size, csv rows without an image,
    images without a row, flow images without motion). 'unusable' when an image cannot be used, else 'ok'."""
    print(f"Released inputs: {released.describe(root)}")
    print(f"    input kind: {released.INPUT_KIND}; methods that need frames cannot run on them")
    samples, messages = _load("megc2019", root)
    loaded["megc2019"] = samples
    per_db = Counter(s.dataset for s in samples)
    parts = " + ".join(f"{per_db[db]} {TITLES[db]}" for db in REAL_MEGC)
    real = " + ".join(str(n) for n in REAL_MEGC.values())
    subjects = len({(s.dataset, s.subject) for s in samples})
    print(f"    {len(samples)} clips = {parts} (released: 442 = {real}); {subjects} subjects (released: 68)")
    for db in REAL_MEGC:
        print(f"      {TITLES[db]:<10} {_counts([s for s in samples if s.dataset == db])}")
    crops = sum(s.meta.get("apex_crop") is not None for s in samples)
    print(f"    apex face crops: {crops} of {len(samples)} clips")
    _listing("listed without an image, images without a row, or left out", messages)
    problems = released.image_problems(samples)
    _listing("images that do not decode or are not of the released size", problems)
    readable = [s for s in samples if not any(str(s.meta["flow_image"]) in p for p in problems)]
    _listing("flow images without motion (u and v constant)", [s.key for s in readable if released.no_motion(s)])
    return "unusable" if problems else "ok"


def _check_papers(root: Path, loaded: dict, papers: Mapping[str, Sequence[Any]]) -> None:
    """Each experiment's selection counts; ``papers`` maps a paper id to its experiments (or to
    the exception importing it raised), handed over by the caller: common imports no paper."""
    if not papers:
        return

    released_only = holds_released(loaded.get("megc2019", ()))
    print("Paper selections:")
    for paper_id, experiments in papers.items():
        if isinstance(experiments, Exception):
            print(f"  {paper_id}: not available ({type(experiments).__name__}: {experiments})")
            continue
        for experiment in experiments:
            label = f"  {paper_id}/{getattr(experiment, 'name', '?')}"
            if released_only and not getattr(experiment, "reads_released", False):
                if set(experiment.datasets) <= set(loaded):
                    print(f"{label}: cannot run on the released inputs (it needs the clips' frames)")
                continue
            try:
                datasets = {}
                for name in experiment.datasets:
                    options = dict(experiment.loader_options.get(name, {}))
                    if name not in loaded:
                        raise LookupError(f"needs {name}, not found")
                    datasets[name] = _load(name, root, **options)[0] if options else loaded[name]
                selection = experiment.select(datasets, experiment.config)
                counts = Counter(int(y) for y in selection.labels)
                classes = ", ".join(f"{c} {counts.get(i, 0)}" for i, c in enumerate(selection.class_names))
                left_out = len(getattr(selection, "dropped", ()))
                print(f"{label}: {len(selection)} samples ({classes})"
                      + (f"; {left_out} left out by its select (listed in a run's results)" if left_out else ""))
            except Exception as error:  # boundary: a paper's select on the user's data; reported, the check goes on
                print(f"{label}: not available ({type(error).__name__}: {error})")


def main(root: str | Path, faces: bool = False, papers: Mapping[str, Any] | None = None) -> int:
    """Print the data report for ``root``; the exit status (0 usable, 1 unusable or nothing found, 2 bad root).

    ``faces=True``: also the face-quality verdict of every clip (``--check-data ROOT --faces``).
    ``papers``: paper id -> its ``EXPERIMENTS`` (or the exception importing it raised), whose
    selections are counted on the data (``run_all.py`` passes the registry's).
    """
    root = Path(root).expanduser()
    print(f"Checking micro-expression databases under {root}")
    if not root.is_dir():
        print(f"{root}: not a folder (expected a database folder or a parent of several)")
        return 2
    loaded: dict = {}
    # Under the authors' released inputs the licensed databases are not expected: their absence is one line,
    # not five lines of each one's expected layout.
    released_here = is_released(root)
    status = {name: _check_database(name, root, loaded, faces, say_absent=not released_here)
              for name in DATASETS if name != "megc2019"}
    absent = [TITLES[n] for n, s in status.items() if s == "absent"]
    if released_here and absent:
        print(f"Licensed databases not found here (not needed for the released inputs): {', '.join(absent)}")

    if not loaded and released_here:  # the authors' released inputs, read where no database is found
        status["megc2019"] = _check_released(root, loaded)
    else:
        _check_megc(root, loaded)
    _check_papers(root, loaded, papers or {})
    unusable = [TITLES[n] for n, s in status.items() if s == "unusable"]
    if unusable:
        print(f"RESULT: unusable: {', '.join(unusable)}")
        return 1
    if not loaded:
        print("RESULT: no database found")
        return 1
    print(f"RESULT: usable: {', '.join(TITLES[n] for n in loaded)}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".", faces="--faces" in sys.argv[2:]))
