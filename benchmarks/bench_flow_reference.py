"""The shared flow stage against the authors' chain: agreement of the flow baselines' inputs. Prints, never asserts.

    .venv/bin/python benchmarks/bench_flow_reference.py [--candidates]

The authors' chain (STSTNet, OFF-ApexNet, Bi-WOOF: Liong, Gan, See et al.): IPOL's TV-L1 (Sanchez Perez,
Meinhardt-Llopis and Facciolo, "TV-L1 Optical Flow Estimation", IPOL 2013, article 26; the STSTNet README
names it, the group's ``run_my_data.m`` runs its ``tvl1flow`` with no parameters, i.e. its defaults), then
the group's optical strain (``os.m``: backward differences), then each method's own normalisation.
Reference here: ``ipol_tvl1`` below, a numpy transcription of the article's algorithm written from its
equations (not from the C code), with IPOL's defaults: tau 0.25, lambda 0.15 (on intensities stretched to
0..255), theta 0.3, zfactor 0.5, 5 warps, epsilon 0.01, at most 300 iterations per warp, Gaussian
pre-smoothing sigma 0.8, as many scales as keep the coarsest image's diagonal above 16 px (4 at 128 px).
It shares no code with the stage it checks (OpenCV's solver). skimage's ``optical_flow_tvl1`` cites the
same article but is another scheme (2 Chambolle steps per data step, nearest-neighbour flow upsampling,
no pre-smoothing): ``--candidates`` shows it, its strain disagrees.

Pairs: two real face photographs (the synthetic corpus's base faces: skimage's astronaut, matplotlib's
Grace Hopper) cropped square around their 68 landmarks at 128 px, and the same crop of the photograph
warped by a known smooth field: an expansion about the mouth (up to 0.8 px), a raise of the brows
(0.5 px) and a global shift (up to 0.9 px), 1.6 px at most in all. The warp is applied to a larger
crop, so the border of the second image holds real face, as a face crop of a real clip does. Six pairs:
three motions per face, one with sensor noise (sigma 1 grey level). The true flow is the field solved
for the first image's pixels.

Per method, the input it reads, ours vs the reference chain (Pearson correlation over the pixels of each
28x28 channel after min-max, or over Bi-WOOF's 200 values), and each vs the true motion (the true flow,
its strain by the same backward differences): the smallest over the six pairs, and the first pair's.
"Former" is the stage before it followed IPOL (OpenCV's defaults, central-difference strain).
Figures: docs/performance.md, "Flow stage against the authors' chain".
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # Bi-WOOF's package imports Keras

import cv2
import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.preprocessing import motion
from common.preprocessing.motion_stages import STRAIN_SCHEME, flow_images_of

SIZE = 128  # the flow methods' face size (data.face_size, features.size)
MARGIN = 16  # extra face on every side of the crop, warped with it and then cut away


# ----------------------------------------------------------------------------- IPOL TV-L1, numpy
IPOL = {"tau": 0.25, "lambda_": 0.15, "theta": 0.3, "zfactor": 0.5, "warps": 5, "epsilon": 0.01,
        "max_iterations": 300, "presmoothing": 0.8}


def keys_weights(t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weights of the 4 taps at offsets -1, 0, 1, 2 of Keys' cubic convolution (a = -1/2) at fraction t."""
    t2, t3 = t * t, t * t * t
    return 0.5 * (-t + 2 * t2 - t3), 0.5 * (2 - 5 * t2 + 3 * t3), 0.5 * (t + 4 * t2 - 3 * t3), 0.5 * (t3 - t2)


def bicubic(image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``image`` sampled at (xs, ys) by bicubic interpolation (taps clamped to the image), and the mask
    of the samples whose 4x4 taps leave the image (IPOL gives those no data term in the warp)."""
    height, width = image.shape
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    wx, wy = keys_weights(xs - x0), keys_weights(ys - y0)
    outside = (x0 < 1) | (x0 > width - 3) | (y0 < 1) | (y0 > height - 3)
    value = np.zeros(xs.shape)
    for dy, weight_y in zip(range(-1, 3), wy):
        rows = np.clip(y0 + dy, 0, height - 1)
        for dx, weight_x in zip(range(-1, 3), wx):
            value += weight_y * weight_x * image[rows, np.clip(x0 + dx, 0, width - 1)]
    return value, outside


def image_gradient(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences; half the one-sided difference on the border rows and columns (IPOL)."""
    gy, gx = np.gradient(image)
    gx[:, [0, -1]] *= 0.5
    gy[[0, -1], :] *= 0.5
    return gx, gy


def forward_gradient(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward differences, 0 on the last column / row (Chambolle 2004, the article's discrete gradient)."""
    fx, fy = np.zeros_like(f), np.zeros_like(f)
    fx[:, :-1] = np.diff(f, axis=1)
    fy[:-1, :] = np.diff(f, axis=0)
    return fx, fy


def divergence(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Backward differences, minus the adjoint of ``forward_gradient`` (Chambolle 2004)."""
    div = np.zeros_like(p1)
    div[:, 0] += p1[:, 0]
    div[:, 1:-1] += p1[:, 1:-1] - p1[:, :-2]
    div[:, -1] -= p1[:, -2]
    div[0, :] += p2[0, :]
    div[1:-1, :] += p2[1:-1, :] - p2[:-2, :]
    div[-1, :] -= p2[-2, :]
    return div


def smoothed(image: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter(image, sigma, mode="mirror", truncate=5.0)


def zoom_out(image: np.ndarray, factor: float) -> np.ndarray:
    """The next pyramid level: Gaussian anti-aliasing (sigma 0.6 sqrt(1/factor^2 - 1)), then bicubic
    samples at i / factor, size rounded."""
    height, width = image.shape
    ys, xs = np.mgrid[0:int(height * factor + 0.5), 0:int(width * factor + 0.5)].astype(np.float64)
    value, _ = bicubic(smoothed(image, 0.6 * np.sqrt(1.0 / factor ** 2 - 1.0)), xs / factor, ys / factor)
    return value


def zoom_in(field: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    height, width = field.shape
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    value, _ = bicubic(field, xs * width / shape[1], ys * height / shape[0])
    return value


def tvl1_one_scale(i0, i1, u1, u2, tau, lambda_, theta, warps, epsilon, max_iterations):
    """The article's scheme at one scale: per warp, linearise I1 about the current flow; then iterate the
    thresholding step (v), the primal step u = v + theta div p and the dual step p = (p + tau/theta grad u)
    / (1 + tau/theta |grad u|) until the mean squared change of u is below epsilon^2."""
    lt, taut = lambda_ * theta, tau / theta
    i1x, i1y = image_gradient(i1)
    ys, xs = np.mgrid[0:i0.shape[0], 0:i0.shape[1]].astype(np.float64)
    p11, p12, p21, p22 = (np.zeros_like(i0) for _ in range(4))
    for _ in range(warps):
        x, y = xs + u1, ys + u2
        i1w, outside = bicubic(i1, x, y)
        i1wx, _ = bicubic(i1x, x, y)
        i1wy, _ = bicubic(i1y, x, y)
        i1wx[outside] = i1wy[outside] = 0.0  # no data term where the warp leaves the image
        grad = i1wx ** 2 + i1wy ** 2
        rho_c = i1w - i1wx * u1 - i1wy * u2 - i0
        no_gradient = grad < 1e-10
        for _ in range(max_iterations):
            rho = rho_c + i1wx * u1 + i1wy * u2
            step = np.where(rho < -lt * grad, lt, np.where(rho > lt * grad, -lt,
                                                           -rho / np.where(no_gradient, 1.0, grad)))
            step[no_gradient] = 0.0
            new1 = u1 + step * i1wx + theta * divergence(p11, p12)
            new2 = u2 + step * i1wy + theta * divergence(p21, p22)
            change = float(np.mean((new1 - u1) ** 2 + (new2 - u2) ** 2))
            u1, u2 = new1, new2
            u1x, u1y = forward_gradient(u1)
            u2x, u2y = forward_gradient(u2)
            norm1, norm2 = 1.0 + taut * np.hypot(u1x, u1y), 1.0 + taut * np.hypot(u2x, u2y)
            p11, p12 = (p11 + taut * u1x) / norm1, (p12 + taut * u1y) / norm1
            p21, p22 = (p21 + taut * u2x) / norm2, (p22 + taut * u2y) / norm2
            if change <= epsilon ** 2:
                break
    return u1, u2


def ipol_tvl1(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(H, W, 2) IPOL TV-L1 flow with IPOL's defaults: both images stretched together to 0..255, smoothed
    (sigma 0.8), a pyramid of factor 0.5 down to a 16-px diagonal, flow 0 at the coarsest level, each
    level's flow zoomed (bicubic) and scaled by 1 / 0.5 to start the next."""
    p = IPOL
    i0, i1 = np.asarray(first, np.float64), np.asarray(second, np.float64)
    low, high = min(i0.min(), i1.min()), max(i0.max(), i1.max())
    if high > low:
        i0, i1 = 255 * (i0 - low) / (high - low), 255 * (i1 - low) / (high - low)
    levels = int(1 + np.log(np.hypot(*i0.shape) / 16.0) / np.log(1 / p["zfactor"]))
    pyramid = [(smoothed(i0, p["presmoothing"]), smoothed(i1, p["presmoothing"]))]
    for _ in range(1, levels):
        pyramid.append(tuple(zoom_out(image, p["zfactor"]) for image in pyramid[-1]))
    u1 = u2 = np.zeros_like(pyramid[-1][0])
    for level in range(levels - 1, -1, -1):
        a, b = pyramid[level]
        u1, u2 = tvl1_one_scale(a, b, u1, u2, p["tau"], p["lambda_"], p["theta"], p["warps"], p["epsilon"],
                                p["max_iterations"])
        if level:
            shape = pyramid[level - 1][0].shape
            u1, u2 = zoom_in(u1, shape) / p["zfactor"], zoom_in(u2, shape) / p["zfactor"]
    return np.stack([u1, u2], axis=-1)


def os_m_strain(flow: np.ndarray) -> np.ndarray:
    """The group's os.m: backward differences (first column / row repeated, so 0 there),
    sqrt(u_x^2 + v_y^2 + 1/2 (u_y + v_x)^2)."""
    u, v = flow[..., 0], flow[..., 1]
    u_x, v_x = u - u[:, np.r_[0, 0:u.shape[1] - 1]], v - v[:, np.r_[0, 0:v.shape[1] - 1]]
    u_y, v_y = u - u[np.r_[0, 0:u.shape[0] - 1], :], v - v[np.r_[0, 0:v.shape[0] - 1], :]
    return np.sqrt(u_x ** 2 + v_y ** 2 + 0.5 * (u_y + v_x) ** 2)


# ----------------------------------------------------------------------------- face pairs with known motion
CASES = (  # (base face, global shift (x, y) px, sensor noise sigma)
    ("astronaut", (0.25, -0.15), 0.0), ("astronaut", (-0.6, 0.4), 0.0), ("astronaut", (0.0, 0.0), 1.0),
    ("grace_hopper", (0.25, -0.15), 0.0), ("grace_hopper", (0.7, 0.5), 1.0), ("grace_hopper", (-0.3, -0.6), 0.0),
)


def face_pair(name: str, shift: tuple[float, float], noise: float, seed: int = 0):
    """(first, second) uint8 128-px grey faces and the (128, 128, 2) true flow from first to second."""
    from common.datasets.synthetic.faces import base_face
    from common.preprocessing.regions import crop_padded

    rgb, points = base_face(name)
    grey = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2GRAY)
    points = np.asarray(points, np.float64)
    side = float((points.max(0) - points.min(0)).max()) * 1.1  # the shared crop's 5 % margin each side
    big = SIZE + 2 * MARGIN
    n = int(round(side * big / SIZE))
    left, top = np.rint((points.min(0) + points.max(0)) / 2 - n / 2).astype(int)
    image = cv2.resize(crop_padded(grey, int(left), int(top), int(left) + n, int(top) + n), (big, big),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    crop_points = (points - (left, top)) * big / n - MARGIN  # landmarks in the 128-px crop
    mouth, brows = crop_points[48:68].mean(0), crop_points[17:27].mean(0)

    def displacement(x, y):  # where the point at (x, y) of the second image came from: (x, y) - d
        dx, dy = x - mouth[0], y - mouth[1]
        expansion = 0.09 * np.exp(-(dx ** 2 + dy ** 2) / (2 * 14.0 ** 2))
        raise_ = 0.5 * np.exp(-((x - brows[0]) ** 2 / (2 * 30.0 ** 2) + (y - brows[1]) ** 2 / (2 * 8.0 ** 2)))
        return expansion * dx + shift[0], expansion * dy + shift[1] - raise_

    ys, xs = np.mgrid[0:big, 0:big].astype(np.float64) - MARGIN
    d_x, d_y = displacement(xs, ys)
    moved = cv2.remap(image, (xs + MARGIN - d_x).astype(np.float32), (ys + MARGIN - d_y).astype(np.float32),
                      cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101)
    rng = np.random.default_rng(seed)
    inner = (slice(MARGIN, MARGIN + SIZE),) * 2
    first, second = (np.clip(np.rint(im[inner] + rng.normal(0, noise, (SIZE, SIZE))), 0, 255).astype(np.uint8)
                     for im in (image, moved))
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    u = v = np.zeros_like(x)
    for _ in range(30):  # the pixel at x of the first image lands at x + w with w = d(x + w): fixed point
        u, v = displacement(x + u, y + v)
    return first, second, np.stack([u, v], axis=-1)


# ----------------------------------------------------------------------------- chains and inputs
def ours(first, second):
    flow = motion.optical_flow(first, second, "tvl1")
    return flow, motion.optical_strain(flow, STRAIN_SCHEME)


FORMER = motion.TVL1Parameters(normalise=False, presmoothing=0.0, border=0)  # OpenCV's TV-L1 alone


def former(first, second):
    """The stage before it followed IPOL: OpenCV's defaults, central differences."""
    flow = motion.optical_flow(first, second, "tvl1", FORMER)
    return flow, motion.optical_strain(flow, "central")


def reference(first, second):
    flow = ipol_tvl1(first, second)
    return flow, os_m_strain(flow)


INPUTS = ("STSTNet u", "STSTNet v", "STSTNet strain", "OFF-ApexNet u", "OFF-ApexNet v", "Bi-WOOF vector")


def inputs(flow, strain) -> dict[str, np.ndarray]:
    """What each method reads: STSTNet's 28x28 u, v, strain and OFF-ApexNet's u, v after min-max
    (``flow_images_of``, the shared stage's step), Bi-WOOF's vector (the package's ``biwoof``)."""
    from papers.liong2018.config import default_config
    from papers.liong2018.preprocessing import biwoof

    features = np.dstack([flow, strain]).astype(np.float32)
    images = flow_images_of(features, 28)
    values = (images[..., 0], images[..., 1], images[..., 2], images[..., 0], images[..., 1],
              biwoof(features, default_config()))
    return dict(zip(INPUTS, values))


def correlation(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def measure(chains: dict, pairs) -> dict:
    """{(chain, input): [correlation with the reference chain, with the truth] per pair}."""
    table: dict = {}
    for first, second, true in pairs:
        ref = inputs(*reference(first, second))
        truth = inputs(true, os_m_strain(true))
        for chain, run in chains.items():
            got = inputs(*run(first, second))
            for name in got:
                table.setdefault((chain, name), []).append((correlation(got[name], ref[name]),
                                                             correlation(got[name], truth[name])))
    return table


# ----------------------------------------------------------------------------- candidate fixes (--candidates)
def opencv_chain(strain="backward", pad=0, **changes):
    """The stage with other ``TVL1Parameters`` (``changes`` to the former ones; ``pad``: both images
    padded by repeating their edge, the flow cut back after), for the candidate table."""
    parameters = dataclasses.replace(FORMER, **changes)

    def run(first, second):
        if pad:
            first, second = (cv2.copyMakeBorder(im, pad, pad, pad, pad, cv2.BORDER_REPLICATE) for im in (first, second))
        flow = motion.optical_flow(first, second, "tvl1", parameters)
        if pad:
            flow = flow[pad:-pad, pad:-pad]
        return flow, motion.optical_strain(flow, strain)
    return run


def skimage_chain(first, second):
    """skimage's TV-L1 with IPOL's parameters mapped: on 0..1 images lambda 0.15 x 255; IPOL's
    pre-smoothing applied first; 5 warps; its own iteration scheme."""
    from skimage.registration import optical_flow_tvl1

    a, b = (smoothed(im / 255.0, 0.8) for im in (first, second))
    v, u = optical_flow_tvl1(a, b, attachment=0.15 * 255, tightness=0.3, num_warp=5, num_iter=10)
    flow = np.stack([u, v], axis=-1)
    return flow, os_m_strain(flow)


CANDIDATES = {
    "OpenCV defaults, central (former)": former,
    "+ backward strain": opencv_chain(),
    "+ no median filter": opencv_chain(median_filtering=1),
    "+ IPOL pyramid (0.5, 4 levels), no median": opencv_chain(median_filtering=1, scale_step=0.5, nscales=4),
    "+ pre-smoothing 0.8": opencv_chain(presmoothing=0.8),
    "+ border 4 filled": opencv_chain(border=4),
    "+ padded by 8 px, cut after": opencv_chain(pad=8),
    "+ pre-smoothing + border 2": opencv_chain(presmoothing=0.8, border=2),
    "+ pre-smoothing + border 3": opencv_chain(presmoothing=0.8, border=3),
    "+ pre-smoothing + border 4": opencv_chain(presmoothing=0.8, border=4),
    "+ pre-smoothing + border 6": opencv_chain(presmoothing=0.8, border=6),
    "+ pre-smoothing + border 4, central": opencv_chain(presmoothing=0.8, border=4, strain="central"),
    "+ pre-smoothing + border 4, no median": opencv_chain(presmoothing=0.8, border=4, median_filtering=1),
    "+ pre-smoothing + border 4 + stretch (ours)": ours,
    "skimage optical_flow_tvl1": skimage_chain,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", action="store_true", help="also the candidate fixes (min over pairs)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{datetime.date.today()}  {platform.node()}  {os.cpu_count()} cores  load {load:.1f}  cv2 {cv2.__version__}")
    pairs = [face_pair(*case) for case in CASES]
    peak = max(float(np.linalg.norm(true, axis=-1).max()) for _, _, true in pairs)
    print(f"{len(pairs)} pairs of {SIZE}-px faces, true motion up to {peak:.2f} px")

    table = measure({"ours": ours, "former": former}, pairs)
    ref_truth = measure({"IPOL": reference}, pairs)
    print(f"\n{'input':<16}{'ours~IPOL':>16}{'former~IPOL':>16}{'ours~true':>16}{'IPOL~true':>16}"
          "   (Pearson r: min over pairs / first pair)")
    for name in INPUTS:
        cells = [[r[0] for r in table[("ours", name)]], [r[0] for r in table[("former", name)]],
                 [r[1] for r in table[("ours", name)]], [r[1] for r in ref_truth[("IPOL", name)]]]
        print(f"{name:<16}" + "".join(f"{min(c):>10.3f} /{c[0]:.2f}" for c in cells))

    if args.candidates:
        print(f"\n{'candidate (min over pairs, vs IPOL)':<40}{'u':>8}{'v':>8}{'strain':>8}{'Bi-WOOF':>9}")
        for label, chain in CANDIDATES.items():
            rows = measure({label: chain}, pairs)
            print(f"{label:<40}" + "".join(f"{min(r[0] for r in rows[(label, name)]):>8.3f}"
                                            for name in ("STSTNet u", "STSTNet v", "STSTNet strain"))
                  + f"{min(r[0] for r in rows[(label, 'Bi-WOOF vector')]):>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
