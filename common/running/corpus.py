"""The corpus a run reads: where it is, whether it is synthetic, and its databases loaded once.

A run names its data root (``--data-root``) or takes the synthetic corpus in the cache; every database
the planned experiments name is loaded once per loader options (:func:`load_all`) before any work, so
a missing or refused database is one line naming all of them. ``loader`` is how a database is read:
``common.datasets.load`` unless a caller passes another (the tests pass the dummy paper's).
"""
from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from collections.abc import Callable, Mapping, Sequence

from common.files import read_json
from common.datasets import load
from common.datasets.sample import DroppedWarning
from common.datasets.tables import DatabaseNotFound
from common.errors import RunError
from common.experiment import Experiment, Track
from common.paths import cache_root

logger = logging.getLogger(__name__)

# ``loader(name, root, **options) -> [Sample]``: reads one database (``common.datasets.load``)
Loader = Callable[..., list]

# The synthetic writer (common.datasets.synthetic) leaves this manifest at the corpus root; a
# root without it is treated as licensed (real) data, whose faces reports do not show.
SYNTHETIC_MANIFEST = "corpus.json"


def synthetic_size(profile: str) -> str:
    """The size of the synthetic corpus a run of ``profile`` uses: ``smoke`` for the smoke profile, else ``default``."""
    return "smoke" if profile == "smoke" else "default"


def default_data_root(profile: str) -> Path:
    """The synthetic corpus in the cache (:func:`synthetic_size`), generated once."""
    from common.datasets.synthetic import default_corpus

    return Path(default_corpus(synthetic_size(profile)))


def synthetic_line(profile: str) -> str:
    """What a run on the synthetic corpus of ``profile`` (:func:`default_data_root`) says before it starts: the
    corpus read from its folder, or written there first (once)."""
    from common.datasets.synthetic import corpus_folder

    size = synthetic_size(profile)
    folder = corpus_folder(size)
    if (folder / "corpus.json").is_file():
        return f"using the synthetic corpus ({size} size) in {folder}"
    return f"using the synthetic corpus ({size} size): generating it once, in {folder}"


def is_synthetic(root: str | Path) -> bool:
    """True for a synthetic corpus: one in the cache, or a root holding the writer's ``corpus.json``. A
    ``corpus.json`` that cannot be read (``common.files.read_json``: a pipe, not UTF-8, over its size or depth
    bound, not JSON) is one :class:`RunError` line naming it: whether the corpus is real decides what reports show."""
    root = Path(root).resolve()
    synthetic_cache = (cache_root() / "synthetic").resolve()
    if root == synthetic_cache or synthetic_cache in root.parents:
        return True
    path = root / SYNTHETIC_MANIFEST
    try:
        manifest = read_json(path)
    except (FileNotFoundError, NotADirectoryError):  # no manifest, or no such folder (said elsewhere)
        return False
    except OSError as exc:
        raise RunError(f"{path}: cannot be read ({exc.strerror or exc}); expected the synthetic corpus writer's "
                       f"manifest, or no {SYNTHETIC_MANIFEST} in a real data root") from None
    except ValueError as exc:
        raise RunError(f"{path}: {exc}; expected the synthetic corpus writer's manifest (a JSON object), or no "
                       f"{SYNTHETIC_MANIFEST} in a real data root") from None
    return isinstance(manifest, dict) and {"size", "seed", "mirror"} <= set(manifest)


def loader_key(experiment: Experiment | Track, name: str) -> tuple[str, str]:
    """The key of database ``name`` loaded with ``experiment``'s loader options (for :func:`load_all`); a
    benchmark track names its databases and options as an experiment does."""
    return name, json.dumps(dict(experiment.loader_options.get(name, {})), sort_keys=True, default=str)


def _quietly(loader: Loader, name: str, root: Path, options: dict) -> list:
    """``loader(name, root, **options)`` with its warnings as log lines, never Python's warning with a source line:
    a clip a loader drops (``DroppedWarning``) is recorded by ``common.datasets.dropped`` and listed, one line each,
    by the run's screening (``common.running.screening``); any other warning is one log line naming the database."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        samples = loader(name, root, **options)
    for warning in caught:
        if not isinstance(warning.message, DroppedWarning):
            logger.warning(f"{name}: {' '.join(str(warning.message).split())}")
    return samples


def load_all(experiments: Sequence[Experiment | Track], root: Path,
             loader: Loader = load) -> dict[tuple[str, str], list]:
    """Every database the experiments name, each loaded once per loader options (:func:`loader_key`),
    or one :class:`RunError` listing every one that is missing, empty or refused (a clip under two
    labels, an unreadable root...), each with its cause, before any work."""
    loaded: dict[tuple[str, str], list] = {}
    missing: dict[str, str] = {}
    unusable: dict[str, str] = {}
    for experiment in experiments:
        for name in experiment.datasets:
            key = loader_key(experiment, name)
            if key in loaded or name in missing or name in unusable:
                continue
            try:
                samples = _quietly(loader, name, root, dict(experiment.loader_options.get(name, {})))
            except DatabaseNotFound as exc:
                missing[name] = " ".join(str(exc).split())
                continue
            except Exception as exc:  # DatasetError (refused data), OSError...: one line each, joined below
                unusable[name] = " ".join(str(exc).split())
                continue
            if not samples:
                missing[name] = "no sample found"
                continue
            loaded[key] = list(samples)
    problems = []
    if missing:
        problems.append(f"missing database(s) under {root}: " + "; ".join(f"{n} ({why})" for n, why in missing.items()))
    if unusable:
        problems.append(f"database(s) under {root} refused: " + "; ".join(f"{n}: {why}" for n, why in unusable.items()))
    if problems:
        raise RunError(" | ".join(problems))
    return loaded


def load_datasets(experiment: Experiment | Track, root: Path, loaded: Mapping[tuple[str, str], list] | None = None,
                  loader: Loader = load) -> dict[str, list]:
    """``{name: samples}`` of every database the experiment names, taken from ``loaded``
    (:func:`load_all`'s result) or loaded now; one :class:`RunError` naming what is missing."""
    if loaded is None:
        try:
            loaded = load_all([experiment], root, loader)
        except RunError as exc:
            raise RunError(f"experiment {experiment.name!r} needs database(s) it cannot load: {exc}") from None
    return {name: loaded[loader_key(experiment, name)] for name in experiment.datasets}
