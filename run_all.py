#!/usr/bin/env python
"""The command line: ``python run_all.py --help``; the ``mersuite`` script is the same ``main``.

Its options, outputs and exit statuses are in ``common/orchestration/cli.py``; this file only puts the
repository on the import path and hands over, so that the CLI imports nothing but the orchestration
(docs/house.md, Where things go; ``tests/test_import_graph.py``).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common.orchestration.cli import main

if __name__ == "__main__":
    sys.exit(main())
