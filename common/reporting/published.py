"""A report page for a method whose paper publishes UF1/UAR per scope: the published numbers beside ours,
and our confusion matrices per scope (the handcrafted baselines of the MEGC 2019 composite).

The page only draws: from ``result.summary`` (results.json in memory) and the numbers it is given.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping, Sequence
from common.reporting.figures import confusion_axes, Flow
from common.reporting.tables import score_marks


def _cell(value: Any) -> str:
    return "-" if value is None else f"{float(value):.4f}"


def published_rows(summary: Mapping[str, Any], published: Mapping[str, tuple[float, float]],
                   scope_titles: Mapping[str, str]) -> list[list[str]]:
    """[scope, published UF1, ours UF1, published UAR, ours UAR] per scope of ``published`` (ours: pooled)."""
    pooled = (summary.get("metrics") or {}).get("pooled", {})
    rows = []
    for scope, (uf1, uar) in published.items():
        ours = pooled.get(scope) or {}
        rows.append([scope_titles.get(scope, scope), _cell(uf1), _cell(ours.get("uf1")), _cell(uar),
                     _cell(ours.get("uar"))])
    return rows


def published_beside_ours_page(pdf: Any, result: Any, context: Any, *, title: str,
                               published: Mapping[str, tuple[float, float]], scope_titles: Mapping[str, str],
                               source: str, notes: Sequence[str] = ()) -> None:
    """The published UF1/UAR beside our pooled ones, and our confusion matrices of the scopes with test clips,
    on one page."""
    summary = result.summary
    corpus = summary.get("corpus", {}) or {}
    run = (f"profile: {summary.get('profile', '?')}   corpus: {corpus.get('kind', '?')}   "
           f"seed: {summary.get('seed', '?')}")  # the synthetic corpus: the first of score_marks
    flow = Flow(title, emit=pdf.savefig)  # the table and our confusion matrices on one page
    flow.text([f"Published: {source}. Ours: this run, UF1/UAR over the pooled predictions of its folds.", run,
               *score_marks(summary), *notes])
    flow.table(["scope", "UF1 published", "UF1 ours", "UAR published", "UAR ours"],
               published_rows(summary, published, scope_titles), [False] * len(published))
    pooled = (summary.get("metrics") or {}).get("pooled", {})
    # results.json's pooled confusion matrix of each scope (None where the scope has none)
    matrices: dict[str, Any] = {scope_titles.get(scope, scope): (pooled.get(scope) or {}).get("confusion")
                                for scope in published}
    matrices = {name: matrix for name, matrix in matrices.items() if matrix and sum(map(sum, matrix)) > 0}
    if matrices:
        flow.heading("Our confusion matrices (pooled over the folds; rows = true class)", 9)
        class_names = list(result.selection.class_names)

        def draw(fig, box) -> None:
            left, bottom, width, height = box
            for k, (name, matrix) in enumerate(matrices.items()):
                row, col = divmod(k, 2)
                ax = fig.add_axes((left + 0.1 * width + col * width / 2,
                                   bottom + (1 - row) * height / 2 + 0.06 * height, 0.32 * width, 0.36 * height))
                confusion_axes(ax, matrix, class_names, f"{name} (n={sum(map(sum, matrix))})", ylabel=col == 0)

        flow.block(0.55 if len(matrices) > 2 else 0.3, draw)
    flow.finish()
