"""Every paper of the registry walked the same way: the house each one must keep (docs/house.md).

For every paper in ``papers.PAPER_IDS``: its files by role, one training step of each model a fold
trains (the ``--estimate`` hooks), the benchmark entry on a shared track, and every kind of report page
drawn from a result in memory after the run's folder is gone (pages only draw; they never read files
back). Every model's published parameter count, save and reload and training step: tests/test_models.py.

Each check is a plain function of a paper id (``check_*``, listed in :data:`CHECKS`), so that the same
checks run unchanged on a paper that is not in the repository: ``tests/test_template_paper.py`` copies
the template paper under another name and calls them, and tests/test_models.py's check on its models (the
parameter counts with them).
"""
from __future__ import annotations

import ast
import dataclasses
import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from common.experiment import FoldOutcome, Hooks, Track
from common.harness import ReportContext
from papers import PAPER_IDS, get_paper, package_problems

REPO = Path(__file__).resolve().parent.parent
ROLES = ("__init__.py", "config.py", "model.py", "reported.py", "pages.py", "README.md")
# A package's own inputs and protocol, where they are not declared (a network on the shared flow stage's channels
# declares both: common.flow_cnn.flow_network): ``preprocessing.py`` and ``protocol.py`` (``HOOKS``, ``CLASSES``).
OWN_ROLES = ("preprocessing.py", "protocol.py")
PROFILE_NAMES = ("paper", "quick", "smoke")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def check_files_roles_and_imports(paper_id):
    """The role files exist, the contract's names are there, and no file imports another paper."""
    module = get_paper(paper_id)
    folder = Path(module.__file__).resolve().parent
    assert [role for role in ROLES if not (folder / role).exists()] == []
    for name in ("PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment"):
        assert hasattr(module, name), f"papers.{paper_id} has no {name}"
    model = __import__(f"papers.{paper_id}.model", fromlist=["build_model", "MODEL_BUILDERS"])
    assert callable(model.build_model) and model.MODEL_BUILDERS
    assert all(callable(build) for build in model.MODEL_BUILDERS.values())
    assert module.PAPER.models is model.MODEL_BUILDERS  # one registry of the paper's models, by name
    assert isinstance(module.PIPELINE.hooks, Hooks)
    own = [role for role in OWN_ROLES if (folder / role).exists()]
    assert own in ([], list(OWN_ROLES)), f"{paper_id}: {own} alone (its own inputs and protocol, or neither)"
    if own:
        protocol = __import__(f"papers.{paper_id}.protocol", fromlist=["HOOKS"])
        assert module.PIPELINE.hooks is protocol.HOOKS  # declared, not found by name
    for path in folder.glob("*.py"):
        others = {m for m in _imports(path) if m.startswith("papers.") and not m.startswith(f"papers.{paper_id}")}
        assert others == set(), f"{path.name} imports {sorted(others)}"


def check_one_name_for_config_profiles_and_classes(paper_id):
    """``config.default_config()`` is ``EXPERIMENTS[0]``'s config and every experiment's config has its type;
    ``config.PROFILES`` maps profile names to dotted overrides that apply to it; the classes are named (a tuple,
    or a mapping by database of tuples: ``protocol.CLASSES``, or the composite's for a declared flow network)."""
    import inspect
    from collections.abc import Mapping

    from common.config import apply_overrides, validate

    module = get_paper(paper_id)
    config = __import__(f"papers.{paper_id}.config", fromlist=["default_config", "PROFILES"])
    assert callable(getattr(config, "default_config", None)), f"papers.{paper_id}.config has no default_config"
    unset = [name for name, p in inspect.signature(config.default_config).parameters.items()
             if p.default is inspect.Parameter.empty]
    assert unset == [], f"{paper_id}: default_config() needs {unset}"
    default = config.default_config()
    assert dataclasses.is_dataclass(default) and default == module.EXPERIMENTS[0].config
    assert {type(e.config) for e in module.EXPERIMENTS} == {type(default)}
    assert isinstance(getattr(config, "PROFILES", None), Mapping), f"papers.{paper_id}.config has no PROFILES"
    assert "smoke" in config.PROFILES, sorted(config.PROFILES)
    # A paper's own profile (a reading of its authors' code, e.g. liong2019's `port`): a plain name that its
    # README explains, beside the common ones
    own_profiles = set(config.PROFILES) - set(PROFILE_NAMES)
    readme = (Path(config.__file__).parent / "README.md").read_text(encoding="utf-8") if own_profiles else ""
    for own in own_profiles:
        assert own.isidentifier() and own.islower() and f"`{own}`" in readme, (paper_id, own)
    for overrides in config.PROFILES.values():
        validate(apply_overrides(default, dict(overrides)))  # a wrong dotted name or value raises
    classes = _classes(paper_id)
    lists = list(classes.values()) if isinstance(classes, Mapping) else [classes]
    for names in lists:
        assert isinstance(names, tuple) and len(names) >= 2 and len(set(names)) == len(names), names
        assert all(isinstance(name, str) for name in names), names


def _classes(paper_id: str):
    """The paper's classes: its ``protocol.CLASSES``, or the MEGC 2019 composite's (a declared flow network)."""
    from common.datasets.megc2019 import CLASSES

    folder = Path(get_paper(paper_id).__file__).resolve().parent
    if not (folder / "protocol.py").exists():
        return CLASSES
    return getattr(__import__(f"papers.{paper_id}.protocol", fromlist=["CLASSES"]), "CLASSES", None)


def _own_imports(paper_id: str, folder: Path) -> dict[str, set[str]]:
    """{module: the paper's own modules it imports}, at any depth of the file (imports inside functions too)."""
    own = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    graph = {}
    for stem in own:
        names = set()
        for module in _imports(folder / f"{stem}.py"):
            if module.startswith(f"papers.{paper_id}."):
                names.add(module.split(".")[2])
        for node in ast.walk(ast.parse((folder / f"{stem}.py").read_text())):  # from papers.<id> import protocol
            if isinstance(node, ast.ImportFrom) and node.module == f"papers.{paper_id}":
                names.update(alias.name for alias in node.names if alias.name in own)
        graph[stem] = names & own - {stem}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` as [a, b, ..., a], or [] when there is none (depth-first search)."""
    done: set[str] = set()

    def visit(path: list[str]) -> list[str]:
        for nxt in sorted(graph[path[-1]]):
            if nxt in path:
                return path[path.index(nxt):] + [nxt]
            if nxt not in done and (found := visit(path + [nxt])):
                return found
        done.add(path[-1])
        return []

    for start in sorted(graph):
        if start not in done and (found := visit([start])):
            return found
    return []


def check_no_import_cycle_among_the_papers_modules(paper_id):
    """No module of a paper imports, directly or through others, one that imports it back."""
    folder = Path(get_paper(paper_id).__file__).resolve().parent
    graph = _own_imports(paper_id, folder)
    if "protocol" in graph:
        assert graph["protocol"], f"{paper_id}: protocol.py imports none of the paper's modules"
    assert _cycle(graph) == [], f"{paper_id}: import cycle {' -> '.join(_cycle(graph))}"


def test_the_cycle_finder_sees_a_cycle():
    assert _cycle({"model": {"protocol"}, "protocol": {"model", "config"}, "config": set()}) == [
        "model", "protocol", "model"]
    assert _cycle({"model": {"config"}, "protocol": {"model", "config"}, "config": set()}) == []


def test_common_imports_no_paper():
    for path in (REPO / "common").rglob("*.py"):
        assert not {m for m in _imports(path) if m == "papers" or m.startswith("papers.")}, path


def _smoke_data(experiment, root):
    from common.running.corpus import load_datasets

    return load_datasets(experiment, root)


def check_training_step(paper_id, smoke_corpus):
    """The ``--estimate`` hooks exist, and one step of every model a smoke fold trains is finite."""
    from common.running.profiles import effective_config

    experiment = get_paper(paper_id).EXPERIMENTS[0]
    config = effective_config(experiment, "smoke")
    selection = experiment.select(_smoke_data(experiment, smoke_corpus), config)
    classes = _classes(paper_id)
    assert tuple(selection.class_names) in (classes.values() if isinstance(classes, dict) else [classes])
    fold = experiment.folds(selection, config, 0)[0]
    assert experiment.training_stages is not None and experiment.preprocess_clip is not None
    stages = list(experiment.training_stages(config, selection, fold))
    assert stages
    rng = np.random.default_rng(0)
    for stage in stages[:2]:  # a two-stage method: one model of each stage is enough
        assert stage.samples > 0 and stage.epochs >= 1 and stage.batch_size >= 1
        model = stage.build()
        inputs = [rng.normal(size=(2, *tuple(t.shape)[1:])).astype("float32") for t in model.inputs]
        outputs = model.outputs[0].shape[-1]
        targets = np.eye(outputs, dtype="float32")[rng.integers(0, outputs, 2)]
        loss = model.train_on_batch(inputs if len(inputs) > 1 else inputs[0], targets)
        assert np.all(np.isfinite(np.asarray(loss, dtype=float))), f"{paper_id}/{stage.model}"


def _rotating_fold(ctx) -> FoldOutcome:
    """A Keras-free stand-in for ``run_fold``: predicts the next class (a fake result to draw)."""
    n = len(ctx.selection.class_names)
    y_pred = (ctx.selection.labels[ctx.fold.test] + 1) % n
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=y_pred, probabilities=np.eye(n)[y_pred],
                       history={"loss": [1.0, 0.5], "accuracy": [0.4, 0.6]}, parameters={"fake": 1})


def _page_kinds(experiments):
    """One experiment per distinct report-page function (closures of one factory count once)."""
    seen, chosen = set(), []
    for experiment in experiments:
        pages = experiment.report_pages
        if pages is None:
            continue
        kind = (pages.__module__, pages.__qualname__, getattr(pages, "__closure__", None) is not None
                and experiment.datasets)
        if kind not in seen:
            seen.add(kind)
            chosen.append(experiment)
    return chosen


def check_report_pages(paper_id, smoke_corpus, tmp_path):
    """Every kind of report page draws from a fake result in memory, the run's folder gone."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages

    from common.running import runner
    from common.running.profiles import resolve_run

    module = get_paper(paper_id)
    kinds = _page_kinds(module.EXPERIMENTS)
    assert kinds, (f"{paper_id}: no experiment has report_pages; every paper draws at least one page of its own "
                   "(papers/README.md)")
    results = {}
    for experiment in kinds:
        fake = dataclasses.replace(experiment, run_fold=_rotating_fold,
                                   folds=lambda s, c, seed, e=experiment: e.folds(s, c, seed)[:2])
        results[experiment.name] = runner.run_experiment(paper_id, fake, resolve_run(data_root=smoke_corpus,
                                                         profile="smoke", out=tmp_path))
    shutil.rmtree(tmp_path / paper_id)  # the pages must not need the run's files
    context = ReportContext(paper_id=paper_id, paper=module.PAPER, profile="smoke", allow_faces=True,
                            corpus={"kind": "synthetic"}, results=results)
    pages = {}
    for name, result in results.items():  # a page that needs a file, a database or a recomputation raises here
        with PdfPages(io.BytesIO()) as pdf:
            result.experiment.report_pages(pdf, result, context)
            pages[name] = pdf.get_pagecount()
    assert sum(pages.values()) > 0, pages  # some experiment of the paper draws its own pages


def check_benchmark_entry(paper_id, smoke_corpus):
    """``benchmark_experiment`` takes the track's samples, labels and folds as they are."""
    from common.running.profiles import effective_config
    from common.leaderboard.tracks import MEGC2019

    module = get_paper(paper_id)
    assert module.BENCHMARK_MODELS
    for model in (None, *module.BENCHMARK_MODELS[1:]):
        experiment = module.benchmark_experiment(MEGC2019, model)
        assert experiment.datasets == MEGC2019.datasets and experiment.scopes == MEGC2019.scopes
        config = effective_config(experiment, "smoke")
        data = _smoke_data(experiment, smoke_corpus)
        track = MEGC2019.select(data)
        selection = experiment.select(data, config)
        assert [s.key for s in selection.samples] == [s.key for s in track.samples]
        assert selection.labels.tolist() == track.labels.tolist()
        folds = experiment.folds(selection, config, 0)
        assert [(f.name, f.test.tolist()) for f in folds] == [(f.name, f.test.tolist())
                                                             for f in MEGC2019.folds(track, 0)]
    assert isinstance(MEGC2019, Track)


def check_needs_motion(paper_id):
    """``needs_motion`` is declared once, a bool (the paper's ``Pipeline``, beside ``min_frames``), and every
    experiment and benchmark entry of the paper carries it: whether a clip without motion from onset to apex
    refuses its run."""
    from common.leaderboard.tracks import TRACKS

    module = get_paper(paper_id)
    entries = list(module.EXPERIMENTS) + [module.benchmark_experiment(track, model) for track in TRACKS
                                          for model in module.BENCHMARK_MODELS]
    assert isinstance(entries[0].needs_motion, bool), f"{paper_id}: needs_motion is not a bool"
    assert [e.needs_motion for e in entries] == [entries[0].needs_motion] * len(entries), paper_id


# Every check above, in order, with the fixtures it takes besides the paper id.
def check_package_problems(paper_id):
    """What ``make check-paper`` runs first (``papers.package_problems``): the package imports, its declarations
    pass, its network takes its declared inputs; none refused."""
    assert package_problems(paper_id) == []


CHECKS = (
    (check_package_problems, ()),
    (check_files_roles_and_imports, ()),
    (check_one_name_for_config_profiles_and_classes, ()),
    (check_no_import_cycle_among_the_papers_modules, ()),
    (check_training_step, ("smoke_corpus",)),
    (check_report_pages, ("smoke_corpus", "tmp_path")),
    (check_benchmark_entry, ("smoke_corpus",)),
    (check_needs_motion, ()),
)


@pytest.mark.parametrize("paper_id", PAPER_IDS)
@pytest.mark.parametrize(("check", "needs"), CHECKS, ids=[check.__name__ for check, _ in CHECKS])
def test_every_paper_passes_every_check(check, needs, paper_id, request):
    """Each check of :data:`CHECKS` (its docstring says what it holds the paper to) on each paper of the registry,
    check by check; ``tests/test_template_paper.py`` walks a copied paper through the same list."""
    check(paper_id, *(request.getfixturevalue(name) for name in needs))


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_the_optical_flow_methods_and_only_they_need_motion(paper_id):
    # the methods whose input is the flow from the onset to the apex frame (docs/data-invariants.md): each
    # declares it twice, needs_motion and the flow's apex rule at predict time, and the two agree; no list here
    from common.motion_views import flow_predict_apex

    for experiment in get_paper(paper_id).EXPERIMENTS:
        flow = experiment.predict_apex is flow_predict_apex
        assert experiment.needs_motion == flow, f"{paper_id}/{experiment.name}: the two declarations disagree"


def test_an_empty_citation_or_title_is_refused_as_a_missing_one():
    """``citation=""`` (or blanks) passes Python's call but not the registry: one line naming the field and what
    it holds, as a missing argument is refused where the package is imported."""
    import types

    from papers import declaration_problems

    module = get_paper("gan2019")
    assert declaration_problems("gan2019", module) == []
    blank = types.SimpleNamespace(**{name: getattr(module, name) for name in ("PIPELINE", "EXPERIMENTS", "__file__")},
                                  PAPER=dataclasses.replace(module.PAPER, citation="  ", title=""))
    assert declaration_problems("gan2019", blank) == [
        "papers.gan2019: PAPER.title is empty; expected the paper's title",
        "papers.gan2019: PAPER.citation is empty; expected the paper's authors, venue, year and DOI or arXiv id"]


def test_the_house_lists_every_field_of_an_experiment_in_order():
    """docs/house.md's ``EXPERIMENTS`` entry names ``Experiment``'s fields, in the dataclass's order: a field added
    to the contract without the doc (or a doc naming a field that is gone) fails here."""
    import re

    from common.experiment import Experiment

    text = (REPO / "docs" / "house.md").read_text()
    listed = re.search(r"a tuple of `Experiment\(([^`]*)\)`", text)
    assert listed is not None, "docs/house.md: no `Experiment(...)` list under EXPERIMENTS"
    names = [name.strip() for name in listed.group(1).replace("\n", " ").split(",")]
    assert names == [field.name for field in dataclasses.fields(Experiment)]


def test_a_packages_tie_rule_for_the_best_test_epoch_reaches_every_experiment_and_track_entry():
    """The rule among a fold's epochs tied on its best test accuracy is its authors' (``Pipeline.best_epoch_ties``):
    HTNet's ``main_HTNet.py`` keeps the latest (``<=``), every other package the gauge's earliest; it reaches each
    experiment and track entry, which the runner's gauge is given; another value is refused where it is declared."""
    from common.leaderboard.tracks import MEGC2019

    for paper_id in PAPER_IDS:
        module = get_paper(paper_id)
        expected = "latest" if paper_id == "wang2024" else "earliest"
        assert module.PIPELINE.best_epoch_ties == expected, paper_id
        assert {e.best_epoch_ties for e in module.EXPERIMENTS} == {expected}, paper_id
    assert get_paper("wang2024").benchmark_experiment(MEGC2019).best_epoch_ties == "latest"
    with pytest.raises(ValueError, match="best_epoch_ties='last', expected one of earliest, latest"):
        dataclasses.replace(get_paper("wang2024").PIPELINE, best_epoch_ties="last")
    with pytest.raises(ValueError, match="Experiment megc2019_loso: best_epoch_ties='first'"):
        dataclasses.replace(get_paper("wang2024").EXPERIMENTS[0], best_epoch_ties="first")
