"""The leaderboard (``run_all.py --benchmark``): every paper's method on shared protocols (tracks), with uncertainty.

Not the speed scripts of ``benchmarks/``: this package compares methods. It runs them through
``common.orchestration.leaderboard_runs``, which sits above it."""
