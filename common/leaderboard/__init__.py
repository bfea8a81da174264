"""The leaderboard (``run_all.py --benchmark``): every paper's method on shared protocols (tracks), with uncertainty.

Not the speed scripts of ``benchmarks/``: this package compares methods. It runs them through
``common.orchestration.leaderboard_runs``, which sits above it."""

# The tracks' names, in ``tracks.TRACKS``' order (a test holds the two together): ``run_all.py --help`` lists them
# without loading numpy and the readers that defining the tracks takes.
TRACK_NAMES = ("megc2019", "megc2019_hde", "cd6me", "cd6me_lodo", "megc2019_to_casme3", "megc2019_to_4dme")
