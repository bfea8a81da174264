"""One experiment's run: the fold loop (``runner``) and what it needs before and around it.

``profiles`` (the effective config), ``corpus`` (where the data is, each database loaded once),
``screening`` (what a run drops or flags between the paper's selection and the folds), ``preflight``
(seeds, fold counts and models checked before any work), ``first_pass`` (the preprocessing cache
filled in several processes), ``fold`` (the fold skeleton a paper's ``run_fold`` ends in).
Papers import ``fold`` and ``first_pass``; the orchestration drives ``runner``.
"""
