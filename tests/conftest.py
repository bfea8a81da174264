"""Shared fixtures: a quiet Keras, a private cache and reports folder, and one smoke corpus per test session."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest


def shared_folder(tmp_path_factory, name: str, make=None):
    """A session folder made once for the whole run: with pytest-xdist (``make test``), in the folder the run's
    workers share, by the first worker that asks while the others wait on its lock, then read by all (the smoke
    corpora and the preprocessing cache: what one worker computes the other reads instead of computing it
    again); alone, in this session's temporary folder. ``make(folder)`` fills the new, empty folder."""
    import fcntl
    import shutil

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (root / f"{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker stopped halfway
            folder.mkdir()
            if make is not None:
                make(folder)
            (root / f"{name}.done").touch()
    return folder


# `make test` runs the whole suite in one session of two processes (pytest-xdist, ``--dist loadgroup``), which
# shares it out a unit at a time: a test file whole (its module fixtures made in one process, once), except the
# tests whose parameter id ends in ``@GROUP`` (tests/test_real_shape.py: a paper's experiments, and the methods
# on the onset-apex flow together), which go by GROUP. pytest-xdist's own groups (``xdist_group`` markers) rename
# the node ids, which pytest 9 no longer lets it do: every test then went out alone, and a module's fixtures,
# preprocessing included, were computed in both processes. The controller sees only node ids, hence the suffix.
def unit_of(nodeid: str) -> str:
    """The unit of work ``nodeid`` goes out in: the group its parameter id names after ``@``, or its file."""
    params = nodeid.partition("[")[2]
    if "@" in params:
        return "@" + params.rstrip("]").rpartition("@")[2]
    return nodeid.partition("::")[0]


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesAndGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    config.option.loadscopereorder = False  # the units in the order the processes collect them (below)
    return FilesAndGroups(config, log)


def pytest_collection_modifyitems(config, items):
    """In each process of ``--dist loadgroup``: the ``@GROUP`` units first (the real-shape folds, the costliest
    units with the fewest tests, which pytest-xdist would otherwise send last, so that one process trained them
    while the other had nothing left to do), then the test files in their order."""
    if config.getoption("loadgroup", False):  # the option exists where pytest-xdist runs the session
        items.sort(key=lambda item: not unit_of(item.nodeid).startswith("@"))


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Every test run gets its own preprocessing cache, never the user's (shared by the run's workers)."""
    path = shared_folder(tmp_path_factory, "mersuite-cache")
    with pytest.MonkeyPatch.context() as patch:  # the variable as it was, after the session
        patch.setenv("MERSUITE_CACHE", str(path))
        yield path


@pytest.fixture(scope="session", autouse=True)
def private_reports(tmp_path_factory):
    """Every test session writes the runs it makes without --out into a folder of its own, never the repository's
    reports/ (where one test's run would be another's earlier run of another kind)."""
    path = tmp_path_factory.mktemp("mersuite-reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MERSUITE_REPORTS", str(path))
        yield path


@pytest.fixture(scope="session")
def smoke_corpus(tmp_path_factory):
    """The synthetic ``--size smoke`` corpus (all five databases + MEGC csv), written once."""
    from common.datasets.synthetic import write_corpus

    return shared_folder(tmp_path_factory, "smoke-corpus", lambda out: write_corpus(out, size="smoke", seed=0))


@pytest.fixture(scope="session")
def real_shape_corpus(tmp_path_factory):
    """The real-shape corpus (the ``mirror`` plan at smoke size: the real databases' subject and class
    counts, small frames), written once per test session with a fixed seed (tests/test_real_shape.py)."""
    from common.datasets.synthetic import write_corpus

    return shared_folder(tmp_path_factory, "real-shape-corpus",
                         lambda out: write_corpus(out, size="smoke", seed=0, mirror=True, progress=False))


@pytest.fixture()
def dummy_corpus(request, tmp_path):
    """The one corpus of the dummy paper (``tests/dummy_paper.py``; read it with ``loader=dummy_paper.load``):
    a root holding its databases, casme2 and samm unless the test or module is marked
    ``@pytest.mark.dummy_databases(names...)``; the dummy's hooks are reset before and after."""
    import dummy_paper

    marker = request.node.get_closest_marker("dummy_databases")
    names = marker.args if marker else ("casme2", "samm")
    dummy_paper.reset_hooks()
    yield dummy_paper.write_corpus(tmp_path / "data", names=names)
    dummy_paper.reset_hooks()


@pytest.fixture(autouse=True)
def no_figure_left_open():
    """Figures a test leaves open are closed after it, so they never add up across tests (matplotlib warns
    past 20 open figures); the report code closes each page after saving it."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        plt = sys.modules["matplotlib.pyplot"]
        if plt.get_fignums():
            plt.close("all")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test's captured output may hold a path the locale cannot decode (surrogate escapes: the non-ASCII path
    tests run as such a process sees it); pytest-xdist sends the report between processes as UTF-8, which has
    no surrogates. The sections are carried as their UTF-8 text, the undecodable bytes replaced."""
    outcome = yield
    report = outcome.get_result()
    report.sections = [(title, text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
                       for title, text in report.sections]
