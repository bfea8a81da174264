"""``make check-paper ID=<id>``: is the package ``papers/<id>/`` done? One command, cheapest first, ending with one
summary line (``check-paper <id>: done`` or ``NOT done``, and what each step gave):

1. the package's own checks, in seconds, one line each (``papers.package_problems``): it imports; its
   declarations as the registry checks them when it loads it (the paper's card, its models, ``stands_for``, the
   published numbers or ``no_published_number``, the ledger); its network built once against its declared inputs.
   A refusal here stops the command: nothing else can pass;
2. in one pytest run, every test that concerns it: its own files (``tests/test_<id>.py``, ``tests/test_<id>_*.py``),
   the template's (``tests/test_template_paper.py``), and every registry-wide test: those parametrized by its id
   (in any file that reads ``PAPER_IDS``), and the unparametrized tests of :data:`REGISTRY_FILES`;
3. ruff and mypy on its folder (run whatever the tests gave: a style finding is no reason to hide a result).

Exit 0 when every step passes, 1 otherwise; 2 for an id that is not registered.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
# Files whose unparametrized tests hold each package of the registry to the house (their tests parametrized by a paper
# are kept for that paper only, as in any other file).
REGISTRY_FILES = ("test_registry.py", "test_import_graph.py", "test_ledgers.py")
TEMPLATE_FILE = "test_template_paper.py"


def own_files(paper_id: str) -> list[Path]:
    """The package's own test files."""
    return sorted({*TESTS.glob(f"test_{paper_id}.py"), *TESTS.glob(f"test_{paper_id}_*.py")})


def candidate_files(paper_id: str) -> list[Path]:
    """The files a test that concerns the package can sit in: its own, the template's, the registry-wide ones,
    and every test file that reads the registry (``PAPER_IDS``)."""
    named = {TESTS / name for name in (TEMPLATE_FILE, *REGISTRY_FILES)}
    readers = {path for path in TESTS.glob("test_*.py") if "PAPER_IDS" in path.read_text(encoding="utf-8")}
    return sorted({*own_files(paper_id), *named, *readers})


class Selection:
    """A pytest plugin keeping the tests that concern ``paper_id`` (module docstring, step 2) and counting them by
    the reason they were kept."""

    def __init__(self, paper_id: str) -> None:
        self.paper_id = paper_id
        self.own = {path.name for path in own_files(paper_id)}
        self.kept: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()

    def reason(self, item) -> str:
        """Why ``item`` concerns the package ("" when it does not)."""
        name = Path(str(item.fspath)).name
        params = getattr(getattr(item, "callspec", None), "params", {})
        if name in self.own:
            return f"own: {name}"
        if name == TEMPLATE_FILE:
            return f"the template's: {name}"
        if self.paper_id in params.values():
            return f"registry-wide, for {self.paper_id}: {name}"
        if name in REGISTRY_FILES and not params:
            return f"registry-wide, every package: {name}"
        return ""

    def pytest_collection_modifyitems(self, config, items) -> None:
        kept, dropped = [], []
        for item in items:
            reason = self.reason(item)
            (kept if reason else dropped).append(item)
            if reason:
                self.kept[reason] += 1
        items[:] = kept
        config.hook.pytest_deselected(items=dropped)

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.outcomes[report.outcome] += 1


def run(command: list[str]) -> bool:
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=REPO).returncode == 0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make check-paper ID=<paper id>", file=sys.stderr)
        return 2
    paper_id = argv[0]
    sys.path.insert(0, str(REPO))
    import papers

    if paper_id not in papers.PAPER_IDS:
        print(f"check-paper: {paper_id!r} is not in papers.PAPER_IDS (add it to the registry tuple of "
              f"papers/__init__.py); registered: {', '.join(papers.PAPER_IDS)}", file=sys.stderr)
        return 2
    print(f"$ papers.package_problems({paper_id!r})", flush=True)
    problems = papers.package_problems(paper_id)
    for problem in problems:
        print(f"check-paper: {problem}", file=sys.stderr)
    summary = [f"package checks {'refused (' + str(len(problems)) + ' line(s) above)' if problems else 'ok'}"]
    if problems:
        return finish(paper_id, summary, False)
    # Said at once: the tests that follow take minutes with nothing but pytest's dots to show for them.
    print(f"package checks ok; next, the tests that concern {paper_id} (minutes), then ruff and mypy", flush=True)
    import pytest

    selection = Selection(paper_id)
    files = [str(path.relative_to(REPO)) for path in candidate_files(paper_id)]
    passed = pytest.main(["-q", "-p", "no:cacheprovider", *files], plugins=[selection]) == 0
    print(f"tests that concern {paper_id}, by why they were kept: "
          + "; ".join(f"{count} {reason}" for reason, count in sorted(selection.kept.items())), flush=True)
    summary.append(f"{sum(selection.kept.values())} tests (" + ", ".join(
        f"{count} {outcome}" for outcome, count in sorted(selection.outcomes.items())) + ")")
    folder = f"papers/{paper_id}"
    for name, command in (("ruff", [sys.executable, "-m", "ruff", "check", folder]),
                          ("mypy", [sys.executable, "-m", "mypy", folder])):
        ok = run(command)
        summary.append(f"{name} {'ok' if ok else 'findings above'}")
        passed = passed and ok
    return finish(paper_id, summary, passed)


def finish(paper_id: str, summary: list[str], passed: bool) -> int:
    """The one summary line; exit 0 when ``passed``."""
    print(f"\ncheck-paper {paper_id}: {'done' if passed else 'NOT done'}: {'; '.join(summary)}", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
