"""The results site's pages: static HTML, one folder, opened from the file system (``run_all.py --site DIR``).

The numbers come in computed (``common.leaderboard.site`` gathers them with ``common.evaluation.statistics``);
this module only lays them out:

- ``index.html``: a leaderboard per track, one row per entry (our runs, the authors' artefacts, outside
  predictions scored, published rows), pooled UF1 and UAR with their 95 % intervals and seeds, the last epoch
  beside the best test epoch where a per-epoch record exists, per database, marks on a partial run, a synthetic
  corpus and a number selected on test data; every column sorts on a click (a few lines of inline JavaScript).
- ``entries/<entry>.html``: one entry: every scope's numbers, each run (seed) with the file it was computed
  from, its confusion matrices, and its test curves per epoch where a per-epoch record exists.
- ``subjects/<track>/<subject>.html``: every entry's predictions on one subject's clips (and an index).
- ``pairs.html``: the paired test between every two entries of a track on the same samples, precomputed (entries
  on another corpus are shown, never paired: their pages say so).
- ``files/``: the source files themselves (predictions, per-epoch records, results.json, the published
  tables), linked relatively, so that every number can be recomputed from what the site holds.

No CDN, no font, no image from outside: CSS and JavaScript are inline, the curves are inline SVG drawn here
(a polyline and a band per curve: a plotting library would write a file per figure with its own fonts, ten
times the size, for the same lines).
"""
from __future__ import annotations

import dataclasses
import html
import math
import os
import shutil
from pathlib import Path
from urllib.parse import quote
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common.evaluation import metrics
from common.evaluation import statistics as st
from common.files import fitting_name, write_text_atomic
from common.reporting.tables import seeds_words

METRICS = ("uf1", "uar")
SYNTHETIC_MARK = "synthetic corpus"
PARTIAL_MARK = "partial"
TEST_SELECTED_MARK = "selected on test data"
# The kinds of entry (Entry.kind), short: the leaderboard's column
OUR_RUN = "our run"
AUTHORS_LOG = "the authors' log"
AUTHORS_WEIGHTS = "the authors' weights"
OUTSIDE = "outside predictions"
PUBLISHED = "published"
FILES_INDEX = "files/index.html"  # the source files' page (files_index), site-relative
# how an entry's page names the rule its best test epochs were kept by (Entry.best_epoch_ties)
TIE_WORDS = {"earliest": "the earliest of tied epochs",
             "latest": "the latest of tied epochs, as its authors' code keeps them"}


@dataclasses.dataclass(frozen=True)
class Cell:
    """One score: ``value`` (a pooled score, the mean over seeds with several), its 95 % interval (``low`` and
    ``high``, None where there is none) and each seed's pooled score."""

    value: float | None
    low: float | None = None
    high: float | None = None
    per_seed: tuple[float, ...] = ()


@dataclasses.dataclass(frozen=True)
class Run:
    """One run (a seed) of an entry: its predictions, the site-relative paths of the files they were read from
    (``file``; ``epochs_file``, "" without a per-epoch record; ``folds``: for a run read from a folder of fold
    records, one a fold, how many, ``file`` the first of them, 0 otherwise) and its curves per epoch (``curves``: the
    ``common.evaluation.curves.training_curves`` dict plus ``"uf1 per epoch"`` where computed; None without)."""

    name: str
    seed: int | None
    predictions: st.Predictions
    file: str
    epochs_file: str = ""
    folds: int = 0
    curves: Mapping[str, Any] | None = None
    confusion: Mapping[str, list[list[int]]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Published:
    """A number an entry's authors published, as its package transcribes it (``common.paper.Reported``): ``value``
    as printed, ``recomputed`` what the authors' own artefact gives where it differs (None elsewhere), ``source``
    where it was read, ``test_selected`` whether the authors chose the epoch on the test data."""

    value: float
    source: str
    test_selected: bool = False
    recomputed: float | None = None

    @property
    def reference_value(self) -> float:
        """The number ours is compared with: ``recomputed`` where set, else ``value`` (as ``Reported``'s)."""
        return self.value if self.recomputed is None else self.recomputed

    def recomputed_note(self, metric: str) -> str:
        """"UAR 0.7186 recomputed from the authors' predictions", or "" where nothing was recomputed."""
        if self.recomputed is None:
            return ""
        return f"{metric.upper()} {self.recomputed:.4f} recomputed from the authors' predictions"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One row of a track's leaderboard.

    ``kind``: "our run", "the authors' weights", "the authors' log", "outside predictions scored", "published,
    not run by us". ``scores[scope][metric]``: the run's own numbers (the last epoch for a network);
    ``best_epoch``: the same with each fold at its best test epoch, None where no per-epoch record exists
    ("last epoch only"); ``published[(metric, scope)]``: what its authors published for it (:class:`Published`).
    ``coverage[scope]``: what a partial entry's numbers of that scope rest on, said beside them.
    ``partial``, ``synthetic``, ``test_selected``: the marks, each with its reason ("" where
    it does not apply). ``selection``: how a scored file's predictions were selected, as its score recorded it
    ("" for the suite's own runs: the last epoch). ``sources``: ``(what, site-relative path)`` of every file its
    numbers come from; ``command``: what made them."""

    slug: str
    label: str
    kind: str
    scores: Mapping[str, Mapping[str, Cell]]
    seeds: tuple[int, ...] = ()
    corpus: str = ""
    synthetic: str = ""
    partial: str = ""
    test_selected: str = ""
    selection: str = ""
    best_epoch: Mapping[str, Mapping[str, Cell]] | None = None
    best_epoch_seeds: tuple[int, ...] = ()
    best_epoch_ties: str = "earliest"  # which of a fold's tied best epochs: epoch_selection.TIES
    published: Mapping[tuple[str, str], Published] = dataclasses.field(default_factory=dict)
    # what each scope's numbers rest on where the entry is partial ("74 of 133 clips, 10 of 28 subjects")
    coverage: Mapping[str, str] = dataclasses.field(default_factory=dict)
    runs: tuple[Run, ...] = ()
    command: str = ""
    commit: str = ""
    sources: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Pair:
    """The paired test of two entries on the same clips (``statistics.compare``: ``a`` minus ``b``)."""

    a: str
    b: str
    comparison: st.Comparison
    runs: str  # which runs were paired, in words
    clips: int
    left_out: int


@dataclasses.dataclass(frozen=True)
class TrackPages:
    """One track: its entries (leaderboard order) and pairs; ``scopes`` with their names, ``class_names``;
    ``fold_unit``: what one of its folds tests, in a word ("subject" under leave-one-subject-out, "database" under
    leave-one-database-out), which names the best test epoch (each fold's: a database's is no subject's)."""

    name: str
    title: str
    note: str
    class_names: tuple[str, ...]
    scopes: tuple[tuple[str, str], ...]  # (scope, name shown)
    entries: tuple[Entry, ...]
    pairs: tuple[Pair, ...] = ()
    fold_unit: str = "fold"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1400px;
padding:0 16px 40px;color:#222;line-height:1.4;font-size:14px}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:26px 0 6px}h3{font-size:15px;margin:18px 0 4px}
nav{padding:8px 0;border-bottom:1px solid #ccd;margin-bottom:8px}nav a{margin-right:14px}
a{color:#1f4e79}p.lead{color:#444;margin:4px 0 10px;max-width:1000px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}table.leaderboard{font-size:12.5px}
th,td{border:1px solid #d5d9e0;padding:3px 6px;vertical-align:top}
th{background:#dde6f0;text-align:left;font-weight:600}
table.sortable th{cursor:pointer;user-select:none}table.sortable th:after{content:" \\2195";color:#889;font-size:11px}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}table.scores td:last-child{min-width:260px}
.ci{display:block;color:#666;font-size:11px}.note{white-space:normal;max-width:11em;margin-left:auto}.per-seed{display:block;white-space:normal;max-width:17em;margin-left:auto}
tr.published td{background:#f3f3f3;color:#444}tr.synthetic td{background:#fff8e1}
.mark{display:inline-block;border-radius:3px;padding:0 4px;margin:1px 2px 1px 0;font-size:11px;white-space:nowrap}
.m-partial{background:#fde2c8;color:#7a3b00}.m-synthetic{background:#fff3cd;color:#8a1c1c;border:1px solid #8a1c1c}
.m-test{background:#f4b6b6;color:#6b0000}.m-last{background:#e8edf3;color:#555}
.cmd{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;background:#f5f6f8;padding:2px 4px;
word-break:break-all}
.ok{background:#d8f0d8}.bad{background:#f8d7d7}.muted{color:#777}
table.cm td{min-width:34px;text-align:right}table.cm td.diag{background:#dbe9f6;font-weight:600}
.cms{display:flex;flex-wrap:wrap;gap:14px}
.banner{background:#fff3cd;border:1px solid #8a1c1c;color:#8a1c1c;padding:6px 10px;margin:8px 0;border-radius:4px}
svg text{font-size:11px;fill:#333}
"""

# Click a column's header to sort by it (again: the other way). Each cell sorts by its data-v attribute when it
# has one (a number), else by its text; empty values go last either way.
JS = """
document.querySelectorAll("table.sortable").forEach(function(table){
  table.querySelectorAll("th").forEach(function(th, column){
    th.addEventListener("click", function(){
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("data-dir") !== "up";
      table.querySelectorAll("th").forEach(function(other){ other.removeAttribute("data-dir"); });
      th.setAttribute("data-dir", up ? "up" : "down");
      function key(row){
        var cell = row.cells[column]; if (!cell) return null;
        var v = cell.getAttribute("data-v");
        if (v !== null) return v === "" ? null : parseFloat(v);
        var t = cell.textContent.trim(); return t === "" ? null : t.toLowerCase();
      }
      rows.sort(function(a, b){
        var x = key(a), y = key(b);
        if (x === null && y === null) return 0; if (x === null) return 1; if (y === null) return -1;
        var c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
        return up ? c : -c;
      });
      rows.forEach(function(row){ body.appendChild(row); });
    });
  });
});
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def href(path: str) -> str:
    """A site-relative path as a link's ``href``: percent-encoded (``urllib.parse.quote``), then escaped. A file's
    path holds its run folder's name as it is on disk, where a ``#``, ``?`` or ``%`` would end the path early
    (read as the start of a fragment, a query, an escape) and the link would reach no file."""
    return esc(quote(path))


def number(value: float | None, digits: int = 3) -> str:
    """A score as the site shows it ("" where there is none)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}f}"


def page(title: str, body: str, depth: int = 0) -> str:
    """A whole page: its title, the navigation (links relative to a page ``depth`` folders below the site's
    root), the body, the inline CSS and JavaScript."""
    up = "../" * depth
    nav = (f'<nav><a href="{up}index.html">Leaderboard</a><a href="{up}pairs.html">Pairwise tests</a>'
           f'<a href="{up}subjects/index.html">Subjects</a><a href="{up}files/index.html">Source files</a></nav>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{nav}{body}"
            f"<script>{JS}</script></body></html>\n")


def marks(entry: Entry) -> str:
    out = []
    if entry.synthetic:
        out.append(f'<span class="mark m-synthetic" title="{esc(entry.synthetic)}">{SYNTHETIC_MARK}</span>')
    if entry.partial:
        out.append(f'<span class="mark m-partial" title="{esc(entry.partial)}">{PARTIAL_MARK}</span>')
    if entry.test_selected:
        out.append(f'<span class="mark m-test" title="{esc(entry.test_selected)}">{TEST_SELECTED_MARK}</span>')
    return "".join(out)


def seed_ranges(seeds: Sequence[int]) -> str:
    """Seeds as the leaderboard's column gives them: three or more consecutive as a range (``0-9``, ``0-2, 4, 6``)."""
    out: list[str] = []
    run: list[int] = []
    for seed in [*seeds, None]:
        if run and (seed is None or seed != run[-1] + 1):
            out += [f"{run[0]}-{run[-1]}"] if len(run) > 2 else [str(s) for s in run]
            run = []
        if seed is not None:
            run.append(seed)
    return ", ".join(out)


def score_cell(cell: Cell | None, link: str = "", title: str = "", seeds: bool = True, digits: int = 3,
               note: str = "") -> str:
    """A ``<td>`` of one score: the value (a link to ``link``), its interval and each seed's value below it, then
    ``note``."""
    if cell is None or cell.value is None:
        return '<td class="n" data-v=""></td>'
    value = number(cell.value, digits)
    shown = f'<a href="{esc(link)}" title="{esc(title)}">{value}</a>' if link else value
    below = ""
    if cell.low is not None and cell.high is not None:
        below += f"[{number(cell.low)}, {number(cell.high)}]"
    if seeds and len(cell.per_seed) > 1:  # ten seeds' values wrap under the interval, the column stays narrow
        below += f'<span class="per-seed">({", ".join(number(v) for v in cell.per_seed)})</span>'
    extra = f'<span class="ci">{below}</span>' if below else ""
    extra += f'<span class="ci note">{esc(note)}</span>' if note else ""  # wraps: the column stays narrow
    return f'<td class="n" data-v="{cell.value:.6f}">{shown}{extra}</td>'


def published_text(entry: Entry, scope: str) -> str:
    """The published UF1 / UAR of ``scope`` as printed, their source, and where the authors' own artefact gives
    another number (STSTNet's UAR, printed as macro-precision), that one named as recomputed."""
    values = [entry.published.get((metric, scope)) for metric in METRICS]
    if not any(values):
        return ""
    text = " / ".join("-" if p is None else f"{p.value:.4f}" for p in values)
    if any(p and p.test_selected for p in values):
        text += f' <span class="mark m-test">{TEST_SELECTED_MARK}</span>'
    if entry.partial:  # the published number is over every subject, the entry's over some
        text += ' <span class="mark m-partial">not comparable: partial run</span>'
    notes = list(dict.fromkeys(p.source for p in values if p))
    notes += [p.recomputed_note(metric) for metric, p in zip(METRICS, values) if p and p.recomputed is not None]
    return f'{text}<span class="ci">{esc("; ".join(notes))}</span>'


def entry_page_name(track: str, entry: Entry) -> str:
    """An entry's page: one file in ``entries/`` (a paper run's track ``paper/experiment`` made safe, so that the
    page sits at the depth its links assume)."""
    return f"entries/{safe(track)}--{entry.slug}.html"


def numbered(base: str, taken: set[str], path: Callable[[str], str] = str) -> str:
    """The first of ``base``, ``base-2``, ``base-3``, ... whose ``path`` (lower-cased: a file system may ignore case)
    ``taken`` does not hold yet; that path is added to it. Names that differ only where :func:`safe` writes ``_``,
    or in case, would otherwise share one file and the later would overwrite the earlier."""
    name, n = base, 1
    while path(name).lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(path(name).lower())
    return name


def subject_folders(tracks: Sequence[str]) -> dict[str, str]:
    """Each track's subject pages' folder: ``subjects/<track>`` made safe (as :func:`entry_page_name`), numbered
    (:func:`numbered`) where a track before it has that folder already."""
    taken: set[str] = set()
    return {track: f"subjects/{numbered(safe(track), taken)}" for track in tracks}


def pair_cell(scores: Mapping[str, Cell] | None, link: str, title: str, digits: int = 3, note: str = "") -> str:
    """A ``<td>`` of UF1 / UAR side by side (sorted by UF1), each a link, UF1's interval below, then ``note``."""
    uf1, uar = (scores or {}).get("uf1"), (scores or {}).get("uar")
    if uf1 is None and uar is None:
        return '<td class="n" data-v=""></td>'
    shown = " / ".join(f'<a href="{esc(link)}" title="{esc(title)}">{number(c.value, digits)}</a>' if c else "-"
                       for c in (uf1, uar))
    below = f'<span class="ci">[{number(uf1.low)}, {number(uf1.high)}]</span>' if uf1 and uf1.low is not None else ""
    key = "" if uf1 is None or uf1.value is None else f"{uf1.value:.6f}"
    below += f'<span class="ci note">{esc(note)}</span>' if note else ""  # wraps: the column stays narrow
    return f'<td class="n" data-v="{key}">{shown}{below}</td>'


def fewer_seeds(entry: Entry) -> str:
    """What the best-test-epoch column says of an entry whose per-epoch records cover fewer seeds than its
    last-epoch columns ("seeds 0-3 only"), so that the two are never read as the same runs; "" where they cover the
    same seeds."""
    if not entry.best_epoch_seeds or set(entry.best_epoch_seeds) == set(entry.seeds):
        return ""
    many = len(entry.best_epoch_seeds) > 1
    return f"seed{'s' if many else ''} {seed_ranges(sorted(entry.best_epoch_seeds))} only"


def leaderboard(track: TrackPages) -> str:
    """One track's sortable leaderboard (``index.html``)."""
    databases = [(scope, name) for scope, name in track.scopes if scope != "all"]
    head = ["entry (kind)", "seeds", "UF1, all clips [95 % CI] (per seed)", "UAR, all clips [95 % CI] (per seed)",
            f"best test epoch per {track.fold_unit}: UF1 [95 % CI] / UAR"]
    head += [f"{name}: UF1 [95 % CI] / UAR" for _, name in databases] + ["published UF1 / UAR"]
    rows = []
    for entry in track.entries:
        page_link = entry_page_name(track.name, entry)
        all_scope = entry.scores.get("all", {})
        classes = "published" if not entry.runs else ""
        classes += " synthetic" if entry.synthetic else ""
        label = f'<a href="{href(page_link)}">{esc(entry.label)}</a>'
        found = "; ".join(f"{what}: {p}" for what, p in entry.sources)  # each file with what it is
        link, title = f"{quote(page_link)}#sources", (f"computed from {found}; made by {entry.command}" if entry.runs
                                                       else f"{transcribed(entry)}, {entry.command} ({found})")
        cells = [f'<td>{label}<span class="ci">{esc(entry.kind)}</span>{marks(entry)}</td>',
                 f'<td title="{esc(", ".join(map(str, entry.seeds)))}">{esc(seed_ranges(entry.seeds))}</td>']
        digits = 3 if entry.runs else 4  # a published number as printed
        cells += [score_cell(all_scope.get(metric), link, title, digits=digits,
                             note=entry.coverage.get("all", "") if metric == "uf1" else "") for metric in METRICS]
        if entry.best_epoch is not None:
            cells.append(pair_cell(entry.best_epoch.get("all"), f"{quote(page_link)}#sources-epochs", title,
                                   note=fewer_seeds(entry)))
        elif entry.kind == OUR_RUN and entry.runs and not entry.test_selected:
            cells.append('<td class="n" data-v=""><span class="mark m-last">last epoch only</span></td>')
        elif entry.selection.startswith("unknown"):  # a scored file: its own epoch may have been picked on test
            cells.append(f'<td class="n" data-v=""><span class="mark m-test" title="{esc(entry.selection)}">'
                         "selection unknown</span></td>")
        else:
            cells.append('<td class="n" data-v=""></td>')
        cells += [pair_cell(entry.scores.get(scope), link, title, digits, note=entry.coverage.get(scope, ""))
                  for scope, _ in databases]
        cells.append(f"<td>{published_text(entry, 'all') if entry.runs else ''}</td>")  # a published row is its own
        rows.append(f'<tr class="{classes.strip()}" id="{esc(track.name)}--{esc(entry.slug)}">{"".join(cells)}</tr>')
    header = "".join(f"<th>{esc(h)}</th>" for h in head)
    return (f'<div class="scroll"><table class="sortable leaderboard" data-track="{esc(track.name)}">'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def index_page(tracks: Sequence[TrackPages], command: str, notes: Sequence[str], resamples: int) -> str:
    parts = ["<h1>MER results: the honest leaderboard</h1>",
             '<p class="lead">Every number here but the published ones is computed by the suite\'s own statistics '
             "(<code>common.evaluation.statistics</code>: UF1 and UAR pooled over the folds, the MEGC rule; the mean "
             "over seeds; 95 % percentile intervals of a bootstrap over subjects, crossed with seeds where there are "
             f"several, {resamples:,} resamples) from the files in <a href=\"files/index.html\">files/</a>, which "
             "this site holds. The published ones (the grey rows, and each row's published column) are transcribed "
             "as printed or as their authors' own log gives them: no file here can recompute them. "
             "A network's own number is its last epoch (where a paper's protocol picks its epoch on the test data, "
             "the row is marked so); the best test epoch of each fold (the earliest of tied epochs, or the latest "
             "where its authors' code kept the latest, as its page says; each subject under "
             "leave-one-subject-out, each database under leave-one-database-out) is shown beside it where a "
             "per-epoch record exists, and is a selection on the test data (cite the last epoch). Click a column "
             "to sort; click an entry for its confusion matrices, curves and files.</p>",
             f'<p class="muted">Made by <span class="cmd">{esc(command)}</span></p>']
    parts += [f'<p class="muted">{esc(n)}</p>' for n in notes]
    for track in tracks:
        parts.append(f'<h2 id="{esc(track.name)}">{esc(track.title)} <span class="muted">({esc(track.name)})'
                     "</span></h2>")
        if track.note:
            parts.append(f'<p class="lead">{esc(track.note)}</p>')
        if any(e.synthetic for e in track.entries):
            parts.append('<div class="banner">Rows marked <b>synthetic corpus</b> ran on the suite\'s generated '
                         "clips, not on any database: their numbers test the code, not the method.</div>")
        parts.append(leaderboard(track))
    return page("MER results: leaderboard", "".join(parts))


def confusion_table(matrix: Sequence[Sequence[int]], class_names: Sequence[str], caption: str) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in class_names)
    rows = []
    for i, row in enumerate(matrix):
        cells = "".join(f'<td class="{"diag" if i == j else ""}">{int(v)}</td>' for j, v in enumerate(row))
        rows.append(f"<tr><th>{esc(class_names[i])}</th>{cells}</tr>")
    return (f'<table class="cm"><caption>{esc(caption)}</caption><thead><tr><th>true \\ predicted</th>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


Series = Sequence[float | None]


def curve_svg(series: Sequence[tuple[str, str, Series, Series | None, Series | None]], title: str,
              marks_at: Sequence[tuple[int, str]] = (), width: int = 640, plot_height: int = 230) -> str:
    """An inline SVG of curves over epochs: ``series`` ``(name, colour, values, band low | None, band high |
    None)``, the y axis from 0 to 1, vertical marks at ``marks_at`` ``(epoch, label)``."""
    left, right, top, bottom = 40, 12, 22, 30
    height = plot_height + 16 * len(series) + 4  # the legend below the plot, a line a curve
    epochs = max((len(values) for _, _, values, _, _ in series), default=0)
    if epochs == 0:
        return ""
    span = max(epochs - 1, 1)

    def x(i: int) -> float:
        return left + (width - left - right) * i / span

    def y(v: float) -> float:
        return top + (plot_height - top - bottom) * (1 - v)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="{esc(title)}"><text x="{left}" y="14">{esc(title)}</text>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e3e3e3"/>'
                   f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    step = max(1, int(round(epochs / 5, -1)) or epochs // 5)
    for tick in sorted({1, *range(step, epochs + 1, step), epochs}):
        out.append(f'<text x="{x(tick - 1):.1f}" y="{plot_height - bottom + 14}" text-anchor="middle">{tick}</text>')
    out.append(f'<text x="{(left + width - right) / 2:.0f}" y="{plot_height - 4}" text-anchor="middle">epoch</text>')
    legend_y = plot_height + 14
    for name, colour, values, low, high in series:
        if low is not None and high is not None:
            upper = [(x(i), y(v)) for i, v in enumerate(high) if v is not None and math.isfinite(v)]
            lower = [(x(i), y(v)) for i, v in enumerate(low) if v is not None and math.isfinite(v)]
            if upper and lower:
                points = " ".join(f"{a:.1f},{b:.1f}" for a, b in upper + lower[::-1])
                out.append(f'<polygon points="{points}" fill="{colour}" fill-opacity="0.15" stroke="none"/>')
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None and math.isfinite(v))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        out.append(f'<rect x="{left}" y="{legend_y - 6}" width="14" height="3" fill="{colour}"/>'
                   f'<text x="{left + 20}" y="{legend_y - 2}">{esc(name)}</text>')
        legend_y += 16
    for epoch, label in marks_at:
        out.append(f'<line x1="{x(epoch - 1):.1f}" x2="{x(epoch - 1):.1f}" y1="{top}" y2="{plot_height - bottom}" '
                   f'stroke="#b03a2e" stroke-dasharray="3,3"/><text x="{x(epoch - 1) - 3:.1f}" '
                   f'y="{plot_height - bottom - 4}" text-anchor="end" fill="#b03a2e">{esc(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def run_curves(run: Run) -> str:
    """The curves of one run: test accuracy per epoch (median and inter-quartile band over folds, and pooled) and
    the pooled UF1 per epoch; the training loss and accuracy where the run recorded them."""
    if not run.curves:
        return ""
    curves = run.curves.get("curves", {})
    parts = []
    test = curves.get("test accuracy")
    series = []
    if test:
        series.append(("test accuracy, median of folds (band: quartiles)", "#0072B2", test["median"], test["low"],
                       test["high"]))
        if test.get("pooled"):
            series.append(("test accuracy, all clips pooled", "#009E73", test["pooled"], None, None))
    uf1 = run.curves.get("uf1 per epoch")
    if uf1:
        series.append(("UF1 of all clips pooled", "#D55E00", uf1, None, None))
    if series:
        n_epochs = max(len(s[2]) for s in series)
        marks_at = [(n_epochs, "last epoch")]
        parts.append(curve_svg(series, f"{run.name}: on the left-out test clips after each epoch", marks_at))
    train = [(name, colour, curves[name]["median"], curves[name]["low"], curves[name]["high"])
             for name, colour in (("train accuracy", "#CC79A7"),) if name in curves]
    if train:
        parts.append(curve_svg(train, f"{run.name}: on the training clips (median of folds, band: quartiles)"))
    if "loss" in curves:
        loss = curves["loss"]
        top = max((v for v in loss["high"] if v is not None and math.isfinite(v)), default=1.0) or 1.0
        median, low, high = ([None if v is None or not math.isfinite(v) else v / top for v in loss[key]]
                             for key in ("median", "low", "high"))
        parts.append(curve_svg([("training loss / its largest value", "#E69F00", median, low, high)],
                               f"{run.name}: training loss, scaled to its largest value ({top:.3g})"))
    return "".join(parts)


def transcribed(entry: Entry) -> str:
    """What the numbers of an entry without runs are: "as printed", or for the authors' log "as the authors' log
    gives them" (a number it gives otherwise than printed: STSTNet's UAR)."""
    return "as the authors' log gives them" if entry.kind == AUTHORS_LOG else "as printed"


def scope_name(track: TrackPages, scope: str) -> str:
    return dict(track.scopes).get(scope, scope)


def entry_page(track: TrackPages, entry: Entry) -> str:
    """One entry's page: what it is, its numbers per scope, each run with its file, confusion matrices and
    curves, and the files and command."""
    seeds = f"; {seeds_words(entry.seeds)}" if entry.seeds else ""
    parts = [f"<h1>{esc(entry.label)}</h1>",
             f'<p class="lead">{esc(entry.kind)} on {esc(track.title)}'
             f'{"; " + esc(entry.corpus) if entry.corpus else ""}{esc(seeds)} {marks(entry)}</p>']
    for reason in (entry.synthetic, entry.partial, entry.test_selected):
        if reason:
            parts.append(f'<div class="banner">{esc(reason)}</div>')
    parts += [f'<p class="lead">{esc(n)}</p>' for n in entry.notes]
    if entry.command:  # one command a line (a recipe's seeds may each have had their own)
        commands = "".join(f'<li><span class="cmd">{esc(line)}</span></li>' for line in entry.command.splitlines())
        parts.append(f"<p>Made by{' (at commit <code>' + esc(entry.commit) + '</code>)' if entry.commit else ''}:</p>"
                     f"<ul>{commands}</ul>")
    sources = "".join(f'<li>{esc(what)}: <a href="../{href(path)}">{esc(path)}</a></li>'
                      for what, path in entry.sources)
    parts.append(f'<h2 id="sources">{"Computed from" if entry.runs else "Transcribed in"}</h2><ul>{sources}</ul>')
    epochs = entry.best_epoch is not None
    columns = (("UF1 [95 % CI] (per seed)", "UAR [95 % CI] (per seed)") if entry.runs
               else (f"UF1 {transcribed(entry)}", f"UAR {transcribed(entry)}"))
    head = ("<tr><th>scope</th>" + "".join(f"<th>{c}</th>" for c in columns)
            + "".join(f"<th>{metric} best test epoch per {esc(track.fold_unit)}</th>" for metric in ("UF1", "UAR")
                      if epochs)
            + "<th>published UF1 / UAR</th></tr>")
    rows = []
    for scope, name in track.scopes:
        if scope not in entry.scores and not any(key[1] == scope for key in entry.published):
            continue
        cells = [score_cell(entry.scores.get(scope, {}).get(metric), digits=3 if entry.runs else 4)
                 for metric in METRICS]
        if entry.best_epoch is not None:
            cells += [score_cell(entry.best_epoch.get(scope, {}).get(metric)) for metric in METRICS]
        covered = f'<span class="ci">{esc(entry.coverage[scope])}</span>' if scope in entry.coverage else ""
        rows.append(f"<tr><th>{esc(name)}{covered}</th>{''.join(cells)}<td>{published_text(entry, scope)}</td></tr>")
    parts.append(f'<h2 id="scores">Scores</h2><div class="scroll"><table class="scores"><thead>{head}</thead>'
                 f'<tbody>{"".join(rows)}</tbody></table></div>')
    own = ("; a network's at its last epoch" if entry.kind == OUR_RUN and not entry.test_selected
           else "; at the epoch its protocol picked on the test data" if entry.test_selected else "")
    if entry.runs:  # numbers computed here from files (a published row's are its authors')
        parts.append('<p class="muted">UF1 and UAR pooled over the folds (one confusion matrix, the MEGC rule), the '
                     "mean over seeds where there are several; 95 % percentile intervals of a bootstrap over subjects, "
                     f"crossed with seeds (common.evaluation.statistics; its resamples: the front page){esc(own)}.</p>")
    if not epochs and entry.kind == OUR_RUN and entry.runs and not entry.test_selected:
        parts.append('<p><span class="mark m-last">last epoch only</span> no per-epoch record of these runs is '
                     "here, so the best test epoch cannot be shown beside the last.</p>")
    if entry.best_epoch is not None:
        parts.append(f'<p id="sources-epochs" class="muted">Best test epoch per {esc(track.fold_unit)}: each fold\'s '
                     f"predictions at the epoch of its best test accuracy, {esc(TIE_WORDS[entry.best_epoch_ties])} "
                     f"(common.evaluation.epoch_selection), over "
                     f"{esc(seeds_words(entry.best_epoch_seeds))}, from the per-epoch records listed above: "
                     "a selection on the test data, shown to measure it, never to cite.</p>")
    for run in entry.runs:
        parts.append(f'<h2 id="run-{esc(run.name.replace(" ", "-"))}">{esc(run.name)}</h2>')  # an id holds no space
        source = f"../{href(run.file)}"
        if run.folds:  # a folder of fold records: its numbers from every one, listed on the source files' page
            source = f"../{href(FILES_INDEX)}"
            files = (f'predictions: {run.folds} fold records, one a fold (the first: <a href="../{href(run.file)}">'
                     f'{esc(run.file)}</a>; <a href="{source}">every one</a>)')
            files += ", each with its per-epoch test classes" if run.epochs_file else ""
        else:
            files = f'predictions: <a href="{source}">{esc(run.file)}</a>'
        if run.epochs_file:  # a folder of fold records holds its per-epoch classes (said above)
            if not run.folds:
                files += f'; per-epoch record: <a href="../{href(run.epochs_file)}">{esc(run.epochs_file)}</a>'
        elif entry.test_selected:  # its protocol's own epoch, picked on the test data (the banner above says so)
            files += '; <span class="mark m-test">epoch picked on the test data</span> (no per-epoch record)'
        else:
            files += '; <span class="mark m-last">last epoch only</span> (no per-epoch record)'
        parts.append(f"<p>{files}</p>")
        seed_rows = []
        for scope, name in track.scopes:
            try:
                scoped = st.select(run.predictions, scope)
            except ValueError:
                continue
            values = metrics.scores(scoped.y_true, scoped.y_pred, len(track.class_names))
            seed_rows.append(f'<tr><th>{esc(name)}</th><td class="n">{len(scoped)}</td>'
                             + "".join(f'<td class="n"><a href="{source}">{number(values[m])}</a></td>'
                                       for m in (*METRICS, "accuracy")) + "</tr>")
        parts.append('<table class="run-scores"><thead><tr><th>scope</th><th>clips</th><th>UF1 pooled</th>'
                     f"<th>UAR pooled</th><th>accuracy</th></tr></thead><tbody>{''.join(seed_rows)}</tbody></table>")
        # in the track's column order (a run's own scope order may be another: a benchmark's track's)
        shown = [s for s, _ in track.scopes if s in run.confusion] + [s for s in run.confusion
                                                                      if s not in dict(track.scopes)]
        matrices = [confusion_table(run.confusion[scope], track.class_names, f"{scope_name(track, scope)}")
                    for scope in shown]
        parts.append(f'<div class="cms">{"".join(matrices)}</div>')
        parts.append(run_curves(run))
    return page(f"{entry.label}: {track.name}", "".join(parts), depth=1)


def breakable(label: str) -> str:
    """``label`` escaped, with a line break allowed after each ``_`` (an option's name, ``fixed_subset_glorot``), so
    that a table of an entry a column fits the page."""
    return esc(label).replace("_", "_<wbr>")


def subject_pages(track: TrackPages) -> dict[str, str]:
    """``{file name: page}``: one page per subject of the track's runs (every entry's predictions on each of its
    clips, one letter a seed), and ``index.html`` listing the subjects with each entry's accuracy on them."""
    with_runs = [e for e in track.entries if e.runs]
    if not with_runs:
        return {}
    # (database, subject) -> {key: true class}, as the first entry holding the clip gives it (the column shown)
    subjects: dict[tuple[str, str], dict[str, int]] = {}
    # a clip is (database, subject, key): two entries may give one key to two subjects (another corpus's clip of the
    # same name), and each subject's page shows only what was predicted of its own clip
    predicted: dict[str, dict[tuple[str, str, str], list[int | None]]] = {}  # entry slug -> clip -> a class a run
    # entry slug -> clip -> the entry's own true class: an entry on another corpus (a --score of the synthetic one
    # beside real runs) may give a clip of the same name another class, and is judged by its own
    truths: dict[str, dict[tuple[str, str, str], int]] = {}
    for entry in with_runs:
        table: dict[tuple[str, str, str], list[int | None]] = {}
        own = truths.setdefault(entry.slug, {})
        for i, run in enumerate(entry.runs):
            p = run.predictions
            for key, subject, database, truth, guess in zip(p.keys if p.keys is not None else [], p.subjects,
                                                           p.datasets, p.y_true, p.y_pred):
                clip = (str(database), str(subject), str(key))
                subjects.setdefault(clip[:2], {}).setdefault(clip[2], int(truth))
                own[clip] = int(truth)
                table.setdefault(clip, [None] * len(entry.runs))[i] = int(guess)
        predicted[entry.slug] = table
    short = [c[:3] for c in track.class_names]
    pages: dict[str, str] = {}
    index_rows = []
    ordered = sorted(subjects)
    names: list[str] = []
    taken: set[str] = set()  # lower case: a file system may ignore case
    for database, subject in ordered:
        # two subjects whose names differ only where safe() writes "_" ("s/1", "s_1"), or only in case, would
        # share one page: the later one's name gets a number
        base, n = f"{safe(database)}_{safe(subject)}", 1
        name = f"{base}.html"
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}.html"
        taken.add(name.lower())
        names.append(name)
    for number_, ((database, subject), name) in enumerate(zip(ordered, names)):
        clips = subjects[(database, subject)]
        head = "<tr><th>clip</th><th>true class</th>" + "".join(
            f'<th><a href="../../{href(entry_page_name(track.name, e))}">{breakable(e.label)}</a></th>'
            for e in with_runs) + "</tr>"
        rows = []
        correct = {e.slug: [0, 0] for e in with_runs}
        for key, truth in clips.items():
            cells = []
            for e in with_runs:
                guesses = predicted[e.slug].get((database, subject, key))
                if guesses is None:  # a partial run's fold not shipped yet, or a clip the entry does not hold
                    cells.append(f'<td class="muted">not predicted{" (partial run)" if e.partial else ""}</td>')
                    continue
                shown = " ".join("-" if g is None else short[g] for g in guesses)
                its_truth = truths[e.slug].get((database, subject, key), truth)
                if its_truth != truth:  # said in the cell: its guesses are right or wrong by its own true class
                    shown += f" (its true class: {track.class_names[its_truth]})"
                right = sum(g == its_truth for g in guesses if g is not None)
                made = sum(g is not None for g in guesses)
                correct[e.slug][0] += right
                correct[e.slug][1] += made
                cls = "ok" if right == made else "bad" if right == 0 else ""
                cells.append(f'<td class="{cls}" title="one class a run: {esc(", ".join(r.name for r in e.runs))}">'
                             f"{esc(shown)}</td>")
            rows.append(f"<tr><td>{esc(key)}</td><td>{esc(track.class_names[truth])}</td>{''.join(cells)}</tr>")
        around = " ".join(f'<a href="{href(names[i])}">{what}</a>' for i, what in
                          ((number_ - 1, "previous subject"), (number_ + 1, "next subject")) if 0 <= i < len(names))
        body = (f"<p>{around}</p><h1>{esc(database)} / {esc(subject)}</h1>"
                f"<p class=\"lead\">{esc(track.title)}: every entry's "
                f"predicted class on this subject's {len(clips)} clips, one a run (seed), in the order the entry "
                "lists its runs; green: every run right, red: none.</p>"
                f'<div class="scroll"><table class="subject"><thead>{head}</thead><tbody>{"".join(rows)}</tbody>'
                "</table></div>")
        pages[name] = page(f"{database}/{subject}: {track.name}", body, depth=2)
        accuracy = "".join(f'<td class="n" data-v="{c[0] / c[1]:.6f}">{c[0]}/{c[1]}</td>' if c[1] else
                           '<td data-v=""></td>' for c in correct.values())
        index_rows.append(f'<tr><td><a href="{href(name)}">{esc(database)} / {esc(subject)}</a></td>'
                          f'<td class="n" data-v="{len(clips)}">{len(clips)}</td>{accuracy}</tr>')
    head = "<tr><th>subject</th><th>clips</th>" + "".join(f"<th>{breakable(e.label)}: right / predicted{marks(e)}</th>"
                                                          for e in with_runs) + "</tr>"
    pages["index.html"] = page(f"Subjects: {track.name}", (
        f"<h1>Subjects of {esc(track.title)}</h1><p class=\"lead\">Each subject's clips: how many every entry got "
        "right, over all its runs (seeds). Click a subject for the clips.</p>"
        f'<div class="scroll"><table class="sortable"><thead>{head}</thead><tbody>{"".join(index_rows)}</tbody>'
        "</table></div>"), depth=2)
    return pages


def pairs_page(tracks: Sequence[TrackPages], resamples: int) -> str:
    parts = ["<h1>Pairwise tests</h1>",
             '<p class="lead">Every two entries of a track that predicted the same clips, paired '
             "(<code>common.evaluation.statistics.compare</code>): the pooled score of A minus B (means over the "
             "paired seeds), its 95 % paired bootstrap interval over subjects (and seeds), and the two-sided paired "
             "permutation p over subjects (each subject's predictions swapped between A and B). "
             f"{resamples:,} resamples and permutations, seed 0. Unadjusted for the number of pairs. Two entries "
             "whose common clips hold fewer than two subjects have no test here: the bootstrap and the permutations "
             "resample subjects, and need two. Nor have two entries on other samples: one on the suite's synthetic "
             "corpus beside one on real data, or two whose clips of the same names have another true class, subject "
             "or database (another corpus); each such entry's page names the entries it was not paired with, and "
             "why.</p>"]
    for track in tracks:
        if not track.pairs:
            continue
        labels = {e.slug: f'<a href="{href(entry_page_name(track.name, e))}">{esc(e.label)}</a>{marks(e)}'
                  for e in track.entries}
        rows = []
        for pair in track.pairs:
            c = pair.comparison
            p_shown = st.p_text(c.p_value, exact=c.exact_p, n_permutations=c.n_permutations)
            rows.append(
                f"<tr><td>{labels[pair.a]}</td><td>{labels[pair.b]}</td><td>{esc(c.metric.upper())}</td>"
                f'<td class="n" data-v="{c.a_score:.6f}">{number(c.a_score)}</td>'
                f'<td class="n" data-v="{c.b_score:.6f}">{number(c.b_score)}</td>'
                f'<td class="n" data-v="{c.difference:.6f}">{c.difference:+.3f}<span class="ci">[{c.low:+.3f}, '
                f"{c.high:+.3f}]</span></td>"
                f'<td class="n" data-v="{c.p_value:.6f}">{p_shown}</td>'
                f'<td class="n" data-v="{c.n_subjects}">{c.n_subjects}</td><td class="n" data-v="{pair.clips}">'
                f"{pair.clips}{f' ({pair.left_out} left out)' if pair.left_out else ''}</td>"
                f"<td>{esc(pair.runs)}</td></tr>")
        head = "".join(f"<th>{h}</th>" for h in ("A", "B", "metric", "A pooled", "B pooled",
                                                  "A minus B [95 % paired CI]", "paired permutation p", "subjects",
                                                  "clips", "runs paired"))
        parts.append(f'<h2>{esc(track.title)} <span class="muted">({esc(track.name)})</span></h2>'
                     f'<div class="scroll"><table class="sortable pairs" data-track="{esc(track.name)}"><thead><tr>'
                     f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
    if len(parts) == 2:
        parts.append("<p>No two entries of a track predicted the same clips.</p>")
    return page("Pairwise tests", "".join(parts))


SAFE_NAME_BYTES = 100  # a name the site makes part of a file name (two of them and a suffix stay under 255 bytes)


def safe(text: str) -> str:
    """A file-name-safe form of a name (letters, digits, ``-``, ``_``, ``.``), at most :data:`SAFE_NAME_BYTES` bytes
    (``common.files.fitting_name``: a long one ends in a digest of the whole)."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(text)) or "_"
    return fitting_name(name, SAFE_NAME_BYTES, str(text))


def files_index(folder: Path) -> str:
    """A page listing every file under ``folder/files`` (a folder opened from the file system has no index); the
    files of a folder of fold records (``<run>.folds/``, 68 a run; a benchmark seed's ``folds/``) folded under one
    line that gives their count."""
    listed = sorted(p.relative_to(folder / "files").as_posix() for p in (folder / "files").rglob("*") if p.is_file())
    grouped: dict[str, list[str]] = {}
    for path in listed:
        if path != "index.html":
            parent = path.rsplit("/", 1)[0] if "/" in path else ""
            # a shipped run's <run>.folds/, a benchmark seed's folds/
            grouped.setdefault(parent if parent.endswith((".folds", "/folds")) else path, []).append(path)
    items = []
    for head, paths in grouped.items():
        links = "".join(f'<li><a href="{href(path)}">{esc(path)}</a></li>' for path in paths)
        items.append(links if head == paths[0] else  # a file of its own, else a folder of fold records
                     f"<li><details><summary>{esc(head)}/: {len(paths)} fold records</summary><ul>{links}</ul>"
                     "</details></li>")
    return page("Source files", f"<h1>Source files</h1><p class=\"lead\">Every file a number of this site was "
                                f"computed from, as it was read.</p><ul>{''.join(items)}</ul>", depth=1)


MARKER = ".mersuite-site"  # written into every site folder: a folder holding it may be written over
SITE_FOLDERS = ("entries", "subjects", "files")  # the site's folders, replaced whole at each writing


def check_site_folder(folder: Path) -> None:
    """A site is written into a new or empty folder, or over a site written before (:data:`MARKER`); anything
    else (a file, a folder holding other files) is one ``ValueError``: writing the site replaces its subfolders."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder}: a file is there; expected a folder to write the site into")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise ValueError(f"{folder}: holds other files and no site written before; give a new or empty folder")
    # what the site writes over in place: a symbolic link there would be followed out of the folder (the marker
    # written into the file it points to), and the folders replaced are the site's own, never a link or a file
    for name in (MARKER, *SITE_FOLDERS):
        path = folder / name
        if path.is_symlink():
            raise ValueError(f"{folder}: {name} is a symbolic link (to {os.path.realpath(path)}); expected the "
                             f"site's own {'file' if name == MARKER else 'folder'} or nothing there: remove the link")
        if name != MARKER and path.exists() and not path.is_dir():
            raise ValueError(f"{folder}: {name} is not a folder; expected the site's own folder or nothing there: "
                             "remove it")


def write_site(folder: Path, tracks: Sequence[TrackPages], copies: Mapping[str, Path], command: str,
               notes: Sequence[str] = (), resamples: int = st.DEFAULT_RESAMPLES) -> Path:
    """Write the site into ``folder`` (created; pages and ``files/`` replaced): ``copies`` maps each
    site-relative path under ``files/`` to the file copied there. Returns ``folder/index.html``."""
    check_site_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / MARKER, "a results site written by run_all.py --site; it may be written over\n")
    for old in SITE_FOLDERS:
        if (folder / old).is_dir():
            shutil.rmtree(folder / old)
    for relative, source in copies.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (folder / "files").mkdir(exist_ok=True)
    write_text_atomic(folder / "files" / "index.html", files_index(folder))
    subjects = subject_folders([t.name for t in tracks])
    for track in tracks:
        for entry in track.entries:
            path = folder / entry_page_name(track.name, entry)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, entry_page(track, entry))
        for name, text in subject_pages(track).items():
            path = folder / subjects[track.name] / name
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, text)
    subject_tracks = [t for t in tracks if (folder / subjects[t.name] / "index.html").is_file()]
    items = "".join(f'<li><a href="{href(subjects[t.name].removeprefix("subjects/"))}/index.html">{esc(t.title)}</a>'
                    "</li>" for t in subject_tracks)
    (folder / "subjects").mkdir(exist_ok=True)
    write_text_atomic(folder / "subjects" / "index.html",
                      page("Subjects", f"<h1>Subjects</h1><ul>{items or '<li>no track holds predictions</li>'}</ul>",
                           depth=1))
    write_text_atomic(folder / "pairs.html", pairs_page(tracks, resamples))
    write_text_atomic(folder / "index.html", index_page(tracks, command, notes, resamples))
    return folder / "index.html"


def confusions(predictions: st.Predictions, scopes: Sequence[str], k: int) -> dict[str, list[list[int]]]:
    """Each scope's confusion matrix of one run (``metrics.confusion``), for the scopes it holds."""
    out = {}
    for scope in scopes:
        try:
            scoped = st.select(predictions, scope)
        except ValueError:
            continue
        out[scope] = np.asarray(metrics.confusion(scoped.y_true, scoped.y_pred, k)).tolist()
    return out
