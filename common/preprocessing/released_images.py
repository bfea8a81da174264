"""Reading the images of the authors' released inputs of the MEGC 2019 composite (``common.datasets.released``
finds them and makes the samples): the 28x28 flow images, which replace a flow method's own flow stage
(:func:`released_flow_images`), and HTNet's 224x224 apex face crops. Here, below the data layer, so that the
preprocessing stages read them without importing the loaders."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from common.preprocessing.io import FrameReadError, decode_image

SIZE = 28  # every flow image: 28x28x3 (STSTNet Sec. II)
CROP_SIZE = 224  # HTNet's apex crops


class ReleasedImageError(FrameReadError):
    """A released image that does not decode, or is not of the size and type expected."""


def _decoded(path: str | Path, flag: int) -> np.ndarray | None:
    """``common.preprocessing.io.decode_image`` (a header claiming more pixels than any image is not decoded), its
    refusal as a :class:`ReleasedImageError`."""
    try:
        return decode_image(path, flag)
    except FrameReadError as error:
        raise ReleasedImageError(str(error)) from None


def _released(path: str | Path, size: int, what: str) -> np.ndarray:
    """The image at ``path`` decoded unchanged (``IMREAD_COLOR`` would make any image 3-channel 8-bit), as
    ``cv2.imread`` orders its channels; ``ReleasedImageError`` naming the file unless it is ``size`` x ``size`` x 3
    8-bit, the released ``what``."""
    image = _decoded(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ReleasedImageError(f"{path}: not a readable image; expected the released {size}x{size}x3 8-bit {what}")
    if image.dtype != np.uint8 or image.shape != (size, size, 3):
        raise ReleasedImageError(f"{path}: {image.shape[1] if image.ndim > 1 else '?'}x{image.shape[0]}"
                                 f"{'x' + str(image.shape[2]) if image.ndim == 3 else ''} {image.dtype}; expected "
                                 f"the released {size}x{size}x3 8-bit {what}")
    return image


def read_flow_image(path: str | Path) -> np.ndarray:
    """(28, 28, 3) uint8 in the authors' channel order u, v, optical strain (MATLAB's ``imageDatastore``
    reads the files as R, G, B; ``cv2.imread`` would give B, G, R: strain, v, u). ``ReleasedImageError``
    naming the file when it does not decode or is not 28x28x3 8-bit."""
    return np.ascontiguousarray(_released(path, SIZE, "flow image")[..., ::-1])


def read_apex_crop(path: str | Path) -> np.ndarray:
    """The (224, 224, 3) uint8 apex face crop as ``cv2.imread`` gives it (B, G, R: HTNet's code reads it so);
    ``ReleasedImageError`` naming the file when it does not decode or is not 224x224x3 8-bit (all 442 released
    crops are): a 1x1 or 16-bit grey image, which ``IMREAD_COLOR`` would make 3-channel 8-bit, would otherwise pass
    to the points' 28-pixel resize silently."""
    return _released(path, CROP_SIZE, "apex face crop")


def released_flow_images(sample, size: int) -> np.ndarray:
    """(28, 28, 3) float32 in [0, 1]: the authors' released flow image of the clip (u, v, strain, each stored
    as 0..255 by their own IPOL TV-L1 flow and strain chain), divided by 255, so that a method's
    ``stored_levels`` gives back the file's integers exactly. ``size`` must be 28: the images are never
    resized (a ``ValueError`` naming the setting)."""
    if int(size) != SIZE:
        raise ValueError(f"data.size={size}: the released flow images are {SIZE}x{SIZE}; set data.size={SIZE}")
    return read_flow_image(sample.meta["flow_image"]).astype(np.float32) / 255.0
