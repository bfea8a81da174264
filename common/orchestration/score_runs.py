"""``run_all.py --score FILE --benchmark TRACK``: anyone's predictions scored exactly as ours.

    result = score_file(Path("theirs.csv"), get_track("megc2019"), RunSettings(data_root=root))
    result.outputs["results"]  # reports/score/megc2019/theirs/results.json

The run's settings are resolved first (without ``--data-root``, the profile's synthetic corpus is written once if it
is missing), then the file is read (``common.evaluation.outside``: a CSV, our own predictions.csv or the STSTNet log
format; a bad line is one line naming it), then the track's corpus is loaded as ``--benchmark`` loads it
(``--data-root``, else the synthetic corpus of the profile), the track's selection and folds made, and the file's
clips matched against them. A file whose clips differ (missing, extra, relabelled) is refused in one line that says
how many differ, unless ``partial``: then the matching clips are scored and the count left out is recorded.
``against`` names one of our runs (a folder holding its ``predictions.csv``, e.g.
``reports/benchmark/megc2019/<method>/seed0``): the paired test on the clips both predicted.

Outputs under ``<out>/score/<track>/<file name>/``: ``results.json`` (schema ``mersuite.score/1``: what it
is, the source file and its sha256, the format, the track, the corpus, the selection (unknown, or the last
epoch for one of the suite's own runs shipped with a runs.json beside it and for a log its authors publish whose code
predicts with the last epoch, known by its bytes: ``outside.known_selection``), the
matching with the number of missing, extra and relabelled clips and the first ``LISTED`` (20) of each, the
scores of ``common.leaderboard.score``, the paired test), ``predictions.csv`` (the scored clips in the runner's
columns, so another ``--score`` or a reader of ours takes it; the class probabilities of a file in our own format
carried over, a CSV's ``score_<class>`` columns, which need not be probabilities, not) and ``report.pdf``.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from common.config import profile_label
from common.errors import RunError
from common.evaluation import statistics as st
from common.evaluation.outside import (known_selection, Matched, OutsideError, OutsideFile, match, mismatch_line,
                                      read_outside, shipped_selection, shown_name)
from common.evaluation.records import jsonable, RESULTS_SCHEMA, write_predictions_csv
from common.evaluation.splits import safe_name
from common.experiment import Fold, Selection, Track
from common.files import (check_inside, file_sha256, folder_lock, prepare_output_folder, read_json,
                          terminal_text, write_json_atomic)
from common.leaderboard.score import (SCORE_SCHEMA, SELECTION, against_run, minus_words, score_statistics,
                                      write_score_report)
from common.leaderboard.summary import source_name
from common.orchestration.leaderboard_runs import track_dict
from common.orchestration.paper_runs import RunSettings, run_spec
from common.orchestration.run_folders import first_folder
from common.reporting.tables import run_partial
from common.running.corpus import load_all, load_datasets
from common.datasets.released import corpus_inputs, corpus_label

logger = logging.getLogger(__name__)

LISTED = 20  # the clips of each kind of difference results.json names (missing, extra, relabelled); all are counted
UNNAMED = "unnamed"  # the score's folder for a file whose name holds no usable character (``..csv``, ``_.csv``)

WHAT = ("predictions made outside this suite, scored as its own benchmark runs are: the track's clips, folds and "
        "subjects; pooled and fold-mean UF1/UAR; subject-bootstrap intervals; with --against, a paired test against "
        "another set of predictions on the same clips")


@dataclasses.dataclass(frozen=True)
class ScoreResult:
    """What :func:`score_file` returns: ``summary`` is exactly ``results.json``."""

    summary: Mapping[str, Any]
    outputs: Mapping[str, Path]


def _our_file(folder: Path, class_names: Sequence[str]) -> OutsideFile:
    """One of our runs' ``predictions.csv`` (``folder``'s, or ``folder`` itself), read as ``--score`` reads our own
    format (``outside.read_outside``: names as the loaders write them, every column checked), or one
    :class:`RunError`."""
    csv_path = folder / "predictions.csv" if folder.is_dir() else folder
    if not csv_path.is_file():
        raise RunError(f"--against {folder}: no predictions.csv there; expected the folder of one of our runs "
                       "(e.g. reports/benchmark/megc2019/<method>/seed0) or such a file (e.g. in docs/predictions/)")
    try:
        ours = read_outside(csv_path, class_names)
    except OutsideError as exc:
        raise RunError(f"--against {folder}: {exc}") from None
    if ours.format != "predictions_csv":
        raise RunError(f"--against {folder}: {csv_path} is in the {ours.format} format; expected one of our runs' "
                       "predictions.csv (fold, key, y_true, y_pred, status, ...)")
    return ours


def _run_words(recorded: Mapping[str, Any]) -> str:
    """What a run's results.json says its numbers are, as the comparison's lines add it to the selection: its
    profile with its ``--set`` overrides, its corpus, and a partial run's mark; "" where it records none of them
    (a results.json is a file from outside: bounded and escaped)."""
    corpus = recorded.get("corpus")
    parts = [f"profile {profile_label(str(recorded['profile'])[:60], recorded.get('overrides'))}"
             if recorded.get("profile") else "",
             f"corpus {str(corpus.get('kind'))[:20]}" if isinstance(corpus, Mapping) and corpus.get("kind") else ""]
    try:
        parts.append(run_partial(recorded))
    except (AttributeError, OverflowError, TypeError, ValueError):  # fields that are not what a run writes: not said
        pass
    said = "; ".join(part for part in parts if part)
    return f"; {terminal_text(said[:400])}" if said else ""


def against_kind(against: Path, ours: OutsideFile) -> tuple[str, str]:
    """What ``--against`` names, as the comparison's lines say it, and how its predictions were selected: a run of
    this suite (a ``results.json`` of a run beside its predictions.csv: "our run", selected as that run records;
    a shipped file listed in the runs.json beside it: "our run", its last epoch), another scored file (a ``--score``
    folder: "the scored file <name>", the selection its score recorded), else "other predictions", of an unknown
    selection (the lines name the path). Never "our run" for a file the suite did not make, nor for a ``--weights``
    run (the authors' model, evaluated); a run's profile, corpus and partial mark follow its selection."""
    folder = against if against.is_dir() else against.parent
    try:
        recorded = read_json(folder / "results.json") if (folder / "results.json").is_file() else None
    except (OSError, ValueError):  # unreadable: its kind unknown, said so
        recorded = None
    if isinstance(recorded, Mapping) and recorded.get("schema") == SCORE_SCHEMA:
        source = recorded.get("source")
        name = source_name(source) if isinstance(source, Mapping) else folder.name
        # the selection as that score recorded it, bounded and escaped: a results.json is a file from outside
        said = terminal_text(str(recorded.get("selection") or SELECTION)[:400])
        return f"the scored file {shown_name(name)}", said
    if isinstance(recorded, Mapping) and recorded.get("schema") == RESULTS_SCHEMA:
        chosen = terminal_text(str(recorded.get("selected_on_test") or "")[:400])
        selection = (f"selected on the test data: {chosen}" if chosen
                     else "last epoch (the protocol's own held-out choice where it has one)") + _run_words(recorded)
        if recorded.get("released_weights"):  # a --weights run: the authors' model, evaluated, never trained here
            return "the authors' released weights (our run evaluated them, not trained)", selection
        return "our run", selection
    shipped = shipped_selection(ours.path, ours.format)
    if shipped is not None:
        return "our run", shipped
    return "other predictions", SELECTION


def _our_run(ours: OutsideFile, name: str, selection: Selection, folds: Sequence[Fold], *,
             synthetic: bool) -> st.Predictions:
    """Our run's predictions on the track's clips and folds (``outside.match``, as the scored file's), or one
    :class:`RunError` when it lists a clip the track does not hold or gives a clip another true class. On the
    synthetic corpus, whose clips bear the real databases' names, a run on real data fails on its folds: the line
    says which corpus the score is on."""
    try:
        matched = match(ours, selection, folds)
    except OutsideError as exc:
        corpus = (" (this score is on the suite's SYNTHETIC corpus: a run on real data holds "
                  "other folds and classes under the same clip names)" if synthetic else "")
        raise RunError(f"--against {name}: {exc}{corpus}") from None
    wrong = [f"{len(matched.extra)} extra (first {shown_name(matched.extra[0])})" if matched.extra else "",
             f"{len(matched.relabelled)} relabelled (first {shown_name(matched.relabelled[0].key)})"
             if matched.relabelled else ""]
    if any(wrong) or matched.predictions is None:
        what = "; ".join(w for w in wrong if w) or "no clip of the track's selection"
        raise RunError(f"--against {name}: {what}; expected one of our runs on the track's clips")
    return matched.predictions


def _paired_clips(theirs: st.Predictions, ours: st.Predictions, name: str, partial: bool) -> str | None:
    """Refuses (one :class:`RunError`) a paired test on fewer clips than the file scores, unless ``partial``: then
    the words saying so, for the log, ``results.json`` and the report. None when our run predicted every one."""
    ours_keys = set(ours.keys.tolist()) if ours.keys is not None else set()
    lacking = [k for k in (theirs.keys.tolist() if theirs.keys is not None else []) if k not in ours_keys]
    if not lacking:
        return None
    n = len(theirs) - len(lacking)
    if not partial:
        raise RunError(f"--against {name}: our run predicted {n} of the {len(theirs)} clips the file scores "
                       f"({len(lacking)} differ, first {shown_name(lacking[0])}); expected our run on every one, or "
                       f"--partial to pair on the {n} both predicted")
    return (f"PARTIAL: the paired test is on {n} of the {len(theirs)} clips scored; {len(lacking)} the file scores "
            "are not predicted by the --against predictions and are left out of it")


def _matching(matched: Matched, partial: bool) -> dict[str, Any]:
    """The matching as ``results.json`` records it: the counts, and of each kind of difference (missing, extra,
    relabelled) its number and the first :data:`LISTED` clips, so that a file of many thousand clips the track
    does not hold writes a results.json of bounded size (its own reader, ``read_json``, takes at most 32 MiB)."""
    kinds: dict[str, list[Any]] = {"missing": list(matched.missing), "extra": list(matched.extra),
                                   "relabelled": [dataclasses.asdict(r) for r in matched.relabelled]}
    listed: dict[str, Any] = {}
    for what, clips in kinds.items():
        listed[what] = clips[:LISTED]
        listed[f"n_{what}"] = len(clips)
        listed[f"{what}_not_listed"] = max(len(clips) - LISTED, 0)
    return {"track_clips": matched.n_track, "file_rows": matched.n_rows, "scored": matched.scored,
            "differ": matched.differ, "partial": partial, "left_out": matched.n_track - matched.scored, **listed,
            "meaning": "missing: clips of the track's selection the file does not list; extra: clips the file lists "
                       "that the track does not hold (not scored); relabelled: clips whose true class in the file "
                       f"differs from the track's (not scored); each lists its first {LISTED}, n_<kind> counts all "
                       "and <kind>_not_listed those beyond; left_out: the track's clips not scored"}


def _records(matched: Matched, selection: Selection, *, probabilities: bool) -> list[dict[str, Any]]:
    """The scored clips as fold records (the runner's fields), for ``records.write_predictions_csv``; with
    ``probabilities`` (a file in our own format, whose ``p_<class>`` columns were checked as distributions), their
    class probabilities too."""
    p = matched.predictions
    if p is None or p.folds is None or p.keys is None:
        return []
    scores = matched.scores if probabilities else None
    records: dict[str, dict[str, Any]] = {}
    for n, fold in enumerate(p.folds.tolist()):
        r = records.setdefault(fold, {"fold": fold, "status": "ok", "test_indices": [], "keys": [], "datasets": [],
                                      "subjects": [], "y_true": [], "y_pred": []})
        if scores is not None:
            r.setdefault("probabilities", []).append([float(v) for v in scores[n]])
        r["test_indices"].append(matched.indices[n])
        r["keys"].append(str(p.keys[n]))
        r["datasets"].append(str(p.datasets[n]))
        r["subjects"].append(str(p.subjects[n]))
        r["y_true"].append(int(p.y_true[n]))
        r["y_pred"].append(int(p.y_pred[n]))
    return list(records.values())


def _summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The printed summary: every number says what it is (scope, pooled or fold mean, interval, corpus)."""
    name, track = source_name(summary["source"]), summary["track"]["name"]
    corpus = corpus_label(summary["corpus"])
    m = summary["matching"]
    # under --partial, what was not scored: the track's clips left out (missing or relabelled) and the file's rows
    # the track does not hold (ignored); each said here, not only counted in results.json
    not_scored = [f"{m['left_out']} left out"] if m["left_out"] else []
    if m["n_extra"]:
        not_scored.append(f"{m['n_extra']} of the file's {m['file_rows']} rows not on the track, ignored")
    lines = [f"[score {track}] {name} ({summary['source']['format']}): {m['scored']} of {m['track_clips']} clips of "
             f"the track scored" + (f" (--partial: {'; '.join(not_scored)})" if not_scored else "")
             + f"; corpus {corpus}; selection of the predictions: {summary['selection'].split(':')[0]}"]
    statistics = summary["statistics"]
    lines.append(f"[score {track}] intervals: {statistics['interval']['how']}; "
                 f"{statistics['aggregation']['fold_mean']}")
    for scope, entry in statistics["scores"].items():
        parts = []
        for metric in ("uf1", "uar"):
            v = entry[metric]
            interval = v.get("interval")
            ci = f" [{interval['low']:.4f}, {interval['high']:.4f}]" if interval else " (no interval)"
            fold_mean = f"{v['fold_mean']:.4f}" if v.get("fold_mean") is not None else "–"
            parts.append(f"{metric.upper()} {v['pooled']:.4f}{ci} pooled over folds, {fold_mean} fold mean")
        lines.append(f"[score {track}] scope {scope}: " + "; ".join(parts) + f" ({entry['uf1']['n']} clips, "
                     f"{entry['uf1']['n_subjects']} subjects; 95% CI: bootstrap over subjects, as above)")
    against = summary.get("against")
    if against:
        kind = against.get("b_kind", "our run")
        lines.append(f"[score {track}] against {against['b']}: {kind}, its predictions selected by "
                     f"{against.get('b_selection', 'an unrecorded rule')}")
        for metric, c in against["comparisons"].items():
            p = st.p_text(c["p_value"], exact=c["exact_p"], n_permutations=c["n_permutations"], digits=4)
            lines.append(f"[score {track}] against {c['b']}: {metric.upper()} file minus {minus_words(kind)} "
                         f"{c['difference']:+.4f} [{c['low']:+.4f}, {c['high']:+.4f}] (pooled over folds, 95% "
                         f"paired bootstrap over subjects), two-sided paired permutation p {p}, on {against['n']} "
                         "clips")
        if against.get("note"):
            lines.append(f"[score {track}] against {against['b']}: {against['note']}")
    return lines


def _identity(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What makes a stored score the same as another: the file's bytes, the run it was compared with, the corpus,
    the profile, the seed and ``--partial``."""
    corpus = summary.get("corpus") or {}
    against = summary.get("against_folder") or ("an earlier run" if summary.get("against") else None)
    return {"sha256": (summary.get("source") or {}).get("sha256"), "against": against,
            "root": corpus.get("root"), "profile": corpus.get("profile"), "seed": summary.get("seed", 0),
            "partial": (summary.get("matching") or {}).get("partial")}


def score_folder(base: Path, identity: Mapping[str, Any]) -> Path:
    """``base``, else ``base-2``, ``base-3``...: the first folder that holds no score or this very one
    (:func:`_identity`), so that an earlier score (another file of the same name, the same file against another
    run) is never replaced (``common.orchestration.run_folders.first_folder``)."""
    def takes(folder: Path) -> bool:
        if (folder / "results.json").is_symlink():  # even a dangling one (read as missing): not a score of ours
            logger.warning(f"{folder / 'results.json'}: a symbolic link, not a score's results; left as it is, the "
                           "score is written beside it")
            return False
        try:
            stored = read_json(folder / "results.json")  # bounded: common.files.JSON_BYTES, JSON_DEPTH
        except FileNotFoundError:
            return True
        except (OSError, ValueError) as exc:  # unreadable: not ours to replace
            why = (exc.strerror or exc) if isinstance(exc, OSError) else exc
            logger.warning(f"{folder / 'results.json'}: cannot be read as a score's results ({why}); left as it is, "
                           f"the score is written beside it")
            return False
        return isinstance(stored, dict) and _identity(stored) == dict(identity)

    return first_folder(base, takes)


def _folder_name(path: Path) -> str:
    """The score's folder name: the file's name without its suffix made safe (``splits.safe_name``), or, for a name
    that holds nothing safe (``..csv``, ``_.csv``), :data:`UNNAMED` (another score of that name goes beside it:
    :func:`score_folder`)."""
    try:
        return safe_name(path.stem)
    except ValueError:
        return UNNAMED


def score_file(path: Path, track: Track, settings: RunSettings, *, partial: bool = False,
               against: Path | None = None,
               n_resamples: int = st.DEFAULT_RESAMPLES, statistics_seed: int = 0) -> ScoreResult:
    """Read, match, score and write (module docstring). Raises :class:`common.errors.RunError` (one line)
    for a mismatch without ``partial``, an unusable ``against`` or corpus; the file's own errors are
    ``common.evaluation.outside.OutsideError`` (one line each)."""
    path = Path(path)
    name = _folder_name(path)
    run = run_spec(settings, (), settings.profile)
    profile, root, synthetic = run.profile, run.root, run.synthetic
    out = run.out
    if out.exists() and not out.is_dir():  # checked before any work: the folders under it could never be made
        raise RunError(f"--out {out}: not a folder; expected a folder (made when missing) for the score")
    outside: OutsideFile = read_outside(path, track.class_names)
    ours_file = _our_file(Path(against), track.class_names) if against is not None else None
    data = load_datasets(track, root, load_all([track], root, settings.loader))
    selection = track.select(data)
    folds = track.folds(selection, settings.seed)
    matched = match(outside, selection, folds)
    if matched.differ and not partial:
        raise RunError(mismatch_line(outside, matched, track.name))
    if matched.predictions is None:
        raise RunError(mismatch_line(outside, matched, track.name))
    statistics = score_statistics(track, matched, n_resamples=n_resamples, seed=statistics_seed)
    comparison = None
    if ours_file is not None and against is not None:
        # A folder is named by itself; a file (e.g. one of docs/predictions/) by its own name, since the shipped
        # files share one folder.
        ours_name = str(Path(against) if Path(against).is_dir() else ours_file.path)
        ours = _our_run(ours_file, ours_name, selection, folds, synthetic=synthetic)
        partial_note = _paired_clips(matched.predictions, ours, ours_name, partial)
        kind, chosen = against_kind(Path(against), ours_file)
        try:
            comparison = against_run(matched.predictions, ours, len(track.class_names), (path.name, ours_name),
                                     n_resamples=n_resamples, seed=statistics_seed, kind=kind)
        except ValueError as exc:
            raise RunError(f"--against {against}: {' '.join(str(exc).split())}") from None
        comparison["b_selection"] = chosen
        if partial_note:
            comparison["note"] = "; ".join(n for n in (partial_note, comparison.get("note")) if n)
            logger.warning(f"[score {track.name}] against {ours_name}: WARNING: {partial_note}")
    against_folder = str(Path(against).resolve()) if against is not None else None
    summary = jsonable({
        "schema": SCORE_SCHEMA, "what": WHAT,
        # path: the file read, links resolved; name: as the command gave it (a link's own name), which the score's
        # folder and its console line take
        "source": {"path": str(path.resolve()), "name": path.name, "sha256": file_sha256(path),
                   "format": outside.format, "rows": len(outside.rows), "class_scores": outside.has_scores},
        "selection": known_selection(path, outside.format) or SELECTION, "track": track_dict(track),
        "corpus": {"kind": "synthetic" if synthetic else "real", "root": str(Path(root).resolve()),
                   "profile": profile, "clips": len(selection.samples), "inputs": corpus_inputs(selection.samples)},
        "n_folds": len(folds), "matching": _matching(matched, partial), "statistics": statistics,
        "against": comparison, "against_folder": against_folder, "seed": settings.seed, "command": settings.command,
        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
    })
    # the folder: the first that is free or holds this very score, read by the identity a stored one is read by
    folder = score_folder(out / "score" / track.name / name, _identity(summary))
    check_inside(out, folder)  # a symbolic link in the way would put the score outside --out: one line
    folder = prepare_output_folder(folder, "--out")
    outputs = {"dir": folder, "results": folder / "results.json", "predictions": folder / "predictions.csv",
               "report": folder / "report.pdf"}
    summary["outputs"] = jsonable(outputs)
    with folder_lock(folder, "score folder"):
        try:
            write_json_atomic(outputs["results"], summary)
            write_predictions_csv(outputs["predictions"], _records(
                matched, selection, probabilities=outside.format == "predictions_csv" and outside.has_scores),
                tuple(track.class_names))
            write_score_report(summary, outputs["report"])
        except OSError as exc:
            raise RunError(f"cannot write the score outputs under {folder}: {exc.strerror or exc}") from None
    for line in _summary_lines(summary):  # each one line, though the file's name holds a line end
        logger.info(terminal_text(line))
    warning = (statistics.get("class_scores") or {}).get("warning")
    if warning:
        logger.warning(terminal_text(f"[score {track.name}] {path.name}: {warning}"))
    logger.info(f"[score {track.name}] {outputs['results']}, {outputs['predictions'].name}, {outputs['report'].name}")
    return ScoreResult(summary=summary, outputs=outputs)
