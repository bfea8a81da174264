"""Matplotlib figures of the report: text pages, tables, confusion heatmaps, fold scores, curves.

Every function returns a ``matplotlib.figure.Figure`` (A4 portrait, Agg) for ``PdfPages.savefig``.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

A4 = (8.27, 11.69)
MISMATCH = "#f4b6b6"
HEADER = "#dde6f0"


def text_page(title: str, lines: Sequence[str], banner: str = "") -> plt.Figure:
    """A page of monospaced lines under a title; ``banner`` is shown large and boxed (profile/corpus)."""
    import textwrap

    fig = plt.figure(figsize=A4)
    title_lines = textwrap.wrap(title, 60) or [""]
    fig.text(0.06, 0.965, "\n".join(title_lines), fontsize=15, weight="bold", va="top")
    y = 0.965 - 0.027 * len(title_lines) - 0.012
    if banner:
        fig.text(0.06, y, banner, fontsize=12, weight="bold", va="top", color="#8a1c1c",
                 bbox={"facecolor": "#fff3cd", "edgecolor": "#8a1c1c", "boxstyle": "round,pad=0.4"})
        y -= 0.05
    fig.text(0.06, y, "\n".join(lines), fontsize=8, family="monospace", va="top")
    return fig


def table_pages(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *, subtitle: str = "",
                highlight: Sequence[bool] | None = None, rows_per_page: int = 38,
                col_widths: Sequence[float] | None = None) -> list[plt.Figure]:
    """A table split over as many pages as needed; rows with ``highlight`` True are shaded red."""
    figures = []
    chunks = [rows[i:i + rows_per_page] for i in range(0, len(rows), rows_per_page)] or [[]]
    for page, chunk in enumerate(chunks):
        fig = plt.figure(figsize=A4)
        suffix = f" ({page + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        fig.text(0.05, 0.965, title + suffix, fontsize=13, weight="bold", va="top")
        if subtitle:
            fig.text(0.05, 0.935, subtitle, fontsize=8, va="top", wrap=True)
        ax = fig.add_axes([0.03, 0.04, 0.94, 0.87])
        ax.axis("off")
        if chunk:
            table = ax.table(cellText=[list(r) for r in chunk], colLabels=list(header), loc="upper center",
                             cellLoc="left", colWidths=list(col_widths) if col_widths else None)
            table.auto_set_font_size(False)
            table.set_fontsize(7)
            table.scale(1, 1.25)
            for col in range(len(header)):
                table[0, col].set_facecolor(HEADER)
            if highlight is not None:
                start = page * rows_per_page
                for i in range(len(chunk)):
                    if highlight[start + i]:
                        for col in range(len(header)):
                            table[i + 1, col].set_facecolor(MISMATCH)
        else:
            ax.text(0.5, 0.9, "(no rows)", ha="center")
        figures.append(fig)
    return figures


def confusion_page(title: str, matrices: Mapping[str, Sequence[Sequence[int]]], class_names: Sequence[str],
                   subtitle: str = "") -> plt.Figure:
    """One heatmap per scope: counts, coloured by the row-normalised rate (rows = true class)."""
    n = max(len(matrices), 1)
    cols = 1 if n == 1 else 2
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=A4, squeeze=False)
    fig.suptitle(title, fontsize=13, weight="bold", x=0.05, ha="left")
    if subtitle:
        fig.text(0.05, 0.945, subtitle, fontsize=8, va="top")
    for ax, (scope, matrix) in zip(axes.ravel(), matrices.items()):
        m = np.asarray(matrix, dtype=float)
        rates = np.divide(m, m.sum(axis=1, keepdims=True), out=np.zeros_like(m), where=m.sum(axis=1, keepdims=True) > 0)
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                ax.text(j, i, f"{int(m[i, j])}\n{rates[i, j]:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if rates[i, j] > 0.6 else "black")
        ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("true", fontsize=8)
        ax.set_title(f"{scope} (n={int(m.sum())})", fontsize=9)
    for ax in axes.ravel()[len(matrices):]:
        ax.axis("off")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def fold_scores_page(title: str, fold_rows: Sequence[Mapping[str, Any]], subtitle: str = "") -> plt.Figure:
    """Per-fold UF1/UAR bars (top) and seconds per fold (bottom); failed folds marked in red."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=A4)
    fig.suptitle(title, fontsize=13, weight="bold", x=0.05, ha="left")
    if subtitle:
        fig.text(0.05, 0.945, subtitle, fontsize=8, va="top")
    names = [r["fold"] for r in fold_rows]
    x = np.arange(len(names))
    uf1 = np.array([np.nan if r["uf1"] is None else r["uf1"] for r in fold_rows], dtype=float)
    uar = np.array([np.nan if r["uar"] is None else r["uar"] for r in fold_rows], dtype=float)
    top.bar(x - 0.2, np.nan_to_num(uf1), width=0.4, label="UF1")
    top.bar(x + 0.2, np.nan_to_num(uar), width=0.4, label="UAR")
    for i, r in enumerate(fold_rows):
        if r["status"] != "ok":
            top.annotate(r["status"], (i, 0.02), rotation=90, fontsize=6, color="red", ha="center")
    top.set_ylim(0, 1)
    top.set_ylabel("score on the fold's test samples")
    top.legend(fontsize=7)
    bottom.bar(x, [r["seconds"] or 0 for r in fold_rows], color="grey")
    bottom.set_ylabel("seconds")
    fontsize = 7 if len(names) <= 20 else 4
    for ax in (top, bottom):
        ax.set_xticks(x, names, rotation=90, fontsize=fontsize)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def curves_page(title: str, histories: Mapping[str, Mapping[str, Sequence[float | None]]],
                subtitle: str = "", max_panels: int = 6) -> plt.Figure:
    """One panel per history key (loss, accuracy, ...), one line per fold."""
    keys = []
    for history in histories.values():
        keys.extend(k for k in history if k not in keys and k != "learning_rate")
    keys = keys[:max_panels] or ["(no training history)"]
    cols = 2 if len(keys) > 1 else 1
    rows = int(np.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=A4, squeeze=False)
    fig.suptitle(title, fontsize=13, weight="bold", x=0.05, ha="left")
    if subtitle:
        fig.text(0.05, 0.945, subtitle, fontsize=8, va="top")
    for ax, key in zip(axes.ravel(), keys):
        for fold, history in histories.items():
            values = np.array([np.nan if v is None else v for v in history.get(key, [])], dtype=float)
            if values.size:
                ax.plot(np.arange(1, values.size + 1), values, linewidth=0.8, alpha=0.6)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(keys):]:
        ax.axis("off")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig
