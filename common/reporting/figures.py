"""Matplotlib pages of the reports: flowing text and tables, confusion matrices, per-subject scores, curves.

Every page is A4 (portrait unless said) and drawn in the style of ``common.reporting.style``.
:class:`Flow` stacks blocks (headings, text, tables, small figures) down a page and starts the next
page only when the current one is full, so short tables and notes share a page; its text wraps to
the page width and its tables size each column to its longest cell, shrinking the font and then
wrapping cells, so no text runs off the page and no cell is cut. Table cells carry their column's
edges (``gid="cell:x0:x1"``) so ``common.reporting.layout`` can check them.
"""
from __future__ import annotations

import functools
import textwrap
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from common.reporting import style
from common.reporting.style import A4, HEADER, MISMATCH  # re-exported: papers import them here

LEFT, RIGHT, TOP, BOTTOM = 0.05, 0.95, 0.965, 0.035
# average glyph width in ems (DejaVu Sans Mono / DejaVu Sans, conservative); the monospaced one as drawn at the
# checks' 100 dpi, where each glyph's advance is rounded to whole pixels (7 px at 7.75 pt: 0.65 em, not 0.60)
MONO_EM, SANS_EM = 0.66, 0.60
PAD_PT = 2.5


def _wrap_line(line: str, width: int) -> list[str]:
    """``line`` wrapped to ``width`` characters, continuation lines indented like the line itself (+2)."""
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=True, break_on_hyphens=False) or [""]


@functools.lru_cache(maxsize=8192)
def text_points(text: str, size: float, bold: bool = False) -> float:
    """The width in points of one line of ``text`` in the tables' font (DejaVu Sans) at ``size``, as Agg lays it out
    at the figures' dpi, where the layout check (``common.reporting.layout``) measures it: each glyph's advance
    is hinted to the pixel grid there, so a line of wide glyphs (m, w, underscores) can run past its length
    times :data:`SANS_EM`. Matplotlib's own measure; nothing is drawn."""
    dpi = float(matplotlib.rcParams["figure.dpi"])
    width, _, _ = _measuring_renderer(dpi).get_text_width_height_descent(
        text, FontProperties(size=size, weight="bold" if bold else "normal"), ismath=False)
    return width * 72 / dpi


@functools.lru_cache(maxsize=4)
def _measuring_renderer(dpi: float) -> RendererAgg:
    return RendererAgg(1, 1, dpi)


def wrap_lines(lines: Sequence[str], width: int) -> list[str]:
    return [part for line in lines for raw in str(line).split("\n") for part in _wrap_line(raw, width)]


class Flow:
    """Blocks laid out top to bottom over as many pages as needed.

    ``emit(fig)`` receives each finished page (e.g. ``ReportDocument.savefig``); without it the pages
    are collected and returned by :meth:`finish`. ``figsize`` is A4 portrait unless given.
    """

    def __init__(self, title: str, banner: str = "", synthetic: bool = False,
                 emit: Callable[[plt.Figure], None] | None = None, figsize: tuple[float, float] = A4):
        self.title, self.banner, self.synthetic = title, banner, synthetic
        self.emit, self.figsize = emit, figsize
        self.collected: list[plt.Figure] = []
        self.fig: plt.Figure | None = None
        self.y = TOP
        self.page = 0

    # geometry in figure fractions
    def _pt(self, points: float) -> float:
        return points / 72 / self.figsize[1]

    def _chars(self, size: float, em: float, width: float = RIGHT - LEFT) -> int:
        return max(10, int(width * self.figsize[0] * 72 / (em * size)))

    def _new_page(self) -> None:
        self._flush()
        style.apply()
        self.fig = plt.figure(figsize=self.figsize)
        self.page += 1
        self.y = TOP
        title = self.title if self.page == 1 else f"{self.title} (continued)"
        lines = wrap_lines([title], self._chars(13, SANS_EM * 1.1))
        self.fig.text(LEFT, self.y, "\n".join(lines), fontsize=13, weight="bold", va="top")
        self.y -= self._pt(13 * 1.3 * len(lines) + 4)
        if self.banner and self.page == 1:
            lines = wrap_lines(self.banner.split("\n"), self._chars(8, SANS_EM, RIGHT - LEFT - 0.02))
            extra = style.BANNER if self.synthetic else {"color": style.INK}
            self.fig.text(LEFT + (0.006 if self.synthetic else 0), self.y - self._pt(3), "\n".join(lines), fontsize=8,
                          va="top", weight="bold" if self.synthetic else None, **extra)
            self.y -= self._pt(8 * 1.25 * len(lines) + 12)

    def _flush(self) -> None:
        if self.fig is None:
            return
        if self.emit is not None:
            self.emit(self.fig)
        else:
            self.collected.append(self.fig)
        self.fig = None

    def _current(self) -> plt.Figure:
        """The page being drawn on; every block calls :meth:`_room` first, which starts one."""
        if self.fig is None:
            raise AttributeError("Flow: no page started (a block draws only after _room)")
        return self.fig

    def _room(self, height: float) -> None:
        """Start a new page unless ``height`` fits below the current position."""
        if self.fig is None or self.y - height < BOTTOM:
            self._new_page()

    def space(self, points: float = 6) -> None:
        if self.fig is not None:
            self.y -= self._pt(points)

    def heading(self, text: str, size: float = 10) -> None:
        lines = wrap_lines([text], self._chars(size, SANS_EM * 1.1))
        self._room(self._pt(size * 1.3 * (len(lines) + 3)))  # keep a heading with what follows it
        self._current().text(LEFT, self.y, "\n".join(lines), fontsize=size, weight="bold", va="top")
        self.y -= self._pt(size * 1.3 * len(lines) + 3)

    def text(self, lines: Sequence[str], size: float = 7.5, mono: bool = False, color: str = style.INK) -> None:
        """Lines of text, wrapped to the page, split over pages if long."""
        wrapped = wrap_lines(lines, self._chars(size, MONO_EM if mono else SANS_EM))
        step = self._pt(size * 1.25)
        while wrapped:
            self._room(step * min(len(wrapped), 3))
            fit = max(1, int((self.y - BOTTOM) / step))
            chunk, wrapped = wrapped[:fit], wrapped[fit:]
            self._current().text(LEFT, self.y, "\n".join(chunk), fontsize=size, va="top", color=color,
                                 linespacing=1.25, family="DejaVu Sans Mono" if mono else None)
            self.y -= step * len(chunk) + self._pt(4)

    def block(self, height: float, draw: Callable[[plt.Figure, list[float]], None]) -> None:
        """A drawing ``height`` (figure fraction) tall: ``draw(fig, [left, bottom, width, height])``."""
        self._room(height)
        draw(self._current(), [LEFT, self.y - height, RIGHT - LEFT, height])
        self.y -= height + self._pt(6)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]], highlight: Sequence[bool] | None = None,
              size: float = 7.0, shade: str = MISMATCH, min_size: float = 5.5) -> None:
        """A table: columns as wide as their longest cell; too wide, the font shrinks down to
        ``min_size`` and then the widest columns wrap. Rows split over pages with the header repeated."""
        header = [str(h) for h in header]
        body = [["" if c is None else str(c) for c in row] for row in rows]
        width_pt = (RIGHT - LEFT) * self.figsize[0] * 72
        ncol = len(header)

        def natural(col: int, size: float) -> int:
            """In characters of the average width at ``size``: a bold header counts 15% wider; a line whose glyphs
            are wider than the average (as the check measures it, :func:`text_points`) counts as wide as it is."""
            char = SANS_EM * size
            lines = [(part, True) for part in header[col].split("\n")] + [
                (part, False) for r in body for part in r[col].split("\n")]
            return max(max(int(np.ceil(len(part) * (1.15 if bold else 1.0))),
                           int(np.ceil(text_points(part, float(size), bold) / char))) for part, bold in lines)

        largest = size
        for size in np.arange(largest, min_size - 0.01, -0.5):
            char = SANS_EM * size
            needs = [natural(c, float(size)) for c in range(ncol)]
            if sum(n * char + 2 * PAD_PT for n in needs) <= width_pt:
                break
        size = float(size)
        char = SANS_EM * size
        capacity = [n for n in needs]
        while sum(n * char + 2 * PAD_PT for n in capacity) > width_pt:  # wrap the widest column a little
            widest = int(np.argmax(capacity))
            if capacity[widest] <= 8:
                break
            capacity[widest] -= 1
        widths = [n * char + 2 * PAD_PT for n in capacity]
        scale = width_pt / sum(widths) if sum(widths) < width_pt * 0.6 else 1.0  # narrow tables stay narrow
        scale = min(scale, 1.6)
        edges = np.concatenate([[0.0], np.cumsum(widths) * scale]) / (self.figsize[0] * 72) + LEFT

        def cells(row: Sequence[str]) -> list[list[str]]:
            return [wrap_lines([cell], capacity[c] if row is not header else int(capacity[c] / 1.15)) if cell else [""]
                    for c, cell in enumerate(row)]

        line = self._pt(size * 1.22)
        pad = self._pt(PAD_PT)

        def draw_row(row: Sequence[str], colour: str | None, bold: bool) -> None:
            parts = cells(row)
            height = max(len(p) for p in parts) * line + 2 * pad
            fig = self._current()
            if colour:
                fig.add_artist(Rectangle((edges[0], self.y - height), edges[-1] - edges[0], height,
                                         transform=fig.transFigure, facecolor=colour, edgecolor="none", zorder=0))
            for c, lines in enumerate(parts):
                fig.text(edges[c] + pad * self.figsize[1] / self.figsize[0], self.y - pad, "\n".join(lines),
                         fontsize=size, va="top", linespacing=1.22, weight="bold" if bold else None,
                         gid=f"cell:{edges[c]:.5f}:{edges[c + 1]:.5f}")
            self.y -= height

        def rule(weight: float) -> None:
            fig = self._current()
            fig.add_artist(plt.Line2D([edges[0], edges[-1]], [self.y, self.y], transform=fig.transFigure,
                                      color=style.INK, linewidth=weight))

        header_height = max(len(p) for p in cells(header)) * line + 2 * pad
        first = True
        for i, row in enumerate(body or [[""] * ncol]):
            height = max(len(p) for p in cells(row)) * line + 2 * pad
            if first or self.fig is None or self.y - height < BOTTOM:
                if not first:
                    rule(0.8)
                self._room(header_height + height + self._pt(4))
                rule(0.8)
                draw_row(header, HEADER, True)
                rule(0.5)
                first = False
            flagged = bool(highlight[i]) if highlight is not None and i < len(highlight) else False
            draw_row(row, shade if flagged else None, False)
        rule(0.8)
        self.y -= self._pt(8)

    def finish(self) -> list[plt.Figure]:
        self._flush()
        return self.collected


def text_page(title: str, lines: Sequence[str], banner: str = "", synthetic: bool | None = None) -> plt.Figure:
    """One page of monospaced lines under a title; the font shrinks (down to 4.5 pt) so the lines fit
    the page's width and height (longer lines wrap); ``banner`` is shown boxed when it is synthetic."""
    synthetic = ("SYNTHETIC" in banner) if synthetic is None else synthetic
    lines = [part for line in lines for part in str(line).split("\n")]
    for size in np.arange(8.0, 4.49, -0.25):
        flow = Flow(title, banner, synthetic)
        wrapped = wrap_lines(lines, flow._chars(size, MONO_EM))
        flow._new_page()
        if len(wrapped) * flow._pt(size * 1.25) <= flow.y - BOTTOM:
            break
        plt.close(flow.fig)
    fit = int((flow.y - BOTTOM) / flow._pt(size * 1.25))
    if len(wrapped) > fit:
        wrapped = wrapped[:fit - 1] + [f"... {len(wrapped) - fit + 1} more lines (see results.json)"]
    flow.text(wrapped, size=float(size), mono=True)
    return flow.finish()[0]


def table_pages(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *, subtitle: str = "",
                highlight: Sequence[bool] | None = None, rows_per_page: int | None = None,
                col_widths: Sequence[float] | None = None) -> list[plt.Figure]:
    """A table over as many pages as it needs (columns sized to their cells; ``rows_per_page`` and
    ``col_widths`` are accepted for old callers and ignored); rows with ``highlight`` are shaded red."""
    flow = Flow(title, subtitle, "SYNTHETIC" in subtitle)
    flow.table(header, rows, highlight)
    return flow.finish()


def confusion_axes(ax, matrix: ArrayLike, class_names: Sequence[str], title: str,
                   fontsize: float = 7, ylabel: bool = True) -> None:
    """A confusion matrix: colour = row-normalised rate (rows = true class), each cell its count and rate."""
    m = np.asarray(matrix, dtype=float)
    totals = m.sum(axis=1, keepdims=True)
    rates = np.divide(m, totals, out=np.zeros_like(m), where=totals > 0)
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, f"{int(m[i, j])}\n{rates[i, j]:.0%}", ha="center", va="center", fontsize=fontsize,
                    color="white" if rates[i, j] > 0.6 else "black")
    names = [textwrap.shorten(str(c), 14, placeholder=".") for c in class_names]
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=fontsize)
    ax.set_yticks(range(len(names)), [f"{n} ({int(t)})" for n, t in zip(names, totals.ravel())], fontsize=fontsize)
    ax.set_xlabel("predicted", fontsize=fontsize + 1)
    if ylabel:
        ax.set_ylabel("true (samples)", fontsize=fontsize + 1)
    ax.set_title(title, fontsize=fontsize + 2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)


def confusion_page(title: str, matrices: Mapping[str, ArrayLike], class_names: Sequence[str],
                   subtitle: str = "") -> plt.Figure:
    """One heatmap per scope: counts and row-normalised rates (rows = true class)."""
    style.apply()
    n = max(len(matrices), 1)
    cols = 1 if n == 1 else 2
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=A4, squeeze=False)
    fig.suptitle(title, fontsize=13, weight="bold", x=0.05, ha="left")
    fig.text(0.05, 0.945, "\n".join(wrap_lines([subtitle, "colour and % = share of the true class's samples "
                                               "(rows sum to 100%); numbers = counts"], 120)), fontsize=7, va="top")
    for ax, (scope, matrix) in zip(axes.ravel(), matrices.items()):
        confusion_axes(ax, matrix, class_names, f"{scope} (n={int(np.asarray(matrix).sum())})")
    for ax in axes.ravel()[len(matrices):]:
        ax.axis("off")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def subject_strip(ax, fold_rows: Sequence[Mapping[str, Any]], pooled: Mapping[str, float | None],
                  metrics: Sequence[str] = ("uf1", "uar")) -> None:
    """Per-fold (per-subject under LOSO) scores as a strip plot, one column per metric, with the pooled
    score as a line; folds that did not train are listed in red under the axis."""
    rng = np.random.default_rng(0)  # jitter only; the same every time
    for k, metric in enumerate(metrics):
        values = np.array([np.nan if r.get(metric) is None else r[metric] for r in fold_rows], dtype=float)
        ok = np.isfinite(values)
        x = k + rng.uniform(-0.18, 0.18, size=values.size)
        ax.scatter(x[ok], values[ok], s=14, color=style.colour(metric), alpha=0.75, edgecolor="white", linewidth=0.4,
                   label=f"{metric.upper()} per fold ({int(ok.sum())})")
        value = pooled.get(metric)
        if value is not None:
            ax.hlines(value, k - 0.35, k + 0.35, color=style.INK, linewidth=1.6)
            ax.annotate(f"pooled\n{value:.3f}", (k, value), xytext=(0, -4), textcoords="offset points", fontsize=6,
                        ha="center", va="top")
    ax.set_xticks(range(len(metrics)), [m.upper() for m in metrics])
    ax.set_xlim(-0.6, len(metrics) - 0.1)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("score on the fold's test samples")
    ax.grid(axis="y", alpha=0.3)
    failed = [r["fold"] for r in fold_rows if r.get("status") != "ok"]
    if failed:
        ax.set_xlabel("\n".join(wrap_lines(["not ok: " + ", ".join(failed)], 60)), color="#b00000", fontsize=6.5)


def curves_page(title: str, histories: Mapping[str, Mapping[str, Sequence[float | None]]],
                subtitle: str = "", max_panels: int = 6,
                paper_curves: Mapping[str, Sequence[tuple[float, float]]] | None = None) -> plt.Figure:
    """One panel per history key (loss, accuracy, ...), one line per fold; ``paper_curves``
    ({key: [(epoch, value), ...]}) draws the paper's own printed curve on the panel of that key."""
    style.apply()
    keys: list[str] = []
    for history in histories.values():
        keys.extend(k for k in history if k not in keys and k != "learning_rate")
    keys = keys[:max_panels] or ["(no training history)"]
    cols = 2 if len(keys) > 1 else 1
    rows = int(np.ceil(len(keys) / cols))
    height = min(A4[1], 1.6 + 3.0 * rows)  # a short page for few panels, so the figure is not stretched
    fig, axes = plt.subplots(rows, cols, figsize=(A4[0], A4[1]), squeeze=False)
    fig.suptitle(title, fontsize=13, weight="bold", x=0.05, ha="left")
    if subtitle:
        fig.text(0.05, 0.945, "\n".join(wrap_lines([subtitle], 120)), fontsize=7, va="top")
    for ax, key in zip(axes.ravel(), keys):
        for history in histories.values():
            values = np.array([np.nan if v is None else v for v in history.get(key, [])], dtype=float)
            if values.size:
                ax.plot(np.arange(1, values.size + 1), values, linewidth=0.8, alpha=0.6)
        if paper_curves and key in paper_curves:
            paper_epochs, paper_values = zip(*paper_curves[key])
            ax.plot(paper_epochs, paper_values, color=style.PAPER, linewidth=1.6, linestyle="--",
                    label="the paper (as printed)")
            ax.legend(fontsize=6)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
    for ax in axes.ravel()[len(keys):]:
        ax.axis("off")
    top = 0.93 if rows > 1 else 0.9
    fig.tight_layout(rect=(0, 1 - (height / A4[1]) if rows <= 2 else 0, 1, top))
    return fig


def curve_axes(ax, name: str, entry: Mapping[str, Any], colour: str = style.PALETTE[0], fontsize: float = 6.5) -> None:
    """One training curve (``common.evaluation.curves``): the median over folds, the quantile band around it
    and, for the test accuracy, the pooled accuracy over all folds' test clips (dashed); a single epoch is
    drawn as points, not as an invisible line."""
    epochs = np.asarray(entry["epochs"], dtype=float)
    median, low, high = (np.asarray(entry[key], dtype=float) for key in ("median", "low", "high"))
    marker = "o" if len(epochs) <= 3 else None
    ax.fill_between(epochs, low, high, color=colour, alpha=0.25, linewidth=0, step=None)
    if len(epochs) <= 3:  # a band of one epoch has no width: its ends as a bar
        ax.vlines(epochs, low, high, color=colour, alpha=0.5, linewidth=3)
    ax.plot(epochs, median, color=colour, linewidth=1.2, marker=marker, markersize=3)
    pooled = entry.get("pooled")
    if pooled:
        ax.plot(epochs[:len(pooled)], pooled, color=style.MUTED, linewidth=1.0, linestyle=(0, (4, 2)),
                marker=marker, markersize=2.5)
    if name.endswith("accuracy"):
        ax.set_ylim(-0.02, 1.02)
    ax.set_title(name, fontsize=fontsize + 0.5)
    ax.set_xlabel("epoch", fontsize=fontsize)
    ax.tick_params(labelsize=fontsize - 0.5)
    ax.grid(alpha=0.3)
    ax.set_xlim(0.5, max(float(epochs[-1]) if len(epochs) else 1.0, 1.0) + 0.5)


def curves_legend(curves: Mapping[str, Any]) -> str:
    """The sentence under a row of curves: what the line, the band and the dashed line are."""
    low, high = (int(round(100 * q)) for q in curves.get("quantiles", (0.25, 0.75)))
    n = curves.get("folds", 0)
    return (f"Line: median over the {n} scored folds; band: their {low}-{high} % quantiles (half the folds lie "
            "inside); grey dashes: test accuracy pooled over all folds' test clips. Folds that recorded fewer epochs "
            "leave the later epochs' median and band. Test accuracy: the epoch gauge's per-epoch predictions, "
            + ("which the protocol itself used to choose the reported epoch (selected on the test data)."
               if curves.get("selected_on_test") else "never used to train or choose the reported epoch."))


def curves_row(curves: Mapping[str, Any], colour: str = style.PALETTE[0]) -> Callable[[plt.Figure, list[float]], None]:
    """A ``Flow.block`` drawing: one panel per curve of ``curves`` (``training_curves``), side by side."""
    entries = list((curves.get("curves") or {}).items())

    def draw(fig: plt.Figure, rect: list[float]) -> None:
        left, bottom, width, height = rect
        n = max(len(entries), 1)
        gap = 0.06
        cell = (width - gap * n) / n
        for i, (name, entry) in enumerate(entries):
            ax = fig.add_axes((left + gap * 0.8 + i * (cell + gap), bottom + 0.03, cell, height - 0.055))
            curve_axes(ax, name, entry, colour)
    return draw
