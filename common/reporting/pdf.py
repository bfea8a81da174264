"""``reports/<paper>/report.pdf`` and ``reports/<paper>/results.json`` (Reports).

Pages, the answer first: (1) the paper's reported numbers beside ours (difference,
aggregation, profile) and all our scores; then per experiment: a summary with failed folds, the selection (samples selected
and kept per class, every sample dropped or merged with its reason, the flagged clips and the
face-quality counts), thumbnails of the flagged clips where faces may be shown (the
synthetic corpus, or ``--allow-faces``), pooled confusion matrices per scope, per-fold scores
and times, training curves; an architecture page per model (our layer
table, beside the paper's where it gives one, mismatches shaded red); each experiment's own
``report_pages(pdf, result, context)``; last, the run's page: citation, corpus, profile, seed,
environment, total time, command and the licence note on faces.

Beside the PDF: ``results.json`` (every experiment's results plus the comparison), and the
PDF's tables as CSV: ``comparison.csv`` (reported vs ours), ``scores.csv`` (all our scores),
``architectures.json`` (layer tables). Everything is drawn from the experiments' results in memory
(``common.experiment.ExperimentResult``) and the ``ReportContext``; no page reads a run's files.
"""
from __future__ import annotations

import datetime
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from common.evaluation.runner import jsonable, write_json_atomic  # noqa: E402
from common.experiment import ExperimentResult, ReportContext  # noqa: E402
from common.files import atomic_write  # noqa: E402
from common.reporting import figures, tables  # noqa: E402
from common.reporting.architecture import compare_with_paper, model_summary  # noqa: E402

REPORT_SCHEMA = "mersuite.report/1"


def _banner(profile: Any, corpus: Mapping[str, Any]) -> str:
    kind = str(corpus.get("kind", "?")).upper()
    return f"profile: {profile}    corpus: {kind} ({corpus.get('root', '?')})"


def _faces_note(corpus: Mapping[str, Any], allow_faces: bool) -> str:
    if corpus.get("kind") == "synthetic":
        return "Faces: synthetic corpus; its faces may be shown (no licence limit)."
    if allow_faces:
        return ("Faces: licensed data, face images INCLUDED at the user's request (--allow-faces); "
                "check the databases' licences before sharing this report.")
    return ("Faces: licensed data; this report embeds no face images (example inputs, saliency maps), "
            "as the databases' licences require. Use --allow-faces to include them for private use.")


def _run_page(paper_id: str, paper: Any, context: ReportContext, results: Mapping[str, Mapping]) -> plt.Figure:
    """The last page: who and how (citation, corpus, profile, seed, environment, time, command)."""
    corpus = context.corpus
    env = context.environment or {}
    seconds = context.seconds
    lines = [f"Paper      {paper_id}" + (f"  (status: {paper.status})" if paper is not None else "")]
    if paper is not None:
        lines += ["", "Citation", *_wrap(paper.citation, 95), ""]
    lines += [f"Profile    {context.profile}",
              f"Seed(s)    {context.seed}",
              f"Corpus     {corpus.get('kind')}  root: {corpus.get('root')}"]
    for name, count in (corpus.get("datasets") or {}).items():
        lines.append(f"             {name}: {count} samples")
    lines += ["", *_wrap(_faces_note(corpus, bool(context.allow_faces)), 95), "", "Experiments"]
    for name, res in results.items():
        counts = ", ".join(f"{k} {v}" for k, v in res.get("status_counts", {}).items())
        lines += _wrap(f"{name}: {res.get('title', '')}  [{len(res.get('folds', []))} folds: {counts}]", 93)
        for warning in res.get("warnings", []):  # folds left out of the scores
            lines += _wrap(f"    WARNING: {warning}", 93)
    lines += ["", "Environment"]
    lines += [f"  {k}: {v}" for k, v in env.items()]
    if seconds is not None:
        lines += ["", f"Total time {seconds:.1f} s"]
    if context.command:
        lines += ["", "Command", *_wrap(str(context.command), 95)]
    lines += ["", f"Generated {datetime.datetime.now().isoformat(timespec='seconds')}"]
    title = f"The run: {paper.title if paper is not None else paper_id}"
    return figures.text_page(title, lines, banner=_banner(context.profile, corpus))


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(str(text).split()), width) or [""]


def _comparison_figures(results: Mapping[str, Mapping], context: ReportContext) -> list[plt.Figure]:
    title = context.paper.title if context.paper is not None else context.paper_id
    banner = f"{context.paper_id}: {title}\n" + _banner(context.profile, context.corpus)
    left_out = sum(len(res.get("metrics", {}).get("not_scored", [])) for res in results.values())
    if left_out:  # the headline numbers below do not cover every fold: say so beside them
        banner += (f"\nWARNING: {left_out} fold(s) failed, diverged (nan) or were empty and are NOT in these "
                   "scores; see each experiment's page")
    rows = tables.comparison_rows(results)
    out = []
    if rows:
        numbers, notes = [], []
        for r in rows:  # numbered notes explaining gaps (docs/house.md, Results)
            if r.get("note"):
                notes.append(f"[{len(notes) + 1}] {r['experiment']} {r['metric']}/{r['scope']}: {r['note']}")
            numbers.append(f"[{len(notes)}]" if r.get("note") else "")
        body = [[r["experiment"], r["metric"], r["scope"], r["aggregation"], tables.fmt(r["reported"]),
                 tables.fmt(r["ours"]), tables.fmt_signed(r["difference"]), f"{r['source'] or ''} {n}".strip()]
                for r, n in zip(rows, numbers)]
        out += figures.table_pages("Reported by the paper vs ours", ["experiment", "metric", "scope", "aggregation",
                                   "paper", "ours", "ours-paper", "source, note"], body,
                                   subtitle=banner + "\naggregation: pooled = predictions of all folds together "
                                   "(MEGC); fold_mean = mean of per-fold scores",
                                   col_widths=[0.2, 0.08, 0.1, 0.11, 0.09, 0.09, 0.11, 0.22])
        if notes:
            out.append(figures.text_page("Notes on the reported numbers", [l for n in notes for l in _wrap(n, 100)]))
    scores = tables.score_rows(results)
    body = [[r["experiment"], r["scope"], r["aggregation"], r["metric"], tables.fmt(r["value"]), tables.fmt(r["n"])]
            for r in scores]
    out += figures.table_pages("Our scores", ["experiment", "scope", "aggregation", "metric", "value",
                                              "n (samples | folds)"], body, subtitle=banner,
                               col_widths=[0.3, 0.12, 0.13, 0.1, 0.12, 0.18])
    return out


def _experiment_figures(name: str, res: Mapping[str, Any]) -> list[plt.Figure]:
    banner = _banner(res.get("profile"), res.get("corpus", {}))
    out = []
    metrics = res.get("metrics", {})
    selection = res.get("selection") or {}
    lines = [f"{len(res.get('folds', []))} folds, {res.get('n_samples')} samples, classes {res.get('class_names')}",
             *([f"selection: {selection.get('selected')} selected by the paper, {selection.get('kept')} kept after the "
                f"checks, {len(selection.get('dropped') or [])} dropped, {len(selection.get('flagged') or [])} flagged "
                f"(selection page)"] if selection else []),
             f"seed {res.get('seed')}, config hash {res.get('config_hash')}, overrides {res.get('overrides') or '{}'}",
             f"fold time total {res.get('seconds', {}).get('folds_total', 0):.1f} s", "",
             "Trainable parameters"]
    lines += [f"  {model}: {count:,}" for model, count in (res.get("parameters") or {}).items()] or ["  (not given)"]
    lines += ["", "Scores (pooled = all folds' predictions together; fold_mean = mean of per-fold scores)"]
    for aggregation in ("pooled", "fold_mean"):
        for scope, values in metrics.get(aggregation, {}).items():
            shown = "  ".join(f"{m}={tables.fmt(values.get(m))}" for m in res.get("metrics_reported", ()))
            lines.append(f"  {aggregation:9s} {scope:9s} {shown}")
    problems = [f for f in res.get("folds", []) if f["status"] != "ok"]
    if problems:
        nan_counted = metrics.get("nan_policy") == "include"
        lines += ["", f"Folds not ok ({len(problems)}); failed/empty folds are not scored; nan folds (training "
                  f"diverged) {'ARE' if nan_counted else 'are NOT'} in the pooled and fold-mean scores "
                  "(their own scores are in the per-fold table, their predictions in predictions.csv):"]
        for fold in problems[:40]:
            lines += _wrap(f"  {fold['name']}: {fold['status']}: {fold['reason']}", 100)
    lines += ["", "Config"]
    lines += config_lines(res.get("config", {}))
    out.append(figures.text_page(f"{name}: {res.get('title', '')}", lines[:110], banner=banner))
    matrices = {scope: v["confusion"] for scope, v in metrics.get("pooled", {}).items() if v.get("n")}
    if matrices:
        out.append(figures.confusion_page(f"{name}: confusion matrices (pooled over folds)", matrices,
                                          res.get("class_names", []), subtitle=banner))
    fold_rows = tables.fold_rows(res)
    if fold_rows:
        out.append(figures.fold_scores_page(f"{name}: per-fold scores and time", fold_rows, subtitle=banner))
        body = [[r["fold"], r["status"], r["n_train"], r["n_test"], tables.fmt(r["uf1"]), tables.fmt(r["uar"]),
                 tables.fmt(r["accuracy"]), tables.fmt(r["seconds"], 1)] for r in fold_rows]
        out += figures.table_pages(f"{name}: per-fold table", ["fold", "status", "train", "test", "uf1", "uar",
                                   "accuracy", "seconds"], body, subtitle=banner,
                                   highlight=[r["status"] != "ok" for r in fold_rows])
    histories = {f["name"]: f["history"] for f in res.get("folds", []) if f.get("history")}
    if histories:
        out.append(figures.curves_page(f"{name}: training curves (one line per fold)", histories, subtitle=banner))
    return out


def _selection_figures(name: str, res: Mapping[str, Any], allow_faces: bool) -> list[plt.Figure]:
    """The selection page (before/after counts, dropped and flagged samples) and, where faces may be
    shown, thumbnails of the clips the face check flagged."""
    selection = res.get("selection")
    if not selection:
        return []
    faces = res.get("face_quality") or {}
    banner = _banner(res.get("profile"), res.get("corpus", {}))
    by_class = selection.get("by_class", {})
    lines = [f"Selected by the paper: {selection.get('selected')}    kept after the checks: {selection.get('kept')}"
             f"    (min_frames {selection.get('min_frames')}, faces policy {faces.get('policy', '?')})", "",
             f"  {'class':<16}{'selected':>10}{'kept':>8}"]
    for cls, n in (by_class.get("selected") or {}).items():
        lines.append(f"  {cls:<16}{n:>10}{(by_class.get('kept') or {}).get(cls, 0):>8}")
    counts = faces.get("counts") or {}
    lines += ["", "Face check (" + f"{faces.get('sampled_frames', '?')} frames per clip): "
              + ", ".join(f"{k} {v}" for k, v in counts.items() if v)]
    dropped = selection.get("dropped") or []
    by_stage = selection.get("dropped_by_stage") or {}
    lines += ["", f"Dropped or merged: {len(dropped)}" + (" (" + ", ".join(f"{k} {v}" for k, v in by_stage.items())
                                                          + ")" if by_stage else "")]
    for d in dropped[:40]:
        lines += _wrap(f"  [{d['stage']}] {d['key']}: {d['reason']}", 100)
    if len(dropped) > 40:
        lines.append(f"  ... and {len(dropped) - 40} more (results.json: selection.dropped)")
    flagged = selection.get("flagged") or []
    lines += ["", f"Flagged, kept: {len(flagged)}"]
    for f in flagged[:30]:
        lines += _wrap(f"  [{f['stage']}] {f['key']}: {f['reason']}", 100)
    if len(flagged) > 30:
        lines.append(f"  ... and {len(flagged) - 30} more (results.json: selection.flagged)")
    out = [figures.text_page(f"{name}: selection, dropped and flagged samples", lines[:110], banner=banner)]
    shown = [f for f in faces.get("flagged") or [] if f.get("frames")][:12]
    if shown and allow_faces:
        out.append(_thumbnail_page(f"{name}: clips flagged by the face check", shown, banner))
    elif shown:
        out.append(figures.text_page(f"{name}: clips flagged by the face check",
                                     ["Licensed data: no thumbnails (use --allow-faces for private use).",
                                      "The clips and their first sampled frames:", ""]
                                     + [l for f in shown for l in _wrap(f"  {f['key']} ({f['verdict']}): "
                                                                        f"{f['frames'][0]}", 100)], banner=banner))
    return out


def _thumbnail_page(title: str, flagged: list[Mapping[str, Any]], banner: str) -> plt.Figure:
    """First, middle and last sampled frame of up to 12 flagged clips (read from disk; missing ones skipped)."""
    from common.preprocessing.io import read_frame

    fig, axes = plt.subplots(max(len(flagged), 6), 3, figsize=(8.27, 11.69), squeeze=False)
    fig.subplots_adjust(top=0.9, bottom=0.03, hspace=0.35)
    fig.suptitle(title, fontsize=12, weight="bold", x=0.05, ha="left", y=0.975)
    fig.text(0.05, 0.945, banner + "\nfirst, middle and last sampled frame of each flagged clip", fontsize=7, va="top")
    for ax in axes.ravel():
        ax.axis("off")
    for row, entry in zip(axes, flagged):
        frames, found = entry["frames"], entry.get("found") or []
        picks = sorted({0, len(frames) // 2, len(frames) - 1})
        for ax, pick in zip(row, picks):
            try:
                ax.imshow(read_frame(frames[pick], "rgb"))
            except Exception:  # the file moved since the run: leave the cell empty
                continue
            face = "face" if pick < len(found) and found[pick] else "NO FACE"
            ax.set_title(f"{entry['key'] if pick == 0 else ''} [{entry['positions'][pick]}: {face}]", fontsize=6)
    return fig


def config_lines(config: Any, indent: str = "  ") -> list[str]:
    """A config tree (``to_dict``) as indented ``key = value`` lines (reports' config pages)."""
    lines = []
    if isinstance(config, Mapping):
        for key, value in config.items():
            if isinstance(value, Mapping):
                lines.append(f"{indent}{key}:")
                lines += config_lines(value, indent + "  ")
            else:
                lines.append(f"{indent}{key} = {value}")
    return lines


def architectures(paper: Any, log: Callable[[str], None] = print) -> dict[str, dict]:
    """``{model: summary}`` of ``paper.models()`` with the paper-table comparison where given."""
    if paper is None:
        return {}
    out = {}
    for name, model in paper.models().items():
        summary = model_summary(model)
        rows = (paper.architecture_tables or {}).get(name)
        if rows:
            summary["paper_comparison"] = compare_with_paper(summary, rows)
        out[name] = summary
    return out


def _architecture_figures(summaries: Mapping[str, dict]) -> list[plt.Figure]:
    out = []
    for name, summary in summaries.items():
        comparison = {row["name"]: row for row in summary.get("paper_comparison", [])}
        header = ["layer", "class", "output shape", "params"]
        if comparison:
            header += ["paper shape", "paper params"]
        body, highlight = [], []
        for layer in summary["layers"]:
            row = [layer["name"], layer["class"], str(layer["output_shape"]), f"{layer['params']:,}"]
            if comparison:
                paper_row = comparison.get(layer["name"])
                row += ["" if paper_row is None else str(paper_row["paper_shape"]),
                        "" if paper_row is None or paper_row["paper_params"] is None else f"{paper_row['paper_params']:,}"]
                highlight.append(paper_row is not None and not paper_row["match"])
            else:
                highlight.append(False)
            body.append(row)
        ours = {layer["name"] for layer in summary["layers"]}
        for missing in (r for r in comparison.values() if r["name"] not in ours):  # in the paper, not in ours
            body.append([missing["name"], "(missing)", "", "", str(missing["paper_shape"]),
                         "" if missing["paper_params"] is None else f"{missing['paper_params']:,}"])
            highlight.append(True)
        mismatches = sum(highlight)
        subtitle = (f"trainable {summary['trainable_params']:,}   non-trainable {summary['non_trainable_params']:,}"
                    + (f"   paper table: {mismatches} mismatching rows (red)" if comparison else
                       "   (the paper gives no layer table for this model)"))
        widths = [0.22, 0.16, 0.22, 0.1, 0.18, 0.12] if comparison else [0.3, 0.22, 0.3, 0.14]
        out += figures.table_pages(f"Architecture: {name}", header, body, subtitle=subtitle, highlight=highlight,
                                   col_widths=widths)
    return out


def write_report(paper_id: str, results_by_experiment: Mapping[str, ExperimentResult], out_dir: str | Path,
                 context: ReportContext | None = None, log: Callable[[str], None] = print,
                 architectures_summary: Mapping[str, dict] | None = None) -> Path:
    """Write ``<out>/<paper>/report.pdf`` (+ results.json, comparison.csv, scores.csv); return the PDF path.

    A pure function of ``results_by_experiment`` (name -> ``ExperimentResult``, in memory) and
    ``context`` (default: one made from the first result); ``architectures_summary`` (model ->
    ``model_summary``) skips building the paper's models. Each experiment's
    ``report_pages(pdf, result, context)`` draws its own pages from the same objects.
    """
    summaries_by_name = {name: res.summary for name, res in results_by_experiment.items()}
    if context is None:
        first = next(iter(summaries_by_name.values()), {})
        corpus = first.get("corpus", {"kind": "?", "root": "?"})
        context = ReportContext(paper_id=paper_id, profile=first.get("profile", "?"), seed=first.get("seed"),
                                corpus=corpus, allow_faces=corpus.get("kind") == "synthetic",
                                environment=first.get("environment", {}), results=dict(results_by_experiment))
    paper = context.paper
    paper_dir = Path(out_dir) / paper_id
    paper_dir.mkdir(parents=True, exist_ok=True)
    if architectures_summary is not None:
        summaries = dict(architectures_summary)
    else:
        try:
            summaries = architectures(paper, log)
        except Exception as exc:  # a model that does not build must not lose the numbers
            log(f"report: could not build {paper_id}'s models: {type(exc).__name__}: {exc}")
            summaries = {}
    pdf_path = paper_dir / "report.pdf"
    metadata = {"Title": f"mersuite report: {paper_id}", "Subject": _banner(context.profile, context.corpus),
                "Creator": "mersuite run_all.py"}
    # atomic (common.files): a reader or a second run never sees half a PDF
    with atomic_write(pdf_path, "wb") as handle, PdfPages(handle, metadata=metadata) as pdf:
        def save(pages: list[plt.Figure]) -> None:  # each group closed before the next is drawn (matplotlib
            for fig in pages:  # warns past 20 open figures; a paper with many experiments passed that)
                pdf.savefig(fig)
                plt.close(fig)

        save(_comparison_figures(summaries_by_name, context))
        for name, res in summaries_by_name.items():
            save(_experiment_figures(name, res))
            save(_selection_figures(name, res, bool(context.allow_faces)))
        save(_architecture_figures(summaries))
        for name, result in results_by_experiment.items():
            if result.experiment.report_pages is None:
                continue
            try:
                result.experiment.report_pages(pdf, result, context)
            except Exception as exc:  # the paper's extra pages are optional; say what went wrong
                log(f"report: {name}.report_pages failed: {type(exc).__name__}: {exc}")
                fig = figures.text_page(f"{name}: extra pages failed", _wrap(traceback.format_exc(), 100)[:80])
                pdf.savefig(fig)
                plt.close(fig)
        fig = _run_page(paper_id, paper, context, summaries_by_name)
        pdf.savefig(fig)
        plt.close(fig)
    tables.write_csv(paper_dir / "comparison.csv", tables.comparison_rows(summaries_by_name),
                     tables.COMPARISON_COLUMNS)
    tables.write_csv(paper_dir / "scores.csv", tables.score_rows(summaries_by_name), tables.SCORE_COLUMNS)
    write_json_atomic(paper_dir / "architectures.json", {"models": summaries})
    write_json_atomic(paper_dir / "results.json", {
        "schema": REPORT_SCHEMA, "paper": paper_id,
        "title": getattr(paper, "title", None), "citation": getattr(paper, "citation", None),
        "profile": context.profile, "seed": context.seed, "corpus": context.corpus,
        "allow_faces": bool(context.allow_faces), "environment": context.environment,
        "seconds": context.seconds, "command": context.command,
        "comparison": tables.comparison_rows(summaries_by_name),
        "experiments": jsonable(summaries_by_name),
        "outputs": {"report": pdf_path, "comparison": paper_dir / "comparison.csv", "scores": paper_dir / "scores.csv",
                    "architectures": paper_dir / "architectures.json"},
    })
    return pdf_path
