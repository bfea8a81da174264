"""common.training.released_fold_graphs: on TensorFlow, a fold's traced graphs (and the weights and optimiser
state they capture) are freed after the fold; without it a traced custom gradient (Keras' all-reduce of the
gradients) keeps them for the life of the process."""
from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest

from common.training import released_fold_graphs

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="the registry that holds the graphs is TensorFlow's")


@pytest.fixture()
def traced_graphs(monkeypatch):
    """Every FuncGraph made during the test, held weakly: a graph counts while something keeps it (the process's
    other objects, millions after the suite's earlier tests, are not scanned)."""
    from tensorflow.python.framework.func_graph import FuncGraph

    graphs: weakref.WeakSet = weakref.WeakSet()
    init = FuncGraph.__init__

    def tracked(self, *args, **kwargs):
        init(self, *args, **kwargs)
        graphs.add(self)

    monkeypatch.setattr(FuncGraph, "__init__", tracked)
    return graphs


def _graphs(graphs) -> int:
    gc.collect()
    return len(graphs)


def _one_fold() -> None:
    """A network built, compiled and trained one step (the traced train function takes its gradients)."""
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8)(inputs)))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.train_on_batch(np.ones((4, 6), "float32"), keras.utils.to_categorical([0, 1, 2, 0], 3))


def test_tensorflow_keeps_a_folds_graphs_without_it(traced_graphs):
    # the leak the helper is for (tensorflow/tensorflow#97697): if a TensorFlow release fixes it, this fails
    # and the helper can go
    before = _graphs(traced_graphs)
    _one_fold()
    assert _graphs(traced_graphs) > before


def test_a_folds_graphs_are_freed_after_it(traced_graphs):
    _one_fold()  # whatever the first trace in a process builds once
    before = _graphs(traced_graphs)
    with released_fold_graphs():
        _one_fold()
    assert _graphs(traced_graphs) == before


def test_overlapping_folds_release_when_the_last_one_ends(traced_graphs):
    _one_fold()
    before = _graphs(traced_graphs)
    with released_fold_graphs():  # a fold still running (another thread of a Dask worker)
        with released_fold_graphs():
            _one_fold()
        assert _graphs(traced_graphs) > before  # its traces may still need their gradients: nothing released yet
        _one_fold()
    assert _graphs(traced_graphs) == before
