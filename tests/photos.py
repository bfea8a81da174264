"""Test photographs shared by the test modules: computed once per test session."""
from __future__ import annotations

import functools

import numpy as np
from skimage import data

from common.preprocessing import faces


@functools.lru_cache(maxsize=1)
def astronaut() -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's astronaut photograph and its 68 dlib landmarks (one detection per session)."""
    image = data.astronaut()
    return image, faces.landmarks(image)
