"""Layer tables of built Keras models, and their comparison with a paper's table.

Computed here, before any report, because a table needs the built model: ``run_all.py
--architectures`` prints :func:`paper_architectures`, and a paper's report draws the same plain dicts
(``common.orchestration.paper_reports``); ``common.reporting`` never builds a model.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np


def _shape(value: Any) -> list:
    """A KerasTensor's shape (or a nest of them) as a JSON list; ``None`` for the batch axis."""
    if isinstance(value, (list, tuple)) and value and not isinstance(value[0], (int, type(None))):
        return [_shape(v) for v in value]
    if isinstance(value, dict):
        return [_shape(v) for v in value.values()]
    shape = getattr(value, "shape", value)
    return [None if d is None else int(d) for d in shape]


def layer_output_shape(layer: Any) -> list:
    """The layer's output shape; a list of shapes for several outputs or several calls."""
    try:
        return _shape(layer.output)
    except (AttributeError, ValueError, RuntimeError):
        pass
    nodes = getattr(layer, "_inbound_nodes", [])  # a layer called several times (shared weights)
    shapes = [_shape(node.outputs if len(node.outputs) > 1 else node.outputs[0]) for node in nodes]
    return shapes[0] if len(shapes) == 1 else shapes


def _count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def model_summary(model: Any) -> dict:
    """``{"trainable_params", "non_trainable_params", "layers": [{"name", "class", "output_shape", "params"}]}``.

    A Sequential model lists no InputLayer; its input is shown as a first ``input`` row so the
    input shape is always visible.
    """
    layers = []
    first = model.layers[0] if model.layers else None
    if first is not None and type(first).__name__ != "InputLayer":
        try:
            inputs = model.inputs
            layers.append({"name": "input", "class": "InputLayer", "params": 0,
                           "output_shape": _shape(inputs[0] if len(inputs) == 1 else inputs)})
        except (AttributeError, ValueError, TypeError):
            pass
    for layer in model.layers:
        layers.append({"name": layer.name, "class": type(layer).__name__, "output_shape": layer_output_shape(layer),
                       "params": _count(layer.weights)})
    return {"trainable_params": _count(model.trainable_weights),
            "non_trainable_params": _count(model.non_trainable_weights), "layers": layers}


def paper_architectures(paper: Any) -> dict[str, dict]:
    """``{model: model_summary}`` of every model of ``paper.models``, each built in turn by
    ``build_paper_model``, with ``paper_comparison`` (:func:`compare_with_paper`) where
    ``paper.architecture_tables`` gives the paper's table."""
    from common.harness import build_paper_model

    out = {}
    for name in paper.models:
        summary = model_summary(build_paper_model(paper, name))
        rows = (paper.architecture_tables or {}).get(name)
        if rows:
            summary["paper_comparison"] = compare_with_paper(summary, rows)
        out[name] = summary
    return out


def compare_with_paper(summary: Mapping[str, Any], paper_rows: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Rows ``{"name", "ours_shape", "paper_shape", "ours_params", "paper_params", "match"}``.

    Paper rows are matched to our layers by name. Shapes are compared without the batch axis;
    a paper ``params`` of None is not compared. ``match`` is False for any difference or a
    layer of the paper's table we do not have.
    """
    ours = {row["name"]: row for row in summary["layers"]}
    rows = []
    for paper in paper_rows:
        mine = ours.get(paper["name"])
        paper_shape = paper.get("output_shape")
        paper_params = paper.get("params")
        if mine is None:
            rows.append({"name": paper["name"], "ours_shape": None, "paper_shape": paper_shape, "ours_params": None,
                         "paper_params": paper_params, "match": False})
            continue
        our_shape = mine["output_shape"]
        shape_ok = paper_shape is None or _without_batch(our_shape) == _without_batch(list(paper_shape))
        params_ok = paper_params is None or int(paper_params) == mine["params"]
        rows.append({"name": paper["name"], "ours_shape": our_shape, "paper_shape": paper_shape,
                     "ours_params": mine["params"], "paper_params": paper_params, "match": shape_ok and params_ok})
    return rows


def _without_batch(shape: list) -> list:
    """Drop a leading ``None`` batch axis so ``[None, 60, 60, 4]`` equals ``[60, 60, 4]``."""
    if shape and shape[0] is None:
        return list(shape[1:])
    return list(shape)
