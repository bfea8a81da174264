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


# What a fold's arrays may inflate to, all together: a page's examples (reddy2019's saliency of a test fold's clips,
# 64 x 64 x 96 in float16, 0.8 MB a clip; kumar2019's and le2020's images) are tens of MB; their deflated members
# could otherwise claim up to ~1,000 times the file's bytes.
FOLD_ARRAYS_BYTES = 1 << 30


def load_fold_arrays(path: Any) -> dict[str, np.ndarray] | None:
    """``{name: array}`` of the ``.npz`` file at ``path``, or ``None`` when it is missing or unreadable (or would
    inflate past :data:`FOLD_ARRAYS_BYTES`)."""
    if not path or not Path(path).is_file():
        return None
    try:  # the archive and each array's extent checked against its bytes before anything is allocated
        return read_npz(path, limit=FOLD_ARRAYS_BYTES)
    except (OSError, ValueError, zipfile.BadZipFile):
        return None
