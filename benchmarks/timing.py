"""Shared by the benchmark scripts: best-of-N wall time of a call (printed, never asserted)."""
from __future__ import annotations

import time


def timed(function, repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best
