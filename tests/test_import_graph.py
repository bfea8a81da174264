"""The import graph of ``common/``, ``papers/`` and ``run_all.py``: imports run one way (docs/house.md, Where
things go).

Every module is parsed (``ast``) into a list of :class:`Edge`: one per import of a module of the
repository, resolved to the module it names, with whether it runs at module level. Each check is a
function of such a list, so the tests below run it on the repository's edges and on fabricated ones
that it must refuse.

- Layers (:data:`LAYERS`): a node (a subpackage of ``common`` such as ``common.running``, a top-level
  module of ``common`` such as ``common.files``, a paper such as ``papers.le2020``, or ``run_all``)
  imports only from its own layer or below. Every import counts, those inside functions too.
- No cycle between nodes, and none between modules; every import counted, those inside functions too. An
  import inside a function cannot leave a module half-initialised, but a cycle closed that way is still
  two modules that need each other, hidden from the reader; one under ``if TYPE_CHECKING:`` counts too.
  A module's own package ``__init__``, which Python runs first, is not an edge.
- Reporting reads records and numbers only (:data:`REPORTING_READS`).
- No paper imports another; the CLI (``run_all.py``) imports only the orchestration.
- An import inside a function defers a library that costs start-up time (:data:`COSTLY`), one that its
  module does not load already; any other import stands at the top of its module
  (:func:`needless_deferrals`). Conditional ones (under ``if`` or ``try`` in the function: an optional
  backend) are the function's own choice.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent

# Highest first. A node may import only from its own layer or a lower one.
LAYERS = (
    ("the CLI", ("run_all",)),
    ("orchestration", ("common.orchestration",)),  # cli (run_all.py's main), paper and benchmark runs, workers
    ("deployment", ("common.deployment",)),  # export and predict: a paper's experiment from the registry
    ("leaderboard", ("common.leaderboard",)),  # the benchmark: runs the papers' methods; no paper imports it
    ("estimate", ("common.estimate",)),  # --estimate: drives a paper's hooks, as a run does
    ("papers", ("papers",)),
    # the SVM head, the handcrafted baselines' protocol, the flow CNNs' inputs, the predict views
    ("shared method pieces", ("common.classifiers", "common.svm_baseline", "common.network_protocol", "common.flow_cnn",
                              "common.motion_views")),
    ("running", ("common.running",)),  # one experiment's run: the fold loop and what it needs
    ("reporting", ("common.reporting",)),
    ("evaluation", ("common.evaluation",)),  # splits, metrics, statistics, comparison, references, records
    ("models and training", ("common.training", "common.train_config", "common.device_training", "common.batch_norm",
                             "common.fold_parallel", "common.backbones", "common.flops", "common.state_dicts")),
    ("the contract", ("common.paper", "common.experiment", "common.harness", "common.predict_types")),
    ("data", ("common.datasets",)),
    ("preprocessing", ("common.preprocessing",)),
    ("foundations", ("common.config", "common.files", "common.paths", "common.errors", "common.environment",
                     "common.progress", "common")),
)
# All that reporting may import besides itself: the stored records and the numbers computed from them,
# the result types it draws, and the foundations. Never frames (preprocessing), databases, models or the
# fold loop.
REPORTING_READS = ("common.evaluation.records", "common.evaluation.metrics", "common.evaluation.statistics",
                   "common.experiment", "common.harness", "common.config", "common.files", "common.paths",
                   "common.errors")


class Edge(NamedTuple):
    """One import: module ``source`` imports module ``target`` (``imported``: the name as written, resolved)
    at ``where``:``line``; ``module_level``: not inside a function or lambda."""

    source: str
    target: str
    imported: str
    where: str
    line: int
    module_level: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """``(imported name, line, module level)`` of every import of ``path`` (relative ones resolved), at any
    depth; ``from P import x`` gives ``P.x`` (a module where ``x`` is one)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno, module_level) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.extend((f"{target}.{alias.name}", node.lineno, module_level) for alias in node.names)
        inside = module_level and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(path.read_text(), str(path)), True)
    return [entry for entry in found if entry[0].split(".")[0] in ("common", "papers", "run_all")]


def _resolve(name: str, modules: set[str]) -> str:
    """The module ``name`` names: its longest prefix that is a module of the repository."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    raise AssertionError(f"{name} names no module of the repository")


def repository_edges() -> list[Edge]:
    """Every import between two different modules of ``common/``, ``papers/`` and ``run_all.py``."""
    files = sorted((REPO / "common").rglob("*.py")) + sorted((REPO / "papers").rglob("*.py")) + [REPO / "run_all.py"]
    modules = {_module_name(path) for path in files}
    edges = []
    for path in files:
        source = _module_name(path)
        for imported, line, module_level in _imports(path):
            target = _resolve(imported, modules)
            if target != source:
                edges.append(Edge(source, target, imported, str(path.relative_to(REPO)), line, module_level))
    return edges


def node(module: str) -> str:
    """The node of the layering a module belongs to (see the module docstring)."""
    parts = module.split(".")
    if parts[0] == "run_all":
        return "run_all"
    if parts[0] == "papers":
        return "papers" if len(parts) == 1 else f"papers.{parts[1]}"
    return "common" if len(parts) == 1 else f"common.{parts[1]}"


def layer(name: str) -> int:
    """The rank in :data:`LAYERS` (0: highest) of a node."""
    for rank, (_, members) in enumerate(LAYERS):
        if name in members or any(name.startswith(member + ".") for member in members if member != "common"):
            return rank
    raise AssertionError(f"{name} is in no layer of tests/test_import_graph.py: add it")


def _line(edge: Edge) -> str:
    return f"{edge.where}:{edge.line} imports {edge.imported}"


def upward_imports(edges: list[Edge]) -> list[str]:
    """Imports from a lower layer to a higher one."""
    return [f"{_line(e)} ({LAYERS[layer(node(e.source))][0]} -> {LAYERS[layer(node(e.target))][0]})"
            for e in edges if layer(node(e.target)) < layer(node(e.source))]


def reporting_overreach(edges: list[Edge]) -> list[str]:
    """Imports of reporting outside itself and :data:`REPORTING_READS`."""
    return [_line(e) for e in edges
            if node(e.source) == "common.reporting" and node(e.target) != "common.reporting"
            and not any(e.target == read or e.target.startswith(read + ".") for read in REPORTING_READS)]


def papers_crossing(edges: list[Edge]) -> list[str]:
    """Imports of one paper's package by another's (the registry, ``papers/__init__.py``, imports none)."""
    return [_line(e) for e in edges
            if node(e.source).startswith("papers.") and node(e.target).startswith("papers.")
            and node(e.source) != node(e.target)]


def cli_overreach(edges: list[Edge]) -> list[str]:
    """Imports of the CLI (``run_all.py``) of anything but the orchestration."""
    return [_line(e) for e in edges if node(e.source) == "run_all" and node(e.target) != "common.orchestration"]


def find_cycle(pairs: list[tuple[str, str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the directed graph ``pairs`` (depth-first), or None."""
    graph: dict[str, set[str]] = {}
    for source, target in pairs:
        if source != target:
            graph.setdefault(source, set()).add(target)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(at: str) -> list[str] | None:
        state[at] = 1
        path.append(at)
        for nxt in sorted(graph.get(at, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[at] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def package_cycle(edges: list[Edge]) -> list[str] | None:
    """A cycle between nodes (every import counted)."""
    return find_cycle([(node(e.source), node(e.target)) for e in edges])


def module_cycle(edges: list[Edge]) -> list[str] | None:
    """A cycle between modules (every import counted, those inside functions too)."""
    return find_cycle([(e.source, e.target) for e in edges])


EDGES = repository_edges()


def test_every_node_has_a_layer():
    for edge in EDGES:
        layer(node(edge.source)), layer(node(edge.target))


def test_no_import_runs_back_up_the_layers():
    upward = upward_imports(EDGES)
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_reporting_reads_records_and_numbers_only():
    wrong = reporting_overreach(EDGES)
    assert not wrong, "reporting may import only " + ", ".join(REPORTING_READS) + ":\n" + "\n".join(wrong)


def test_no_paper_imports_another():
    crossing = papers_crossing(EDGES)
    assert not crossing, "\n".join(crossing)


def test_the_cli_imports_only_the_orchestration():
    wrong = cli_overreach(EDGES)
    assert not wrong, "run_all.py may import only common.orchestration:\n" + "\n".join(wrong)


def test_no_cycle_between_packages():
    cycle = package_cycle(EDGES)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)


def test_no_cycle_between_modules():
    cycle = module_cycle(EDGES)
    assert cycle is None, "import cycle between modules: " + " -> ".join(cycle)


# Each check refuses what it is there to refuse: fabricated edges, one wrong import each.

def _edge(source: str, target: str, module_level: bool = True) -> Edge:
    return Edge(source, target, target, source.replace(".", "/") + ".py", 1, module_level)


def test_a_module_cycle_is_refused_closed_at_module_level_or_inside_a_function():
    edges = [_edge("common.estimate.projection", "common.estimate.table"),
             _edge("common.estimate.table", "common.estimate.timing"),
             _edge("common.estimate.timing", "common.estimate.table")]
    assert module_cycle(edges) == ["common.estimate.table", "common.estimate.timing", "common.estimate.table"]
    lazy = edges[:2] + [_edge("common.estimate.timing", "common.estimate.table", module_level=False)]
    assert module_cycle(lazy) == ["common.estimate.table", "common.estimate.timing", "common.estimate.table"]
    assert module_cycle(edges[:2]) is None
    assert package_cycle([_edge("common.running.runner", "common.estimate.projection"),
                          _edge("common.estimate.projection", "common.running.corpus", module_level=False)]) == \
        ["common.estimate", "common.running", "common.estimate"]


def test_reporting_importing_preprocessing_is_refused():
    edges = [_edge("common.reporting.pdf", "common.preprocessing.io"),
             _edge("common.reporting.pdf", "common.evaluation.records")]
    assert reporting_overreach(edges) == ["common/reporting/pdf.py:1 imports common.preprocessing.io"]
    assert reporting_overreach([_edge("common.reporting.pdf", "common.running.runner")]) != []
    assert reporting_overreach([_edge("common.reporting.pdf", "common.datasets.sample")]) != []


def test_a_paper_importing_the_leaderboard_is_refused():
    edges = [_edge("papers.see2019.protocol", "common.leaderboard.tracks"),
             _edge("papers.see2019.protocol", "common.evaluation.splits")]
    assert upward_imports(edges) == ["papers/see2019/protocol.py:1 imports common.leaderboard.tracks "
                                     "(papers -> leaderboard)"]


def test_the_cli_importing_below_the_orchestration_is_refused():
    edges = [_edge("run_all", "common.orchestration.cli"), _edge("run_all", "common.estimate.projection")]
    assert cli_overreach(edges) == ["run_all.py:1 imports common.estimate.projection"]
    assert cli_overreach([_edge("run_all", "common.orchestration.cli")]) == []


def drawn_layers(text: str) -> list[set[str]]:
    """The nodes of each row of the layer drawing in docs/house.md (the second ``text`` block of "Where things
    go"): a row's first column, ``common/running/`` -> ``common.running``, ``common/training.py, flops.py`` ->
    ``common.training``, ``common.flops``; an indented line continues the row above."""
    section = text.split("## Where things go", 1)[1].split("\n## ", 1)[0]
    block = section.split("```text\n")[2].split("```", 1)[0]
    rows: list[set[str]] = []
    for line in block.splitlines():
        if not line.strip() or line.startswith(" "):
            continue
        first = line.split("  ", 1)[0].strip()
        names = set()
        for item in first.split(", "):
            item = item.strip().rstrip("/")
            if item == "run_all.py":
                names.add("run_all")
            elif item.startswith("papers"):
                names.add("papers")
            else:
                names.add("common." + item.removeprefix("common/").removesuffix(".py").replace("/", "."))
        rows.append(names)
    return rows


# Libraries whose import costs start-up time (a tenth of a second or more on these 2-core machines, numpy
# included): `run_all.py --help` loads none of them (test_the_help_loads_no_library_that_costs_start_up_time), a
# fold worker only those its method needs.
COSTLY = ("keras", "tensorflow", "torch", "jax", "cv2", "matplotlib", "sklearn", "scipy", "skimage", "dlib", "PIL",
          "keras_tuner", "dask", "distributed", "openpyxl", "xlrd", "mtcnn", "facenet_pytorch", "numpy", "h5py",
          "importlib.metadata")


class Import(NamedTuple):
    """One import statement's name (``from P import x``: ``P.x``) in ``module``: ``scope`` "module" (run at
    import), "typing" (under ``if TYPE_CHECKING:``), "function" (inside a function, always run there) or
    "conditional" (inside a function, under an ``if`` or ``try``)."""

    module: str
    name: str
    where: str
    line: int
    scope: str


def all_imports(path: Path) -> list[Import]:
    """Every import of ``path``, third-party ones included, relative ones resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    where = str(path.relative_to(REPO))

    def visit(node: ast.AST, scope: str) -> None:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
        found.extend(Import(module, name, where, node.lineno, scope) for name in names)
        inner = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner = "function"
        elif isinstance(node, (ast.If, ast.Try)) and scope == "function":
            inner = "conditional"
        elif isinstance(node, ast.If) and scope == "module" and "TYPE_CHECKING" in ast.unparse(node.test):
            inner = "typing"
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(), str(path)), "module")
    return found


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


def needless_deferrals(imports: list[Import], modules: set[str]) -> list[str]:
    """The imports inside functions (scope "function") of a repository module that load no library of
    :data:`COSTLY` beyond what importing their own module loads (its package ``__init__`` files included):
    nothing is deferred, so they belong at the top."""
    at_import: dict[str, set[str]] = {}
    for entry in imports:
        if entry.scope == "module":
            at_import.setdefault(entry.module, set()).update(_prefixes(entry.name))

    def costly(name: str) -> frozenset[str]:
        """The libraries of COSTLY that importing ``name`` (a module, its packages, what they import) loads."""
        seen: set[str] = set()
        todo = _prefixes(name)
        if name.startswith("keras.src.backend."):  # a backend's own module loads that backend
            todo.append(name.split(".")[3])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(at_import.get(current, ()) if current in modules else ())
        return frozenset(name for name in COSTLY if name in seen)

    return [f"{e.where}:{e.line} imports {e.name} inside a function, deferring nothing {e.module} does not load "
            "already: import it at the top of the module"
            for e in imports if e.scope == "function" and not costly(e.name) - costly(e.module)]


def repository_imports() -> tuple[list[Import], set[str]]:
    files = sorted((REPO / "common").rglob("*.py")) + sorted((REPO / "papers").rglob("*.py")) + [REPO / "run_all.py"]
    return [entry for path in files for entry in all_imports(path)], {_module_name(path) for path in files}


def test_imports_inside_functions_defer_a_library_that_costs_start_up_time():
    imports, modules = repository_imports()
    assert not needless_deferrals(imports, modules), "\n".join(needless_deferrals(imports, modules))
    assert sum(e.scope == "function" for e in imports) > 50  # the check saw the deferred ones


def test_the_help_loads_no_library_that_costs_start_up_time():
    """What docs/house.md says of ``run_all.py --help``, held in a fresh interpreter."""
    probe = ("import runpy, sys\n"
             "sys.argv = ['run_all.py', '--help']\n"
             "try:\n    runpy.run_path('run_all.py', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             f"print(' '.join(name for name in {COSTLY!r} if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--benchmark TRACK" in done.stdout and "megc2019_to_4dme" in done.stdout
    assert done.stdout.splitlines()[-1] == "", f"run_all.py --help loaded: {done.stdout.splitlines()[-1]}"


def test_a_deferral_of_nothing_is_refused():
    """The check above could fail: an import inside a function of a module that loads nothing costly, refused;
    of one that loads keras, or under a condition, or where the host loads keras already, accepted."""
    modules = {"common.a", "common.light", "common.heavy", "common"}
    imports = [Import("common.light", "json", "common/light.py", 1, "module"),
               Import("common.heavy", "keras", "common/heavy.py", 1, "module"),
               Import("common.a", "common.light.f", "common/a.py", 5, "function"),
               Import("common.a", "common.heavy.g", "common/a.py", 6, "function"),
               Import("common.a", "common.light.h", "common/a.py", 7, "conditional")]
    assert needless_deferrals(imports, modules) == [
        "common/a.py:5 imports common.light.f inside a function, deferring nothing common.a does not load already: "
        "import it at the top of the module"]
    loaded = [*imports, Import("common.a", "keras", "common/a.py", 1, "module")]
    assert len(needless_deferrals(loaded, modules)) == 2  # keras loaded by the host: nothing deferred either


def test_docs_house_draws_these_layers():
    drawn = drawn_layers((REPO / "docs" / "house.md").read_text())
    assert drawn == [set(members) - {"common"} for _, members in LAYERS]


def unnamed_modules(readme: str, modules: set[str]) -> list[str]:
    """The modules of ``modules`` (paths under ``common/``, e.g. ``datasets/discovery.py``) that common/README.md's
    module map (``readme``) does not name. A bullet (a line beginning ``- `...```) names a module by its path, or by
    its file name when the bullet begins with the module's folder (``- `reporting/`: ... `pdf.py` ...``)."""
    named: set[str] = set()
    for bullet in re.split(r"\n(?=- `)", readme):
        first = re.match(r"- `((?:\w+/)*)", bullet)
        folder = first.group(1) if first else ""
        for name in re.findall(r"`((?:\w+/)*\w+\.py)`", bullet):
            named.add(name if "/" in name else folder + name)
    return sorted(modules - named)


def test_common_readme_names_every_module_of_common():
    modules = {p.relative_to(REPO / "common").as_posix() for p in (REPO / "common").rglob("*.py")
               if not p.name.startswith("_")}
    assert len(modules) > 80
    assert unnamed_modules((REPO / "common" / "README.md").read_text(encoding="utf-8"), modules) == []


def test_the_module_map_check_finds_a_module_left_out():
    readme = "# map\n\n- `files.py`: one\n- `reporting/`: `pdf.py` pages; `style.py`\n- `datasets/tables.py`: sheets\n"
    modules = {"files.py", "reporting/pdf.py", "reporting/style.py", "datasets/tables.py", "reporting/tables.py",
               "datasets/smic.py"}
    assert unnamed_modules(readme, modules) == ["datasets/smic.py", "reporting/tables.py"]
