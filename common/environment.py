"""The machine a run ran on: versions, devices, peak memory (results.json, fold records, the report),
and the device label ``--estimate`` prints (:func:`device_label`)."""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any
import importlib.util

from common.files import read_json


def peak_rss_mb() -> float | None:
    """The peak resident memory of this process so far, in MiB (``resource.getrusage(RUSAGE_SELF).ru_maxrss``:
    KiB on Linux, bytes on macOS); None where ``resource`` does not exist (Windows). It never goes down:
    after several experiments in one process it is the largest so far."""
    peak = peak_rss_bytes()
    return None if peak is None else round(peak / (1024 * 1024), 1)


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


# Keras's backends (keras.src.backend.config) and the package each one imports, with what installs it.
BACKENDS = {"tensorflow": ("tensorflow", "pip install tensorflow"), "jax": ("jax", "pip install jax"),
            "torch": ("torch", "pip install torch"), "numpy": ("numpy", "pip install numpy"),
            "openvino": ("openvino", "pip install openvino")}


def keras_backend_name() -> str:
    """The backend Keras will load: ``KERAS_BACKEND``, else the ``backend`` of ``$KERAS_HOME/keras.json``
    (``~/.keras/keras.json``), else TensorFlow, as Keras chooses it (or the loaded one, once Keras is)."""
    if "keras" in sys.modules:
        import keras

        return str(keras.backend.backend())
    name = os.environ.get("KERAS_BACKEND")
    if name:
        return name.strip()
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:  # bounded: common.files.JSON_BYTES, JSON_DEPTH
        return str(read_json(home / "keras.json").get("backend") or "tensorflow")
    except (OSError, ValueError, AttributeError):  # no file, or not Keras's JSON: Keras takes its default too
        return "tensorflow"


def keras_backend_problem() -> str | None:
    """One line when Keras cannot load its backend (an unknown ``KERAS_BACKEND``, a backend or Keras not
    installed): which backend, where the choice comes from and what to install; None when it can. Found
    without importing either (``importlib.util.find_spec``), so that every command says it before any work
    rather than as an import error deep in a paper (which would then read as "not implemented")."""
    name = keras_backend_name()
    where = "KERAS_BACKEND" if os.environ.get("KERAS_BACKEND") else "Keras's default or ~/.keras/keras.json"
    if name not in BACKENDS:
        return (f"Keras backend {name!r} ({where}) is not one Keras knows; expected one of {', '.join(BACKENDS)} "
                "(the papers run on tensorflow, jax or torch)")
    if importlib.util.find_spec("keras") is None:
        return "Keras is not installed; pip install keras (and a backend: tensorflow, jax or torch)"
    package, install = BACKENDS[name]
    if importlib.util.find_spec(package) is None:
        return (f"Keras backend {name!r} ({where}) cannot be loaded: the package {package!r} is not installed; "
                f"{install}, or set KERAS_BACKEND to an installed backend")
    return None


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


_TRAINED_ON: dict[str, str] = {}


def trained_on() -> dict[str, str]:
    """Where this process trains, for a fold record (``trained_on``, shipped with the fold: a run whose folds were
    trained on several machines says which on which): ``{"device", "backend"}`` as :func:`device_label` gives them,
    once Keras is loaded (asked once a process); ``{}`` before, where nothing was trained with it."""
    if not _TRAINED_ON and "keras" in sys.modules:
        device, backend = device_label()
        _TRAINED_ON.update(device=device, backend=backend)
    return dict(_TRAINED_ON)


def peak_rss_bytes() -> int | None:
    """The process's peak resident set size so far (``ru_maxrss``: KiB on Linux, bytes on macOS); None where
    ``resource`` does not exist (Windows)."""
    try:
        import resource  # deferred: absent on Windows, where the peak is then unknown
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
