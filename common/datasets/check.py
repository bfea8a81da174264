"""``python run_all.py --check-data ROOT``: what the loaders find under ROOT, and whether it is usable.

The first line says what ROOT holds in one line: the databases found with their samples and subjects, the
unusable ones with why, the authors' released inputs, and what is not there; where nothing usable is there, at
most ten lines follow, saying what was looked for, what was found instead (an authors' clone with only weights
and logs) and what to add. Then, per database found: where it was found, samples per class and subjects (also
in the MEGC three classes), clips listed but missing on disk, samples that break a rule of
``common.datasets.invariants`` (skipped, with the rule), incomplete clips, frame files that are not complete
images of the format their name says or of their clip's size, clips whose frames copy another's
(``invariants.screen_frames``, what a run applies), and clips without motion between onset and apex
(``invariants.motion_verdicts``);
with ``faces=True`` (``--faces``) the face-quality verdict of every clip
(``common.preprocessing.face_quality``, cached, so a later run reuses it) and the flagged clips;
then the MEGC 2019 composite (official csv and rule-derived, which must agree; 442 = 164 + 145 +
133 on the real data), the people found in more than one database (``common.datasets.leakage``) and every paper
experiment's selection. Returns 0 when what ROOT holds is usable (at least one database or the released inputs,
none unusable), 2 when it is not (nothing usable found, a database found that a run would refuse, incomplete
frame files included, or ROOT not a folder): the status a run on ROOT would get. Clips flagged by the face
check do not make a database unusable: a run drops no-face clips by default and records every flagged clip.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from common.datasets import (casme, casme2, casme3, casme_sq, DATABASE_TITLES, fourdme, load, megc2019,
                             MEGC3, mmew, released, samm, smic)
from common.datasets.leakage import links
from common.datasets.tables import SHEETS, DatabaseNotFound, DatasetError
from common.datasets.discovery import SEARCH_DEPTH, UNREADABLE, files_in, links_outside, walk_dirs
from common.datasets.invariants import motion_verdicts, screen_frames
from common.datasets.released import holds_released, is_released
from common.datasets.sample import DroppedWarning
from common.preprocessing.face_quality import sample_face_quality
from common.preprocessing.io import FrameReadError

FINDERS = {"casme2": casme2.find, "smic": smic.find, "smic_e": smic.find_e, "samm": samm.find,
           "casme_sq": casme_sq.find, "casme": casme.find, "casme3": casme3.find, "casme3_c": casme3.find_c,
           "mmew": mmew.find, "4dme": fourdme.find}
# What each database is found by, for the line that says what was looked for (docs/databases.md).
SIGNATURES = {"casme2": "CASME2-coding-*.xlsx", "smic": "HS/s1/micro/<emotion>/<clip>/",
              "smic_e": "SMIC-HS-E_annotation*.xlsx", "samm": "SAMM_Micro_FACS_Codes_v2.xlsx",
              "casme_sq": "CAS(ME)^2code_final.xlsx", "casme": "casme.xlsx", "casme3": "cas(me)3_part_A_ME_label*.xlsx",
              "casme3_c": "CAS(ME)3_part_C_ME.xlsx", "mmew": "MMEW_Micro_Exp.xlsx",
              "4dme": "4DME_Labelling_Micro_release*.xlsx"}
DETAIL = 10  # lines of detail after the summary line when nothing usable is found
# The authors' files a clone of their repository holds beside (or instead of) the inputs: per-subject weights
# named after the composite's subjects (sub01.pth, s01.pth, 006.pth) and STSTNet's logs (docs/databases.md §8).
WEIGHTS = re.compile(r"^(sub[0-9]+|s[0-9]+|[0-9]{3})\.(pth|pt|h5|keras)$", re.IGNORECASE)
LOGS = ("STSTNet_logfile.txt", "STSTNet_python_logfile.txt", "video442subName.txt")
TITLES = DATABASE_TITLES
REAL_MEGC = {db: clips for db, (_, clips) in megc2019.REAL_COUNTS.items()}  # docs/databases.md §5.1
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


@dataclasses.dataclass
class Survey:
    """What the first pass found of one database: ``status`` 'absent', 'unusable' or 'ok', with the finder's
    answer, the samples and the loader's messages, or why it is unusable. No frame is read (the loaders list
    files), so the summary line can come first and the frame checks after it."""

    name: str
    status: str
    found: Any = None
    samples: list = dataclasses.field(default_factory=list)
    messages: list = dataclasses.field(default_factory=list)
    problem: str = ""


def _survey(name: str, root: Path) -> Survey:
    try:
        found = FINDERS[name](root)
    except DatabaseNotFound:
        return Survey(name, "absent")
    except (OSError, DatasetError) as error:  # the filesystem's error, or its signature is there but unreadable
        return Survey(name, "unusable", problem=str(error))
    try:
        samples, messages = _load(name, root)
    except DatasetError as error:
        return Survey(name, "unusable", found, problem=str(error))
    if not samples:
        return Survey(name, "unusable", found, messages=messages, problem="no sample could be loaded")
    return Survey(name, "ok", found, samples, messages)


def _check_database(survey: Survey, root: Path, loaded: dict, faces: bool = False) -> str:
    """'absent', 'unusable' or 'ok'; prints the report of one database found (an absent one says nothing: the
    summary line names it)."""
    name, found = survey.name, survey.found
    if survey.status == "absent":
        return "absent"
    print(f"{TITLES[name]} ({name}):")
    if found is None:
        print(f"    UNUSABLE: {survey.problem}")
        return "unusable"
    if found.spreadsheet is not None:
        print(f"    labels: {found.spreadsheet}")
    print(f"    frames: {found.frames}{' (cropped)' if found.cropped else ''}")
    if survey.status == "unusable" and not survey.messages:
        print(f"    UNUSABLE: {survey.problem}")
        return "unusable"
    sheet = SHEETS.get(found.spreadsheet.resolve()) if found.spreadsheet is not None else None
    if sheet is not None and sheet.sheets > 1:  # the table's sheet, chosen by its header (tables.choose_sheet)
        print(f"    label sheet: {sheet.describe()}")
    _listing("folders that could not be read (not searched)", _unreadable(root))
    samples, messages = survey.samples, survey.messages
    if not samples:
        print("    UNUSABLE: no sample could be loaded")
        _listing("problems", messages)
        return "unusable"
    loaded[name] = samples
    subjects = {s.subject for s in samples}
    print(f"    {len(samples)} samples from {len(subjects)} subjects at {samples[0].fps:g} fps: {_counts(samples)}")
    if name in MEGC3:
        print(f"    in the MEGC 3 classes (docs/databases.md): {_megc3_counts(name, samples)}")
    if name == "casme_sq":
        types = sorted(Counter(s.meta["type"] for s in samples).items())
        print(f"    types: {', '.join(f'{k} {v}' for k, v in types)}")
    _listing("missing or empty clips (skipped)", [m for m in messages if not _rule_drop(m)])
    _listing("invalid samples (skipped, each with the rule it breaks)", [m for m in messages if _rule_drop(m)])
    for kind, lines in _anomalies(samples).items():
        _listing(kind, lines)
    _listing("symbolic links leading outside the data root (followed: the clips are read there)",
             links_outside(((s.key, s.frames) for s in samples), root))
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


def _megc3_counts(name: str, samples) -> str:
    """``negative 4, positive 2, surprise 2; 2 left out (tense 2)``: the database in the MEGC three classes."""
    mapping = MEGC3[name]
    kept = Counter(mapping[s.emotion] for s in samples if s.emotion in mapping)
    out = Counter(s.emotion for s in samples if s.emotion not in mapping)
    text = ", ".join(f"{c} {kept.get(c, 0)}" for c in megc2019.CLASSES)
    return text + (f"; {sum(out.values())} left out ({', '.join(f'{k} {v}' for k, v in sorted(out.items()))})"
                   if out else "")


def _check_megc(root: Path, loaded: dict) -> None:
    if not all(n in loaded for n in REAL_MEGC):
        missing = [TITLES[n] for n in REAL_MEGC if n not in loaded]
        print(f"{TITLES['megc2019']}: not available (needs SMIC-HS, CASME II and SAMM; missing {', '.join(missing)})")
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
            missing = [name for name in experiment.datasets if name not in loaded]
            if missing:
                print(f"{label}: not available (needs {', '.join(missing)}, not found)")
                continue
            try:
                datasets = {}
                for name in experiment.datasets:
                    options = dict(experiment.loader_options.get(name, {}))
                    datasets[name] = _load(name, root, **options)[0] if options else loaded[name]
                selection = experiment.select(datasets, experiment.config)
                counts = Counter(int(y) for y in selection.labels)
                classes = ", ".join(f"{c} {counts.get(i, 0)}" for i, c in enumerate(selection.class_names))
                left_out = len(getattr(selection, "dropped", ()))
                print(f"{label}: {len(selection)} samples ({classes})"
                      + (f"; {left_out} left out by its select (listed in a run's results)" if left_out else ""))
            except Exception as error:  # boundary: a paper's select on the user's data; reported, the check goes on
                print(f"{label}: not available ({type(error).__name__}: {error})")


def _check_people(loaded: dict) -> None:
    """The subjects that are one person in two databases found here (documented, or by identical frame files):
    a composite's folds keep each on one side (``common.datasets.leakage``)."""
    sources = [s for name, samples in loaded.items() if name != "megc2019" for s in samples]
    if len({s.dataset for s in sources}) < 2:
        return
    found = links(sources)
    clips = len(sources)
    print(f"People in more than one database (docs/databases.md §13): {len(found)} link(s) among {clips} clips")
    _listing("the same person under two names (a composite keeps each on one side of every fold)",
             [f"{link.a} = {link.b}: {link.reason}" for link in found])


def _artefacts(root: Path) -> list[str]:
    """The authors' files under ``root`` that are no input: per-subject weights folders and STSTNet's logs."""
    found = []
    for folder in walk_dirs(root, depth=3):
        weights = [f for f in files_in(folder) if WEIGHTS.match(f.name)]
        if len(weights) >= 2:
            found.append(f"per-subject weights ({len(weights)} files, e.g. {weights[0].name}) in {folder}")
        logs = [f.name for f in files_in(folder) if f.name in LOGS]
        if logs:
            found.append(f"STSTNet's logs ({', '.join(logs)}) in {folder}")
    return found


def _inside_a_database(root: Path) -> list[str]:
    """Where ``root`` lies inside a database whose label file is in a parent folder (up to 3 levels up):
    ``[line]`` naming the file and the folder to point at."""
    patterns = {name: module.SPREADSHEET for name, module in
                (("casme2", casme2), ("samm", samm), ("casme", casme), ("casme3", casme3), ("mmew", mmew),
                 ("4dme", fourdme), ("casme_sq", casme_sq))}
    for parent in list(root.resolve().parents)[:3]:
        for path in files_in(parent):
            for name, pattern in patterns.items():
                if pattern.match(path.name):
                    return [f"    {root} lies inside a {TITLES[name]} tree: its label file is {path}; "
                            f"point --check-data (and --data-root) at {parent}"]
    return []


def _nothing_usable(root: Path, surveys: dict[str, Survey]) -> list[str]:
    """(summary line, detail lines) when ROOT holds neither a usable database nor the released inputs."""
    artefacts = _artefacts(root)
    unusable = [v for v in surveys.values() if v.status == "unusable"]
    if artefacts:
        first = (f"Found under {root}: {'; '.join(artefacts)}, but no inputs to run them on: add the flow images "
                 f"(a clone of HTNet's repository, or STSTNet's norm_u_v_os tree) or the databases, and point "
                 f"--check-data and --data-root at a folder holding them")
    elif unusable:
        first = (f"Nothing usable under {root}: found " + "; ".join(
            f"{TITLES[v.name]} (UNUSABLE: {v.problem})" for v in unusable) + "; fix or add what each line says")
    else:
        first = (f"Nothing usable under {root}: no micro-expression database and no authors' released inputs "
                 f"within {SEARCH_DEPTH} folder levels")
    names = [n for n in FINDERS if surveys[n].status == "absent"]
    detail = ["    looked for the databases by their label files: "
              + ", ".join(f"{TITLES[n]} ({SIGNATURES[n]})" for n in names[:5]),
              "    and " + ", ".join(f"{TITLES[n]} ({SIGNATURES[n]})" for n in names[5:]) if names[5:] else "",
              f"    and for the authors' released inputs: HTNet's {released.HTNET_CSV} with "
              f"datasets/{released.HTNET_FLOWS}/, or STSTNet's norm_u_v_os/<subject>/u_test/<class>/"]
    detail += _inside_a_database(root)
    if any("weights" in a for a in artefacts):
        detail.append("    the weights evaluate once the inputs are there: run_all.py --paper liong2019 --profile port "
                      "--data-root <a folder holding both clones> --weights <the weights folder>")
    if any("logs" in a for a in artefacts):
        detail.append("    the MATLAB log scores once the inputs are there: run_all.py --benchmark megc2019 --score "
                      "<STSTNet_logfile.txt> --data-root <HTNet's clone>")
    unreadable = _unreadable(root)
    if unreadable:
        detail.append(f"    folders that could not be read (not searched): {'; '.join(unreadable[:3])}"
                      + (" ..." if len(unreadable) > 3 else ""))
    detail.append("    the layouts: docs/databases.md; the released inputs: docs/running.md, \"Real data\"")
    return [first] + [line for line in detail if line][:DETAIL - 1]


def _summary(root: Path, surveys: dict[str, Survey], released_here: bool) -> str:
    """The first line: what was found under ROOT, with counts, and what is not there."""
    usable = [v for v in surveys.values() if v.status == "ok"]
    unusable = [v for v in surveys.values() if v.status == "unusable"]
    absent = [TITLES[v.name] for v in surveys.values() if v.status == "absent"]
    parts = []
    if usable:
        parts.append(", ".join(f"{TITLES[v.name]} ({len(v.samples)} samples, "
                               f"{len({s.subject for s in v.samples})} subjects)" for v in usable))
    if released_here:
        parts.append(f"the authors' released inputs ({released.describe(root)})")
        artefacts = _artefacts(root)
        if artefacts:  # a folder holding both clones: STSTNet's weights and logs beside HTNet's inputs
            parts.append("beside them, the authors' files that are no inputs: " + "; ".join(artefacts)
                         + " (--weights evaluates the weights, --score scores a log: docs/running.md, \"Real data\")")
    if unusable:
        parts.append("UNUSABLE: " + "; ".join(f"{TITLES[v.name]} ({v.problem or 'see below'})" for v in unusable))
    if absent:
        parts.append("not here: " + ", ".join(absent)
                     + (" (not needed for the released inputs)" if released_here and not usable else ""))
    unreadable = _unreadable(root)
    if unreadable:  # a database behind one of them is not found
        parts.append(f"could not read: {'; '.join(unreadable[:3])}{' ...' if len(unreadable) > 3 else ''}")
    return f"Found under {root}: " + "; ".join(parts)


def main(root: str | Path, faces: bool = False, papers: Mapping[str, Any] | None = None) -> int:
    """Print the data report for ``root``; the exit status (0 usable, 2 not usable, nothing usable or a bad root).

    ``faces=True``: also the face-quality verdict of every clip (``--check-data ROOT --faces``).
    ``papers``: paper id -> its ``EXPERIMENTS`` (or the exception importing it raised), whose
    selections are counted on the data (``run_all.py`` passes the registry's).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        print(f"{root}: not a folder (expected a database folder, a parent of several, or a clone of the authors' "
              f"released inputs); nothing checked")
        return 2
    surveys = {name: _survey(name, root) for name in FINDERS}  # no frame is read yet
    # Under the authors' released inputs the licensed databases are not expected.
    released_here = is_released(root)
    if not released_here and not any(v.status == "ok" for v in surveys.values()):
        lines = _nothing_usable(root, surveys)
        print("\n".join(lines))
        print("RESULT: nothing usable found" if not any(v.status == "unusable" for v in surveys.values())
              else "RESULT: unusable: " + ", ".join(TITLES[n] for n, v in surveys.items() if v.status == "unusable"))
        return 2
    print(_summary(root, surveys, released_here))
    loaded: dict = {}
    status = {name: _check_database(survey, root, loaded, faces) for name, survey in surveys.items()}
    if not loaded and released_here:  # the authors' released inputs, read where no database is found
        status["megc2019"] = _check_released(root, loaded)
    elif any(n in loaded for n in REAL_MEGC):
        _check_megc(root, loaded)
    _check_people(loaded)
    _check_papers(root, loaded, papers or {})
    unusable = [TITLES[n] for n, s in status.items() if s == "unusable"]
    if unusable:
        print(f"RESULT: unusable: {', '.join(unusable)}")
        return 2
    print(f"RESULT: usable: {', '.join(TITLES[n] for n in loaded)}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".", faces="--faces" in sys.argv[2:]))
