"""What a worker process sees (tests/test_parallel.py): imports nothing that would import Keras."""
from __future__ import annotations

import os
import sys


def worker_environment(names) -> dict:
    """``{name: os.environ.get(name)}`` for ``names``, and whether a Keras backend was imported by then."""
    seen = {name: os.environ.get(name) for name in names}
    seen["backend imported"] = any(module in sys.modules for module in ("keras", "jax", "tensorflow", "torch"))
    return seen
