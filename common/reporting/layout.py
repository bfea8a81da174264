"""Checks of a drawn page, from matplotlib's own bounding boxes (no PDF reader needed).

:func:`inspect_page` draws the figure once and reports how much of the page's height the body
fills, every text that reaches outside the page, and every table cell whose text is wider than
its cell (a cell that would look truncated). The report writers run it on every page before
saving when their caller asks for the answers (``pages=``: the tests, which hold every page to the
same rules; ``common.reporting.document``); a report written for a run skips this second drawing.
"""
from __future__ import annotations

import dataclasses

from matplotlib.table import Table
from matplotlib.text import Text

TOLERANCE_PX = 1.5


@dataclasses.dataclass(frozen=True)
class PageCheck:
    """One page: ``fill`` = the body's height over the page's (0..1), ``outside`` = texts that reach
    beyond the page, ``truncated`` = table cells whose text is wider than the cell."""

    title: str
    section: str
    fill: float
    outside: tuple[str, ...]
    truncated: tuple[str, ...]


def _undrawn_tick_labels(fig) -> set[int]:
    """Tick labels matplotlib keeps but does not draw (ticks outside the axis's view limits)."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            drawn = {id(t) for t in axis._update_ticks()}  # private, but what Axis.draw itself uses
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if id(tick) not in drawn or not ax.axison:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def _texts(fig):
    hidden = _undrawn_tick_labels(fig)
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and t.get_gid() != "stamp"
            and id(t) not in hidden]


def inspect_page(fig, title: str = "", section: str = "") -> PageCheck:
    """Measure ``fig`` as it will be saved (call before adding the header and page number)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    outside, truncated = [], []
    top, bottom = page.y0, page.y1
    for text in _texts(fig):
        box = text.get_window_extent(renderer)
        if box.width == 0 and box.height == 0:
            continue
        top, bottom = max(top, box.y1), min(bottom, box.y0)
        if (box.x0 < page.x0 - TOLERANCE_PX or box.x1 > page.x1 + TOLERANCE_PX
                or box.y0 < page.y0 - TOLERANCE_PX or box.y1 > page.y1 + TOLERANCE_PX):
            outside.append(text.get_text()[:60])
        gid = text.get_gid() or ""
        if gid.startswith("cell:"):  # our own tables: the cell's left and right edge in figure pixels
            x0, x1 = (float(v) * page.width for v in gid[5:].split(":"))
            if box.x0 < x0 - TOLERANCE_PX or box.x1 > x1 + TOLERANCE_PX:
                truncated.append(text.get_text()[:60])
    for ax in fig.axes:
        if ax.axison or ax.images or ax.collections or ax.lines or ax.patches:
            box = ax.get_tightbbox(renderer)
            if box is not None:
                top, bottom = max(top, box.y1), min(bottom, box.y0)
        for table in ax.findobj(Table):
            for cell in table.get_celld().values():
                text = cell.get_text()
                if not text.get_text().strip():
                    continue
                cell_box, text_box = cell.get_window_extent(renderer), text.get_window_extent(renderer)
                if text_box.width > cell_box.width + TOLERANCE_PX:
                    truncated.append(text.get_text()[:60])
            box = table.get_window_extent(renderer)
            top, bottom = max(top, box.y1), min(bottom, box.y0)
    fill = max(0.0, (top - bottom) / page.height)
    return PageCheck(title=title, section=section, fill=round(fill, 3), outside=tuple(outside),
                     truncated=tuple(truncated))
