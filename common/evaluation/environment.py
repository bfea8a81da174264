"""The machine a run ran on: versions, devices, peak memory (results.json, fold records, the report)."""
from __future__ import annotations

import os
import platform
from typing import Any


def peak_rss_mb() -> float | None:
    """The peak resident memory of this process so far, in MiB (``resource.getrusage(RUSAGE_SELF).ru_maxrss``:
    KiB on Linux, bytes on macOS); None where ``resource`` does not exist (Windows). It never goes down:
    after several experiments in one process it is the largest so far."""
    try:
        import resource
        import sys
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def environment() -> dict[str, Any]:
    """Versions and devices, for results.json and the report's first page."""
    import importlib.metadata as md

    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "machine": platform.machine(), "cpu_count": os.cpu_count()}
    for package in ("numpy", "scikit-learn", "tensorflow", "keras", "opencv-python-headless", "matplotlib"):
        try:
            env[package] = md.version(package)
        except md.PackageNotFoundError:
            env[package] = None
    try:
        import keras

        env["keras_backend"] = keras.backend.backend()
        import tensorflow as tf

        env["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception:  # a backend without TensorFlow: no device list
        env.setdefault("gpus", [])
    return env
