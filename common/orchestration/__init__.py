"""Orchestration: from a command to papers or benchmark tracks, their folds and their reports.

The top of ``common``: it imports the fold loop (``common.evaluation``), the method comparison
(``common.leaderboard``) and the reports (``common.reporting``); none of them imports it
(docs/house.md, Where things go; ``tests/test_import_graph.py``).
"""
