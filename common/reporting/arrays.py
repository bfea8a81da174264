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

from common.files import read_npz


def load_fold_arrays(path: Any) -> dict[str, np.ndarray] | None:
    """``{name: array}`` of the ``.npz`` file at ``path``, or ``None`` when it is missing or unreadable."""
    if not path or not Path(path).is_file():
        return None
    try:  # the archive and each array's extent checked against its bytes before anything is allocated
        return read_npz(path)
    except (OSError, ValueError, zipfile.BadZipFile):
        return None
