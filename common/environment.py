"""The machine a run ran on: versions, devices, peak memory (results.json, fold records, the report),
and the device label ``--estimate`` prints (:func:`device_label`)."""
from __future__ import annotations

import os
import platform
import resource
import sys
from pathlib import Path
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
    for package in ("numpy", "scikit-learn", "tensorflow", "keras", "opencv-contrib-python-headless", "matplotlib"):
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


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_label() -> tuple[str, str]:
    """``(device, backend)``: e.g. ``("CPU: AMD EPYC 7B13, 2 cores", "tensorflow 2.21.0, keras 3.15.1")``."""
    import keras

    backend = keras.backend.backend()
    version = ""
    gpus: list[str] = []
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            version = tf.__version__
            gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        elif backend == "jax":
            import jax

            version = jax.__version__
            gpus = [str(d) for d in jax.devices() if d.platform != "cpu"]
        elif backend == "torch":
            import torch

            version = torch.__version__
            if torch.cuda.is_available():
                gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # a device query that fails is not a reason to stop an estimate
        pass
    device = f"GPU: {', '.join(gpus)}" if gpus else f"CPU: {_cpu_name()}, {os.cpu_count()} cores"
    return device, f"{backend} {version}, keras {keras.__version__}".replace("  ", " ")


def peak_rss_bytes() -> int:
    """The process's peak resident set size so far (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
