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
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FOLDER = ROOT / "docs" / "predictions"
FIGURE = ROOT / "docs" / "reproductions.png"
SCOPES = ("all", "casme2", "smic", "samm")
SCOPE_NAMES = {"all": "all (442)", "casme2": "CASME II (145)", "smic": "SMIC (164)", "samm": "SAMM (133)"}
METRICS = ("uf1", "uar")
FOLDS = 68
CLASSES = 3


@dataclasses.dataclass(frozen=True)
class Method:
    """One method and recipe of the runs, its seeds' scores and what it is compared with."""

    key: str  # "<method>-<recipe>"
    label: str
    seeds: tuple[int, ...]
    partial: tuple[str, ...]  # "seed k: n of 68 folds" of the runs left out of the means
    not_run: tuple[int, ...]  # the planned seeds without a file
    scores: dict[str, dict[str, dict[str, Any]]]  # statistics.describe's: scope -> metric -> numbers
    published: dict[tuple[str, str], tuple[float, str, bool]]  # (metric, scope) -> (value, source, test-selected)


def manifest(folder: Path = FOLDER) -> list[dict[str, Any]]:
    """The runs of ``runs.json``, in its order."""
    return json.loads((folder / "runs.json").read_text(encoding="utf-8"))["runs"]


def published_numbers(method: str, recipe: str) -> dict[tuple[str, str], tuple[float, str, bool]]:
    """``{(metric, scope): (value, source, test-selected)}``: the numbers the method's package transcribes for its
    MEGC 2019 composite experiment (the value its authors' artefact gives where the package records one, the source
    then saying so), or for
    the port recipe the port's own published numbers. Test-selected: a number the paper computed otherwise
    (``Reported.comparable`` False: its authors kept each subject's best test epoch)."""
    from papers import get_paper

    experiment = get_paper(method).EXPERIMENTS[0]
    rows = experiment.weights_reported if recipe == "port" else experiment.reported
    out = {}
    for r in rows:
        if r.aggregation == "pooled" and r.metric in METRICS and r.scope in SCOPES:
            recomputed = f"{r.metric.upper()} recomputed from the authors' predictions"
            source = r.source if r.recomputed is None else recomputed
            out[(r.metric, r.scope)] = (r.reference_value, source, not r.comparable)
    return out


def planned(folder: Path = FOLDER) -> list[dict[str, Any]]:
    """The runs ``runs.json`` says were planned (``{"method", "recipe", "label", "seeds"}``), whether or not they
    finished: a planned seed without a file is one the table names as not run."""
    return json.loads((folder / "runs.json").read_text(encoding="utf-8")).get("planned", [])


def methods(folder: Path = FOLDER, n_resamples: int = 2000) -> list[Method]:
    """The runs of ``folder`` grouped by method and recipe, scored (module docstring), in the planned order."""
    from common.evaluation import statistics as st

    groups: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, tuple[str, str, str]] = {}
    seeds_planned: dict[str, list[int]] = {}
    for plan in planned(folder):
        key = f"{plan['method']}-{plan['recipe']}"
        groups[key], seeds_planned[key] = [], plan["seeds"]
        labels[key] = (plan["method"], plan["recipe"], plan["label"])
    for run in manifest(folder):
        key = f"{run['method']}-{run['recipe']}"
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
        method, recipe, label = labels[key]
        out.append(Method(key=key, label=label, seeds=tuple(r["seed"] for r in done), partial=partial,
                          not_run=not_run, scores=scores, published=published_numbers(method, recipe)))
    return out


def _cell(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "not run"
    interval = entry["interval"]
    seeds = ", ".join(f"{v:.3f}" for v in entry["per_seed"])
    return f"{entry['pooled']:.3f} [{interval['low']:.3f}, {interval['high']:.3f}] ({seeds})"


def _seeds(seeds: tuple[int, ...]) -> str:
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(str(k) for k in seeds)}"


def table(rows: list[Method]) -> str:
    """The README's table: per method and recipe, UF1 and UAR of all 442 clips (mean over seeds [95 % interval,
    subjects x seeds] (each seed)), and what it is compared with."""
    lines = ["| method, recipe (seeds) | UF1 [95 % CI] (per seed) | UAR [95 % CI] (per seed) | published UF1 / UAR |",
             "| --- | --- | --- | --- |"]
    for m in rows:
        notes = [f"{_seeds(m.seeds)}"] if m.seeds else []
        if m.partial:
            notes.append(f"partial, left out: {'; '.join(m.partial)}")
        if m.not_run:
            notes.append(f"{_seeds(m.not_run)} not run")
        pub = [m.published.get((metric, "all")) for metric in METRICS]
        published = " / ".join("-" if p is None else f"{p[0]:.4f}" for p in pub)
        if any(p and p[2] for p in pub):
            published += " (test-selected)"
        sources = list(dict.fromkeys(p[1] for p in pub if p))
        if sources:
            published += f" ({'; '.join(sources)})"
        all_scope = m.scores.get("all", {})
        cells = " | ".join(_cell(all_scope.get(metric)) for metric in METRICS)
        lines.append(f"| {m.label} ({'; '.join(notes)}) | {cells} | {published} |")
    return "\n".join(lines)


def scope_table(rows: list[Method]) -> str:
    """docs/reproductions.md's table: per method and recipe and per database, UF1 and UAR as in :func:`table`."""
    lines = ["| method, recipe | scope | UF1 [95 % CI] (per seed) | UAR [95 % CI] (per seed) | published UF1 / UAR |",
             "| --- | --- | --- | --- | --- |"]
    for m in rows:
        for scope in SCOPES:
            entry = m.scores.get(scope, {})
            pub = [m.published.get((metric, scope)) for metric in METRICS]
            published = " / ".join("-" if p is None else f"{p[0]:.4f}" for p in pub)
            lines.append(f"| {m.label} | {SCOPE_NAMES[scope]} | {_cell(entry.get('uf1'))} | {_cell(entry.get('uar'))} "
                         f"| {published} |")
    return "\n".join(lines)


def figure(rows: list[Method], path: Path = FIGURE) -> Path:
    """The README's figure, drawn for its width (8 x 4.6 inches at 100 dpi: 800 px): one panel per metric and
    scope, one line per method and recipe; each seed a dot, the mean with its interval a bar, the published
    number a diamond (hollow where it was selected on test data)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(METRICS), len(SCOPES), figsize=(8, 1.3 + 1.1 * len(rows) * len(METRICS)),
                             sharey=True, dpi=100)
    ys = list(range(len(rows)))[::-1]
    # One x range for every panel, from the lowest number drawn (an interval's end, a seed, a published number) to
    # 1, so that no interval is cut.
    drawn = [p[0] for m in rows for p in m.published.values()]
    for m in rows:
        for scope_scores in m.scores.values():
            for entry in scope_scores.values():
                drawn += [entry["interval"]["low"], *entry["per_seed"]]
    x_low = math.floor((min(drawn, default=0.5) - 0.02) * 20) / 20
    for i, metric in enumerate(METRICS):
        for j, scope in enumerate(SCOPES):
            ax = axes[i][j]
            for y, m in zip(ys, rows):
                entry = m.scores.get(scope, {}).get(metric)
                if entry:
                    ax.scatter(entry["per_seed"], [y + 0.15] * len(entry["per_seed"]), s=12, color="#7a9cc6",
                               zorder=2)
                    low, high = entry["interval"]["low"], entry["interval"]["high"]
                    ax.plot([low, high], [y, y], color="#1f4e79", lw=2, zorder=3)
                    ax.plot([entry["pooled"]], [y], "o", color="#1f4e79", ms=5, zorder=4)
                else:
                    ax.text(0.5, y + 0.15, "not run", fontsize=7, color="#888888", zorder=2)
                pub = m.published.get((metric, scope))
                if pub:
                    ax.plot([pub[0]], [y - 0.2], "D", ms=6, zorder=5, color="#b03a2e",
                            markerfacecolor="none" if pub[2] else "#b03a2e")
            ax.set_xlim(x_low, 1.0)
            ax.set_ylim(-0.6, len(rows) - 0.4)
            ax.grid(axis="x", color="#dddddd", lw=0.6)
            ax.tick_params(labelsize=7)
            ax.set_title(f"{metric.upper()}, {SCOPE_NAMES[scope]}", fontsize=8)
            if j == 0:
                ax.set_yticks(ys, [m.label for m in rows], fontsize=7)
    handles = [plt.Line2D([], [], marker="o", ls="", color="#7a9cc6", ms=4, label="one seed (pooled)"),
               plt.Line2D([], [], marker="o", color="#1f4e79", ms=5, lw=2,
                          label="mean over seeds, 95 % interval (subjects x seeds)"),
               plt.Line2D([], [], marker="D", ls="", color="#b03a2e", ms=6, label="published (or its artefact)"),
               plt.Line2D([], [], marker="D", ls="", color="#b03a2e", ms=6, markerfacecolor="none",
                          label="published, selected on test data")]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle("MEGC 2019 composite, REAL (the authors' released flow images), 68 LOSO folds, pooled",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.09, 1, 0.97))
    fig.savefig(path)
    plt.close(fig)
    return path


def collect(spec: Path, folder: Path = FOLDER) -> list[dict[str, Any]]:
    """Copy the runs that ``spec`` lists into ``folder`` and write its ``runs.json``. ``spec``: JSON ``{"commit",
    "machine", "runs": [{"run": a run's folder (its predictions.csv and results.json), "method", "recipe",
    "label", "command", "wall": the wall time in words, with what ran beside it}], "planned": [{"method", "recipe",
    "label", "seeds"}]}``; each file is
    ``<method>-<recipe>-seed<k>.csv``, its seed and fold count read from the run's results.json."""
    import shutil

    document = json.loads(spec.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for entry in document["runs"]:
        run = Path(entry["run"])
        summary = json.loads((run / "results.json").read_text(encoding="utf-8"))
        name = f"{entry['method']}-{entry['recipe']}-seed{summary['seed']}.csv"
        shutil.copyfile(run / "predictions.csv", folder / name)
        ok = sum(1 for f in summary["folds"] if f["status"] == "ok")
        runs.append({"file": name, "method": entry["method"], "recipe": entry["recipe"], "seed": summary["seed"],
                     "label": entry["label"], "folds": ok, "profile": summary["profile"],
                     "corpus": summary["corpus"]["inputs"], "command": entry["command"],
                     "commit": document["commit"], "machine": document["machine"], "wall": entry["wall"],
                     "seconds": summary["seconds"]})
    out = {"schema": "mersuite.reproductions/1", "what": WHAT, "planned": document.get("planned", []), "runs": runs}
    (folder / "runs.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return runs


WHAT = ("the suite's runs on the authors' released inputs of the MEGC 2019 composite (442 clips, 68 LOSO folds): "
        "each file the run's own predictions.csv; benchmarks/reproductions.py scores them")


README = ROOT / "README.md"
DOC = ROOT / "docs" / "reproductions.md"
MARKS = ("<!-- the table benchmarks/reproductions.py writes -->", "<!-- end of that table -->")


def write_between_marks(text: str, path: Path) -> None:
    """Put ``text`` between the two marks (:data:`MARKS`) of the Markdown file ``path``, replacing what stood there."""
    document = path.read_text(encoding="utf-8")
    start, end = document.index(MARKS[0]) + len(MARKS[0]), document.index(MARKS[1])
    path.write_text(f"{document[:start]}\n{text}\n{document[end:]}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=FOLDER, help="the shipped predictions and runs.json")
    parser.add_argument("--figure", type=Path, default=FIGURE, help="where the figure goes")
    parser.add_argument("--collect", type=Path, default=None, metavar="SPEC",
                        help="first copy the runs SPEC lists into --folder and write its runs.json (collect())")
    parser.add_argument("--readme", action="store_true",
                        help="also write the tables into README.md and docs/reproductions.md, between their marks")
    args = parser.parse_args(argv)
    if args.collect is not None:
        collect(args.collect, args.folder)
    rows = methods(args.folder)
    print(table(rows))
    print(f"\nper database:\n{scope_table(rows)}")
    if args.readme:
        write_between_marks(table(rows), README)
        write_between_marks(scope_table(rows), DOC)
    print(f"\nfigure: {figure(rows, args.figure)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
