"""The prediction page: one A4 landscape page per clip (``predict.pdf``; page 1 also as ``predict.png``).

Top row: the frames the method used, the face box and the method's regions drawn on the first of them.
Bottom row: what the network saw (dynamic image, EAI, region crops, magnified frame, flow), and the
saliency map over the first input where the method has one (Reddy). Right: the class probabilities as
bars, and what the prediction rests on (onset/apex/offset and the apex the input was built from with its
rule, as stdout and ``predictions.csv`` give them; fps and where it came from, what the method does at a
rate it was not trained at; the face check, the method's notes; the chain that made the input beside the
one the model was trained on, in red under the title where they differ; in red too, an export trained by other
code, whose inputs this code's preprocessing makes). Bottom right: the curve each apex
rule read, its peak and the apex used. A recording is the user's own: its faces are shown.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Sequence
import io
import textwrap

import numpy as np

from common.deployment.recording import MOTION_MEASURE, apex_text, chain_warning, frames_text
from common.reporting import style
from common.files import atomic_write
from common.predict_types import MotionCurve, PredictViews
from common.preprocessing.io import FrameReadError, read_frame
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.ticker import MaxNLocator
import matplotlib.pyplot as plt

MAX_FRAMES = 5
MAX_INPUTS = 5


def _image(ax, image: np.ndarray, title: str) -> None:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3:
        shown = image.astype(float)
        lo, hi = float(shown.min()), float(shown.max())
        shown = (shown - lo) / (hi - lo) if hi > lo else np.zeros_like(shown)
        ax.imshow(shown[:, :, :3])
    else:
        ax.imshow(image, cmap="gray")
    ax.set_title(title, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])


def _views(exported, result):
    if result.views is not None:
        return result.views
    sample = result.sample
    last = len(sample.frames) - 1
    return PredictViews(frames=tuple(dict.fromkeys((0, sample.apex_position, last))),
                        notes=("this method draws no inputs (no predict_views)",))


def draw_page(fig, exported: Any, result: Any, page: int) -> None:
    """One clip's page on ``fig`` (A4 landscape)."""
    sample = result.sample
    views = _views(exported, result)
    names = exported.class_names
    chain, trained, differ = chains(exported, views)
    # in red under the title: the input is not made the way the model's training inputs were (another chain, or
    # other code than the export's)
    warnings = [text for text in (differ, exported.source_warning and f"WARNING: {exported.source_warning}") if text]
    # two rows of nearly square cells (images fill them), the notes under them; lower under a warning
    grid = fig.add_gridspec(2, MAX_FRAMES + 2, left=0.03, right=0.98, top=0.76 if warnings else 0.82, bottom=0.30,
                            wspace=0.25, hspace=0.35)
    title = f"{sample.clip}: "
    if result.probabilities is not None:
        top = int(np.argmax(result.probabilities))
        title += f"{names[top]} ({result.probabilities[top]:.2f})"
    else:
        title += "not predicted"
    fig.text(0.03, 0.95, title, fontsize=13, weight="bold", color=style.INK, va="top")
    fig.text(0.03, 0.905, f"method {exported.label}; model folder {exported.folder.name}", fontsize=8,
             color=style.MUTED, va="top")
    style.stamp(fig, f"mersuite predict: {exported.paper_id}/{exported.experiment.name}", page)
    for row, label in ((0, "frames used (the face box and the method's regions on the first)"),
                       (1, "what the network saw" + (" and the saliency" if views.saliency is not None else ""))):
        fig.text(0.03, grid[row, 0].get_position(fig).y1 + 0.03, label, fontsize=8, color=style.MUTED, va="bottom")
    frames = list(views.frames)[:MAX_FRAMES]
    numbers = sample.frame_numbers
    for k, position in enumerate(frames):
        ax = fig.add_subplot(grid[0, k])
        label = f"frame {numbers[position]}" + (" (apex)" if position == sample.apex_position else "")
        try:
            frame = read_frame(sample.frames[position], "rgb")
        except FrameReadError:  # a clip excluded for it: its page says so where the frame would be
            ax.text(0.5, 0.5, "cannot be read", ha="center", va="center", fontsize=7, color=style.MUTED)
            ax.set_title(label, fontsize=7)
            ax.set_axis_off()
            continue
        _image(ax, frame, label)
        if k == 0 and views.face_box is not None:
            left, top_, right, bottom = views.face_box
            ax.add_patch(Rectangle((left, top_), right - left, bottom - top_, fill=False, lw=1.2, ec="#00ff66"))
        if k == 0 and views.regions:
            # the regions' names in a legend under the frame: written on the frame, neighbouring regions' names
            # overlap one another (the eyebrows, the cheeks)
            keys = []
            for j, (name, points) in enumerate(views.regions):
                points = np.asarray(points, dtype=float).reshape(-1, 2)
                colour = style.PALETTE[j % len(style.PALETTE)]
                if len(points) == 2:  # two corners: a box
                    (x0, y0), (x1, y1) = points
                    ax.add_patch(Rectangle((min(x0, x1), min(y0, y1)), abs(x1 - x0), abs(y1 - y0), fill=False,
                                           lw=0.9, ec=colour))
                else:
                    ax.add_patch(Polygon(points, closed=True, fill=False, lw=0.9, ec=colour))
                keys.append(Patch(fill=False, ec=colour, lw=0.9, label=name))
            ax.legend(handles=keys, loc="upper left", bbox_to_anchor=(0.0, -0.02), ncol=2, fontsize=5,
                      frameon=False, handlelength=1.2, columnspacing=0.8, borderaxespad=0.0)
    inputs = list(views.inputs)[:MAX_INPUTS]
    for k, (name, image) in enumerate(inputs):
        _image(fig.add_subplot(grid[1, k]), image, name)
    if views.saliency is not None:
        k = min(len(inputs), MAX_INPUTS - 1) if inputs else 0
        ax = fig.add_subplot(grid[1, k]) if k >= len(inputs) else fig.add_subplot(grid[1, MAX_INPUTS - 1])
        if inputs:
            base = np.asarray(inputs[0][1], dtype=float)
            base = base.mean(axis=2) if base.ndim == 3 else base
            ax.imshow(base, cmap="gray")
        ax.imshow(np.asarray(views.saliency, dtype=float), cmap="jet", alpha=0.5)
        ax.set_title("saliency", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    bars = fig.add_axes((0.80, 0.30, 0.17, 0.52))  # right of the images, its class names clear of them
    if result.probabilities is not None:
        values = np.asarray(result.probabilities, dtype=float)
        colours = [style.PAPER if i == int(np.argmax(values)) else style.PALETTE[0] for i in range(len(values))]
        bars.barh(range(len(names)), values, color=colours)
        for i, v in enumerate(values):
            bars.text(min(v + 0.02, 0.85), i, f"{v:.3f}", va="center", fontsize=7)
    bars.set_yticks(range(len(names)), names)
    bars.invert_yaxis()
    bars.set_xlim(0, 1)
    bars.set_xlabel("share of votes" if exported.scores != "class probabilities" else "probability")
    bars.set_title(exported.scores, fontsize=9, wrap=True)

    if warnings:
        fig.text(0.03, 0.88, "\n".join(line for text in warnings for line in textwrap.wrap(text, 150)), fontsize=8,
                 color=style.PAPER, weight="bold", va="top")
    curves = motion_curves(sample, views)
    if curves:
        _motion_axes(fig.add_axes((0.60, 0.07, 0.37, 0.13)), sample, curves)
    source = sample.meta.get("fps_source", "")
    lines = [f"{frames_text(sample)}, {len(sample.frames)} used, {apex_text(sample)}",
             f"fps {sample.fps:g}" + (f" ({source} rate)" if source else ""),
             f"face check: {result.face_verdict}" + (f": {result.face_reason}" if result.face_reason else "")]
    if sample.meta.get("rate_note"):
        lines.append(f"frame rate: {sample.meta['rate_note']}")
    if result.reason:
        lines.append(f"not predicted: {result.reason}")
    lines += list(views.notes)
    lines += [f"input of this clip: {chain}", f"the model was trained on: {trained}"]

    wrapped = "\n".join(textwrap.fill(line, 95 if curves else 150) for line in lines)
    fig.text(0.03, 0.24, wrapped, fontsize=7.5, va="top", color=style.INK)


# What the model's training inputs were made from (the export's ``training_corpus.inputs``), in the page's words.
TRAINED_FRAMES = "this suite's own chain on the training clips' frames (the same as this clip's)"
TRAINED_UNKNOWN = "not recorded (an export written before mersuite recorded it)"


def chains(exported: Any, views: PredictViews) -> tuple[str, str, str]:
    """(how this clip's input was made, what the model's training inputs were made from, the warning where they
    differ or ""). A recording is always made into inputs by this suite's own chain (``views.chain`` says which,
    where the method says); a model trained on the authors' released images learnt from another chain."""
    chain = views.chain or "this suite's own preprocessing of the recording's frames"
    inputs = exported.manifest.get("training_corpus", {}).get("inputs")
    if inputs is None:
        return chain, TRAINED_UNKNOWN, ""
    if inputs == "frames":
        return chain, TRAINED_FRAMES, ""
    trained = f"{inputs.replace(' (no frames)', '')}, made by the authors' own chain"
    return chain, trained, chain_warning(exported.manifest)


def motion_curves(sample: Any, views: PredictViews) -> list[MotionCurve]:
    """The curves behind the apex: the method's own rule's (``views.motion``) and the recording's motion rule's
    (kept by ``common.deployment.recording`` where no apex was given, even where the method's own rule then
    chose instead); none where the apex was given and the method has no rule of its own."""
    curves = [views.motion] if views.motion is not None else []
    values = tuple(sample.meta.get("motion_curve") or ())
    if values and len(values) == len(sample.frames):
        curves.append(MotionCurve(values=values, rule="motion", measure=MOTION_MEASURE, chosen=int(np.argmax(values))))
    return curves


def _motion_axes(ax, sample: Any, curves: Sequence[MotionCurve]) -> None:
    """Each apex rule's curve over the clip's frames (each over its own peak, so both read on one axis), its
    peak (the rule's choice, dashed) and the apex the input was built from (red)."""
    numbers = list(sample.frame_numbers)
    for k, curve in enumerate(curves):
        values = np.asarray(curve.values, dtype=float)
        top = float(np.max(values)) or 1.0
        colour = style.PALETTE[k]
        peak = numbers[curve.chosen]
        ax.plot(numbers, values / top, color=colour, linewidth=1.2, marker="o", markersize=2,
                label=f"{curve.rule} rule: {curve.measure}; peak frame {peak}")
        ax.axvline(peak, color=colour, linestyle="--", linewidth=1)
    used = numbers[sample.apex_position]
    ax.axvline(used, color=style.PAPER, linewidth=1.4, alpha=0.8,
               label=f"apex the input was built from: frame {used} ({sample.meta.get('apex_rule', '?')} rule)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("frame", fontsize=7)
    ax.set_ylabel("share of\nthe peak", fontsize=6)
    ax.set_ylim(-0.03, 1.08)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="lower left", bbox_to_anchor=(-0.08, 1.0), ncol=1, frameon=False)


def write_pages(exported: Any, results: Sequence[Any], pdf_path: Path, png_path: Path) -> dict[str, Path]:
    """Every clip's page into ``pdf_path``, page 1 also into ``png_path`` (each file written atomically)."""
    style.apply()
    first = io.BytesIO()  # page 1 as PNG, written once the PDF is complete
    with atomic_write(pdf_path, "wb") as handle:
        with PdfPages(handle) as pdf:
            for page, result in enumerate(results, 1):
                fig = plt.figure(figsize=style.LANDSCAPE)
                draw_page(fig, exported, result, page)
                style.drawable(fig)  # a clip's path the locale could not decode: drawn as text, not a traceback
                if page == 1:
                    fig.savefig(first, format="png", dpi=110)
                pdf.savefig(fig)
                plt.close(fig)
    with atomic_write(png_path, "wb") as png:
        png.write(first.getvalue())
    return {"pdf": Path(pdf_path), "png": Path(png_path)}
