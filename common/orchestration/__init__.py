"""Orchestration: from a command to papers or benchmark tracks, their folds and their reports.

The top of ``common``: the command line (``cli``, behind ``run_all.py`` and the ``mersuite`` script)
and what it drives: the fold loop (``common.running``), the projection (``common.estimate``), the
method comparison (``common.leaderboard``), export and predict (``common.deployment``) and the
reports (``common.reporting``); none of them imports it (docs/house.md, Where things go;
``tests/test_import_graph.py``).
"""
