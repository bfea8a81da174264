"""What a paper package writes about its paper: its card (:class:`Paper`: id, citation, models and their published
parameter counts) and each number it publishes (:class:`Reported`), transcribed once in ``reported.py``.

The rest of the contract is the harness's (``common.experiment``: ``Experiment``, ``Pipeline``, ``Hooks``...); a
network on the onset-apex flow declares its pipeline with ``common.flow_cnn.flow_network``.
"""
from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Callable, Mapping, Sequence


@dataclasses.dataclass(frozen=True)
class Paper:
    """A paper's identity card, shown on the report's first page and by ``run_all.py --list``."""

    id: str
    title: str
    citation: str
    # model name -> zero-argument builder at the paper's sizes, default config (model.py's ``MODEL_BUILDERS``)
    models: Mapping[str, Callable[[], Any]]
    status: str = "implemented"  # or "partial" (some experiments run), "planned" (the card only: never run)
    # model name -> rows {"name": layer, "output_shape": [...], "params": int|None} from the paper's tables
    architecture_tables: Mapping[str, Sequence[Mapping[str, Any]]] = dataclasses.field(default_factory=dict)
    # model name -> (trainable parameters, where from): the published count, else one derived from the paper's
    # tables or the reference code's verified one (the source says which); each model must match (test_models.py)
    parameter_counts: Mapping[str, tuple[int, str]] = dataclasses.field(default_factory=dict)
    # model name -> what tests/test_models.py's check needs beyond the paper's model: "small", a builder of the
    # same layers at a smaller input (too slow at the paper's); "dead", weights given no gradient by design
    model_checks: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    # Why no experiment shows a published number ("" where one does): the declared state of a paper that publishes
    # none on a protocol run here (``reported=()``, ``stands_for=()``); the registry refuses a package with neither
    # numbers nor this, or with both, and the report's first page then shows ours alone.
    no_published_number: str = ""


@dataclasses.dataclass(frozen=True)
class Reported:
    """One number the paper reports, transcribed once in ``papers/<id>/reported.py``. ``scope``: "all" or a
    database (``casme2``/``smic``/``samm``/``casme_sq``), the test samples it is computed on; ``aggregation``:
    "pooled" (every fold's predictions together; MEGC UF1), "fold_mean", "fold_best" (a paper's best run), as
    the paper computed it, or a name read from a single-fold experiment's ``extra["aggregations"]``.
    ``comparable=False``: it measures something else than ours (``note`` says what): shown, never differenced.
    ``recomputed`` (keyword): what the authors' own artefact gives where it does not give the published
    ``value`` (``recomputed_note``: from what, and why); the difference is then taken against it.
    """

    metric: str  # "uf1" | "uar" | "accuracy"
    value: float  # as a fraction in [0, 1]
    scope: str = "all"
    aggregation: str = "pooled"
    source: str = ""  # e.g. "Table 2"
    note: str = ""
    comparable: bool = True
    recomputed: float | None = dataclasses.field(default=None, kw_only=True)  # as a fraction in [0, 1]
    recomputed_note: str = dataclasses.field(default="", kw_only=True)

    def __post_init__(self) -> None:
        if self.recomputed is not None and not self.recomputed_note.strip():
            raise ValueError(f"Reported.recomputed_note: {self.metric} {self.scope} has recomputed={self.recomputed} "
                             "but no note saying from what it was recomputed and why it differs")
        if self.recomputed is None and self.recomputed_note:
            raise ValueError(f"Reported.recomputed: {self.metric} {self.scope} has a recomputed_note but no value")

    @property
    def compared_with(self) -> str:
        """"recomputed" where the authors' own artefact replaces the published number in the difference,
        else "published"."""
        return "published" if self.recomputed is None else "recomputed"

    @property
    def reference_value(self) -> float:
        """The number ours is compared with: ``recomputed`` where set, else the published ``value``."""
        return self.value if self.recomputed is None else float(self.recomputed)
