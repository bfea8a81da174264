"""One look for every report (papers' and the benchmark's): fonts, colours, banner, header and footer.

- :func:`apply` sets matplotlib's fonts and sizes once (DejaVu Sans, fonts embedded as TrueType so
  the PDF's text is vector and searchable).
- :func:`colour` gives each method (an experiment, a benchmark method) one colour, the same on every
  page and in every report: it is chosen from the name itself, not from the order of drawing.
- :data:`BANNER` is the synthetic-corpus banner's box; :func:`stamp` writes the running header
  (paper, profile, corpus) and the page number at the page's edges.
- :func:`drawable` makes every text of a page one a font can draw (a file name the locale could not
  decode, ``common.files.display_text``) and draws it as written (a ``$`` pair in a name is not mathtext) before
  the page is laid out or saved.
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.text import Text
from matplotlib.ticker import LogFormatter, ScalarFormatter

from common.files import display_text

if TYPE_CHECKING:  # the rc key names matplotlib's stubs accept; not needed at run time
    from matplotlib.typing import RcKeyType

A4 = (8.27, 11.69)
LANDSCAPE = (11.69, 8.27)
HEADER = "#dde6f0"  # table header cells
MISMATCH = "#f4b6b6"  # table rows that disagree with the paper, failed folds
PUBLISHED = "#eeeeee"  # rows of numbers published by others, not run by us
INK = "#222222"
MUTED = "#666666"
PAPER = "#b03a2e"  # the paper's own number, on every figure
BANNER = {"color": "#8a1c1c", "bbox": {"facecolor": "#fff3cd", "edgecolor": "#8a1c1c", "boxstyle": "round,pad=0.35"}}
# Colour-blind-safe palette (Okabe-Ito, then tab10's remainder); a method keeps its colour everywhere.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#8c564b", "#7f7f7f",
           "#bcbd22", "#17becf", "#9467bd")
RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7, "pdf.fonttype": 42,
    "axes.spines.top": False, "axes.spines.right": False}


def apply() -> None:
    """Set the reports' fonts and sizes (idempotent)."""
    plt.rcParams.update(RC)


def colour(name: str) -> str:
    """The colour of ``name``: stable across pages, reports and runs (a CRC of the name picks it)."""
    return PALETTE[zlib.crc32(str(name).encode()) % len(PALETTE)]


def stamp(fig: plt.Figure, header: str, page: int) -> None:
    """The running header (top left) and the page number (bottom right), outside the body."""
    # the header names files and runs: drawn as written, never as mathtext (see drawable)
    fig.text(0.03, 0.992, header, fontsize=6, color=MUTED, va="top", ha="left", gid="stamp", parse_math=False)
    fig.text(0.97, 0.006, f"page {page}", fontsize=6, color=MUTED, va="bottom", ha="right", gid="stamp")


def _formatted_ticks(fig: plt.Figure) -> set[int]:
    """The ids of the texts an axis's number formatter writes (its tick labels, its offset text), mathtext on
    purpose (a log axis's ``10^5``); tick labels given as text (``set_yticks(ticks, names)``) are not among them."""
    out: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            out.add(id(axis.offsetText))
            for ticks, formatter in ((axis.majorTicks, axis.get_major_formatter()),
                                     (axis.minorTicks, axis.get_minor_formatter())):
                if isinstance(formatter, (ScalarFormatter, LogFormatter)):  # the formatters that write mathtext
                    out.update(id(label) for tick in ticks for label in (tick.label1, tick.label2))
    return out


def drawable(fig: plt.Figure) -> None:
    """Every text of ``fig`` as a font can draw it (``common.files.display_text``): a path the locale could not
    decode (``LC_ALL=C`` without UTF-8 mode) reaches the page as its UTF-8 text, never as the surrogate escapes
    that stop matplotlib's drawing with a traceback. Every text but an axis's own numbers is drawn as written,
    not as mathtext: a ``$`` pair in a file, clip or class name (``a$\\x$.csv``) would be drawn as a formula, or
    stop the page with a traceback. Called on every page before it is laid out or saved."""
    texts = fig.findobj(Text)  # first: listing an axis's children makes its ticks
    numbers = _formatted_ticks(fig)
    for text in texts:
        if id(text) not in numbers:
            text.set_parse_math(False)
        value = text.get_text()
        shown = display_text(value)
        if shown != value:
            text.set_text(shown)
