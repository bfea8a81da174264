"""Shared fixtures: a quiet Keras, a private cache, and one smoke corpus per test session."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Every test session gets its own preprocessing cache, never the user's."""
    path = tmp_path_factory.mktemp("mersuite-cache")
    old = os.environ.get("MERSUITE_CACHE")
    os.environ["MERSUITE_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("MERSUITE_CACHE", None)
    else:
        os.environ["MERSUITE_CACHE"] = old


@pytest.fixture(scope="session")
def smoke_corpus(tmp_path_factory):
    """The synthetic ``--size smoke`` corpus (all five databases + MEGC csv), written once."""
    from common.datasets.synthetic import write_corpus

    out = tmp_path_factory.mktemp("smoke-corpus")
    write_corpus(out, size="smoke", seed=0)
    return out


@pytest.fixture(scope="session")
def real_shape_corpus(tmp_path_factory):
    """The real-shape corpus (the ``mirror`` plan at smoke size: the real databases' subject and class
    counts, small frames), written once per test session with a fixed seed (tests/test_real_shape.py)."""
    from common.datasets.synthetic import write_corpus

    out = tmp_path_factory.mktemp("real-shape-corpus")
    write_corpus(out, size="smoke", seed=0, mirror=True, progress=False)
    return out


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
