"""The assembly helpers of the paper contract: ``common.experiment.Pipeline`` (a paper's experiments and
benchmark entries from one declaration), ``mapped_selection``, and the flow CNNs'
``common.network_protocol.FlowInputs``.
Small stand-ins, no frames: each expected value is read off the inputs built here."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from common.datasets.sample import Sample
from common.evaluation.splits import mapped_selection
from common.experiment import Fold, FoldContext, Hooks, Pipeline, Reported, Selection, Track
from common.network_protocol import FlowInputs


def _sample(subject: str, clip: str, emotion: str, dataset: str = "casme2") -> Sample:
    return Sample(dataset=dataset, subject=subject, clip=clip, emotion=emotion, onset=1, apex=2, offset=3, fps=200.0,
                  frames=(Path("img1.jpg"), Path("img2.jpg"), Path("img3.jpg")))


def _select(data, config):
    return Selection((), np.zeros(0, dtype=int), ("a", "b"))


def _folds(selection, config, seed):
    return []


def _run_fold(ctx):
    raise AssertionError("not run here")


def _other_run_fold(ctx):
    raise AssertionError("not run here")


def _preprocess_clip(sample, config):
    return None


HOOKS = Hooks(select=_select, folds=_folds, run_fold=_run_fold, preprocess_clip=_preprocess_clip)
NUMBERS = (Reported("uf1", 0.7),)
TRACK = Track(name="megc2019", title="The composite", datasets=("megc2019",), class_names=("a", "b"),
              select=lambda data: Selection((), np.zeros(0, dtype=int), ("a", "b")),
              folds=lambda selection, seed: [Fold("only", np.array([0]), np.array([1]))], scopes=("all", "smic"),
              min_frames=5)
OTHER_TRACK = Track(name="hde", title="Holdout", datasets=("megc2019",), class_names=("a", "b"),
                    select=TRACK.select, folds=TRACK.folds)


def _pipeline(**fields) -> Pipeline:
    values = dict(paper_id="x2030", models=("net", "small"), config={"c": 1}, profiles={"smoke": {"a.b": 1}},
                  min_frames=3, needs_motion=True, entry="Net (X 2030)", reported_on={"megc2019": NUMBERS})
    return Pipeline(hooks=HOOKS, **{**values, **fields})


def test_hooks_are_declared_by_name_and_a_misspelt_or_missing_one_is_an_error():
    assert HOOKS.predict_apex is None and HOOKS.first_pass is None  # optional, not declared
    with pytest.raises(TypeError, match="predict_appex"):
        Hooks(select=_select, folds=_folds, run_fold=_run_fold, predict_appex=_preprocess_clip)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="run_fold"):
        Hooks(select=_select, folds=_folds)  # type: ignore[call-arg]
    fields = _pipeline().experiment(name="e", title="E", datasets=("casme2",))
    assert (fields.predict_apex, fields.first_pass, fields.preprocess_clip) == (None, None, _preprocess_clip)


def test_an_experiment_is_the_pipeline_but_what_it_names():
    pipeline = _pipeline()
    main = pipeline.experiment(name="megc2019_loso", title="T", datasets=("megc2019",), reported=NUMBERS)
    assert (main.config, main.profiles, main.min_frames, main.needs_motion) == ({"c": 1}, {"smoke": {"a.b": 1}}, 3,
                                                                              True)
    assert (main.select, main.folds, main.run_fold, main.preprocess_clip) == (_select, _folds, _run_fold,
                                                                              _preprocess_clip)
    assert main.reported == NUMBERS and main.loader_options == {} and main.scopes == ("all",)
    variant = pipeline.experiment(name="v", title="V", datasets=("casme2",), config={"c": 2}, run_fold=_other_run_fold)
    assert (variant.config, variant.run_fold, variant.folds) == ({"c": 2}, _other_run_fold, _folds)
    with pytest.raises(ValueError, match="x2030 v: no config"):
        _pipeline(config=None).experiment(name="v", title="V", datasets=("casme2",))


def test_a_track_entry_takes_the_tracks_data_and_the_pipelines_method():
    pipeline = _pipeline()
    entry = pipeline.on_track(TRACK)
    assert (entry.name, entry.title, entry.datasets, entry.scopes) == ("megc2019", "The composite: Net (X 2030)",
                                                                       ("megc2019",), ("all", "smic"))
    assert entry.min_frames == 5 and entry.needs_motion is True  # the track's minimum, the method's own motion need
    assert entry.reported == NUMBERS and pipeline.on_track(OTHER_TRACK).reported == ()  # numbers only where measured
    assert [f.name for f in entry.folds(Selection((), np.zeros(0, dtype=int), ("a", "b")), {"c": 1}, 0)] == ["only"]
    assert entry.run_fold is _run_fold and entry.report_pages is None and entry.config == {"c": 1}
    small = pipeline.on_track(TRACK, "small", title="S", config={"c": 3})
    assert (small.name, small.title, small.config) == ("megc2019_small", "S", {"c": 3})
    with pytest.raises(ValueError, match="x2030: no benchmark model 'big'; models: net, small"):
        pipeline.on_track(TRACK, "big")


def test_a_mapped_selection_labels_what_the_mapping_keeps_and_names_the_rest():
    data = {"casme2": [_sample("sub01", "c1", "Happiness"), _sample("sub01", "c2", "fear")],
            "samm": [_sample("006", "s1", "happiness", "samm")]}
    mappings = {"samm": {"happiness": "positive"}, "casme2": {"happiness": "positive", "disgust": "negative"}}
    lowered = mapped_selection(data, mappings, ("negative", "positive"), owner="x2030", what="regrouping", lower=True)
    assert [s.key for s in lowered.samples] == ["samm/006/s1", "casme2/sub01/c1"]  # in the mappings' order
    assert lowered.labels.tolist() == [1, 1]
    assert [(d.key, d.reason) for d in lowered.dropped] == [
        ("casme2/sub01/c2", "emotion 'fear' is not in x2030's casme2 regrouping (disgust, happiness)")]
    exact = mapped_selection(data, mappings, ("negative", "positive"), owner="x2030", what="mapping")
    assert [s.key for s in exact.samples] == ["samm/006/s1"]  # "Happiness" is not "happiness"
    assert len(exact.dropped) == 2


CALLS: list[tuple[str, int | None]] = []


def flow_images(samples, config, cache_root=None) -> np.ndarray:
    """Stand-in clip_inputs: one (2, 2, 1) image per clip holding its clip number; records the cache root."""
    CALLS.append((str(cache_root), len(samples)))
    return np.stack([np.full((2, 2, 1), float(s.clip[1:]), dtype=np.float32) for s in samples])


def test_flow_inputs_give_the_folds_inputs_and_first_pass_steps_that_pickle(tmp_path):
    samples = tuple(_sample(f"sub0{i}", f"c{i}", "happiness") for i in range(4))
    selection = Selection(samples, np.zeros(4, dtype=int), ("a", "b"))
    fold = Fold("f", train=np.array([0, 2]), test=np.array([3]))
    ctx = FoldContext(selection=selection, fold=fold, config=None, profile="smoke", seed=0, work_dir=tmp_path,
                      cache_dir=tmp_path / "stages")
    inputs = FlowInputs(clip_inputs=flow_images, preprocess_clip=_preprocess_clip, titles=("u",))
    x_train, x_test = inputs.fold(ctx)
    assert x_train[:, 0, 0, 0].tolist() == [0.0, 2.0] and x_test[:, 0, 0, 0].tolist() == [3.0]
    steps = inputs.first_pass(selection, [fold], None)
    assert [key for key, _ in steps] == ["casme2/sub00/c0", "casme2/sub02/c2", "casme2/sub03/c3"]
    CALLS.clear()
    pickle.loads(pickle.dumps(steps[0][1]))(tmp_path / "root")  # a worker process gets the step by pickle
    assert CALLS == [(str(tmp_path / "root"), 1)]
