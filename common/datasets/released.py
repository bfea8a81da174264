"""The authors' released inputs of the MEGC 2019 composite: real data without the licensed databases.

Two public repositories publish derived data of all 442 composite clips (docs/databases.md §8):

- HTNet (wangzhifengharrison/HTNet @91cf4bd): ``combined_3_class2_for_optical_flow.csv`` (header
  ``dataset,sub,filename_o,label,apex,imagename,sub_filename``), the 28x28x3 flow images
  ``datasets/STSNet_whole_norm_u_v_os/<sub>_<clip> .png`` (u, v and optical strain from the onset to the
  apex frame, each normalised to 0..255; a space before ``.png`` as released) and the 224x224 apex face
  crops ``datasets/combined_datasets_whole/<imagename>``;
- STSTNet (christy1206/STSTNet @1afb56e): the leave-one-subject-out tree
  ``norm_u_v_os/<subject>/u_train|u_test/<class>/<image>`` its ``main.py`` and ``main.m`` read; each clip is
  the test image of its own subject's fold (``u_test``), byte-identical to HTNet's flat image.

``load(root)`` gives the composite's samples as every other loader does (database, subject and clip named
as the loaders name them, ``emotion`` the composite class), with no frames: ``meta["released"]`` names the
layout, ``meta["flow_image"]`` the image and ``meta["apex_crop"]`` the apex crop (HTNet's layout only), and
``meta["input_files"]`` both (the files a run reads of the clip, which its fold fingerprint stats:
``common.running.runner.selection_inputs``).
A method whose paper reads these flow images declares it (``Experiment.reads_released``); the others need
frames and are refused (``common.running.screening``). Written here: no maintained library reads these
two repositories' layouts.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
from pathlib import Path
from collections.abc import Iterable


from common.files import FileTooLarge, bounded_lines, open_regular, read_regular_bytes
from common.datasets import casme2, discovery, samm, smic
from common.datasets.sample import Sample, warn_dropped
from common.datasets.tables import DatabaseNotFound, DatasetError, bounded_rows
from common.preprocessing.io import MAX_IMAGE_BYTES
from common.preprocessing.released_images import ReleasedImageError, read_apex_crop, read_flow_image

HTNET_CSV = "combined_3_class2_for_optical_flow.csv"
HTNET_FLOWS = "STSNet_whole_norm_u_v_os"
HTNET_CROPS = "combined_datasets_whole"
LOSO_TREE = re.compile(r"^(three_)?norm_u_v_os$", re.IGNORECASE)  # STSTNet's tree; HTNet's code names a copy "three_"
CLASSES = ("negative", "positive", "surprise")  # the csv's and the tree's classes 0, 1, 2
FPS = {"casme2": casme2.FPS, "smic": smic.FPS, "samm": samm.FPS}
HTNET_COLUMNS = ("dataset", "sub", "filename_o", "label", "imagename")
LAYOUTS = {"htnet": "HTNet's released tree (wangzhifengharrison/HTNet @91cf4bd: csv, flow images, apex crops)",
           "ststnet": "STSTNet's leave-one-subject-out tree (christy1206/STSTNet @1afb56e: norm_u_v_os)"}
INPUT_KIND = "the authors' released flow images (no frames)"


@dataclasses.dataclass(frozen=True)
class Found:
    """Where the released inputs are: ``layout`` "htnet" (``csv``, ``flows``, ``crops``) or "ststnet" (``tree``)."""

    layout: str
    csv: Path | None = None
    flows: Path | None = None
    crops: Path | None = None
    tree: Path | None = None


def database_of(subject: str) -> str:
    """The database of a subject as the authors name the folds (``video442subName.txt``): ``sub01`` CASME II,
    ``s01`` SMIC-HS, ``006`` SAMM."""
    text = subject.strip()
    if re.fullmatch(r"sub[0-9]+", text, re.IGNORECASE):
        return "casme2"
    if re.fullmatch(r"s[0-9]+", text, re.IGNORECASE):
        return "smic"
    if re.fullmatch(r"[0-9]+", text):
        return "samm"
    raise DatasetError(f"subject folder {subject!r}: expected sub<NN> (CASME II), s<NN> (SMIC) or <NNN> (SAMM)")


def authors_subject(database: str, subject: str) -> str:
    """The authors' name of a subject (their folds and weight files): ``s1`` -> ``s01``; the others unchanged."""
    if database == "smic":
        return f"s{int(subject[1:]):02d}"
    return subject


def _is_tree(folder: Path) -> bool:
    return bool(LOSO_TREE.match(folder.name)) and any((d / "u_test").is_dir() for d in discovery.subdirs(folder))


def find(root: str | Path) -> Found:
    """The released inputs under ``root`` (the clone itself or a parent): HTNet's csv with its flow folder
    next to it, else STSTNet's tree. ``DatabaseNotFound`` when neither is there."""
    root = discovery.check_root(root)
    for folder in discovery.walk_dirs(root, depth=3):
        table = folder / HTNET_CSV
        if table.is_file():
            flows = next((d / HTNET_FLOWS for d in (folder / "datasets", folder) if (d / HTNET_FLOWS).is_dir()), None)
            if flows is None:
                raise DatasetError(f"{table}: HTNet's csv without its flow images; expected the folder "
                                   f"datasets/{HTNET_FLOWS}/ beside it (the repository's layout)")
            crops = flows.parent / HTNET_CROPS
            return Found("htnet", csv=table, flows=flows, crops=crops if crops.is_dir() else None)
    for folder in discovery.walk_dirs(root, depth=3):
        if _is_tree(folder):
            return Found("ststnet", tree=folder)
    raise DatabaseNotFound(f"no released inputs under {root}: expected HTNet's {HTNET_CSV} with "
                           f"datasets/{HTNET_FLOWS}/, or STSTNet's norm_u_v_os/<subject>/u_test/<class>/")


def is_released(root: str | Path) -> bool:
    """Whether ``root`` holds the authors' released inputs (and so no database frames are looked for)."""
    try:
        find(root)
    except (DatabaseNotFound, DatasetError, OSError):
        return False
    return True


def _image_index(folder: Path) -> dict[str, Path]:
    """Image files of ``folder`` by their name without extension and trailing spaces (``006_006_1_2 .png`` and
    ``006_006_1_2.png`` are both ``006_006_1_2``); two files of one name: the first by sorted name, the second
    warned and left out."""
    index: dict[str, Path] = {}
    for path in discovery.files_in(folder):
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp"):
            continue
        name = path.stem.rstrip()
        if name in index:
            warn_dropped(f"{path}: a second image of clip {name!r} (first: {index[name].name}); left out", name)
            continue
        index[name] = path
    return index


def composite_names(database: str, subject: str, clip: str) -> tuple[str, str, str]:
    """``(database, subject, clip)`` as the loaders name a composite clip, from the names the official list
    and the authors' published logs write: database in lower case; SMIC ``s01`` / ``s01_ne_01`` ->
    ``s1`` / ``s1_ne_01``, SAMM ``6`` -> ``006``, CASME II ``1`` -> ``sub01``. A database outside the
    composite's three (``megc2019.SOURCES``) keeps its names. Here, not in ``megc2019``, which imports this
    module: the released inputs name their clips the same way."""
    db, subject, clip = database.strip().lower(), subject.strip(), clip.strip()
    if db == "smic":
        # at most 6 digits, as list_key reads them: a name read from a file is any text (int() refuses 4,300 digits)
        return db, smic.subject_name(subject), re.sub(r"^s0*([0-9]{1,6})_", lambda m: f"s{int(m.group(1))}_", clip)
    if db == "samm":
        return db, samm.subject_name(subject), clip
    if db == "casme2":
        return db, casme2.subject_name(subject), clip
    return db, subject, clip


def list_key(key: str) -> str:
    """A clip's ``database/subject/clip`` key as the composite's public list writes it (HTNet's
    ``combined_3_class2_for_optical_flow.csv``: ``dataset/sub/filename_o``): the inverse of
    :func:`composite_names`. Only SMIC differs: ``smic/s1/s1_ne_01`` -> ``smic/s01/s01_ne_01``; a key of
    another database, or one not of three parts, is returned as it is."""
    parts = key.split("/")
    # At most 6 digits: a key read from a file (a per-epoch record, a shipped fold) is any text, and int() refuses
    # a string of over 4,300 digits; no database has a millionth subject.
    if len(parts) != 3 or parts[0] != "smic" or not re.fullmatch(r"s[0-9]{1,6}", parts[1]):
        return key
    subject = authors_subject("smic", parts[1])
    clip = re.sub(r"^s0*([0-9]{1,6})_", lambda m: f"s{int(m.group(1)):02d}_", parts[2])
    return f"smic/{subject}/{clip}"


def _sample(database: str, subject: str, clip: str, label: int, layout: str, flow: Path,
            crop: Path | None) -> Sample:
    db, name, clip_name = composite_names(database, subject, clip)
    return Sample(dataset=db, subject=name, clip=clip_name, emotion=CLASSES[label], onset=0, apex=None, offset=None,
                  fps=FPS[db], frames=(), meta={"released": layout, "flow_image": flow, "apex_crop": crop,
                                                # what the runner's fold fingerprint stats in place of frames
                                                "input_files": (flow,) if crop is None else (flow, crop),
                                                "authors_subject": authors_subject(db, name),
                                                "composite": "megc2019", "original_emotion": CLASSES[label]})


def _label(text: str, where: str) -> int:
    value = text.strip()  # str.strip takes the separators \x1c..\x1f, which int() refuses: the stripped text is read
    if value not in ("0", "1", "2"):
        raise DatasetError(f"{where}: class {text[:40]!r}; expected 0 (negative), 1 (positive) or 2 (surprise)")
    return int(value)


def _load_htnet(found: Found) -> list[Sample]:
    assert found.csv is not None and found.flows is not None
    try:
        with open_regular(found.csv, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            rows = bounded_rows(csv.DictReader(bounded_lines(handle)), found.csv)
    except (OSError, ValueError, csv.Error) as error:  # ValueError: not UTF-8 text, a line too long (LineTooLong)
        raise DatasetError(f"{found.csv}: cannot read HTNet's csv ({error})") from None
    header = rows[0].keys() if rows else ()
    missing = [c for c in HTNET_COLUMNS if c not in header]
    if missing:
        raise DatasetError(f"{found.csv}: no column(s) {', '.join(missing)}; expected the header "
                           "dataset,sub,filename_o,label,apex,imagename,sub_filename")
    flows = _image_index(found.flows)
    crops = _image_index(found.crops) if found.crops is not None else {}
    samples: list[Sample] = []
    used: set[str] = set()
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{found.csv}, line {line}"
        database, subject, clip = ((row[c] or "").strip() for c in ("dataset", "sub", "filename_o"))
        if database.lower() not in FPS or not subject or not clip:
            raise DatasetError(f"{where}: expected a database (casme2, smic, samm), a subject and a clip, got "
                               f"{database[:40]!r}, {subject[:40]!r}, {clip[:40]!r}")
        label = _label(row["label"] or "", where)
        name = f"{subject}_{clip}"
        if name in seen:
            raise DatasetError(f"{where}: clip {name} is listed again (first on line {seen[name]}); "
                               "expected one row a clip")
        seen[name] = line
        flow = flows.get(name)
        if flow is None:
            warn_dropped(f"{where}: no flow image {found.flows / (name + ' .png')} (nor without the space); "
                         "the row is left out", f"{database}/{subject}/{clip}")
            continue
        used.add(name)
        crop_name = Path((row["imagename"] or "").strip()).stem
        samples.append(_sample(database, subject, clip, label, "htnet", flow, crops.get(crop_name)))
    for name in sorted(set(flows) - used):
        warn_dropped(f"{flows[name]}: a flow image no csv row lists; left out", name)
    return samples


TREE_LAYOUT = "norm_u_v_os/<subject>/u_train|u_test/<class>/<subject>_<clip>.png"


def _tree_part(folder: Path) -> dict[str, tuple[int, Path]]:
    """``{image name: (class, path)}`` of one ``u_test`` or ``u_train`` folder (its class folders' images, by class
    then name); a name under two classes is refused."""
    images: dict[str, tuple[int, Path]] = {}
    for class_dir in discovery.subdirs(folder):
        label = _label(class_dir.name, f"{class_dir}")
        for name, path in _image_index(class_dir).items():
            if name in images:
                raise DatasetError(f"{path}: clip {name} is also under class {images[name][0]} "
                                   f"({images[name][1]}); expected one class a clip")
            images[name] = (label, path)
    return images


def _named_subject(name: str, subjects: Iterable[str]) -> str | None:
    """The subject folder whose name the image name starts with (``sub01_EP02_01f`` -> ``sub01``), or None."""
    named = [subject for subject in subjects if name.startswith(subject + "_")]
    return max(named, key=len) if named else None


def _image_digest(path: Path) -> bytes:
    """The sha256 of a released image file's bytes, read no further than an image file of the largest frame holds
    (``io.MAX_IMAGE_BYTES``); one line naming the file otherwise. A digest, not the bytes, is what a comparison
    keeps (442 test images, each compared with up to 67 training copies)."""
    try:
        return hashlib.sha256(read_regular_bytes(path, max_bytes=MAX_IMAGE_BYTES)).digest()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read this image ({discovery.os_cause(error)})") from None
    except FileTooLarge as error:
        raise DatasetError(f"{path}: {error}, more than a released image file holds; not read") from None


def _check_tests(tests: dict[str, dict[str, tuple[int, Path]]]) -> None:
    """Every clip tested once, in its own subject's fold: a subject folder without a test image, a clip in two
    subjects' test folders, or a test image named after another subject is refused, naming the file."""
    places: dict[str, list[Path]] = {}
    for images in tests.values():
        for name, (_, path) in images.items():
            places.setdefault(name, []).append(path)
    for name, paths in places.items():
        if len(paths) > 1:
            raise DatasetError(f"{paths[1]}: clip {name} is in {len(paths)} subjects' test folders (also {paths[0]}); "
                               "each clip is tested once, in its own subject's fold")
    for subject, images in tests.items():
        for name, (_, path) in images.items():
            owner = _named_subject(name, tests)
            if owner is not None and owner != subject:
                raise DatasetError(f"{path}: a test image of subject {owner} in subject {subject}'s test folder; "
                                   "each clip is tested in its own subject's fold")


def _check_training(tree: Path, tests: dict[str, dict[str, tuple[int, Path]]]) -> None:
    """Each subject's ``u_train`` holds the whole set but its own clips: every other subject's test images, under
    the same class, byte for byte (the folds the authors trained, and so their released weights, saw the images a
    run tests). The first difference is refused, naming the file."""
    whole = {name: entry for images in tests.values() for name, entry in images.items()}
    tested: dict[str, bytes] = {}  # each test image's digest, read once
    for subject, own in tests.items():
        part = tree / subject / "u_train"
        if not part.is_dir():
            raise DatasetError(f"{tree / subject}: no u_train folder; expected {TREE_LAYOUT}")
        train = _tree_part(part)
        for name, (label, path) in train.items():
            if name in own:
                raise DatasetError(f"{path}: subject {subject}'s fold trains on its own test clip {name} "
                                   f"({own[name][1]}); expected only the other subjects' clips")
            if name not in whole:
                raise DatasetError(f"{path}: a training image no subject's test folder holds; expected the other "
                                   "subjects' test images only")
            test_label, test_path = whole[name]
            if label != test_label:
                raise DatasetError(f"{path}: class {label}, but its test image {test_path} is class {test_label}")
            if name not in tested:
                tested[name] = _image_digest(test_path)
            if _image_digest(path) != tested[name]:
                raise DatasetError(f"{path}: differs from the clip's test image {test_path}; expected the same "
                                   "image in every fold")
        lacking = [name for name in whole if name not in own and name not in train]
        if lacking:
            raise DatasetError(f"{part}: no training copy of {len(lacking)} clip(s) other subjects test (first: "
                               f"{whole[lacking[0]][1]}); expected every other subject's test images")


def _load_tree(found: Found) -> list[Sample]:
    """The clips of STSTNet's tree: each subject folder's test images, after the tree is checked as a whole
    (:func:`_check_tests`, :func:`_check_training`): a clip is never counted twice, nor tested in another fold
    than the one its weights were trained for."""
    assert found.tree is not None
    tests: dict[str, dict[str, tuple[int, Path]]] = {}
    for subject_dir in discovery.subdirs(found.tree):
        database_of(subject_dir.name)
        test = subject_dir / "u_test"
        if not test.is_dir():
            raise DatasetError(f"{subject_dir}: no u_test folder; expected {TREE_LAYOUT}")
        tests[subject_dir.name] = _tree_part(test)
        if not tests[subject_dir.name]:
            raise DatasetError(f"{test}: no test image; every subject folder tests its own clips ({TREE_LAYOUT})")
    _check_tests(tests)
    _check_training(found.tree, tests)
    samples = []
    for subject, images in tests.items():
        database = database_of(subject)
        for name, (label, path) in images.items():
            clip = name[len(subject) + 1:] if name.startswith(subject + "_") else name
            samples.append(_sample(database, subject, clip, label, "ststnet", path, None))
    return samples


def load(root: str | Path) -> list[Sample]:
    """The composite's clips from the released inputs under ``root`` (HTNet's or STSTNet's layout), in the
    order the MEGC list gives them (HTNet's csv) or by subject folder (STSTNet's tree)."""
    found = find(root)
    return _load_htnet(found) if found.layout == "htnet" else _load_tree(found)


def describe(root: str | Path) -> str:
    """One line: which layout, where (for ``results.json``, reports and ``--check-data``)."""
    found = find(root)
    where = found.csv.parent if found.csv is not None else found.tree
    return f"{LAYOUTS[found.layout]} at {where}"


def holds_released(samples: Iterable[Sample]) -> bool:
    """Whether any of ``samples`` is a clip of the authors' released inputs (a flow image, no frames): the one
    test of the run, the screening, the benchmark and ``--check-data`` for which inputs they were given."""
    return any(s.meta.get("released") for s in samples)


def image_problems(samples: list[Sample]) -> list[str]:
    """One line per released image of ``samples`` that does not decode or has the wrong size or type
    (flow images; apex crops where listed): what ``--check-data`` lists and a run refuses."""
    problems = []
    for sample in samples:
        try:
            read_flow_image(sample.meta["flow_image"])
        except ReleasedImageError as error:
            problems.append(str(error))
        crop = sample.meta.get("apex_crop")
        if crop is not None:
            try:
                read_apex_crop(crop)
            except ReleasedImageError as error:
                problems.append(str(error))
    return problems


def no_motion(sample: Sample) -> bool:
    """Whether the released flow image shows no motion: its u and v channels are each constant (the authors'
    normalisation of a zero flow)."""
    image = read_flow_image(sample.meta["flow_image"])
    return all(int(image[..., k].max()) == int(image[..., k].min()) for k in (0, 1))


def corpus_inputs(samples) -> str:
    """What a run's clips are, for ``results.json``'s ``corpus.inputs``: :data:`INPUT_KIND` for the released
    inputs, else "frames" (a database's, or the synthetic corpus's)."""
    return INPUT_KIND if holds_released(samples) else "frames"


def corpus_label(corpus) -> str:
    """The corpus in the words every printed number carries: "SYNTHETIC", "real", or "real, the authors'
    released flow images (no frames)" (a ``results.json`` ``corpus`` mapping: ``kind``, ``inputs``)."""
    if corpus.get("kind") == "synthetic":
        return "SYNTHETIC"
    inputs = corpus.get("inputs", "frames")
    return "real" if inputs == "frames" else f"real, {inputs}"
