"""Motion features of the field's baselines: optical flow, optical strain, Bi-WOOF histograms,
LBP-TOP and the apex rule for clips without an apex annotation (docs/methods.md, "Motion features").

Pure functions on arrays (no file access); the cached per-clip stages built on them are in
``common.preprocessing.motion_stages``.

* ``optical_flow``: TV-L1 (Zach, Pock and Bischof, DAGM 2007), the flow the MEGC 2019 baselines
  (Bi-WOOF, OFF-ApexNet, STSTNet) computed between onset and apex with IPOL's implementation (Sanchez
  Perez, Meinhardt-Llopis and Facciolo, IPOL 2013, article 26); ours is OpenCV's port of it, given
  IPOL's pre-processing and border behaviour; Farneback (SCIA 2003) is a recorded option.
* ``optical_strain``: the magnitude of the infinitesimal strain tensor of the flow field
  (Liong et al., ACPR 2015 / Signal Processing: Image Communication 2018), with the backward
  differences of the authors' group's ``os.m``.
* ``weighted_orientation_histograms``: Bi-WOOF (Liong, See, Wong and Phan, Signal Processing:
  Image Communication 2018, section 3.3).
* ``lbp_top``: LBP on three orthogonal planes (Zhao and Pietikainen, IEEE TPAMI 2007).
* ``motion_apex_position``: the apex of a clip without annotation (SMIC), after the apex spotting of
  Liong et al. (2015, 2016): largest feature difference from the onset frame.
"""
from __future__ import annotations

import dataclasses
import functools
import warnings

import cv2
import numpy as np

FLOW_METHODS = ("tvl1", "farneback")
STRAIN_SCHEMES = ("backward", "central")
LBP_METHODS = ("default", "uniform", "nri_uniform")
# Bi-WOOF: where the blocks lie and how orientations are binned (``weighted_orientation_histograms``)
BLOCK_LAYOUTS = ("partition", "authors")
ORIENTATION_BINNINGS = ("circle", "authors_histc")
# LBP-TOP: how the histograms are normalised and where the blocks lie (``lbp_top``)
LBP_NORMALISATIONS = ("per_histogram", "whole")
LBP_BLOCK_LAYOUTS = ("partition", "reference")


@dataclasses.dataclass(frozen=True)
class TVL1Parameters:
    """TV-L1 as the baselines' authors ran it: IPOL's ``tvl1flow`` (article 26, 2013) with its default
    parameters, which the STSTNet README names and the group's ``run_my_data.m`` calls without
    arguments. The solver is OpenCV's port of IPOL's code (``cv2.optflow.DualTVL1OpticalFlow``); the
    fields below make it compute what IPOL computes where the two differ (README ledgers, flow rows;
    docs/methods.md 11.2; measured against a numpy transcription of the article in
    ``benchmarks/bench_flow_reference.py``).

    tau, lambda, theta, 5 warps, epsilon 0.01 and at most 300 iterations per warp (30 inner x 10 outer
    here) are IPOL's defaults too. IPOL's pyramid halves the image (zfactor 0.5) after a Gaussian
    anti-aliasing filter; OpenCV resizes without one, so at 0.5 its coarse levels alias (v then
    correlates as little as 0.20 with IPOL's, measured): OpenCV's 0.8 step is kept. Its median filter
    (IPOL has none) is kept too: without it the strain agrees less with IPOL's (r 0.867 against 0.894
    at worst, measured)."""

    tau: float = 0.25  # time step of the numerical scheme (IPOL and OpenCV default)
    lambda_: float = 0.15  # weight of the data term, on 0..255 intensities (IPOL and OpenCV default)
    theta: float = 0.3  # coupling of the two variables of the dual formulation
    nscales: int = 5  # pyramid levels (OpenCV's: down to 52 px from 128 px; IPOL's 4 reach 16 px)
    warps: int = 5  # warpings per level
    epsilon: float = 0.01  # stopping threshold: mean squared update below epsilon^2
    inner_iterations: int = 30
    outer_iterations: int = 10
    scale_step: float = 0.8  # pyramid downscaling factor (OpenCV's; see above)
    gamma: float = 0.0  # no illumination-change term
    median_filtering: int = 5  # median filter of the flow between warps (OpenCV's; see above)
    # IPOL (tvl1flow_lib.c, Dual_TVL1_optic_flow_multiscale): both images stretched together to
    # 0..255 and smoothed by a Gaussian of sigma 0.8 px before the pyramid; OpenCV does neither.
    normalise: bool = True
    presmoothing: float = 0.8
    # IPOL's warp (bicubic_interpolation.c, border_out) gives a pixel whose bicubic support leaves the
    # image no data term, so the TV term alone fills the outer 1 to 2 px from inside; OpenCV's remap
    # samples zeros there instead, and the false residual puts spikes of 1 to 10 px (measured on faces
    # and textures) in the outer 3 px. DEVIATION (from OpenCV, towards IPOL): the outer ``border`` px of
    # the flow are replaced by the nearest interior flow (what TV gives without data: a constant
    # extension; 3 to 6 px agree alike with IPOL's chain, docs/performance.md).
    border: int = 4


@dataclasses.dataclass(frozen=True)
class FarnebackParameters:
    """``cv2.calcOpticalFlowFarneback`` parameters: the values of OpenCV's own documentation
    example (Farneback 2003 gives none for faces)."""

    pyr_scale: float = 0.5
    levels: int = 3
    winsize: int = 15
    iterations: int = 3
    poly_n: int = 5
    poly_sigma: float = 1.2
    flags: int = 0


TVL1 = TVL1Parameters()
FARNEBACK = FarnebackParameters()


def _grey(image, name: str) -> np.ndarray:
    """(H, W) float32 grey in the image's own range (colour (H, W, 3) RGB is converted)."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = cv2.cvtColor(array[..., :3].astype(np.float32), cv2.COLOR_RGB2GRAY)
    if array.ndim != 2:
        raise ValueError(f"{name}: expected a grey (H, W) or colour (H, W, 3) image, got shape {array.shape}")
    return array.astype(np.float32)


def _tvl1_solver(p: TVL1Parameters):
    """A new solver per call (cheap): an OpenCV algorithm object is not shared between threads."""
    return cv2.optflow.DualTVL1OpticalFlow.create(
        tau=p.tau, lambda_=p.lambda_, theta=p.theta, nscales=p.nscales, warps=p.warps, epsilon=p.epsilon,
        innnerIterations=p.inner_iterations, outerIterations=p.outer_iterations, scaleStep=p.scale_step,
        gamma=p.gamma, medianFiltering=p.median_filtering, useInitialFlow=False)


def optical_flow(first, second, method: str = "tvl1", tvl1: TVL1Parameters = TVL1) -> np.ndarray:
    """(H, W, 2) float32 flow (u, v): horizontal and vertical displacement in pixels of each pixel
    of ``first`` to ``second``: ``second[y + v, x + u] ~ first[y, x]``.

    ``first`` and ``second``: grey images (uint8 or float) of one size; colour (RGB) is converted to
    grey. Float images are rescaled to 0..255 when their range is at most 1, then both are rounded to
    8 bits (the frames are 8-bit; the methods' parameters assume 8-bit intensities). ``method``:
    "tvl1" (IPOL's chain, :func:`_tvl1_flow`, with ``tvl1``: ``TVL1`` unless a study passes others;
    ``TVL1Parameters(normalise=False, presmoothing=0.0, border=0)`` is OpenCV's TV-L1 alone, the
    suite's former flow) or "farneback" (``FARNEBACK``).
    """
    if method not in FLOW_METHODS:
        raise ValueError(f"method={method!r}: expected one of {FLOW_METHODS}")
    a, b = _grey(first, "first"), _grey(second, "second")
    if a.shape != b.shape:
        raise ValueError(f"optical_flow: images of different sizes {a.shape} and {b.shape}")
    if max(float(np.abs(a).max(initial=0)), float(np.abs(b).max(initial=0))) <= 1.0:
        a, b = a * 255.0, b * 255.0
    a8 = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    b8 = np.clip(np.rint(b), 0, 255).astype(np.uint8)
    if method == "tvl1":
        flow = _tvl1_flow(a8, b8, tvl1)
    else:
        p = FARNEBACK
        flow = cv2.calcOpticalFlowFarneback(  # type: ignore[call-overload]  # flow None: OpenCV allocates it
            a8, b8, None, p.pyr_scale, p.levels, p.winsize, p.iterations, p.poly_n, p.poly_sigma, p.flags)
    return np.asarray(flow, dtype=np.float32)


def _tvl1_flow(first: np.ndarray, second: np.ndarray, p: TVL1Parameters) -> np.ndarray:
    """TV-L1 of two uint8 images as IPOL's ``tvl1flow`` computes it (parameters ``p``): the two images
    stretched together to 0..255 and smoothed (IPOL's pre-processing), OpenCV's solver, then the outer
    band of the flow filled from inside (IPOL's border, see ``TVL1Parameters.border``)."""
    a: np.ndarray = first.astype(np.float32)  # float32 throughout: OpenCV's solver takes CV_32F or CV_8U
    b: np.ndarray = second.astype(np.float32)
    low, high = min(float(a.min()), float(b.min())), max(float(a.max()), float(b.max()))
    if p.normalise and high > low:
        a, b = (a - low) * (255.0 / (high - low)), (b - low) * (255.0 / (high - low))
    if p.presmoothing > 0:
        a = cv2.GaussianBlur(a, (0, 0), p.presmoothing, borderType=cv2.BORDER_REFLECT_101)
        b = cv2.GaussianBlur(b, (0, 0), p.presmoothing, borderType=cv2.BORDER_REFLECT_101)
    # OpenCV reads float32 images as 0..1 intensities (it multiplies them by 255): lambda keeps its scale.
    flow = _tvl1_solver(p).calc(a / 255.0, b / 255.0, None)
    return fill_border(flow, p.border)


def fill_border(image, band: int) -> np.ndarray:
    """``image`` (H, W[, C]) with its outer ``band`` pixels replaced by the nearest pixel of the interior
    (``cv2.copyMakeBorder``, ``BORDER_REPLICATE``). The band is capped at a quarter of the smaller
    side, so that half of each side stays measured; 0 leaves the image as it is."""
    image = np.asarray(image)
    band = min(int(band), min(image.shape[:2]) // 4)
    if band <= 0:
        return image
    inner = np.ascontiguousarray(image[band:-band, band:-band])
    return cv2.copyMakeBorder(inner, band, band, band, band, cv2.BORDER_REPLICATE).reshape(image.shape)


def _check_flow(flow) -> np.ndarray:
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"expected an (H, W, 2) flow (u, v), got shape {flow.shape}")
    return flow


def optical_strain(flow, scheme: str = "backward") -> np.ndarray:
    """(H, W) float32 optical strain magnitude of an (H, W, 2) flow (u, v):
    ``sqrt(u_x^2 + v_y^2 + 1/2 (u_y + v_x)^2)``, the Frobenius norm of the infinitesimal strain
    tensor ``1/2 (grad w + grad w^T)`` (its two off-diagonal terms are each ``1/2 (u_y + v_x)``), as
    Liong et al. 2018 (section 3.2) define it; x along columns, y along rows.

    ``scheme`` "backward" (the default): backward differences, ``u_x[y, x] = u[y, x] - u[y, x - 1]``,
    0 in the first column (and likewise along rows), as the authors' group computes it (``os.m`` of
    IcedDoggie/Micro-Expression-with-Deep-Learning, External-Tools/tvl1flow_3, lines 28-33: the
    first column and row repeated before differencing, the same formula). "central": central
    differences (``np.gradient``, one-sided at the border), the suite's former choice."""
    flow = _check_flow(flow).astype(np.float64)
    if scheme not in STRAIN_SCHEMES:
        raise ValueError(f"scheme={scheme!r}: expected one of {STRAIN_SCHEMES}")
    u, v = flow[..., 0], flow[..., 1]
    if scheme == "backward":
        u_x, v_x = (np.diff(c, axis=1, prepend=c[:, :1]) for c in (u, v))
        u_y, v_y = (np.diff(c, axis=0, prepend=c[:1, :]) for c in (u, v))
    else:
        u_y, u_x = np.gradient(u)
        v_y, v_x = np.gradient(v)
    return np.sqrt(u_x ** 2 + v_y ** 2 + 0.5 * (u_y + v_x) ** 2).astype(np.float32)


def block_edges(length: int, blocks: int) -> np.ndarray:
    """``blocks + 1`` integer edges splitting ``length`` pixels into near-equal blocks
    (``np.linspace``, rounded down: every pixel belongs to exactly one block)."""
    if not 1 <= blocks <= length:
        raise ValueError(f"cannot split {length} pixels into {blocks} blocks")
    return np.linspace(0, length, blocks + 1).astype(np.int64)


def block_ranges(length: int, blocks: int, layout: str = "partition") -> list[tuple[int, int]]:
    """Pixel ranges ``[start, stop)`` of ``blocks`` blocks along one axis of ``length`` pixels.

    * ``"partition"``: consecutive ``block_edges`` (every pixel in exactly one block).
    * ``"authors"``: the blocks of the Bi-WOOF authors' ``biwoof.m`` (christy1206/biwoof, lines 36-60),
      worked out from its 1-based inclusive ranges: with ``s = length // blocks``, block 0 covers
      ``[0, s + 1)``, block k (0 < k < blocks - 1) ``[k s - 1, (k + 1) s + 1)`` and the last block
      ``[(blocks - 1) s - 1, length)``. Neighbouring blocks share two pixels; the first block has
      ``s + 1`` pixels, the middle ones ``s + 2``, the last one the rest (29 of 128 with 5 blocks).
      One block is the whole axis (the code's first-block rule would run one pixel past the edge).
    """
    length, blocks = int(length), int(blocks)
    if not 1 <= blocks <= length:
        raise ValueError(f"cannot split {length} pixels into {blocks} blocks")
    if layout == "partition":
        edges = block_edges(length, blocks)
        return [(int(edges[k]), int(edges[k + 1])) for k in range(blocks)]
    if layout != "authors":
        raise ValueError(f"layout={layout!r}: expected one of {BLOCK_LAYOUTS}")
    step = length // blocks
    ranges = []
    for k in range(blocks):
        start = 0 if k == 0 else k * step - 1
        stop = length if k == blocks - 1 else (k + 1) * step + 1
        ranges.append((start, stop))
    return ranges


def _grid(grid) -> tuple[int, int]:
    rows, cols = (int(g) for g in grid)
    if rows < 1 or cols < 1:
        raise ValueError(f"grid={grid!r}: expected (rows, cols) of positive integers")
    return rows, cols


def orientation_bins(flow, bins: int = 8, binning: str = "circle") -> np.ndarray:
    """(H, W) int bin of each pixel's flow orientation ``theta = atan2(v, u)`` (radians, in
    ``(-pi, pi]``; v positive downwards, image rows), -1 where the binning leaves the pixel out.

    * ``"circle"``: ``bins`` equal sectors of ``2 pi / bins`` starting at ``-pi``, bin k =
      ``[-pi + k w, -pi + (k + 1) w)`` (``theta = pi`` wraps to bin 0): every orientation is counted.
    * ``"authors_histc"``: the Bi-WOOF authors' binning (``biwoof.m`` line 71: ``weightedhistc`` over
      the degree edges ``-180 : 360 / bins : 179``, which counts ``edges[k] <= theta < edges[k + 1]``
      in bin k and only ``theta == edges[-1]`` in the last bin, as MATLAB's ``histc``): with 8 bins,
      bins 0-6 as the circle's, bin 7 only exactly 135 degrees; (135, 180] degrees is left out (-1).

    With 8 bins, rightward flow (angle 0) falls in bin 4 = [0, 45) degrees (``orientation_bin_of(0.0)``)."""
    flow = _check_flow(flow).astype(np.float64)
    # in float64: a float32 angle misses the exact edges (float32(-pi / 2) lies below -pi / 2, so
    # upward flow would fall in the bin below -90 degrees)
    theta = np.arctan2(flow[..., 1], flow[..., 0])
    if binning == "circle":
        return orientation_bin_of(theta, bins)
    if binning != "authors_histc":
        raise ValueError(f"binning={binning!r}: expected one of {ORIENTATION_BINNINGS}")
    degrees = np.degrees(theta)
    edges = -180.0 + (360.0 / bins) * np.arange(bins)
    index = np.searchsorted(edges, degrees, side="right") - 1  # edges[k] <= theta < edges[k + 1]
    past_last = (index == bins - 1) & (degrees != edges[-1])  # histc: the last bin holds the last edge only
    return np.where(past_last, -1, index).astype(np.int64)


def orientation_bin_of(theta, bins: int = 8):
    """Bin (``orientation_bins``, the circle's binning) of angle(s) ``theta`` in radians."""
    width = 2 * np.pi / bins
    index = np.floor((np.asarray(theta, dtype=np.float64) + np.pi) / width).astype(np.int64) % bins
    return int(index) if np.ndim(index) == 0 else index


def weighted_orientation_histograms(flow, strain, grid=(5, 5), bins: int = 8, layout: str = "partition",
                                    binning: str = "circle") -> np.ndarray:
    """Bi-WOOF features, (rows * cols * bins,) float32 (Liong, See, Wong and Phan 2018, section 3.3;
    details the text leaves open from the authors' public MATLAB code ``biwoof.m``, read, not copied).

    1. The flow and its strain are divided into ``grid`` blocks (rows x cols; 5 x 5 in the paper and
       the code), laid out by ``layout`` (``block_ranges``): ``"partition"`` (every pixel in one
       block) or ``"authors"`` (``biwoof.m``'s blocks: neighbours share two pixels, the last is larger).
    2. Local weight: in each block, the histogram of the flow orientation over ``bins`` sectors
       (``orientation_bins`` with ``binning``: ``"circle"`` counts every orientation, ``"authors_histc"``
       leaves out (135, 180] degrees with 8 bins as the code's ``histc`` does; 8 bins in the code) in
       which each pixel votes with its flow magnitude ``sqrt(u^2 + v^2)``; the block's histogram is
       normalised to sum 1 (all zeros when no counted pixel of the block moves).
    3. Global weight: each block's histogram is multiplied by the block's optical strain, the mean of
       its strain magnitudes (the paper's average; the code sums them, which
       ``papers.liong2018.preprocessing.biwoof`` reproduces).
    4. The concatenated histograms are normalised to unit L2 norm (the code's last step; all zeros
       stay zeros).

    Blocks in row-major order, bins in angle order. The defaults (``"partition"``, ``"circle"``) are the
    suite's general reading; liong2018's paper profile passes the authors' (its README ledger).
    """
    flow = _check_flow(flow)
    strain = np.asarray(strain, dtype=np.float32)
    if strain.shape != flow.shape[:2]:
        raise ValueError(f"strain of shape {strain.shape} does not match the flow's {flow.shape[:2]}")
    if bins < 1:
        raise ValueError(f"bins={bins}: expected a positive number of orientation bins")
    rows, cols = _grid(grid)
    height, width = strain.shape
    magnitude = np.hypot(flow[..., 0], flow[..., 1]).astype(np.float64)
    sector = orientation_bins(flow, bins, binning)
    row_ranges, col_ranges = block_ranges(height, rows, layout), block_ranges(width, cols, layout)
    out: np.ndarray = np.zeros((rows, cols, bins), dtype=np.float64)
    for r, (y0, y1) in enumerate(row_ranges):
        for c, (x0, x1) in enumerate(col_ranges):
            block_sector = sector[y0:y1, x0:x1].ravel()
            counted = block_sector >= 0  # the histc binning leaves some orientations out
            local = np.bincount(block_sector[counted], weights=magnitude[y0:y1, x0:x1].ravel()[counted],
                                minlength=bins)
            if local.sum() > 0:
                out[r, c] = local / local.sum() * float(strain[y0:y1, x0:x1].mean(dtype=np.float64))
    out = out.reshape(-1)
    norm = float(np.linalg.norm(out))
    return (out / norm if norm > 0 else out).astype(np.float32)


# ----------------------------------------------------------------------------- LBP-TOP
def lbp_bins(points: int, method: str = "nri_uniform") -> int:
    """Number of labels of ``skimage.feature.local_binary_pattern`` for ``points`` neighbours:
    "default" 2^P, "uniform" (rotation-invariant uniform) P + 2, "nri_uniform" P (P - 1) + 3."""
    if method not in LBP_METHODS:
        raise ValueError(f"method={method!r}: expected one of {LBP_METHODS}")
    return {"default": 2 ** points, "uniform": points + 2, "nri_uniform": points * (points - 1) + 3}[method]


@functools.cache
def _label_table(points: int, method: str) -> np.ndarray:
    """Label of every 'default' code (bit p = neighbour p >= centre), as skimage assigns it."""
    codes = np.arange(2 ** points)
    bits = (codes[:, None] >> np.arange(points)[None, :]) & 1
    if method == "default":
        return codes
    changes = (bits != np.roll(bits, -1, axis=1)).sum(1)
    ones = bits.sum(1)
    if method == "uniform":
        return np.where(changes <= 2, ones, points + 1)
    labels = np.full(len(codes), points * (points - 1) + 2)
    for code in range(len(codes)):
        if changes[code] > 2:
            continue
        n = int(ones[code])
        if n == 0:
            labels[code] = 0
        elif n == points:
            labels[code] = points * (points - 1) + 1
        else:
            first_one = int(np.argmax(bits[code] == 1))
            first_zero = int(np.argmax(bits[code] == 0))
            rot = n - first_zero if first_one == 0 else points - first_one
            labels[code] = 1 + (n - 1) * points + rot
    return labels


def _plane_codes(volume: np.ndarray, axes: tuple[int, int], radii: tuple[float, float], points: int,
                 interior: tuple[slice, slice, slice]) -> np.ndarray:
    """'default' LBP codes of the interior voxels of a (T, H, W) float64 volume on the plane spanned by
    ``axes`` (row axis, column axis of the plane), neighbours on the ellipse of ``radii`` (row radius,
    column radius) sampled with bilinear interpolation, in skimage's order and orientation (neighbour
    p at row offset -r_row sin(2 pi p / P), column offset r_col cos(2 pi p / P))."""
    centre = volume[interior]
    codes = np.zeros(centre.shape, dtype=np.int64)
    angles = 2 * np.pi * np.arange(points) / points
    row_off = np.round(-radii[0] * np.sin(angles), 5)
    col_off = np.round(radii[1] * np.cos(angles), 5)
    for p in range(points):
        value = np.zeros(centre.shape)
        for d_row, w_row in _linear_taps(row_off[p]):
            for d_col, w_col in _linear_taps(col_off[p]):
                shift = [0, 0, 0]
                shift[axes[0]], shift[axes[1]] = d_row, d_col
                view = tuple(slice(s.start + d, s.stop + d) for s, d in zip(interior, shift))
                value += w_row * w_col * volume[view]
        codes |= (value - centre >= 0).astype(np.int64) << p
    return codes


def _linear_taps(offset: float) -> list[tuple[int, float]]:
    low = int(np.floor(offset))
    frac = float(offset - low)
    return [(low, 1.0)] if frac == 0 else [(low, 1.0 - frac), (low + 1, frac)]


def lbp_top(volume, grid=(5, 5), radii=(1, 1, 1), points=(8, 8, 8), method: str = "nri_uniform",
            normalisation: str = "per_histogram", blocks: str = "partition") -> np.ndarray:
    """LBP-TOP of a (T, H, W) grey volume (Zhao and Pietikainen 2007), (rows * cols * (b_XY + b_XT +
    b_YT),) float32, b the number of labels of each plane (``lbp_bins``; ``blocks * 3 * bins`` when
    the three planes have the same number of points).

    ``radii = (R_X, R_Y, R_T)`` and ``points = (P_XY, P_XT, P_YT)`` as in the paper's notation
    LBP-TOP_{P_XY, P_XT, P_YT, R_X, R_Y, R_T}: the XY plane samples its P_XY neighbours on the ellipse
    of radii (R_Y, R_X), the XT plane on (R_T, R_X), the YT plane on (R_T, R_Y). Codes with the
    labels of ``skimage.feature.local_binary_pattern(method=...)``; that function computes the planes
    whose two radii are equal (the library has circular neighbourhoods only); a plane with unequal
    radii uses the same bilinear sampling on the ellipse (equal to skimage's on circles, tested).

    Only voxels whose whole neighbourhood lies inside the volume are coded (R_T <= t < T - R_T,
    R_Y <= y < H - R_Y, R_X <= x < W - R_X, radii rounded up), as Zhao and Pietikainen's
    implementation does (it uses max(R_X, R_Y) for both spatial borders). Each voxel counts in the
    spatial block of ``grid`` (rows x cols) that holds it, by ``blocks``:

    * ``"partition"``: ``block_edges`` of the whole frame (rows of ``H`` pixels, the border included);
    * ``"reference"``: the block ``LBPTOP.m`` (Zhao's group's MATLAB, the block version) gives it: the
      coded rows ``H - 2 R_Y`` split into blocks of ``floor((H - 2 R_Y) / rows)`` from the first coded
      row, the last block taking the remainder (the same in x; no overlap, one time block).

    Per block the XY, XT and YT histograms are concatenated, blocks in row-major order, and normalised
    by ``normalisation``:

    * ``"per_histogram"``: each block's XY, XT and YT histogram divided by its own sum (each sums to 1);
    * ``"whole"``: the whole vector divided by its sum once (it sums to 1; every coded voxel counts once
      per plane), as ``LBPTOP.m`` does (``Histogram./sum(Histogram)``); a block's entries are then its
      per-histogram ones times (its coded voxels) / (3 x all coded voxels), about 1 / (3 x blocks).

    The defaults are the suite's general reading; see2019's paper profile passes the reference's (its
    README ledger). The neighbours' start and direction follow skimage; the authors' code starts the
    YT circle elsewhere: a fixed relabelling of the non-rotation-invariant bins, invisible to a classifier.
    """
    from skimage.feature import local_binary_pattern

    volume = np.asarray(volume)
    if volume.ndim == 4 and volume.shape[3] in (3, 4):
        volume = np.stack([_grey(frame, "volume frame") for frame in volume])
    if volume.ndim != 3:
        raise ValueError(f"lbp_top: expected a (T, H, W) grey volume, got shape {volume.shape}")
    source = volume  # skimage codes integer images exactly; it warns on floating-point ones
    volume = volume.astype(np.float64)
    rows, cols = _grid(grid)
    r_x, r_y, r_t = (float(r) for r in radii)
    p_xy, p_xt, p_yt = (int(p) for p in points)
    if min(r_x, r_y, r_t) <= 0 or min(p_xy, p_xt, p_yt) < 1:
        raise ValueError(f"radii={radii}, points={points}: expected positive radii and point counts")
    if method not in LBP_METHODS:
        raise ValueError(f"method={method!r}: expected one of {LBP_METHODS}")
    if normalisation not in LBP_NORMALISATIONS:
        raise ValueError(f"normalisation={normalisation!r}: expected one of {LBP_NORMALISATIONS}")
    if blocks not in LBP_BLOCK_LAYOUTS:
        raise ValueError(f"blocks={blocks!r}: expected one of {LBP_BLOCK_LAYOUTS}")
    n_t, height, width = volume.shape
    b_t, b_y, b_x = (int(np.ceil(r)) for r in (r_t, r_y, r_x))
    if n_t <= 2 * b_t or height <= 2 * b_y or width <= 2 * b_x:
        raise ValueError(f"lbp_top: a (T, H, W) = {volume.shape} volume has no voxel at distance "
                         f">= radii (R_T, R_Y, R_X) = ({r_t:g}, {r_y:g}, {r_x:g}) from its borders")
    interior = (slice(b_t, n_t - b_t), slice(b_y, height - b_y), slice(b_x, width - b_x))

    planes = []  # (codes of the interior voxels, points)
    # XY: rows y, columns x; XT: rows t, columns x; YT: rows t, columns y
    for axes, plane_radii, p in (((1, 2), (r_y, r_x), p_xy), ((0, 2), (r_t, r_x), p_xt),
                                 ((0, 1), (r_t, r_y), p_yt)):
        if plane_radii[0] == plane_radii[1]:
            codes = _skimage_plane(source, axes, plane_radii[0], p, method, local_binary_pattern)[interior]
        else:
            codes = _label_table(p, method)[_plane_codes(volume, axes, plane_radii, p, interior)]
        planes.append((np.asarray(codes, dtype=np.int64), p))

    # each interior voxel's block
    if blocks == "partition":  # the block (of the whole frame's grid) holding its (y, x)
        row_block = _block_of(block_edges(height, rows), np.arange(b_y, height - b_y))
        col_block = _block_of(block_edges(width, cols), np.arange(b_x, width - b_x))
    else:
        row_block = _reference_blocks(height - 2 * b_y, rows)
        col_block = _reference_blocks(width - 2 * b_x, cols)
    counts = [_block_counts(codes, row_block, col_block, rows, cols, lbp_bins(p, method)).astype(np.float64)
              for codes, p in planes]  # (blocks, bins) of each plane
    if normalisation == "per_histogram":
        counts = [c / np.maximum(c.sum(axis=1, keepdims=True), 1.0) for c in counts]  # an empty block stays 0
    histograms = np.concatenate(counts, axis=1)  # per block: XY, XT, YT
    if normalisation == "whole":
        histograms = histograms / histograms.sum()  # > 0: the volume has a coded voxel (checked above)
    return histograms.reshape(-1).astype(np.float32)


def _reference_blocks(coded: int, blocks: int) -> np.ndarray:
    """Block of each of ``coded`` consecutive coded rows (or columns) as ``LBPTOP.m`` assigns it (no
    overlap): blocks of ``coded // blocks`` from the first coded row, the last block taking the rest."""
    size = coded // blocks
    if size < 1:
        raise ValueError(f"lbp_top: cannot split {coded} coded pixels into {blocks} blocks")
    return np.minimum(np.arange(coded) // size, blocks - 1)


def _block_of(edges: np.ndarray, coordinates: np.ndarray) -> np.ndarray:
    """Index of the block (between consecutive ``edges``) holding each coordinate."""
    return np.searchsorted(edges, coordinates, side="right") - 1


def _block_counts(codes: np.ndarray, row_block: np.ndarray, col_block: np.ndarray, rows: int, cols: int,
                  bins: int) -> np.ndarray:
    """(rows * cols, bins) counts of the labels ``codes`` (N, h, w) per block, summed over N; pixel
    (y, x) belongs to block ``row_block[y] * cols + col_block[x]``."""
    block = row_block[:, None] * cols + col_block[None, :]
    flat = (block[None] * bins + codes).ravel()
    return np.bincount(flat, minlength=rows * cols * bins).reshape(rows * cols, bins)


def _skimage_plane(volume, axes, radius, points, method, local_binary_pattern) -> np.ndarray:
    """(T, H, W) skimage labels of every slice of the volume on the plane ``axes``."""
    moved = np.moveaxis(volume, axes, (1, 2))  # (other, rows, cols)
    with warnings.catch_warnings():  # float volumes: compared as they are, like the elliptical planes
        warnings.filterwarnings("ignore", message="Applying `local_binary_pattern` to floating-point")
        labels = np.stack([local_binary_pattern(np.ascontiguousarray(plane), points, radius, method=method)
                           for plane in moved])
    return np.moveaxis(labels, (1, 2), axes).astype(np.int64)


# ----------------------------------------------------------------------------- apex
APEX_GRID = (6, 6)  # blocks of the apex rule's LBP histograms
APEX_POINTS, APEX_RADIUS = 8, 1  # LBP of the apex rule


def apex_feature_differences(frames, grid=APEX_GRID) -> np.ndarray:
    """(T,) feature difference of every frame of a (T, H, W) grey face sequence from its first
    (onset) frame: the per-block LBP histograms (P = 8, R = 1, uniform codes, ``grid`` blocks, each
    histogram normalised) compared by the chi-square distance sum_i (a_i - b_i)^2 / (a_i + b_i),
    summed over the blocks (frame 0 scores 0)."""
    from skimage.feature import local_binary_pattern

    frames = np.asarray(frames)
    if frames.ndim == 4 and frames.shape[3] in (3, 4):
        frames = np.stack([_grey(frame, "frame") for frame in frames])
    if frames.ndim != 3 or len(frames) == 0:
        raise ValueError(f"expected a non-empty (T, H, W) grey face sequence, got shape {frames.shape}")
    rows, cols = _grid(grid)
    n_bins = APEX_POINTS + 2
    row_block = _block_of(block_edges(frames.shape[1], rows), np.arange(frames.shape[1]))
    col_block = _block_of(block_edges(frames.shape[2], cols), np.arange(frames.shape[2]))
    if not np.issubdtype(frames.dtype, np.integer):
        frames = np.clip(np.rint(frames * (255.0 if frames.max(initial=0) <= 1 else 1.0)), 0, 255).astype(np.uint8)
    histograms = np.zeros((len(frames), rows * cols, n_bins))
    for t, frame in enumerate(frames):
        codes = local_binary_pattern(frame, APEX_POINTS, APEX_RADIUS, "uniform").astype(np.int64)
        counts = _block_counts(codes[None], row_block, col_block, rows, cols, n_bins)
        histograms[t] = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    onset = histograms[0]
    total = histograms + onset
    difference = np.where(total > 0, (histograms - onset) ** 2 / np.where(total > 0, total, 1), 0.0)
    return difference.sum(axis=(1, 2))


def motion_apex_position(frames) -> int:
    """THE apex rule for a clip without an apex annotation (SMIC): the index of the frame of a
    (T, H, W) grey face sequence whose feature difference from the onset (first) frame is largest
    (``apex_feature_differences``; the first such frame on ties; 0 for a one-frame clip).

    After Liong et al.'s apex spotting (ACPR 2015; ACCV Workshops 2016), which Bi-WOOF and OFF-ApexNet
    used for SMIC: block LBP histograms of each frame compared with the onset frame's. Liong et al.
    search the peak of that curve by divide and conquer on facial regions chosen from action units and
    landmarks; we take the largest value over every frame of the whole face (the same answer when the
    curve has one peak, never a worse one by the criterion, and no region choice). The chi-square
    distance is ours (that of Moilanen, Zhao and Pietikainen's feature-difference spotting, ICPR 2014).
    docs/methods.md section 11.6.
    """
    return int(np.argmax(apex_feature_differences(frames)))
