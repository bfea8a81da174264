#!/usr/bin/env python
"""The reproductions' shipped predictions (``docs/predictions/``): the README's table and figure, recomputed from
them.

    .venv/bin/python benchmarks/reproductions.py             # prints the table, writes docs/reproductions.png
    .venv/bin/python benchmarks/reproductions.py --readme    # and puts the tables into README.md and docs/

``docs/predictions/runs.json`` lists the suite's runs on the authors' released inputs of the MEGC 2019 composite
(442 clips, 68 leave-one-subject-out folds): for each, the predictions file (``predictions.csv`` as the run wrote
it), the method, recipe (profile) and seed, how many of the 68 folds it holds, the command, the commit of the tree
it ran on, the machine and its wall time. Every number here is computed from those files with the suite's own
statistics (``common.evaluation.statistics.describe``: pooled UF1 / UAR per scope, the mean over seeds, the 95 %
percentile interval of a bootstrap over subjects crossed with seeds, 2,000 resamples, seed 0), beside each
method's published numbers as its package transcribes them (``Experiment.reported``; for the port recipe, the
port's own, ``Pipeline.weights_reported``). A run that did not finish all 68 folds is marked partial and left out
of the means. ``tests/test_reproductions.py`` checks that the README's table is this script's, from these files.
Not a speed script: it lives here beside the other scripts that draw on the registry (``common/`` imports no
paper).
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.datasets.megc2019 import REAL_COUNTS  # noqa: E402  (after the repository is on the path)
from common.reporting.site import Published, seed_ranges  # noqa: E402
from common.reporting.tables import seeds_words  # noqa: E402

FOLDER = ROOT / "docs" / "predictions"
FIGURE = ROOT / "docs" / "reproductions.png"
SCOPES = ("all", "casme2", "smic", "samm")
# the composite's subjects (its LOSO folds) and clips, as the released inputs hold them
FOLDS = sum(subjects for subjects, _ in REAL_COUNTS.values())
CLIPS = sum(clips for _, clips in REAL_COUNTS.values())
SCOPE_NAMES = {"all": f"all ({CLIPS})", "casme2": f"CASME II ({REAL_COUNTS['casme2'][1]})",
               "smic": f"SMIC ({REAL_COUNTS['smic'][1]})", "samm": f"SAMM ({REAL_COUNTS['samm'][1]})"}
METRICS = ("uf1", "uar")
CLASSES = 3


@dataclasses.dataclass(frozen=True)
class Method:
    """One method and recipe of the runs, its seeds' scores and what it is compared with."""

    key: str  # "<method>-<recipe>", "<method>-<recipe>-<name>" for an option's runs listed in runs.json
    label: str
    seeds: tuple[int, ...]
    partial: tuple[str, ...]  # "seed k: n of 68 folds" of the runs left out of the means
    not_run: tuple[int, ...]  # the planned seeds without a file
    scores: dict[str, dict[str, dict[str, Any]]]  # statistics.describe's: scope -> metric -> numbers
    published: dict[tuple[str, str], Published]  # (metric, scope) -> as printed, recomputed where the artefact differs
    # the same at each subject's best test epoch (the epoch-selection gauge's (b), docs/methods.md §9.4), over the
    # seeds whose per-epoch record is shipped (gauge_seeds); {} when none is
    gauge: dict[str, dict[str, dict[str, Any]]]
    gauge_seeds: tuple[int, ...]
    positive_recall: tuple[float, ...]  # each seed's recall of the positive class, all 442 clips
    predictions: tuple[Any, ...]  # each seed's statistics.Predictions, in seed order
    # the seeds whose runs.json entry is marked "superseded": made by a recipe since fixed, scored as they are until
    # a rerun of the profile as it stands replaces them (the entry's note says why)
    superseded: tuple[int, ...] = ()
    # which of a subject's epochs tied on its best test accuracy ``gauge`` keeps: its package's
    # ``Pipeline.best_epoch_ties`` (the authors' own rule, "latest" for HTNet's main_HTNet.py)
    ties: str = "earliest"


def manifest(folder: Path = FOLDER) -> list[dict[str, Any]]:
    """The runs of ``runs.json``, in its order."""
    return json.loads((folder / "runs.json").read_text(encoding="utf-8"))["runs"]


def published_numbers(method: str, recipe: str) -> dict[tuple[str, str], Published]:
    """``{(metric, scope): Published}``: the numbers the method's package transcribes for its MEGC 2019 composite
    experiment (as printed, and the value its authors' artefact gives where the package records one: the value ours
    is compared with), or for the port recipe the port's own published numbers. Test-selected: a number the paper
    computed otherwise (``Reported.comparable`` False: its authors kept each subject's best test epoch)."""
    import papers
    from common.leaderboard.site import registry_published

    return registry_published(papers, method, recipe)  # the site's reading of the same numbers


def planned(folder: Path = FOLDER) -> list[dict[str, Any]]:
    """The runs ``runs.json`` says were planned (``{"method", "recipe", "label", "seeds"}``), whether or not they
    finished: a planned seed without a file is one the table names as not finished (not started, or under way)."""
    return json.loads((folder / "runs.json").read_text(encoding="utf-8")).get("planned", [])


def methods(folder: Path = FOLDER, n_resamples: int = 2000) -> list[Method]:
    """The runs of ``folder`` grouped by method and recipe (and option: ``site.run_key``), scored (module
    docstring), in the planned order."""
    from common.evaluation import statistics as st
    from common.leaderboard.site import run_key

    groups: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, tuple[str, str, str]] = {}
    seeds_planned: dict[str, list[int]] = {}
    for plan in planned(folder):
        key = run_key(plan)
        groups[key], seeds_planned[key] = [], plan["seeds"]
        labels[key] = (plan["method"], plan["recipe"], plan["label"])
    for run in manifest(folder):
        key = run_key(run)
        groups.setdefault(key, []).append(run)
        labels.setdefault(key, (run["method"], run["recipe"], run["label"]))
    out = []
    for key, runs in groups.items():
        done = [r for r in runs if r["folds"] == FOLDS]
        ran = {r["seed"] for r in runs}
        partial = tuple(f"seed {r['seed']}: {r['folds']} of {FOLDS} folds" for r in runs if r["folds"] != FOLDS)
        not_run = tuple(k for k in seeds_planned.get(key, []) if k not in ran)
        predictions = [st.read_predictions_csv(folder / r["file"]) for r in done]
        scores = st.describe(predictions, CLASSES, METRICS, SCOPES, n_resamples=n_resamples) if predictions else {}
        with_epochs = [r for r in done if r.get("epochs")]
        method, recipe, label = labels[key]
        ties = tie_rule(method)
        selected = [best_test_epoch(folder, r, ties) for r in with_epochs]
        gauge = st.describe(selected, CLASSES, METRICS, SCOPES, n_resamples=n_resamples) if selected else {}
        out.append(Method(key=key, label=label, seeds=tuple(r["seed"] for r in done), partial=partial,
                          not_run=not_run, scores=scores, published=published_numbers(method, recipe), gauge=gauge,
                          gauge_seeds=tuple(r["seed"] for r in with_epochs),
                          positive_recall=tuple(class_recall(p, POSITIVE) for p in predictions),
                          predictions=tuple(predictions),
                          superseded=tuple(r["seed"] for r in done if r.get("superseded")), ties=ties))
    return out


def tie_rule(method: str) -> str:
    """The rule ``method``'s package names for a subject's tied best test epochs (``Pipeline.best_epoch_ties``,
    checked where it is declared); a package that cannot be loaded fails here, never scores by another rule."""
    import papers

    return str(papers.get_paper(method).PIPELINE.best_epoch_ties)


POSITIVE = 1  # the composite's class order: negative, positive, surprise


def class_recall(predictions: Any, label: int) -> float:
    """The recall of one class over all clips of ``predictions`` (a ``statistics.Predictions``)."""
    truth = predictions.y_true == label
    return float((predictions.y_pred[truth] == label).mean())


def best_test_epoch(folder: Path, run: dict[str, Any], ties: str = "earliest") -> Any:
    """A run's predictions had each fold kept its best test epoch (the gauge's (b); ``ties``: which of tied
    epochs), from its shipped predictions file and per-epoch record
    (``common.evaluation.epoch_selection.records_of_files``)."""
    from common.evaluation import epoch_selection
    from common.evaluation import statistics as st

    records = epoch_selection.records_of_files(folder / run["file"], folder / run["epochs"])
    return st.from_records(epoch_selection.at_best_epoch_per_fold(records, ties=ties),
                           source=f"{run['file']} at each subject's best test epoch")


def _cell(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "not run"
    interval = entry["interval"]
    seeds = ", ".join(f"{v:.3f}" for v in entry["per_seed"])
    return f"{entry['pooled']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}] ({seeds})"


def published_cell(m: Method, scope: str, sources: bool) -> str:
    """The published UF1 / UAR of one scope, as both tables write it: each value as printed, to four decimals ("-"
    where none is transcribed), "(test-selected)" where the paper chose the epoch on the test data, the value the
    authors' own predictions give where it differs from the printed one (named recomputed: the one ours is compared
    with), and with ``sources`` where they were read."""
    pub = [m.published.get((metric, scope)) for metric in METRICS]
    cell = " / ".join("-" if p is None else f"{p.value:.4f}" for p in pub)
    if any(p and p.test_selected for p in pub):
        cell += " (test-selected)"
    notes = list(dict.fromkeys(p.source for p in pub if p)) if sources else []
    notes += [p.recomputed_note(metric) for metric, p in zip(METRICS, pub) if p and p.recomputed is not None]
    return cell + (f" ({'; '.join(notes)})" if notes else "")


def _gauge_cell(m: Method, scope: str) -> str:
    entry = m.gauge.get(scope, {})
    if not entry:
        return "no per-epoch record"
    values = " / ".join(f"{entry[metric]['pooled']:.3f}" for metric in METRICS)
    rule = "" if m.ties == "earliest" else f"; the {m.ties} of ties, as its authors' code"
    return f"{values} ({seeds_words(m.gauge_seeds)}{rule})"


def table(rows: list[Method]) -> str:
    """The README's table: per method and recipe, UF1 and UAR of all 442 clips at the last epoch (mean over
    seeds [95 % interval, subjects x seeds] (each seed)), at each subject's best test epoch where the per-epoch
    record is shipped, and what it is compared with."""
    lines = ["| method, recipe (seeds) | UF1 [95 % CI] (per seed) | UAR [95 % CI] (per seed) "
             "| best test epoch per subject (earliest of ties unless marked): UF1 / UAR (test-selected) "
             "| published UF1 / UAR |",
             "| --- | --- | --- | --- | --- |"]
    for m in rows:
        notes = [f"{seeds_words(m.seeds)}"] if m.seeds else []
        if m.partial:
            notes.append(f"partial, left out: {'; '.join(m.partial)}")
        if m.not_run:
            notes.append(f"{seeds_words(m.not_run)} not finished")
        if m.superseded:
            notes.append(f"{seeds_words(m.superseded)} by a recipe since fixed, rerun pending (runs.json note)")
        all_scope = m.scores.get("all", {})
        cells = " | ".join(_cell(all_scope.get(metric)) for metric in METRICS)
        lines.append(f"| {m.label} ({'; '.join(notes)}) | {cells} | {_gauge_cell(m, 'all')} "
                     f"| {published_cell(m, 'all', sources=True)} |")
    return "\n".join(lines)


def scope_table(rows: list[Method]) -> str:
    """docs/reproductions.md's table: per method and recipe and per database, UF1 and UAR as in :func:`table`."""
    lines = ["| method, recipe | scope | UF1 [95 % CI] (per seed) | UAR [95 % CI] (per seed) "
             "| best test epoch per subject (earliest of ties unless marked): UF1 / UAR (test-selected) "
             "| published UF1 / UAR |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in rows:
        for scope in SCOPES:
            entry = m.scores.get(scope, {})
            lines.append(f"| {m.label} | {SCOPE_NAMES[scope]} | {_cell(entry.get('uf1'))} | {_cell(entry.get('uar'))} "
                         f"| {_gauge_cell(m, scope)} | {published_cell(m, scope, sources=False)} |")
    return "\n".join(lines)


def distribution_table(rows: list[Method]) -> str:
    """docs/reproductions.md's distribution of each recipe's seeds (UF1 of all 442 clips, last epoch): how many,
    mean, standard deviation (ddof 1), range, where the published number falls among them (the share of our
    seeds below it) and the one-sided p of a run of ours reaching it ((1 + seeds at or above it) / (1 + seeds)),
    and each seed's recall of the positive class. A published number its paper selected on the test data (HTNet's)
    is shown and not placed among last-epoch runs: it measures another thing."""
    lines = ["| method, recipe | seeds | UF1 mean (sd) | UF1 range | published UF1 | seeds below it | one-sided p "
             "| positive recall: mean (range) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for m in rows:
        values = m.scores.get("all", {}).get("uf1", {}).get("per_seed", [])
        if not values:
            continue
        sd = f"{stdev(values):.3f}" if len(values) > 1 else "-"
        pub = m.published.get(("uf1", "all"))
        if pub is None:
            where = p_value = published = "-"
        elif pub.test_selected:  # test-selected: no last-epoch run is a draw of what it measures
            published, where, p_value = f"{pub.reference_value:.4f} (test-selected)", "not comparable", "-"
        else:
            below = sum(v < pub.reference_value for v in values)
            at_or_above = len(values) - below
            published, where = f"{pub.reference_value:.4f}", f"{below} of {len(values)}"
            p_value = f"{(1 + at_or_above) / (1 + len(values)):.3f}"
        recall = m.positive_recall
        lines.append(f"| {m.label} | {len(values)} | {sum(values) / len(values):.3f} ({sd}) | {min(values):.3f} to "
                     f"{max(values):.3f} | {published} | {where} | {p_value} | {sum(recall) / len(recall):.3f} "
                     f"({min(recall):.3f} to {max(recall):.3f}) |")
    return "\n".join(lines)


def stdev(values: list[float]) -> float:
    """The sample standard deviation (ddof 1)."""
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


@dataclasses.dataclass(frozen=True)
class Ablation:
    """One option of STSTNet's MATLAB recipe (``papers.liong2019.config.MATLAB_ABLATIONS``) against the run it is
    measured against (``ABLATION_BASELINES``: the `paper` profile, or another option), on the seeds shipped for both
    (``liong2019-paper-seed<k>-<option>.csv`` and ``liong2019-paper-seed<k>[-<against>].csv``)."""

    option: str
    against: str  # "paper", or the option it is measured against
    overrides: dict[str, Any]  # the option's --set values beyond those of what it is measured against
    seeds: tuple[int, ...]
    uf1: tuple[float, float]  # (the option's mean over the seeds, the baseline's on the same seeds)
    uf1_difference: tuple[float, float, float]  # option minus baseline, its 95 % paired interval
    recall: tuple[float, float]  # the positive class's recall, the same way
    recall_difference: tuple[float, float, float]


def positive_clips(predictions: Any) -> Any:
    """``predictions`` restricted to the clips whose true class is positive: their accuracy is the positive class's
    recall, so ``statistics.compare`` on them gives its paired subject-bootstrap interval."""
    from common.evaluation import statistics as st

    return st.subset(predictions, predictions.y_true == POSITIVE)


def option_file(option: str, seed: int) -> str:
    """The shipped predictions of STSTNet's MATLAB recipe, seed ``seed``, with ``option`` (``""``: the profile)."""
    from benchmarks.shipped_folds import run_name

    return f"{run_name('liong2019', 'paper', seed, option)}.csv"


def option_seeds(folder: Path = FOLDER) -> dict[str, tuple[int, ...]]:
    """Each option of ``MATLAB_ABLATIONS`` that has a seed shipped beside the same seed of what it is measured
    against (``ABLATION_BASELINES``): those seeds. The profile's seeds count where runs.json lists them with all 68
    folds, an option's where runs.json lists them so or its file is shipped (an option's run ships its file only
    when all its folds are in)."""
    from papers.liong2019.config import ABLATION_BASELINES

    listed = {(r.get("name") or "", r["seed"]) for r in manifest(folder)
              if (r["method"], r["recipe"], r["folds"]) == ("liong2019", "paper", FOLDS)}
    seeds = sorted({k for _, k in listed})

    def shipped(option: str, seed: int) -> bool:
        return (option, seed) in listed or (option != "" and (folder / option_file(option, seed)).is_file())

    found = {option: tuple(k for k in seeds if shipped(option, k) and shipped(against, k))
             for option, against in ABLATION_BASELINES.items()}
    return {option: seeds for option, seeds in found.items() if seeds}


def option_words(option: str) -> str:
    """``fixed_subset + glorot`` (of ``fixed_subset_glorot``): the option and, before it, each option it is measured
    on, each named once (an option measured on another has a name that begins with the other's)."""
    from papers.liong2019.config import ABLATION_BASELINES

    names: list[str] = []
    while option:
        against = ABLATION_BASELINES[option]
        names.insert(0, option.removeprefix(f"{against}_") if against else option)
        option = against
    return " + ".join(names)


def ablations(folder: Path = FOLDER, n_resamples: int = 2000) -> list[Ablation]:
    """Each option of ``MATLAB_ABLATIONS`` with at least one seed shipped beside the same seed of what it is
    measured against, scored paired with it (``statistics.compare``: the bootstrap draws subjects and seeds
    together, each option seed with the other run's seed of the same number)."""
    from common.config import apply_overrides
    from common.evaluation import statistics as st
    from papers.liong2019.config import ABLATION_BASELINES, MATLAB_ABLATIONS, default_config

    out = []
    for option, seeds in option_seeds(folder).items():
        against = ABLATION_BASELINES[option]
        underneath = apply_overrides(default_config(), dict(MATLAB_ABLATIONS.get(against, {})))  # the run's config
        overrides = {f: v for f, v in MATLAB_ABLATIONS[option].items()
                     if functools.reduce(getattr, f.split("."), underneath) != v}
        ours = [st.read_predictions_csv(folder / option_file(option, k)) for k in seeds]
        base = [st.read_predictions_csv(folder / option_file(against, k)) for k in seeds]
        cells = []
        for a, b, metric in ((ours, base, "uf1"), ([positive_clips(p) for p in ours],
                                                   [positive_clips(p) for p in base], "accuracy")):
            c = st.compare(a, b, CLASSES, metric, names=(option, against or "paper"), n_resamples=n_resamples,
                           n_permutations=n_resamples)
            cells.append(((c.a_score, c.b_score), (c.difference, c.low, c.high)))
        (uf1, uf1_difference), (recall, recall_difference) = cells
        out.append(Ablation(option=option, against=against or "paper", overrides=overrides, seeds=seeds, uf1=uf1,
                            uf1_difference=uf1_difference, recall=recall, recall_difference=recall_difference))
    return out


def ablation_table(rows: list[Ablation]) -> str:
    """docs/reproductions.md's table of the measured options (:func:`ablations`): each option's ``--set`` values
    beyond those of what it is measured against, and the differences from it."""
    from common.config import set_arguments

    lines = ["| option (`--set`) | against | seeds | UF1: option (against, same seeds) "
             "| option minus against: UF1 [95 % paired CI] | positive recall: option (against) "
             "| option minus against: positive recall [95 % paired CI] |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for a in rows:
        sets = " ".join(f"`{assignment}`" for assignment in set_arguments(a.overrides)[1::2])
        d, r = a.uf1_difference, a.recall_difference
        lines.append(f"| {a.option}: {sets} | {a.against} | {', '.join(str(k) for k in a.seeds)} "
                     f"| {a.uf1[0]:.3f} ({a.uf1[1]:.3f}) | {d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}] "
                     f"| {a.recall[0]:.3f} ({a.recall[1]:.3f}) | {r[0]:+.3f} [{r[1]:+.3f}, {r[2]:+.3f}] |")
    if not rows:
        lines.append("| none shipped yet | | | | | | |")
    return "\n".join(lines)


def where_published(m: Method) -> str:
    """One paragraph: where the published UF1 falls among ``m``'s seeds (the share below it, as a percentile, and
    the one-sided p of :func:`distribution_table`) and, from the seeds' mean and sd, the chance that one more run of
    the recipe reaches it under a Student t prediction distribution (n - 1 degrees of freedom, scale sd times
    sqrt(1 + 1/n)): the normal-theory reading, which assumes the seeds' UF1 is roughly normal."""
    from scipy import stats

    values = m.scores.get("all", {}).get("uf1", {}).get("per_seed", [])
    pub = m.published.get(("uf1", "all"))
    if pub is None or len(values) < 2:
        return f"{m.label}: fewer than two seeds shipped, or no published UF1: no distribution to place it in."
    n, mean, sd = len(values), sum(values) / len(values), stdev(values)
    value = pub.reference_value
    below = sum(v < value for v in values)
    beyond = float(stats.t.sf((value - mean) / (sd * math.sqrt(1 + 1 / n)), df=n - 1))
    return (f"{m.label}, {n} seeds (UF1 mean {mean:.3f}, sd {sd:.3f}, {min(values):.3f} to {max(values):.3f}): the "
            f"published {value:.4f} lies above {below} of the {n} seeds, percentile {100 * below / n:.0f} of our "
            f"runs; one-sided p {(1 + n - below) / (1 + n):.3f} (the smallest {n} seeds can give: {1 / (1 + n):.3f}); "
            f"under a t prediction distribution from these seeds, one more run reaches it with probability "
            f"{beyond:.3f}.")


def where_paragraphs(rows: list[Method]) -> str:
    """:func:`where_published` of each STSTNet recipe, one bullet each."""
    return "\n".join(f"- {where_published(m)}" for m in rows if m.key.startswith("liong2019-"))


def port_log_predictions(path: Path, shipped: Any) -> Any:
    """The authors' PyTorch port's log (``STSTNet_python_logfile.txt``, no clip names) as predictions on ``shipped``'s
    442 clips: each subject's listed classes put on its clips in the order the port read them
    (``papers.liong2019.port_log.log_order``: class folder by class folder, each class's clips by name; the order
    the released weights, run by ``--weights``, are checked in: 442 of 442 clips). ValueError naming the file where
    a subject is missing or its true classes differ from the shipped file's."""
    import dataclasses as dc

    import numpy as np

    from common.datasets.released import authors_subject
    from papers.liong2019 import port_log

    blocks = port_log.read_log(path)
    y_pred = np.full(len(shipped), -1)
    for subject in dict.fromkeys(shipped.subjects.tolist()):
        where = np.flatnonzero(shipped.subjects == subject)
        name = authors_subject(str(shipped.datasets[where[0]]), str(subject))
        if name not in blocks:
            raise ValueError(f"{path}: no block for subject {name}")
        predicted, truth = blocks[name]
        ranked = port_log.log_order([str(k).rsplit("/", 1)[-1] for k in shipped.keys[where]],
                                    shipped.y_true[where].tolist(), truth)
        if ranked is None:
            raise ValueError(f"{path}: subject {name}'s true classes differ from the shipped file's")
        if any(not 0 <= v < CLASSES for v in predicted):
            raise ValueError(f"{path}: subject {name} predicts a class outside 0 to {CLASSES - 1}")
        y_pred[where[ranked]] = predicted
    return dc.replace(shipped, y_pred=y_pred, source=str(path))


def against_log(rows: list[Method], log: Path, n_resamples: int = 2000, folder: Path | None = None,
                port_log: Path | None = None) -> str:
    """The authors' MATLAB log (``STSTNet_logfile.txt``) minus the mean of each STSTNet recipe's seeds on the same
    442 clips, and, with ``folder``, of each option's shipped seeds (:func:`option_seeds`): UF1 and UAR with the
    paired subject-bootstrap interval (the log held fixed, subjects and seeds drawn: ``statistics.compare`` with
    the log as every seed's partner) and the positive class's recall. With ``port_log``, the port recipe's seeds
    against the port's own log too (:func:`port_log_predictions`)."""
    import dataclasses as dc

    import numpy as np

    from common.datasets.released import CLASSES as RELEASED_CLASSES
    from common.evaluation import outside
    from common.evaluation import statistics as st

    lines = ["| our recipe (seeds) | the authors' log | log minus ours: UF1 [95 % paired CI] | UAR [95 % paired CI] "
             "| positive recall: log, ours (mean) |", "| --- | --- | --- | --- | --- |"]
    read = outside.read_ststnet_log(log, RELEASED_CLASSES)
    by_key = {row.key: row for row in read.rows}
    compared = [(m.label, m.seeds, list(m.predictions)) for m in rows
                if m.key.startswith("liong2019-") and m.predictions]
    if folder is not None:  # the options that are no row of their own (runs.json lists no seed of them)
        keys = {m.key for m in rows}
        compared += [(f"STSTNet, paper + {option_words(option)}", seeds,
                      [st.read_predictions_csv(folder / option_file(option, k)) for k in seeds])
                     for option, seeds in option_seeds(folder).items() if f"liong2019-paper-{option}" not in keys]
    pairs = []
    for label, seeds, ours in compared:
        first = ours[0]
        missing = [k for k in first.keys if k not in by_key]
        if missing:
            raise ValueError(f"{log}: no line for clip {missing[0]} ({len(missing)} of {len(first)} missing)")
        y_true = np.asarray([by_key[k].true for k in first.keys])
        if not np.array_equal(y_true, first.y_true):
            raise ValueError(f"{log}: its true classes differ from the shipped files' on the same clips")
        theirs = dc.replace(first, y_pred=np.asarray([by_key[k].pred for k in first.keys]), source=str(log))
        pairs.append((label, seeds, ours, "the MATLAB log", theirs))
    if port_log is not None:
        pairs += [(m.label, m.seeds, list(m.predictions), "the port's log", port_log_predictions(port_log,
                                                                                                  m.predictions[0]))
                  for m in rows if m.key == "liong2019-port" and m.predictions]
    for label, seeds, ours, log_name, theirs in pairs:
        cells = []
        for metric in METRICS:
            c = st.compare([theirs] * len(ours), ours, CLASSES, metric, names=(log_name, label),
                           n_resamples=n_resamples, n_permutations=n_resamples)
            cells.append(f"{c.difference:+.3f} [{c.low:+.3f}, {c.high:+.3f}]")
        recall = sum(class_recall(p, POSITIVE) for p in ours) / len(ours)
        lines.append(f"| {label} ({seeds_words(seeds)}) | {log_name} | {' | '.join(cells)} | "
                     f"{class_recall(theirs, POSITIVE):.3f}, {recall:.3f} |")
    return "\n".join(lines)


HTNET_RUN = "wang2024-paper-seed0"  # HTNet's `paper` run on a lent card, shipped fold by fold (benchmarks/gpu_htnet.sh)
# The folds shipped before fold records named their device (``trained_on``): HTNet's first 21, on one lent H100
# (2026-11-27, docs/performance.md "HTNet on a lent card").
HTNET_UNNAMED = ("one lent H100 (2026-11-27; Keras on JAX, float32 products in TF32; shipped before fold records "
                 "named their device)")


def htnet_table(folder: Path = FOLDER) -> str:
    """docs/reproductions.md's HTNet block: the folds of :data:`HTNET_RUN` shipped so far (``<run>.folds/``), scored
    as they are, whole or partial: per scope with shipped folds, the run's own (last) epoch and each subject at its
    best test epoch (the epoch gauge's (b) under the rule papers/wang2024 names, :func:`tie_rule`: ``main_HTNet.py``'s
    ``<=`` keeps the latest of the epochs tied on a subject's test accuracy), 95 % bootstrap over subjects, and the
    selection's paired gain; the published numbers, test-selected and over every subject, beside them."""
    import numpy as np

    from common.datasets.released import CLASSES as RELEASED_CLASSES
    from common.evaluation import epoch_selection
    from common.evaluation import statistics as st
    from common.evaluation.shipped_folds import load_shipped_folds, machine_words, machines_text
    from common.leaderboard.site import SCOPE_NAMES as PLAIN_SCOPE_NAMES

    ship = folder / f"{HTNET_RUN}.folds"
    records = load_shipped_folds(ship) if ship.is_dir() else []
    if not records:
        return f"No fold of `{HTNET_RUN}` is shipped yet."
    scopes = ["all", *(s for s in SCOPES[1:] if any(s in r["datasets"] for r in records))]
    ties = tie_rule("wang2024")
    gauge = epoch_selection.epoch_selection(records, {"class_names": list(RELEASED_CLASSES),
                                                      "metrics_reported": METRICS, "scopes": scopes}, ties=ties)
    selected = gauge["selections"]["best_epoch_per_fold"]["scopes"] if gauge["status"] == "measured" else {}
    honest = st.from_records(records, source=HTNET_RUN)
    published = published_numbers("wang2024", "paper")
    clips = sum(len(r["y_pred"]) for r in records)
    state = (f"**all {FOLDS} folds ({clips} clips) shipped**: the composite's numbers; only the best-test-epoch column "
             "measures what the published numbers do (both select each subject's epoch on its test clips)"
             if len(records) == FOLDS
             else f"**{len(records)} of {FOLDS} folds ({clips} of {CLIPS} clips) shipped**: partial until all "
             f"{FOLDS} are in, so no row is the composite's or comparable with a published number yet (those are "
             "over every subject, and selected on test data)")
    lines = [f"HTNet (wang2024 `paper`, seed 0, the authors' released inputs), {state}; 95 % percentile bootstrap "
             f"over subjects. {machines_text(records, HTNET_UNNAMED)}",
             "",
             "| scope (subjects, clips shipped) | last epoch UF1 [95 % CI] | last epoch UAR [95 % CI] "
             f"| best test epoch per subject, the {ties} of ties{' as main_HTNet.py' if ties == 'latest' else ''}: "
             "UF1 [95 % CI] / UAR (test-selected) "
             "| best minus last, UF1 [paired 95 % CI] | published UF1 / UAR (test-selected, every subject) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for scope in scopes:
        part = st.select(honest, scope)
        subjects = len(st.subject_units(part)[1])
        cells = []
        for metric in METRICS:
            if subjects < 2:  # a bootstrap over subjects needs two: the score alone, said so
                cells.append(f"{st.pooled_score(part, CLASSES, metric):.3f} (one subject: no interval)")
                continue
            i = st.bootstrap_interval(part, CLASSES, metric, n_resamples=st.DEFAULT_RESAMPLES, level=st.REPORT_LEVEL,
                                      method=st.REPORT_METHOD, seed=st.REPORT_SEED)
            cells.append(f"{i.estimate:.3f} [{i.low:.3f}, {i.high:.3f}]")
        chosen = selected.get(scope, {})
        if chosen:
            u, a = chosen["uf1"], chosen["uar"]
            cells.append(f"{u['estimate']:.3f} [{u['low']:.3f}, {u['high']:.3f}] / {a['estimate']:.3f}")
            cells.append(f"{u['inflation']:+.3f} [{u['inflation_low']:+.3f}, {u['inflation_high']:+.3f}]")
        else:
            cells += ["one subject: not measured" if subjects < 2 else "no per-epoch record", "-"]
        quoted = [published.get((metric, scope)) for metric in METRICS]
        cells.append(" / ".join(f"{q.value:.4f}" if q else "-" for q in quoted))
        shipped = f"{len(st.subject_units(part)[1])}, {len(part.y_true)}"
        lines.append(f"| {PLAIN_SCOPE_NAMES[scope]} ({shipped}) | {' | '.join(cells)} |")
    times: dict[str, list[float]] = {}
    for record in records:
        times.setdefault(machine_words(record, HTNET_UNNAMED), []).append(float(record["seconds"]))
    by_machine = [f"{m}: median {np.median(t):.0f} s, {min(t):.0f} to {max(t):.0f} s over {len(t)} folds"
                  if len(t) > 1 else f"{m}: {t[0]:.0f} s (one fold)" for m, t in times.items()]
    lines += ["", f"Each shipped fold's wall time in its worker (its record's `seconds`), by machine: "
                  f"{'; '.join(by_machine)}. On a card, a worker's first fold on a fresh card, and a fold whose "
                  "training part has a size not yet compiled on that card, include XLA's compiling."]
    return "\n".join(lines)


def figure_numbers(rows: list[Method]) -> list[dict[str, Any]]:
    """Every number :func:`figure` draws, one entry a method and recipe, metric and scope (rounded to 6 decimals):
    each seed's, the mean with its interval, the mean at each subject's best test epoch and the published number
    (None where not drawn). The figure carries them in its PNG's ``Description`` text, so that a test can hold the
    shipped image against the shipped files without reading pixels."""
    def r(value: float) -> float:
        return round(float(value), 6)

    numbers = []
    for metric in METRICS:
        for scope in SCOPES:
            for m in rows:
                scored = m.scores.get(scope, {}).get(metric)
                selected = m.gauge.get(scope, {}).get(metric)
                pub = m.published.get((metric, scope))
                numbers.append({
                    "method": m.label, "metric": metric, "scope": scope,
                    "seeds": [r(v) for v in scored["per_seed"]] if scored else None,
                    "mean": [r(scored["pooled"]), r(scored["interval"]["low"]), r(scored["interval"]["high"])]
                    if scored else None,
                    "best_test_epoch": r(selected["pooled"]) if selected else None,
                    # the seeds that mean rests on (those with a shipped per-epoch record), where fewer than the
                    # last-epoch mean's: the figure names them beside the marker
                    "best_test_epoch_seeds": list(m.gauge_seeds) if selected and m.gauge_seeds != m.seeds else None,
                    "published": [r(pub.reference_value), bool(pub.test_selected)] if pub else None})
    return numbers


def figure(rows: list[Method], path: Path = FIGURE) -> Path:
    """The README's figure, drawn for its width (8 x 4.6 inches at 100 dpi: 800 px): one panel per metric and
    scope, one line per method and recipe; each seed a dot, the mean with its interval a bar, the published
    number a diamond (hollow where it was selected on test data), the mean at each subject's best test epoch a hollow
    circle where per-epoch records are shipped, its seeds named beside it where they are fewer than the bar's (a
    circle over seeds 0-3 beside a bar over seeds 0-9 is not the selection's gain alone); the legend names only what
    is drawn. The numbers drawn travel in
    the PNG's ``Description`` (:func:`figure_numbers`, JSON)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    numbers = figure_numbers(rows)
    fig, axes = plt.subplots(len(METRICS), len(SCOPES), figsize=(8, 1.3 + 1.1 * len(rows) * len(METRICS)),
                             sharey=True, dpi=100)
    ys = list(range(len(rows)))[::-1]
    # One x range for every panel, from the lowest number drawn (an interval's end, a seed, a published number, a
    # best-test-epoch mean) to 1, so that no interval is cut.
    drawn: list[float] = []
    for n in numbers:
        drawn += n["seeds"] or []
        drawn += [n["mean"][1]] if n["mean"] else []
        drawn += [n["best_test_epoch"]] if n["best_test_epoch"] is not None else []
        drawn += [n["published"][0]] if n["published"] else []
    x_low = math.floor((min(drawn, default=0.5) - 0.02) * 20) / 20
    y_of = {m.label: y for y, m in zip(ys, rows)}
    drawn_kinds: set[str] = set()  # the legend names only the markers drawn
    for i, metric in enumerate(METRICS):
        for j, scope in enumerate(SCOPES):
            ax = axes[i][j]
            for n in numbers:
                if (n["metric"], n["scope"]) != (metric, scope):
                    continue
                y = y_of[n["method"]]
                if n["mean"]:
                    ax.scatter(n["seeds"], [y + 0.15] * len(n["seeds"]), s=12, color="#7a9cc6", zorder=2)
                    pooled, low, high = n["mean"]
                    ax.plot([low, high], [y, y], color="#1f4e79", lw=2, zorder=3)
                    ax.plot([pooled], [y], "o", color="#1f4e79", ms=5, zorder=4)
                else:
                    ax.text(0.5, y + 0.15, "not finished", fontsize=7, color="#888888", zorder=2)
                if n["best_test_epoch"] is not None:
                    ax.plot([n["best_test_epoch"]], [y], "o", ms=6, zorder=4, color="#1f4e79",
                            markerfacecolor="none")
                    if n["best_test_epoch_seeds"]:
                        seeds = n["best_test_epoch_seeds"]
                        ax.annotate(f"seed{'s' * (len(seeds) > 1)} {seed_ranges(seeds)}", (n["best_test_epoch"], y),
                                    xytext=(3, -3), textcoords="offset points", ha="left", va="top",
                                    fontsize=5, color="#1f4e79", zorder=6)
                    drawn_kinds.add("gauge")
                if n["published"]:
                    value, test_selected = n["published"]
                    ax.plot([value], [y - 0.2], "D", ms=6, zorder=5, color="#b03a2e",
                            markerfacecolor="none" if test_selected else "#b03a2e")
                    drawn_kinds.add("published, test-selected" if test_selected else "published")
            ax.set_xlim(x_low, 1.0)
            ax.set_ylim(-0.6, len(rows) - 0.4)
            ax.grid(axis="x", color="#dddddd", lw=0.6)
            ax.tick_params(labelsize=7)
            ax.set_title(f"{metric.upper()}, {SCOPE_NAMES[scope]}", fontsize=8)
            if j == 0:
                ax.set_yticks(ys, [m.label for m in rows], fontsize=7)
    handles = [plt.Line2D([], [], marker="o", ls="", color="#7a9cc6", ms=4, label="one seed, last epoch (pooled)"),
               plt.Line2D([], [], marker="o", color="#1f4e79", ms=5, lw=2,
                          label="mean over seeds, 95 % interval (subjects x seeds)")]
    # (name, marker's face: "none" for hollow, label) of the markers the panels may draw
    kinds = (("gauge", "none", "#1f4e79", "o", "each subject's best test epoch (test-selected; seeds named if fewer)"),
             ("published", "#b03a2e", "#b03a2e", "D", "published (or its artefact)"),
             ("published, test-selected", "none", "#b03a2e", "D", "published, selected on test data"))
    handles += [plt.Line2D([], [], ls="", ms=6, marker=marker, color=color, markerfacecolor=face, label=label)
                for name, face, color, marker, label in kinds if name in drawn_kinds]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle(f"MEGC 2019 composite, REAL (the authors' released flow images), {FOLDS} LOSO folds, pooled",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.09, 1, 0.97))
    fig.savefig(path, metadata={"Description": json.dumps(numbers, separators=(",", ":"))})
    plt.close(fig)
    return path


def collect(spec: Path, folder: Path = FOLDER) -> list[dict[str, Any]]:
    """Copy the runs that ``spec`` lists into ``folder`` and add them to its ``runs.json`` (a run of the same file
    name is replaced; the others stay). ``spec``: JSON ``{"commit", "machine", "runs": [{"run": a run's folder (its
    predictions.csv, results.json and folds/), "method", "recipe", "label", "command", "wall": the wall time in
    words, with what ran beside it}], "planned": [{"method", "recipe", "label", "seeds"}]}`` (planned replaces
    runs.json's when given). Each run gives ``<method>-<recipe>-seed<k>.csv``, its predictions.csv byte for byte,
    and, where its fold records hold the epoch gauge's record, ``<method>-<recipe>-seed<k>.epochs.csv``
    (``epoch_selection.write_epoch_csv``); its seed and fold count are read from the run's results.json. The
    seconds kept are the folds' own (``seconds.folds_total``: training and predicting, summed over the folds; a
    group of folds trained together shares its time among them)."""
    from common.leaderboard.site import run_key

    document = json.loads(spec.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "runs.json"
    existing = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    runs = []
    for entry in document["runs"]:
        run = Path(entry["run"])
        summary = json.loads((run / "results.json").read_text(encoding="utf-8"))
        stem = f"{entry['method']}-{entry['recipe']}-seed{summary['seed']}"
        epochs = copy_run(run, stem, folder)
        ok = sum(1 for f in summary["folds"] if f["status"] == "ok")
        runs.append({"file": f"{stem}.csv", "epochs": epochs, "method": entry["method"], "recipe": entry["recipe"],
                     "seed": summary["seed"], "label": entry["label"], "folds": ok, "profile": summary["profile"],
                     "corpus": summary["corpus"]["inputs"], "command": entry["command"],
                     "commit": document["commit"], "machine": document["machine"], "wall": entry["wall"],
                     "seconds": {"folds_total": summary["seconds"]["folds_total"]}})
    names = {r["file"] for r in runs}
    kept = [r for r in existing.get("runs", []) if r["file"] not in names]
    out = {"schema": "mersuite.reproductions/1", "what": WHAT,
           "planned": document.get("planned") or existing.get("planned", []),
           "runs": with_sha256(sorted(kept + runs, key=lambda r: (order_of(run_key(r)), r["seed"])), folder)}
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return runs


def with_sha256(runs: list[dict[str, Any]], folder: Path) -> list[dict[str, Any]]:
    """``runs`` (runs.json's entries), each with its file's sha256 in ``folder`` (``"sha256"``): ``--score`` takes a
    file for the suite's own run, selected at the last epoch, only when its bytes are the listed file's
    (``common.evaluation.outside.shipped_selection``), never from its name alone. A run whose file is absent
    keeps no sha256."""
    from common.files import file_sha256

    for run in runs:
        run.pop("sha256", None)
        if (folder / run["file"]).is_file():
            run["sha256"] = file_sha256(folder / run["file"])
    return runs


def record_sha256(folder: Path = FOLDER) -> None:
    """Write into ``folder``'s ``runs.json`` each listed run's file's sha256 (:func:`with_sha256`)."""
    path = folder / "runs.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["runs"] = with_sha256(document.get("runs", []), folder)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def copy_run(run: Path, stem: str, folder: Path = FOLDER) -> str | None:
    """The files of one run folder (its results.json, predictions.csv and folds/) in ``folder``: ``<stem>.csv``, its
    predictions.csv byte for byte, and, where every fold that predicted holds the epoch gauge's record,
    ``<stem>.epochs.csv`` (``epoch_selection.write_epoch_csv``), whose name is returned (else None). A fold record
    that is missing or unreadable is a ``ValueError`` naming it."""
    import shutil

    from common.evaluation import epoch_selection
    from common.evaluation.records import load_fold_record

    summary = json.loads((run / "results.json").read_text(encoding="utf-8"))
    shutil.copyfile(run / "predictions.csv", folder / f"{stem}.csv")
    records = []
    for fold in summary["folds"]:
        record, problem = load_fold_record(run / "folds" / f"{fold['name']}.json")
        if record is None:
            raise ValueError(f"{run}: fold {fold['name']}'s record {problem or 'is missing'}")
        records.append(record)
    if not all(epoch_selection.epoch_rows(r) is not None for r in records if r.get("y_pred")):
        return None
    epoch_selection.write_epoch_csv(folder / f"{stem}.epochs.csv", records)
    return f"{stem}.epochs.csv"


def order_of(key: str) -> tuple[int, str]:
    """runs.json's order of a run's ``site.run_key``: liong2019 paper, its fixed_subset and every_clip options,
    liong2019 port, gan2019 paper, then any other by name."""
    known = ("liong2019-paper", "liong2019-paper-fixed_subset", "liong2019-paper-every_clip", "liong2019-port",
             "gan2019-paper")
    return (known.index(key), key) if key in known else (len(known), key)


WHAT = (f"the suite's runs on the authors' released inputs of the MEGC 2019 composite ({CLIPS} clips, {FOLDS} LOSO "
        "folds): each file the run's own predictions.csv; benchmarks/reproductions.py scores them")


# what every table printed below is, said once above them (the README and docs/reproductions.md say it in prose)
CONSOLE_PREAMBLE = (f"The shipped runs on the MEGC 2019 composite, REAL (the authors' released flow images; {CLIPS} "
                    f"clips, {FOLDS} LOSO folds): UF1 and UAR pooled over the folds (the MEGC rule) at the last epoch, "
                    "the mean over each recipe's finished seeds with each seed's in brackets after it; 95 % "
                    "percentile intervals of a bootstrap over subjects x seeds, 2,000 resamples; the best test epoch "
                    "per subject is selected on the test data (where marked, over fewer seeds); published numbers "
                    "as printed.\n")


README = ROOT / "README.md"
DOC = ROOT / "docs" / "reproductions.md"
MARKS = ("<!-- the table benchmarks/reproductions.py writes -->", "<!-- end of that table -->")
DISTRIBUTION_MARKS = ("<!-- the distribution benchmarks/reproductions.py writes -->",
                      "<!-- end of the distribution -->")
ABLATION_MARKS = ("<!-- the ablation table benchmarks/reproductions.py writes -->",
                  "<!-- end of the ablation table -->")
WHERE_MARKS = ("<!-- where the published number falls, as benchmarks/reproductions.py writes it -->",
               "<!-- end of where it falls -->")
LOG_MARKS = ("<!-- the comparison with the log benchmarks/reproductions.py writes -->",
             "<!-- end of the comparison -->")
HTNET_MARKS = ("<!-- HTNet's shipped folds, as benchmarks/reproductions.py scores them -->",
               "<!-- end of HTNet's shipped folds -->")
RELEASED_LOG = Path("ststnet") / "STSTNet_logfile.txt"  # under MERSUITE_RELEASED: the authors' MATLAB log


def write_between_marks(text: str, path: Path, marks: tuple[str, str] = MARKS) -> None:
    """Put ``text`` between the two ``marks`` of the Markdown file ``path``, replacing what stood there."""
    document = path.read_text(encoding="utf-8")
    start, end = document.index(marks[0]) + len(marks[0]), document.index(marks[1])
    path.write_text(f"{document[:start]}\n{text}\n{document[end:]}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from papers.liong2019.port_log import LOG_NAME as PORT_LOG_NAME  # beside the MATLAB log in their repository

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=FOLDER, help="the shipped predictions and runs.json")
    parser.add_argument("--figure", type=Path, default=FIGURE, help="where the figure goes")
    parser.add_argument("--collect", type=Path, default=None, metavar="SPEC",
                        help="first copy the runs SPEC lists into --folder and write its runs.json (collect())")
    parser.add_argument("--readme", action="store_true",
                        help="also write the tables into README.md and docs/reproductions.md, between their marks")
    parser.add_argument("--log", type=Path, default=default_log(), metavar="STSTNet_logfile.txt",
                        help="the authors' MATLAB log (STSTNet's repository; default: under MERSUITE_RELEASED): "
                             "the paired comparison of each STSTNet recipe with it, and of the port recipe with "
                             f"the port's log ({PORT_LOG_NAME}) where it is beside it")
    parser.add_argument("--sha256", action="store_true",
                        help="only write each listed file's sha256 into --folder's runs.json (record_sha256()), then "
                             "stop; --collect does it too")
    args = parser.parse_args(argv)
    if args.sha256:
        record_sha256(args.folder)
        return 0
    if args.collect is not None:
        collect(args.collect, args.folder)
    rows = methods(args.folder)
    print(CONSOLE_PREAMBLE)
    print(table(rows))
    print(f"\nper database:\n{scope_table(rows)}")
    print(f"\nthe seeds' distribution:\n{distribution_table(rows)}")
    measured = ablation_table(ablations(args.folder))
    print(f"\nthe MATLAB recipe's options, paired with its seeds:\n{measured}")
    where = where_paragraphs(rows)
    print(f"\n{where}")
    htnet = htnet_table(args.folder)
    print(f"\n{htnet}")
    port = args.log.parent / PORT_LOG_NAME if args.log else None
    log_table = (against_log(rows, args.log, folder=args.folder, port_log=port if port and port.is_file() else None)
                 if args.log else "")
    if log_table:
        print(f"\nagainst the authors' logs ({args.log}, and {PORT_LOG_NAME} beside it):\n{log_table}")
    if args.readme:
        write_between_marks(table(rows), README)
        write_between_marks(scope_table(rows), DOC)
        write_between_marks(distribution_table(rows), DOC, DISTRIBUTION_MARKS)
        write_between_marks(measured, DOC, ABLATION_MARKS)
        write_between_marks(where, DOC, WHERE_MARKS)
        write_between_marks(htnet, DOC, HTNET_MARKS)
        if log_table:
            write_between_marks(log_table, DOC, LOG_MARKS)
    print(f"\nfigure: {figure(rows, args.figure)}")
    return 0


def default_log() -> Path | None:
    """The MATLAB log under ``MERSUITE_RELEASED`` when that names the authors' released files, else None."""
    import os

    root = os.environ.get("MERSUITE_RELEASED", "")
    path = Path(root) / RELEASED_LOG if root else None
    return path if path is not None and path.is_file() else None


if __name__ == "__main__":
    raise SystemExit(main())
