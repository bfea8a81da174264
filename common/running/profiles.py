"""A run's settings, resolved once (:func:`resolve_run` -> :class:`RunSpec`: the profile, the corpus, the
reports root, the seed, ``--set``), and the effective config of an experiment under them: the profile
(``paper``, ``quick``, ``smoke``, or a paper's own), then ``--set``.

Profiles are named, typed dotted overrides in each paper's ``config.py`` (docs/house.md, Configuration);
:func:`config_hash` names the effective config in fold fingerprints and results.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from common.config import ConfigError, apply_overrides, to_dict, validate
from common.errors import RunError
from common.running.corpus import Loader, default_data_root, is_synthetic, load, synthetic_line
from common.experiment import Experiment, PROFILES
from common.paths import reports_root

logger = logging.getLogger(__name__)


def resolve_profile(profile: str | None, data_root: str | Path | None,
                    experiments: Sequence[Experiment] = ()) -> str:
    """The profile to use: the one given, else ``paper`` on real data and ``quick`` on a synthetic corpus
    (the default one when ``data_root`` is None, or a root holding the synthetic writer's manifest). A name
    outside :data:`PROFILES` must be a profile one of ``experiments`` declares in its ``profiles`` (a paper's
    own reading, e.g. liong2019's ``port``)."""
    if profile is None:
        return "quick" if data_root is None or is_synthetic(data_root) else "paper"
    own = sorted({name for e in experiments for name in e.profiles} - set(PROFILES))
    if profile not in PROFILES and profile not in own:
        raise RunError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES + tuple(own))}")
    return profile


def effective_config(experiment: Experiment, profile: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """The experiment's config after its profile's dotted overrides, then ``--set`` overrides.

    Raises ``common.config.ConfigError`` for a name or value that does not fit, for any numeric field out of its
    declared range (``common.config.validate``: e.g. 0 epochs), and for a field the experiment is named by
    (``Experiment.named_by``: le2020's backbone) given another value; a
    :class:`RunError` for a paper's own profile (outside :data:`PROFILES`) the experiment does not declare.
    """
    if profile not in PROFILES and profile not in experiment.profiles:
        own = [name for name in experiment.profiles if name not in PROFILES]
        raise RunError(f"profile {profile!r}: experiment {experiment.name!r} has no such profile; its profiles: "
                       f"{', '.join(PROFILES + tuple(own))}")
    config = experiment.config
    if profile != "paper":
        config = apply_overrides(config, dict(experiment.profiles.get(profile, {})))
    changed = validate(apply_overrides(config, dict(overrides or {})))
    for path in experiment.named_by:  # what the experiment's name, title and published numbers state
        own, given = (functools.reduce(getattr, path.split("."), value) for value in (config, changed))
        if given != own:
            raise ConfigError(f"--set {path}={given}: experiment {experiment.name!r} is {path}={own} (its name, "
                              f"title and the published numbers it is compared with say so); run the experiment "
                              f"of {path}={given} instead (run_all.py --list names them)")
    return changed


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunSpec:
    """How a run runs, resolved once from the command's options (:func:`resolve_run`); the runner, the
    preflight and the benchmark take it whole. ``root``: the corpus (the one given, or the synthetic one,
    generated on first use), ``synthetic`` whether it is; ``out``: the reports root (``<out>/<paper>/<experiment>/``);
    ``record_epochs``: False with ``--no-epoch-gauge``; ``faces_policy``: exclude, keep or refuse a clip without a
    face; ``loader(name, root, **options)``: reads a database (the tests pass the dummy paper's)."""

    profile: str
    root: Path
    synthetic: bool
    out: Path
    seed: int = 0
    overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    fresh: bool = False  # --fresh: recompute every fold (the fingerprint cannot see a change to the code)
    record_epochs: bool = True
    faces_policy: str = "exclude"
    loader: Loader = load

    def config(self, experiment: Experiment) -> Any:
        """``experiment``'s effective config under this run (:func:`effective_config`)."""
        return effective_config(experiment, self.profile, self.overrides)


def data_root_problem(data_root: str | Path) -> str:
    """The one line refusing a ``--data-root`` that is no folder: missing, or something else (a file)."""
    if os.path.islink(data_root) and not os.path.exists(data_root):
        return f"--data-root {data_root}: a link to nothing (expected the folder that holds the databases)"
    if os.path.lexists(data_root):
        return f"--data-root {data_root}: not a folder (expected the folder that holds the databases)"
    return f"--data-root {data_root}: no such folder"


def resolve_run(*, data_root: str | Path | None = None, profile: str | None = None,
                experiments: Sequence[Experiment] = (), out: str | Path | None = None, seed: int = 0,
                overrides: Mapping[str, Any] | None = None, fresh: bool = False, record_epochs: bool = True,
                faces_policy: str = "exclude", loader: Loader = load) -> RunSpec:
    """The :class:`RunSpec` of these options: ``profile`` by :func:`resolve_profile` (None: ``paper`` on real
    data, ``quick`` on a synthetic corpus; a paper's own one among ``experiments``'), ``data_root`` None the
    synthetic corpus of that profile's size (generated on first use), ``out`` None ``common.paths.reports_root()``.
    A ``data_root`` that is no folder: one :class:`RunError` line."""
    profile = resolve_profile(profile, data_root, experiments)
    if data_root is not None and not Path(data_root).is_dir():
        raise RunError(data_root_problem(data_root))
    if data_root is None:
        logger.info(synthetic_line(profile))
    root = Path(data_root) if data_root is not None else default_data_root(profile)
    return RunSpec(profile=profile, root=root, synthetic=data_root is None or is_synthetic(root),
                   out=Path(out) if out is not None else reports_root(), seed=int(seed),
                   overrides=dict(overrides or {}), fresh=fresh, record_epochs=record_epochs,
                   faces_policy=faces_policy, loader=loader)


# Execution settings that never change a fold's numbers: left out of the hash (and so of the fold fingerprint),
# so that a run resumes the folds another execution path finished.
EXECUTION_ONLY = (("train", "fold_parallel"),)


def config_hash(config: Any) -> str:
    values = to_dict(config)
    for section, name in EXECUTION_ONLY:
        if isinstance(values, dict) and isinstance(values.get(section), dict):  # a config of sections, or none
            values[section] = {k: v for k, v in values[section].items() if k != name}
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
