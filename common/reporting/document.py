"""The report's PDF: every page gets the running header and its page number, is checked
(``common.reporting.layout``), saved and closed; sections become the PDF's outline (bookmarks).

``ReportDocument`` stands in for matplotlib's ``PdfPages`` wherever a report draws, including each
experiment's own ``report_pages(pdf, result, context)``: ``pdf.savefig(fig)`` works as before and
also closes the figure, so a long report never holds more than the page being drawn.
"""
from __future__ import annotations

import logging
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import Name, PdfPages

from common.files import display_text
from common.reporting import style
from common.reporting.layout import PageCheck, inspect_page

logger = logging.getLogger(__name__)


def _page_title(fig: plt.Figure) -> str:
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        return suptitle.get_text()
    texts = [t for t in fig.texts if t.get_text().strip()]
    return texts[0].get_text().split("\n")[0] if texts else ""


class ReportDocument:
    """A PDF being written: ``section(title)`` opens a bookmarked section, ``savefig(fig)`` adds a page.

    ``pages`` holds one :class:`layout.PageCheck` per page, in order (the tests read them). ``check``: measure
    each page (``layout.inspect_page`` draws it once more, about a third of a report's time); without it a
    page's entry holds its title and section only, for a writer whose caller does not read the checks.
    """

    def __init__(self, handle: Any, header: str, metadata: dict | None = None, check: bool = False):
        style.apply()
        # the PDF's own strings (metadata, header, bookmarks) as a font and the PDF's encoder take them
        shown = {key: display_text(value) if isinstance(value, str) else value
                 for key, value in (metadata or {}).items()}
        self._pdf = PdfPages(handle, metadata=shown or None)
        self.header = display_text(header)
        self.check = check
        self.pages: list[PageCheck] = []
        self.outline: list[tuple[str, int]] = []
        self._section = ""
        self._bookmark_pending = False

    def section(self, title: str) -> None:
        """Pages saved from now on belong to ``title``; its first page is bookmarked."""
        self._section = display_text(title)
        self._bookmark_pending = True

    def savefig(self, figure: plt.Figure | None = None, **kwargs: Any) -> None:
        fig = figure if figure is not None else plt.gcf()
        style.drawable(fig)
        title = _page_title(fig)
        if self.check:
            self.pages.append(inspect_page(fig, title, self._section))
        else:
            self.pages.append(PageCheck(title, self._section, 1.0, (), ()))
        if self._bookmark_pending:
            self.outline.append((self._section, len(self.pages) - 1))
            self._bookmark_pending = False
        style.stamp(fig, self.header, len(self.pages))
        self._pdf.savefig(fig, **kwargs)
        plt.close(fig)

    def close(self) -> None:
        try:
            _write_outline(self._pdf, self.outline)
        except Exception as exc:  # bookmarks are a convenience: never lose the report over them
            logger.warning(f"report: no PDF outline ({type(exc).__name__}: {exc})")
        self._pdf.close()

    def __enter__(self) -> ReportDocument:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:  # infodict(), get_pagecount(), ... as PdfPages has them
        return getattr(self._pdf, name)


def _write_outline(pdf: PdfPages, entries: list[tuple[str, int]]) -> None:
    """Add ``/Outlines`` (one bookmark per section, to its first page) to the PDF being written.

    matplotlib has no public outline API: the catalog written when the file opened is written again
    with ``/Outlines``; the cross-reference table then points to the new catalog (the old one stays
    unreferenced, which readers ignore).
    """
    if not entries:
        return
    file = pdf._ensure_file()
    pages = file.pageList
    outlines = file.reserveObject("outlines")
    items = [file.reserveObject(f"outline item {i}") for i in range(len(entries))]
    for i, ((title, page), item) in enumerate(zip(entries, items)):
        entry = {"Title": title, "Parent": outlines, "Dest": [pages[min(page, len(pages) - 1)], Name("Fit")]}
        if i > 0:
            entry["Prev"] = items[i - 1]
        if i + 1 < len(items):
            entry["Next"] = items[i + 1]
        file.writeObject(item, entry)
    file.writeObject(outlines, {"Type": Name("Outlines"), "First": items[0], "Last": items[-1], "Count": len(items)})
    file.writeObject(file.rootObject, {"Type": Name("Catalog"), "Pages": file.pagesObject, "Outlines": outlines,
                                       "PageMode": Name("UseOutlines")})
