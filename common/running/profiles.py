"""The effective config of a run: the profile (``paper``, ``quick``, ``smoke``), then ``--set``.

Profiles are named, typed dotted overrides in each paper's ``config.py`` (docs/house.md, Configuration);
:func:`config_hash` names the effective config in fold fingerprints and results.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from common.config import apply_overrides, to_dict, validate
from common.errors import RunError
from common.running.corpus import is_synthetic
from common.experiment import Experiment, PROFILES


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

    Raises ``common.config.ConfigError`` for a name or value that does not fit, and for any
    numeric field out of its declared range (``common.config.validate``: e.g. 0 epochs); a
    :class:`RunError` for a paper's own profile (outside :data:`PROFILES`) the experiment does not declare.
    """
    if profile not in PROFILES and profile not in experiment.profiles:
        own = [name for name in experiment.profiles if name not in PROFILES]
        raise RunError(f"profile {profile!r}: experiment {experiment.name!r} has no such profile; its profiles: "
                       f"{', '.join(PROFILES + tuple(own))}")
    config = experiment.config
    if profile != "paper":
        config = apply_overrides(config, dict(experiment.profiles.get(profile, {})))
    return validate(apply_overrides(config, dict(overrides or {})))


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
