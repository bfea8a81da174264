"""A paper's export hooks checked in one fold: ``run_fold`` with an ``ExportSink`` (the models and state an
export keeps), the kept models saved and reloaded (``.keras``), then ``predict_clips`` on the fold's test clips
must give the fold's own probabilities."""
from __future__ import annotations

import importlib
import json

import numpy as np


def export_fold_check(paper_id: str, experiment_name: str, corpus, tmp_path, *, overrides=None,
                      clips: tuple[int, int] | None = None, outcomes: list | None = None):
    """Run one smoke fold of the experiment (``overrides``: ``--set`` values) with an export sink; return
    (the fold's probabilities, predict_clips' probabilities, the sink, the predict context, the experiment);
    ``outcomes``, where given, receives the fold's ``FoldOutcome`` (a test that checks the fold itself too)."""
    import keras

    from common.datasets import load
    from common.running.profiles import effective_config
    from common.experiment import Fold, FoldContext
    from common.predict_types import ExportSink, PredictContext
    from common.training import set_seed

    package = importlib.import_module(f"papers.{paper_id}")
    (experiment,) = [e for e in package.EXPERIMENTS if e.name == experiment_name]
    config = effective_config(experiment, "smoke", overrides)
    data = {name: load(name, corpus, **dict(experiment.loader_options.get(name, {}))) for name in experiment.datasets}
    selection = experiment.select(data, config)
    fold = experiment.folds(selection, config, 0)[0]
    if clips is not None:  # fewer training and test clips of the same fold: a faster check of the same path
        fold = Fold(name=fold.name, train=np.asarray(fold.train)[: clips[0]], test=np.asarray(fold.test)[: clips[1]])
    sink = ExportSink()
    work = tmp_path / "fold"
    work.mkdir()
    set_seed(0)
    ctx = FoldContext(selection=selection, fold=fold, config=config, profile="smoke", seed=0, work_dir=work,
                      cache_dir=tmp_path / "stages", export=sink)
    result = experiment.run_fold(ctx)
    assert result.status == "ok", result.reason
    if outcomes is not None:
        outcomes.append(result)
    models = {}
    for name, model in sink.models.items():  # what an export folder holds, read back
        path = tmp_path / f"{name}.keras"
        model.save(path)
        models[name] = keras.models.load_model(path, compile=False)
    state = json.loads(json.dumps(sink.state))  # the manifest's JSON
    predict = PredictContext(samples=tuple(selection.samples[i] for i in fold.test), config=config, models=models,
                             state=state, class_names=selection.class_names, cache_dir=tmp_path / "stages")
    probabilities = np.asarray(experiment.predict_clips(predict))
    return np.asarray(result.probabilities), probabilities, sink, predict, experiment
