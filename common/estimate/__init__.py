"""``--estimate``: how long a run will take and how much memory it needs, projected without training.

``projection`` (the counts and the projection), ``timing`` (one model's steps and a few clips'
preprocessing timed on this device), ``table`` (the printed table and its JSON form), ``units``
(durations, sizes, FLOPs and shapes for people; the leaf the others write with).
"""
