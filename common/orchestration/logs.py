"""Where the project's log lines go.

Every module logs its progress through ``logger = logging.getLogger(__name__)``; library code never
configures logging (no ``logging.basicConfig``, no handler), so a library used without the CLI prints
no progress line unless its caller configures logging (a warning reaches stderr through Python's
last-resort handler). Two places in the package attach a handler to the
project's loggers (:data:`PROJECT_LOGGERS`), each only for as long as it runs, with :func:`lines_to` (a tool
under ``benchmarks/`` may too, e.g. ``gpu_check.py``'s projection on stderr):

* the CLI (``common.orchestration.cli.main``): a :class:`Console` handler, the bare message on stdout
  (stderr for ``--predict``, whose stdout carries the results), as the ``print`` it replaces wrote it;
* a fold computed in a worker process or on a Dask worker (``common.orchestration.parallel.run_one_fold``):
  the fold's lines, collected for ``folds/<fold>/worker.log``.

Both also drop one TensorFlow warning that says nothing to a user (:func:`quiet_tensorflow_log`).
"""
from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from common.files import terminal_text

# The top-level packages whose modules log progress lines: the harness and the papers.
PROJECT_LOGGERS = ("common", "papers")
MESSAGE_ONLY = "%(message)s"  # a line as the code wrote it: no level, logger name or time


class Console(logging.StreamHandler):
    """A stream handler on ``sys.stdout`` (or ``sys.stderr``) as it is at each line, not as it was when
    the handler was made: a redirection (``--predict --json``'s, pytest's capture) then takes the lines
    as it took ``print``'s. Flushed after every line, as the progress lines always were."""

    def __init__(self, stream_name: str = "stdout") -> None:
        if stream_name not in ("stdout", "stderr"):
            raise ValueError(f"stream_name: expected 'stdout' or 'stderr', got {stream_name!r}")
        self.stream_name = stream_name
        super().__init__(getattr(sys, stream_name))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = getattr(sys, self.stream_name)
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        # a line may quote a clip's, a subject's or a file's name: its control characters (ESC, CR) are written
        # escaped, never sent to the terminal; a record's own line ends (a traceback) stay
        return terminal_text(super().format(record), keep="\n")


class Lines(logging.Handler):
    """Collects each formatted line in ``lines`` (a worker's fold: ``folds/<fold>/worker.log``)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def lines_to(handler: logging.Handler) -> Iterator[logging.Handler]:
    """Send the project's log lines of level INFO and above to ``handler`` (formatted as the bare message)
    while the block runs; the loggers' handlers and levels are as before afterwards."""
    handler.setFormatter(logging.Formatter(MESSAGE_ONLY))
    loggers = [logging.getLogger(name) for name in PROJECT_LOGGERS]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.addHandler(handler)
        each.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        for each, level in zip(loggers, levels):
            each.removeHandler(handler)
            each.setLevel(level)


def drop_retracing_warning(record: logging.LogRecord) -> bool:
    """False for TensorFlow's "N out of the last N calls to <function ...> triggered tf.function retracing":
    each fold's network traces its own predict function once, by design (68 networks in a LOSO run), and
    the warning's advice (reduce_retracing, a function outside the loop) does not apply to a user."""
    return "triggered tf.function retracing" not in record.getMessage()


def quiet_tensorflow_log() -> None:
    """Drop :func:`drop_retracing_warning`'s lines from TensorFlow's logger in this process (the CLI's, and
    each worker process or Dask worker that computes a fold); ``addFilter`` keeps one copy."""
    logging.getLogger("tensorflow").addFilter(drop_retracing_warning)
