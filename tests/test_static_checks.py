"""The type checker catches the class of bug that broke talluri2022's ``model_c_tuning`` on real data.

``_inner_split`` once compared a count with ``n_classes``, the function imported from
``common.running.fold``, instead of its ``num_classes`` argument; the comparison ran only when every
class had two clips, so no test corpus reached it. ``make test`` runs mypy (docs/house.md, Static
checks); here mypy checks a scratch copy of the protocol with that comparison put back, through
``--shadow-file``, and must name the line.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXED = "and held_out >= num_classes)"
BROKEN = "and held_out >= n_classes)"

pytest.importorskip("mypy", reason="the type checker is in the test extra (pyproject.toml)")


def test_mypy_names_a_count_compared_with_the_n_classes_function(tmp_path):
    source = REPO / "papers" / "talluri2022" / "protocol.py"
    text = source.read_text()
    assert text.count(FIXED) == 1, f"{source}: expected the inner hold-out's comparison {FIXED!r} once"
    line = text[: text.index(FIXED)].count("\n") + 1
    scratch = tmp_path / "protocol.py"
    scratch.write_text(text.replace(FIXED, BROKEN))

    done = subprocess.run([sys.executable, "-m", "mypy", "--shadow-file", str(source), str(scratch), str(source)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (f"papers/talluri2022/protocol.py:{line}: error: Unsupported operand types for >= "
            f'("int" and "Callable[[FoldContext], int]")') in done.stdout, done.stdout


def test_mypy_passes_the_fixed_protocol():
    source = REPO / "papers" / "talluri2022" / "protocol.py"
    done = subprocess.run([sys.executable, "-m", "mypy", str(source)], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert "talluri2022/protocol.py" not in done.stdout, done.stdout


# ---------------------------------------------------------------------------------------------
# House rules read off the source (docs/house.md, Log lines and exceptions)

SOURCES = sorted([*(REPO / "common").rglob("*.py"), *(REPO / "papers").rglob("*.py"), REPO / "run_all.py"])
CATCH_ALL = re.compile(r"^\s*except\s*\(?[^:#]*\bException\b[^:#]*\)?(\s+as\s+\w+)?\s*:(?P<rest>.*)$")


def uncommented_catch_alls(text: str) -> list[int]:
    """The line numbers of ``except Exception`` (alone or in a tuple) with no comment on the same line."""
    return [number for number, line in enumerate(text.splitlines(), 1)
            if (match := CATCH_ALL.match(line)) and "#" not in match.group("rest")]


def log_parameters(text: str) -> list[int]:
    """The line numbers of functions (and lambdas) with a parameter named ``log``, and of class fields
    named ``log`` (a dataclass field is a constructor parameter)."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                     *filter(None, (arguments.vararg, arguments.kwarg)))]
            if "log" in names:
                found.append(node.lineno)
        elif isinstance(node, ast.ClassDef):
            found += [item.lineno for item in node.body if isinstance(item, ast.AnnAssign)
                      and isinstance(item.target, ast.Name) and item.target.id == "log"]
    return sorted(found)


def options_without_help(text: str) -> list[int]:
    """The line numbers of ``add_argument`` calls without a ``help=`` (an option ``--help`` prints bare)."""
    return sorted(node.lineno for node in ast.walk(ast.parse(text))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "add_argument" and not any(k.arg == "help" for k in node.keywords))


NUMPY_WRITERS = ("save", "savez", "savez_compressed")
SAFE_OPENERS = ("atomic_write", "fdopen", "open_in_place")  # common.files: a link at the path is never followed


def _called(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def unsafe_numpy_writes(text: str) -> list[int]:
    """The line numbers of ``np.save``/``np.savez``/``np.savez_compressed`` calls whose file is not a handle a
    ``with atomic_write(...) as handle`` (or ``os.fdopen``, ``open_in_place``) around it opened: numpy opens a path
    itself, following a link planted there (a fold's ``examples.npz`` linked out of ``--out`` was overwritten)."""
    tree = ast.parse(text)
    handles: dict[ast.AST, set[str]] = {}

    def walk(node: ast.AST, names: frozenset[str]) -> None:
        if isinstance(node, ast.With):
            names = names | {item.optional_vars.id for item in node.items
                             if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call)
                             and _called(item.context_expr) in SAFE_OPENERS}
        handles[node] = set(names)
        for child in ast.iter_child_nodes(node):
            walk(child, names)

    walk(tree, frozenset())
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in NUMPY_WRITERS and isinstance(node.func.value, ast.Name)
                  and node.func.value.id in ("np", "numpy")
                  and not (node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in handles[node]))


def test_the_source_checks_find_what_they_look_for():
    snippet = ("try:\n    pass\nexcept Exception:\n    pass\ntry:\n    pass\nexcept (OSError, Exception) as exc:\n"
               "    pass\ntry:\n    pass\nexcept Exception as exc:  # boundary: a reason\n    pass\n"
               "try:\n    pass\nexcept ExceptionGroup:\n    pass\n")
    assert uncommented_catch_alls(snippet) == [3, 7]
    snippet = ("def f(x, log=print):\n    pass\ndef g(*, log):\n    pass\nh = lambda log: None\n"
               "class C:\n    log: object = print\ndef fine(logger, catalog):\n    pass\n")
    assert log_parameters(snippet) == [1, 3, 5, 7]
    snippet = ("p.add_argument('--a', help='what')\np.add_argument('--b', type=int,\n    default=2)\n"
               "add_argument('--c')\ngroup.add_argument('--d', help=None)\n")
    assert options_without_help(snippet) == [2]
    snippet = ("np.savez_compressed(path, a=x)\nwith atomic_write(path, 'wb') as handle:\n    np.savez(handle, a=x)\n"
               "    np.save(path, x)\nwith lock:\n    np.save(handle, x)\nnp.save(handle, x)\n"
               "with open(path, 'wb') as handle:\n    np.save(handle, x)\n")
    assert unsafe_numpy_writes(snippet) == [1, 4, 6, 7, 9]


def test_every_except_exception_in_common_papers_and_the_cli_says_why_on_its_line():
    found = [f"{path.relative_to(REPO)}:{number}" for path in SOURCES
             for number in uncommented_catch_alls(path.read_text())]
    assert found == [], ("`except Exception` only at a boundary, with its reason in a comment on the same line; "
                         "elsewhere name the exceptions that can occur: " + ", ".join(found))


def test_numpy_writes_an_array_file_only_through_a_handle_it_opened_safely():
    found = [f"{path.relative_to(REPO)}:{number}" for path in SOURCES
             for number in unsafe_numpy_writes(path.read_text())]
    assert found == [], ("write array files through `with atomic_write(path, 'wb') as handle` (a link planted at "
                         "the path is replaced, never written through): " + ", ".join(found))


def test_no_function_in_common_or_papers_takes_a_log_parameter():
    found = [f"{path.relative_to(REPO)}:{number}" for path in SOURCES for number in log_parameters(path.read_text())]
    assert found == [], ("progress lines go through logging.getLogger(__name__), not a `log` callable: "
                         + ", ".join(found))


def test_every_option_of_the_benchmarks_and_tools_has_a_help_text():
    """The developer tools under benchmarks/ say what each option does, as run_all.py does (tests/test_cli.py)."""
    found = [f"{path.relative_to(REPO)}:{number}" for path in sorted((REPO / "benchmarks").glob("*.py"))
             for number in options_without_help(path.read_text())]
    assert found == [], "an option without help= prints bare in --help: " + ", ".join(found)
