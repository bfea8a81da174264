"""Run every ``benchmarks/bench_*.py`` in turn and print their figures (``make bench``).

Figures are printed, never asserted: on a shared machine quote medians, not single times.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        failures += subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0
    print(f"\n{failures} benchmark script(s) failed" if failures else "\nall benchmark scripts ran")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
