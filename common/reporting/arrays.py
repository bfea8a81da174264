"""Arrays a fold stored beside its record (``.npz`` files named in the record's ``extra``), read one way.

Report pages read them through :func:`load_fold_arrays` only: it copies every array into memory and
closes the file, and answers ``None`` for a file that is missing or unreadable (a run moved, or
made by an older version), so a page can say so instead of failing.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np


def load_fold_arrays(path: Any) -> dict[str, np.ndarray] | None:
    """``{name: array}`` of the ``.npz`` file at ``path``, or ``None`` when it is missing or unreadable."""
    if not path or not Path(path).is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile):
        return None
