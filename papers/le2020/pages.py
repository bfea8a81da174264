"""Report pages of Le, Tran, Rege 2020 (pages only draw).

Everything a page shows comes from the experiment's :class:`~common.harness.ExperimentResult`
(``result.selection``, ``result.config``, the fold records' ``extra``) and the
:class:`~common.harness.ReportContext`; the example inputs were produced by ``run_fold`` and
saved with each fold (``extra["examples"]``, an ``.npz``), never recomputed here.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Callable

import cv2
import numpy as np

from common.running.fold import class_counts
from common.reporting.arrays import load_fold_arrays
from common.experiment import Selection
from common.harness import ExperimentResult, ReportContext
from papers.le2020 import reported
from papers.le2020.preprocessing import mask_eyes, roi_boxes
from common.reporting import figures
import matplotlib.pyplot as plt

REGION_COLOURS = {"eyebrows": (0, 0, 255), "nose": (0, 160, 0), "mouth": (255, 0, 0)}  # Fig. 2: blue, green, red
PUBLISHED = "published, not run by us"  # the other methods' rows of Tables II and III


def report_pages(dataset: str | None) -> Callable[[Any, ExperimentResult, ReportContext], None]:
    """Extra pages of one experiment: Tables II and III as published (once per report, by the report's first
    experiment), then, with ``dataset`` (its VGG19 experiment), Table I beside our counts and example inputs."""
    def pages(pdf, result: ExperimentResult, context: ReportContext) -> None:
        if next(iter(context.results), None) == result.name:
            published_tables_page(pdf)
        if dataset is not None:
            example_pages(pdf, dataset, result, context)

    return pages


def draw_regions(image: np.ndarray, points: np.ndarray, region_config) -> np.ndarray:
    """An RGB copy of ``image`` with the three ROIs drawn as in Fig. 2 and the eyes masked."""
    out = mask_eyes(np.ascontiguousarray(image), points)
    thickness = max(1, image.shape[0] // 112)
    for name, (left, top, right, bottom) in roi_boxes(points, region_config.margin, region_config.forehead).items():
        cv2.rectangle(out, (left, top), (right - 1, bottom - 1), REGION_COLOURS[name], thickness)
    return out


def table_i_lines(dataset: str, selection: Selection) -> list[str]:
    """Table I's row for ``dataset`` beside our selection's counts per class."""
    paper = reported.TABLE_I[dataset]
    mine = [i for i, s in enumerate(selection.samples) if s.dataset == dataset]
    counts = class_counts(selection, mine)
    subjects = len({selection.samples[i].subject for i in mine})
    lines = [f"{'':22s}{'paper (Table I)':>18s}{'ours':>10s}",
             f"{'samples':22s}{paper['samples']:>18d}{len(mine):>10d}",
             f"{'subjects':22s}{paper['subjects']:>18d}{subjects:>10d}",
             f"{'emotions (original)':22s}{paper['emotions']:>18d}{'':>10s}",
             f"{'fps':22s}{paper['fps']:>18d}{'':>10s}", "", "Our selection per class (Sec. IV-A.1 regrouping):"]
    lines += [f"  {name:20s}{n:>6d}" for name, n in counts.items()]
    if dataset == "smic":  # README ledger 22
        lines += ["", "Table I names SMIC-E-HS (157 long clips; 3 of SMIC-HS's 164 micro-expressions lost);",
                  "its counts (164, 16 subjects) are SMIC-HS's, whose micro clips (onset..offset) we read."]
    return lines


def published_table_lines() -> list[str]:
    """Tables II and III as printed (accuracy), every row: the paper's own "+ ROI" rows and the other
    methods it compares with, which are marked as published numbers that this suite does not run."""
    def cell(value) -> str:
        return "-" if value is None else f"{100 * value:.2f} %"

    width = 30
    lines = ["Accuracy as printed by Le et al. 2020. Rows marked '(*)' are other methods the paper compares",
             f"with: {PUBLISHED} (numbers from the paper only). The '+ ROI' rows are the paper's",
             "method; our runs of them are on the page 'Reported by the paper vs ours'.", "",
             "Table II: 10-fold cross-validation (Sec. IV-A.2)",
             f"  {'method':{width}s}{'CASME II':>12s}{'SMIC':>12s}{'SAMM':>12s}"]
    for method, values in reported.TABLE_II_OTHERS.items():
        lines.append(f"  {method + ' (*)':{width}s}" + "".join(f"{cell(values.get(d)):>12s}"
                                                             for d in ("casme2", "smic", "samm")))
    for backbone, title in (("resnet50", "ResNet50 + ROI"), ("senet50", "SENet50 + ROI"), ("vgg19", "VGG19 + ROI")):
        lines.append(f"  {title:{width}s}" + "".join(f"{cell(reported.TABLE_II.get((d, backbone))):>12s}"
                                                     for d in ("casme2", "smic", "samm")))
    pairs = (("samm", "casme2"), ("casme2", "samm"))
    lines += ["", "Table III: cross-database, the first database trains, the second tests (Sec. IV-B)",
              f"  {'method':{width}s}{'SAMM -> CASME II':>18s}{'CASME II -> SAMM':>18s}"]
    for method, by_pair in reported.TABLE_III_OTHERS.items():
        lines.append(f"  {method + ' (*)':{width}s}" + "".join(f"{cell(by_pair.get(p)):>18s}" for p in pairs))
    for backbone, title in (("resnet50", "ResNet50 + ROI"), ("vgg19", "VGG19 + ROI")):
        lines.append(f"  {title:{width}s}" + "".join(f"{cell(reported.TABLE_III.get((*p, backbone))):>18s}"
                                                     for p in pairs))
    lines += ["", f"(*) {PUBLISHED}."]
    return lines


def published_tables_page(pdf) -> None:
    """One report page: :func:`published_table_lines`."""
    fig = figures.text_page("le2020: Tables II and III as published (other methods: not run by us)",
                            published_table_lines())
    pdf.savefig(fig)
    plt.close(fig)


def stored_examples(result: ExperimentResult, per_class: int = 1) -> tuple[list[dict[str, Any]], list[str]]:
    """The example inputs ``run_fold`` saved (``extra["examples"]``), the first ``per_class`` of each class
    over the folds in fold order, and a note per fold whose file is missing."""
    chosen: list[dict[str, Any]] = []
    taken: dict[str, int] = {}
    missing: list[str] = []
    for record in result.ok_records:
        path = record.get("extra", {}).get("examples")
        stored = load_fold_arrays(path)
        if stored is None:
            missing.append(f"fold {record.get('fold')}: no example inputs stored ({path or 'made by an older run'})")
            continue
        for i, name in enumerate(stored["classes"]):
            name = str(name)
            if taken.get(name, 0) < per_class:
                taken[name] = taken.get(name, 0) + 1
                chosen.append({key: values[i] for key, values in stored.items()})
    order = {name: k for k, name in enumerate(result.selection.class_names)}
    chosen.sort(key=lambda example: order.get(str(example["classes"]), len(order)))
    return chosen, missing


def example_pages(pdf, dataset: str, result: ExperimentResult, context: ReportContext) -> None:
    """Table I beside our counts, then example dynamic images with their ROIs (Fig. 2), one per class.

    Face images (the onset frame, the dynamic image) are drawn only when the report may show faces
    (``context.allow_faces``: the synthetic corpus, or ``--allow-faces``); otherwise the page says why.
    """
    config = result.config
    lines = table_i_lines(dataset, result.selection)
    examples, missing = stored_examples(result) if context.allow_faces else ([], [])
    if not context.allow_faces:
        lines += ["", "Example dynamic images are omitted: licensed data (run with --allow-faces for private use)."]
    elif missing:
        lines += ["", "Example inputs:"] + [f"  {line}" for line in missing]
    if not examples:
        fig = figures.text_page(f"le2020: {dataset} inputs", lines)
        pdf.savefig(fig)
        plt.close(fig)
        return
    # Table I and the examples share the page: the lines on top, the images under them
    lines = figures.wrap_lines(lines, 120)
    fig, axes = plt.subplots(len(examples), 3, figsize=figures.A4, squeeze=False)
    fig.text(0.05, 0.955, "\n".join(lines), fontsize=6.5, family="DejaVu Sans Mono", va="top", linespacing=1.2)
    fig.subplots_adjust(top=max(0.3, 0.94 - len(lines) * 6.5 * 1.2 / 72 / figures.A4[1]), bottom=0.03, hspace=0.3)
    fig.suptitle(f"{dataset}: onset frame, dynamic image with ROIs (Fig. 2), CNN input "
                 f"(alpha={config.magnification.alpha}, regions={config.regions.combine}, "
                 f"landmarks on {config.regions.landmarks_on})", fontsize=9)
    for row, example in zip(axes, examples):
        panels = (example["onset"], draw_regions(example["dynamic_image"], example["points"], config.regions),
                  example["cnn_input"][..., :3])
        labels = (str(example["keys"]), str(example["classes"]), "input (first 3 channels)")
        for ax, image, label in zip(row, panels, labels):
            ax.imshow(image)
            ax.set_title(label, fontsize=7)
            ax.axis("off")
    pdf.savefig(fig)
    plt.close(fig)
