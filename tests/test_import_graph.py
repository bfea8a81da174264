"""The import graph of ``common/`` and ``papers/``: imports run one way (docs/house.md, Where things go).

Every module is parsed (``ast``), imports inside functions included. A node is a package: a
subpackage of ``common`` (``common.evaluation``), a top-level module of ``common`` (``common.files``),
a paper (``papers.le2020``) or ``run_all``. Each node has a layer; a node imports only from its own
layer or below, and no two packages import each other, directly or through others.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Highest first. A node may import only from its own layer or a lower one.
LAYERS = (
    ("the CLI", ("run_all",)),
    ("orchestration", ("common.orchestration",)),
    ("deployment", ("common.deployment",)),  # export and predict: a paper's experiment from the registry
    ("papers", ("papers",)),
    ("leaderboard", ("common.leaderboard",)),
    ("reporting", ("common.reporting",)),
    ("evaluation", ("common.evaluation", "common.classifiers", "common.flow_cnn")),
    ("models and training", ("common.training", "common.device_training", "common.backbones", "common.flops")),
    ("the contract", ("common.experiment",)),
    ("data", ("common.datasets",)),
    ("preprocessing", ("common.preprocessing",)),
    ("foundations", ("common.config", "common.files", "common.paths", "common.errors", "common")),
)
# What of the evaluation layer reporting may read: stored records and the numbers computed from them,
# never the fold loop.
REPORTING_READS = ("common.evaluation.records", "common.evaluation.metrics", "common.evaluation.statistics")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """``(imported module, line)`` of every import of ``path`` (relative ones resolved), at any depth."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from common.evaluation import runner`` imports the module common.evaluation.runner
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
    return [(name, line) for name, line in found if name.split(".")[0] in ("common", "papers", "run_all")]


def _node(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "run_all":
        return "run_all"
    if parts[0] == "papers":
        if len(parts) == 1 or parts[1] in ("__init__", "PAPER_IDS", "get_paper"):
            return "papers"
        return f"papers.{parts[1]}"
    return "common" if len(parts) == 1 else f"common.{parts[1]}"


def _layer(node: str) -> int:
    for rank, (_, members) in enumerate(LAYERS):
        if node in members or any(node.startswith(member + ".") for member in members if member != "common"):
            return rank
    raise AssertionError(f"{node} is in no layer of tests/test_import_graph.py: add it")


def _edges() -> list[tuple[str, str, str, str, int]]:
    """``(from node, to node, importing file, imported module, line)`` between different nodes."""
    files = sorted((REPO / "common").rglob("*.py")) + sorted((REPO / "papers").rglob("*.py")) + [REPO / "run_all.py"]
    edges = []
    for path in files:
        source = _node(_module_name(path))
        for imported, line in _imports(path):
            target = _node(imported)
            if target != source:
                edges.append((source, target, str(path.relative_to(REPO)), imported, line))
    return edges


def test_every_node_has_a_layer():
    for source, target, *_ in _edges():
        _layer(source), _layer(target)


def test_no_import_runs_back_up_the_layers():
    upward = [f"{where}:{line} imports {imported} ({LAYERS[_layer(source)][0]} -> {LAYERS[_layer(target)][0]})"
              for source, target, where, imported, line in _edges() if _layer(target) < _layer(source)]
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_reporting_reads_records_not_the_fold_loop():
    wrong = [f"{where}:{line} imports {imported}" for source, target, where, imported, line in _edges()
             if source == "common.reporting" and target == "common.evaluation"
             and not imported.startswith(REPORTING_READS)]
    assert not wrong, "reporting may read only " + ", ".join(REPORTING_READS) + ":\n" + "\n".join(wrong)


def test_no_paper_imports_another():
    crossing = [f"{where}:{line} imports {imported}" for source, target, where, imported, line in _edges()
                if source.startswith("papers.") and target.startswith("papers.")]
    assert not crossing, "\n".join(crossing)


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = {}
    for source, target, *_ in _edges():
        graph.setdefault(source, set()).add(target)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)

