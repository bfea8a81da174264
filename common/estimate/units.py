"""Durations, sizes, FLOPs and shapes written for people: the words of ``--estimate``'s log lines and table.

A leaf of ``common.estimate``: the projection (``projection``), the timing (``timing``) and the table
(``table``) all write with these, so none of them imports another for its words.
"""
from __future__ import annotations


def duration(seconds: float | None) -> str:
    """A duration for people: 12 ms, 3.4 s, 5 min 12 s, 3 h 20 min, 4.2 days."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{seconds / 86400:.1f} days"


def memory(n: int) -> str:
    """A size in bytes for people: 512 B, 3.4 MiB, 1.2 GiB."""
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def flop(flops: float) -> str:
    """FLOPs for people: 3.2 TFLOP, 1.4 PFLOP."""
    for unit, size in (("EFLOP", 1e18), ("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6),
                       ("kFLOP", 1e3)):
        if flops >= size:
            return f"{flops / size:.1f} {unit}"
    return f"{flops:.0f} FLOP"


def shapes(values: tuple) -> str:
    """Per-sample shapes for people: ``((64, 64, 3), (10,))`` -> ``64x64x3+10``."""
    return "+".join("x".join(map(str, s)) for s in values)
