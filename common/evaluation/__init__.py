"""What makes numbers comparable: protocols (``splits``, with the MEGC 2019 composite's selection),
``metrics``, ``statistics``, the comparison with published numbers (``comparison``: a paper's own
table; ``references``: the leaderboard's published rows) and the stored records they read (``records``).

It runs nothing: the fold loop that produces the records is ``common.running``
(docs/house.md, Where things go).
"""
