"""The log of the authors' PyTorch port beside its released weights (christy1206/STSTNet,
``STSTNet_python_logfile.txt``): per left-out subject, the port's predicted and true classes. A ``--weights``
run counts, fold by fold, how many of its test clips it predicts as that log does (README ledger 11), so the
report can say "442 of 442 clips as the authors' log", not only that the pooled scores match.

The log names no clip: within a subject it lists the class folders in the order the port read them (the order
the classes first appear in its "Ground Truth" list), each class's clips by name. A fold's clips are put in
that order before they are compared; a subject whose true classes then differ from the log's is not compared
(said in the fold's note). The file is read as hostile text: at most :data:`MAX_BYTES`, digits and commas only
inside the brackets, nothing it claims trusted beyond the numbers it lists.
"""
from __future__ import annotations

import re
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from common.files import open_regular

LOG_NAME = "STSTNet_python_logfile.txt"  # beside the STSTNet_Weights folder in the authors' repository
MAX_BYTES = 1 << 20  # the published log is 7.7 kB
_BLOCK = re.compile(r"Subject:[ \t]*(\S+)[ \t]*\r?\n[ \t]*Predicted[ \t]*:[ \t]*\[([0-9, ]*)\][ \t]*\r?\n"
                    r"[ \t]*Ground Truth[ \t]*:[ \t]*\[([0-9, ]*)\]")


def log_path(weights_folder: str | Path) -> Path:
    """Where the authors' repository keeps the log: beside the weights folder."""
    return Path(weights_folder).parent / LOG_NAME


def read_log(path: Path) -> dict[str, tuple[list[int], list[int]]]:
    """``{subject: (predicted, truth)}`` of the port's log; ValueError naming the file when it is not one."""
    try:
        with open_regular(path, "rb") as handle:  # a pipe or a device: one line, never a wait
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise ValueError(f"{path}: larger than {MAX_BYTES} bytes; expected the port's short log")
    text = raw.decode("utf-8", errors="replace")
    blocks = {}
    for subject, predicted, truth in _BLOCK.findall(text):
        p = [int(v) for v in predicted.replace(" ", "").split(",") if v]
        t = [int(v) for v in truth.replace(" ", "").split(",") if v]
        if len(p) != len(t) or subject in blocks:
            raise ValueError(f"{path}: subject {subject} lists {len(p)} predictions for {len(t)} true classes"
                             if len(p) != len(t) else f"{path}: subject {subject} is listed twice")
        blocks[subject] = (p, t)
    if not blocks:
        raise ValueError(f"{path}: no 'Subject: / Predicted : [...] / Ground Truth: [...]' block")
    return blocks


def log_order(clips: Sequence[str], truth: Sequence[int], log_truth: Sequence[int]) -> list[int] | None:
    """The indices of one subject's ``clips`` (true classes ``truth``) in the order the port's log lists them: class
    by class in the order the classes first appear in ``log_truth``, each class's clips by name. None when the
    true classes in that order are not ``log_truth`` (another subject's block, or other clips)."""
    order = list(dict.fromkeys(log_truth))
    ranked = sorted(range(len(clips)), key=lambda j: (order.index(truth[j]) if truth[j] in order else len(order),
                                                      clips[j]))
    return ranked if [int(truth[j]) for j in ranked] == list(log_truth) else None


def fold_agreement(weights_folder: str | Path, subject: str, clips: Sequence[str], truth: Sequence[int],
                   predicted: Sequence[int]) -> dict[str, Any]:
    """The fold record's ``extra["released_log"]``: ``{"log", "clips", "agree", "note"}``; ``clips`` 0 and a
    note where the log is absent, unreadable, lacks the subject or lists other true classes."""
    path = log_path(weights_folder)
    entry: dict[str, Any] = {"log": str(path), "clips": 0, "agree": 0, "note": ""}
    if not path.is_file():
        return {**entry, "log": "", "note": f"no per-clip log beside the weights ({LOG_NAME} not in {path.parent})"}
    try:
        blocks = read_log(path)
    except ValueError as exc:
        return {**entry, "note": str(exc)}
    if subject not in blocks:
        return {**entry, "note": f"{path.name} has no block for subject {subject}"}
    log_predicted, log_truth = blocks[subject]
    ranked = log_order(clips, truth, log_truth)
    if ranked is None:
        return {**entry, "note": f"{path.name}: subject {subject}'s true classes differ from this fold's"}
    agree = sum(int(predicted[j]) == p for j, p in zip(ranked, log_predicted))
    return {**entry, "clips": len(ranked), "agree": int(agree)}
