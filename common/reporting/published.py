"""A report page for a method whose paper publishes UF1/UAR per scope: the published numbers beside ours,
and our confusion matrices per scope (the handcrafted baselines of the MEGC 2019 composite).

The page only draws: from ``result.summary`` (results.json in memory) and the numbers it is given.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence


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
    """The published UF1/UAR beside our pooled ones, then our confusion matrices per scope."""
    import matplotlib.pyplot as plt

    from common.reporting.figures import Flow, confusion_page

    summary = result.summary
    corpus = summary.get("corpus", {}) or {}
    synthetic = corpus.get("kind") == "synthetic"
    run = (f"profile: {summary.get('profile', '?')}   corpus: {corpus.get('kind', '?')}   seed: {summary.get('seed', '?')}"
           + ("   (SYNTHETIC data: our numbers say nothing about the method)" if synthetic else ""))
    flow = Flow(title, emit=pdf.savefig)
    flow.text([f"Published: {source}. Ours: this run, UF1/UAR over the pooled predictions of its folds.", run,
               *notes])
    flow.table(["scope", "UF1 published", "UF1 ours", "UAR published", "UAR ours"],
               published_rows(summary, published, scope_titles), [False] * len(published))
    flow.finish()
    pooled = (summary.get("metrics") or {}).get("pooled", {})
    matrices = {scope_titles.get(scope, scope): (pooled.get(scope) or {}).get("confusion")
                for scope in published}
    matrices = {name: matrix for name, matrix in matrices.items() if matrix}
    if matrices:
        fig = confusion_page("Our confusion matrices (pooled over the folds)", matrices, list(result.selection.class_names),
                             subtitle=run)
        pdf.savefig(fig)
        plt.close(fig)
