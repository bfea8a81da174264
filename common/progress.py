"""Progress lines of the long steps (a fold's training, a group of folds trained together, the first pass, the
benchmark's statistics): when a line is due and how a time is written, in one place. Keras-free: the runner and
the first pass import it without a backend.

Each step logs at most every :data:`PROGRESS_EVERY` seconds, so that a run that works for minutes without a fold
finishing says where it is; a line reads the clock only, never what the step computes.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

PROGRESS_EVERY = 30.0  # seconds at most between two progress lines of a step


def duration(seconds: float) -> str:
    """``0m31s``, ``8m38s``, ``1h05m``: as the fold lines and the progress lines write a time."""
    whole = int(round(seconds))
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m" if whole >= 3600 else f"{whole // 60}m{whole % 60:02d}s"


class Ticker:
    """When a line is due: :meth:`due` gives the seconds elapsed since the start when ``every`` seconds (default
    :data:`PROGRESS_EVERY`, read when the ticker is made) have passed since the last line or the start, else None."""

    def __init__(self, every: float | None = None, clock: Callable[[], float] = time.perf_counter):
        self.every = PROGRESS_EVERY if every is None else every
        self.clock = clock
        self.started = self.last = clock()

    def restart(self) -> None:
        """Count from now (a training's ``on_train_begin``)."""
        self.started = self.last = self.clock()

    def due(self) -> float | None:
        now = self.clock()
        if now - self.last < self.every:
            return None
        self.last = now
        return now - self.started


class EpochProgress:
    """A training's line, ``<indent><label>: epoch k of N (step i of n), <elapsed> elapsed, ETA <left>`` (the ETA
    from the mean pace so far), at most every ``every`` seconds; called after each step."""

    def __init__(self, label: str, epochs: int, *, logger: logging.Logger, every: float | None = None,
                 clock: Callable[[], float] = time.perf_counter, indent: str = ""):
        self.label, self.epochs, self.logger, self.indent = label, epochs, logger, indent
        self.ticker = Ticker(every, clock)

    def __call__(self, epoch: int, step: int, steps: int) -> None:
        """After step ``step`` (0-based) of ``steps`` (0: unknown) of epoch ``epoch`` (0-based)."""
        elapsed = self.ticker.due()
        if elapsed is None:
            return
        done = epoch + ((step + 1) / steps if steps else 0.0)
        eta = f", ETA {duration(elapsed / done * (self.epochs - done))}" if done > 0 else ""
        where = f" (step {step + 1} of {steps})" if steps else f" (step {step + 1})"
        self.logger.info(f"{self.indent}{self.label}: epoch {epoch + 1} of {self.epochs}{where}, "
                         f"{duration(elapsed)} elapsed{eta}")
