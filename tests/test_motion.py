"""Property tests of the shared motion features (common.preprocessing.motion) and their cached
stages (common.preprocessing.motion_stages) on small arrays and the synthetic corpus."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from common.preprocessing import motion
from helpers import all_equal_label


def textured(size: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth random texture spanning 0..255 (uint8): every pixel has gradient for the flow."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.random((size, size)).astype(np.float32), (0, 0), 2.0)
    return cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


def shifted(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``image`` moved by (dx, dy) pixels: ``out[y + dy, x + dx] = image[y, x]`` (bilinear, reflected border)."""
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, matrix, image.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


INTERIOR = (slice(12, -12), slice(12, -12))  # away from the border, where the moved image was filled in


# ----------------------------------------------------------------------------- optical flow
@pytest.mark.parametrize("method", motion.FLOW_METHODS)
@pytest.mark.parametrize("dx, dy", [(2.0, 1.0), (-1.5, 0.5)])
def test_a_translated_texture_gives_the_flow_of_the_translation(method, dx, dy):
    first = textured()
    flow = motion.optical_flow(first, shifted(first, dx, dy), method)
    assert flow.shape == (64, 64, 2) and flow.dtype == np.float32
    error = np.abs(flow[INTERIOR] - np.float32([dx, dy]))
    # tolerance: 0.1 px on the median, 0.3 px on the 95th percentile of interior pixels
    assert np.median(error) < 0.1, (method, np.median(error, axis=(0, 1)))
    assert np.percentile(error, 95) < 0.3, (method, np.percentile(error, 95))


def test_flow_takes_colour_and_unit_float_images_as_their_grey_uint8():
    first, second = textured(), shifted(textured(), 1.0, 0.0)
    expected = motion.optical_flow(first, second)
    colour = motion.optical_flow(np.repeat(first[..., None], 3, 2), np.repeat(second[..., None], 3, 2))
    unit = motion.optical_flow(first / 255.0, second / 255.0)
    np.testing.assert_allclose(colour, expected, atol=1e-5)
    np.testing.assert_allclose(unit, expected, atol=1e-5)


def test_identical_images_give_zero_flow_and_bad_input_is_refused():
    first = textured(32)
    for method in motion.FLOW_METHODS:  # Farneback's border polynomials leave a few hundredths of a pixel
        flow = np.abs(motion.optical_flow(first, first, method))
        assert flow.max() < 0.1 and np.median(flow) < 1e-3, method
    with pytest.raises(ValueError, match="expected one of"):
        motion.optical_flow(first, first, "horn-schunck")
    with pytest.raises(ValueError, match="different sizes"):
        motion.optical_flow(first, first[:-1])


@pytest.mark.parametrize("dx, dy", [(0.6, -0.4), (-0.7, 0.3)])
def test_tvl1_of_a_sub_pixel_shift_has_no_border_spike(dx, dy):
    """The pair is cut from a larger moved texture, so its border holds real content, as a face crop's
    does. OpenCV's TV-L1 alone puts spikes of 1.6 to 1.9 px on this pair's outer pixels (10 px on other
    seeds); IPOL's border behaviour (``TVL1Parameters.border``) keeps the whole image within 0.5 px."""
    big = textured(80)
    first, second = big[8:72, 8:72], shifted(big, dx, dy)[8:72, 8:72]
    error = np.linalg.norm(motion.optical_flow(first, second) - np.float32([dx, dy]), axis=-1)
    assert np.median(error[INTERIOR]) < 0.1, np.median(error[INTERIOR])
    assert error.max() < 0.5, (error.max(), np.unravel_index(error.argmax(), error.shape))


def test_filling_the_border_band_keeps_a_spike_from_deciding_the_normalisation():
    """A smooth ramp of flow (0 to 1 px) with spikes of 8 and -6 px along stretches of its outer 2 px, as
    OpenCV's TV-L1 leaves them: min-max over the image maps the ramp to a sliver of [0, 1]; with the band
    filled from inside, the normalised image is the ramp's again."""
    from common.preprocessing.motion_stages import normalised_flow_image

    ramp = np.tile(np.linspace(0.0, 1.0, 64, dtype=np.float32), (64, 1))  # u: 0 .. 1 px, left to right
    spiked = ramp.copy()
    spiked[1, 10:40], spiked[62, 5:30] = 8.0, -6.0
    expected = normalised_flow_image(ramp)

    def r(image):
        return float(np.corrcoef(image.ravel(), expected.ravel())[0, 1])

    filled = motion.fill_border(spiked, motion.TVL1.border)
    assert r(normalised_flow_image(spiked)) < 0.5  # the problem: the spike decides the scale
    assert r(normalised_flow_image(filled)) > 0.9
    # the band repeats the nearest interior pixel: on the ramp, each border column is its neighbour's
    b = motion.TVL1.border
    np.testing.assert_array_equal(filled[b:-b, b:-b], ramp[b:-b, b:-b])
    np.testing.assert_array_equal(filled[:, 0], np.full(64, ramp[0, b]))
    flow = np.stack([spiked, -spiked], axis=-1)  # two channels (u, v) at once
    np.testing.assert_array_equal(motion.fill_border(flow, b)[..., 1], -filled)
    np.testing.assert_array_equal(motion.fill_border(flow, 0), flow)
    assert np.array_equal(motion.fill_border(np.arange(64.0).reshape(8, 8), 4)[2:-2, 2:-2],
                          np.arange(64.0).reshape(8, 8)[2:-2, 2:-2])  # capped at a quarter of the side


# ----------------------------------------------------------------------------- optical strain
def test_zero_flow_gives_zero_strain():
    for scheme in motion.STRAIN_SCHEMES:
        strain = motion.optical_strain(np.zeros((16, 20, 2), np.float32), scheme)
        assert strain.shape == (16, 20) and strain.dtype == np.float32 and not strain.any()
    with pytest.raises(ValueError, match="scheme='forward'"):
        motion.optical_strain(np.zeros((16, 20, 2), np.float32), "forward")


@pytest.mark.parametrize("a, b, c, d", [(0.1, 0.0, 0.0, 0.0), (0.0, 0.2, 0.0, 0.0), (0.05, -0.03, 0.07, 0.02)])
def test_a_linear_flow_field_gives_its_analytic_strain(a, b, c, d):
    """u = a x + b y, v = c x + d y: u_x = a, u_y = b, v_x = c, v_y = d, so the strain is
    sqrt(a^2 + d^2 + (b + c)^2 / 2). Central differences are exact on a linear field everywhere.
    Backward differences (the authors' os.m) are exact from the second row and column on; the first
    column has no x difference (u_x = v_x = 0): sqrt(d^2 + b^2 / 2); the first row no y difference:
    sqrt(a^2 + c^2 / 2); the corner pixel neither: 0."""
    y, x = np.mgrid[0:24, 0:30].astype(np.float32)
    flow = np.stack([a * x + b * y, c * x + d * y], axis=-1)
    expected = np.sqrt(a ** 2 + d ** 2 + 0.5 * (b + c) ** 2)
    np.testing.assert_allclose(motion.optical_strain(flow, "central"), expected, rtol=1e-5, atol=1e-7)
    backward = motion.optical_strain(flow)  # the default scheme
    np.testing.assert_allclose(backward[1:, 1:], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(backward[1:, 0], np.sqrt(d ** 2 + 0.5 * b ** 2), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(backward[0, 1:], np.sqrt(a ** 2 + 0.5 * c ** 2), rtol=1e-5, atol=1e-7)
    assert backward[0, 0] == 0


def test_backward_differences_look_back_along_columns_and_rows():
    """A step of u between columns 4 and 5 strains column 5 only (the backward difference); central
    differences spread it over columns 4 and 5 at half the height."""
    flow = np.zeros((6, 10, 2), np.float32)
    flow[:, 5:, 0] = 1.0
    backward, central = motion.optical_strain(flow), motion.optical_strain(flow, "central")
    np.testing.assert_allclose(backward, np.where(np.arange(10) == 5, 1.0, 0.0)[None].repeat(6, 0))
    np.testing.assert_allclose(central, np.where(np.isin(np.arange(10), (4, 5)), 0.5, 0.0)[None].repeat(6, 0))


def test_rigid_motion_has_no_strain():
    """A translation plus a small rotation (u = t - w y, v = s + w x) deforms nothing: b + c = 0
    (backward differences: from the second row and column on)."""
    y, x = np.mgrid[0:24, 0:24].astype(np.float32)
    flow = np.stack([1.5 - 0.02 * y, -0.5 + 0.02 * x], axis=-1)
    assert motion.optical_strain(flow, "central").max() < 1e-6
    assert motion.optical_strain(flow)[1:, 1:].max() < 1e-6


# ----------------------------------------------------------------------------- Bi-WOOF histograms
def test_orientation_bins_cover_the_circle_from_minus_pi():
    assert [motion.orientation_bin_of(np.deg2rad(a)) for a in (-180, -136, -135, -1, 0, 44, 45, 90, 179, 180)] == \
        [0, 0, 1, 3, 4, 4, 5, 6, 7, 0]


def test_uniform_rightward_flow_puts_all_weight_in_the_bin_of_angle_zero():
    flow = np.zeros((20, 20, 2), np.float32)
    flow[..., 0] = 0.7
    features = motion.weighted_orientation_histograms(flow, np.ones((20, 20)), grid=(2, 2), bins=8)
    assert features.shape == (2 * 2 * 8,) and features.dtype == np.float32
    blocks = features.reshape(4, 8)
    zero_bin = motion.orientation_bin_of(0.0)
    assert zero_bin == 4
    np.testing.assert_allclose(blocks[:, zero_bin], 0.5)  # four equal blocks, unit L2 norm overall
    assert not np.delete(blocks, zero_bin, axis=1).any()


def test_downward_flow_falls_in_the_bin_of_ninety_degrees():
    flow = np.zeros((10, 10, 2), np.float32)
    flow[..., 1] = 2.0  # v > 0: downwards in image rows
    features = motion.weighted_orientation_histograms(flow, np.ones((10, 10)), grid=(1, 1), bins=8)
    assert np.argmax(features) == motion.orientation_bin_of(np.pi / 2) == 6


def test_orientation_votes_scale_with_magnitude_and_blocks_with_their_strain():
    flow = np.zeros((10, 20, 2), np.float32)
    flow[:5, :, 0] = 1.0  # top half of each block: rightward, magnitude 1
    flow[5:, :, 0] = -3.0  # bottom half: leftward, magnitude 3
    strain = np.ones((10, 20), np.float32)
    strain[:, 10:] = 2.0  # the right block strains twice as much
    left, right = motion.weighted_orientation_histograms(flow, strain, grid=(1, 2), bins=8).reshape(2, 8)
    right_bin, left_bin = motion.orientation_bin_of(0.0), motion.orientation_bin_of(np.pi)
    assert left[left_bin] == pytest.approx(3 * left[right_bin])  # local weight: magnitude
    np.testing.assert_allclose(right, 2 * left, rtol=1e-6)  # global weight: the block's mean strain
    assert np.linalg.norm(np.concatenate([left, right])) == pytest.approx(1.0)


def test_zero_flow_gives_zero_orientation_histograms():
    features = motion.weighted_orientation_histograms(np.zeros((15, 15, 2)), np.zeros((15, 15)), (3, 3), 6)
    assert features.shape == (3 * 3 * 6,) and not features.any()
    with pytest.raises(ValueError, match="does not match"):
        motion.weighted_orientation_histograms(np.zeros((15, 15, 2)), np.zeros((14, 15)))


def test_the_authors_bi_woof_blocks_overlap_as_biwoof_m_lays_them_out():
    """biwoof.m's 1-based inclusive ranges with h = floor(n / 5): rows 1..h+1, then (k-1)h..kh+1, the last
    (nH-1)h..n. For n = 28 (h = 5): 1..6, 5..11, 10..16, 15..21, 20..28; for n = 128 (h = 25): 1..26,
    25..51, 50..76, 75..101, 100..128. Written 0-based, half-open."""
    assert motion.block_ranges(28, 5, "authors") == [(0, 6), (4, 11), (9, 16), (14, 21), (19, 28)]
    assert motion.block_ranges(128, 5, "authors") == [(0, 26), (24, 51), (49, 76), (74, 101), (99, 128)]
    assert motion.block_ranges(128, 5) == [(0, 25), (25, 51), (51, 76), (76, 102), (102, 128)]
    assert motion.block_ranges(7, 1, "authors") == [(0, 7)]
    with pytest.raises(ValueError, match="layout"):
        motion.block_ranges(28, 5, "tiles")


def test_the_histc_binning_leaves_out_the_orientations_past_its_last_edge():
    # (u, v) of angles -180, -135, -90, 0, 90, 135, 153.4, 180 degrees (v downwards)
    flow = np.array([[[-1, -0.0], [-1, -1], [0, -1], [1, 0], [0, 1], [-1, 1], [-2, 1], [-1, 0.0]]], np.float32)
    assert motion.orientation_bins(flow, 8, "circle").tolist() == [[0, 1, 2, 4, 6, 7, 7, 0]]
    assert motion.orientation_bins(flow, 8, "authors_histc").tolist() == [[0, 1, 2, 4, 6, 7, -1, -1]]


def _four_motions() -> np.ndarray:
    """(10, 10, 2) flow by columns: 0-3 rightward (|w| 1, 0 degrees), 4 at 170 degrees (|w| 2), 5 downward
    (|w| 3, 90 degrees), 6-9 upward (|w| 1, -90 degrees)."""
    flow = np.zeros((10, 10, 2), np.float32)
    flow[:, :4] = (1, 0)
    flow[:, 4] = (2 * np.cos(np.deg2rad(170)), 2 * np.sin(np.deg2rad(170)))
    flow[:, 5] = (0, 3)
    flow[:, 6:] = (0, -1)
    return flow


@pytest.mark.parametrize("layout, binning, left, right", [
    # authors' blocks: columns 0-5 and 4-9 (10 // 2 = 5: 1..6 and 5..10 1-based); partition: 0-4 and 5-9.
    # Votes per block (10 rows): rightward 40 in bin 4, 170 degrees 20 in bin 7 (circle) or none (histc),
    # downward 30 in bin 6, upward 40 in bin 2.
    ("authors", "authors_histc", {4: 40, 6: 30}, {2: 40, 6: 30}),
    ("authors", "circle", {4: 40, 7: 20, 6: 30}, {7: 20, 6: 30, 2: 40}),
    ("partition", "authors_histc", {4: 40}, {6: 30, 2: 40}),
    ("partition", "circle", {4: 40, 7: 20}, {6: 30, 2: 40}),
])
def test_bi_woof_histograms_of_a_flow_worked_out_by_hand(layout, binning, left, right):
    features = motion.weighted_orientation_histograms(_four_motions(), np.ones((10, 10)), grid=(1, 2), bins=8,
                                                      layout=layout, binning=binning)
    expected = np.zeros((2, 8))
    for block, votes in enumerate((left, right)):
        for b, weight in votes.items():
            expected[block, b] = weight / sum(votes.values())  # each block to sum 1, times its mean strain 1
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(features.reshape(2, 8), expected, rtol=1e-6)


# ----------------------------------------------------------------------------- LBP-TOP
@pytest.mark.parametrize("method", motion.LBP_METHODS)
def test_a_uniform_volume_fills_only_the_all_equal_bin(method):
    grid, points = (2, 3), (4, 4, 4)
    features = motion.lbp_top(np.full((9, 20, 24), 77, np.uint8), grid, (1, 1, 2), points, method)
    bins = motion.lbp_bins(4, method)
    assert features.shape == (2 * 3 * 3 * bins,)
    histograms = features.reshape(2 * 3, 3, bins)
    expected = np.zeros(bins)
    expected[all_equal_label(4, method)] = 1.0
    np.testing.assert_array_equal(histograms, np.broadcast_to(expected, histograms.shape))


@pytest.mark.parametrize("grid, radii, points, method", [((5, 5), (1, 1, 4), (4, 4, 4), "nri_uniform"),
                                                         ((2, 2), (1, 1, 1), (8, 8, 8), "uniform"),
                                                         ((3, 2), (2, 1, 2), (8, 8, 8), "nri_uniform")])
def test_lbp_top_length_and_per_plane_normalisation(grid, radii, points, method):
    rng = np.random.default_rng(1)
    volume = rng.integers(0, 256, (12, 30, 30)).astype(np.uint8)
    features = motion.lbp_top(volume, grid, radii, points, method)
    bins = motion.lbp_bins(points[0], method)
    blocks = grid[0] * grid[1]
    assert features.shape == (blocks * 3 * bins,) and features.dtype == np.float32
    np.testing.assert_allclose(features.reshape(blocks, 3, bins).sum(-1), 1.0, rtol=1e-5)
    assert (features >= 0).all()


def test_whole_normalisation_of_a_flat_volume_divides_by_three_times_the_coded_voxels():
    """A flat (9, 12, 14) volume at R = (1, 1, 4): the coded voxels are t = 4, y = 1..10, x = 1..12 (120),
    each the all-equal label in every plane. Grid (2, 3). Partition: rows 1-5 | 6-10 (edges 0, 6, 12),
    columns 1-3 | 4-8 | 9-12 (edges 0, 4, 9, 14): 15, 25 and 20 voxels per block of a row. Reference:
    10 // 2 = 5 rows and 12 // 3 = 4 columns per block, 20 voxels each. The whole vector sums to 1, so
    each block's three all-equal entries are its voxels / 360; per histogram they are 1."""
    volume = np.full((9, 12, 14), 77, np.uint8)
    flat = all_equal_label(4, "nri_uniform")

    def entries(normalisation, blocks):
        features = motion.lbp_top(volume, (2, 3), (1, 1, 4), (4, 4, 4), "nri_uniform",
                                  normalisation=normalisation, blocks=blocks).reshape(6, 3, 15)
        assert np.count_nonzero(features) == 6 * 3  # only the all-equal bin of each histogram
        return features[:, :, flat]

    np.testing.assert_allclose(entries("whole", "partition"), np.repeat([[15], [25], [20]] * 2, 3, axis=1) / 360)
    np.testing.assert_allclose(entries("whole", "reference"), np.full((6, 3), 20 / 360))
    np.testing.assert_allclose(entries("per_histogram", "partition"), 1.0)
    np.testing.assert_allclose(entries("per_histogram", "reference"), 1.0)


@pytest.mark.parametrize("blocks, voxels", [("partition", [3 * 5, 5 * 5, 4 * 5]),
                                            ("reference", [4 * 5, 4 * 5, 4 * 5])])
def test_the_two_normalisations_differ_by_each_blocks_share_of_the_coded_voxels(blocks, voxels):
    """On any volume, whole = per-histogram x (block's coded voxels) / (3 x all coded voxels): here
    (9, 7, 14) at R = (1, 1, 4), grid (1, 3): 5 coded rows, 12 coded columns split as in the test above."""
    volume = np.random.default_rng(4).integers(0, 256, (9, 7, 14)).astype(np.uint8)
    args = ((1, 3), (1, 1, 4), (4, 4, 4), "nri_uniform")
    whole = motion.lbp_top(volume, *args, normalisation="whole", blocks=blocks).reshape(3, 45)
    per_histogram = motion.lbp_top(volume, *args, normalisation="per_histogram", blocks=blocks).reshape(3, 45)
    assert whole.sum() == pytest.approx(1.0)
    share = np.array(voxels, dtype=np.float64)[:, None] / (3 * 60)
    np.testing.assert_allclose(whole, per_histogram * share, rtol=1e-6)


@pytest.mark.parametrize("width, edge, reference_block, partition_block", [(14, 4, 0, 1), (15, 9, 2, 1)])
def test_reference_blocks_start_at_the_first_coded_column_and_the_last_takes_the_rest(
        width, edge, reference_block, partition_block):
    """A step at column ``edge`` (0 left of it, 100 from it on): only the voxels of that column see a smaller
    left neighbour, so only their XY histogram leaves the all-equal bin. R_X = 1, grid (1, 3). Width 14:
    coded columns 1..12, reference blocks of 12 // 3 = 4: 1-4 | 5-8 | 9-12; partition (edges 0, 4, 9, 14):
    1-3 | 4-8 | 9-12. Width 15: coded 1..13, reference 13 // 3 = 4: 1-4 | 5-8 | 9-13 (the last takes the
    rest); partition (edges 0, 5, 10, 15): 1-4 | 5-9 | 10-13."""
    volume = np.zeros((9, 6, width), np.uint8)
    volume[:, :, edge:] = 100
    flat = all_equal_label(4, "nri_uniform")
    for blocks, expected in (("reference", reference_block), ("partition", partition_block)):
        xy = motion.lbp_top(volume, (1, 3), (1, 1, 4), (4, 4, 4), "nri_uniform",
                            blocks=blocks).reshape(3, 3, 15)[:, 0]
        stepped = [b for b in range(3) if xy[b, flat] < 1]
        assert stepped == [expected], blocks


def test_elliptical_sampling_equals_skimage_on_circles():
    """The planes whose two radii differ use our bilinear sampler; on equal radii it must give
    skimage's labels (our label table included)."""
    from skimage.feature import local_binary_pattern

    rng = np.random.default_rng(2)
    volume = rng.integers(0, 256, (1, 16, 18)).astype(np.float64)
    for radius, points, method in ((1, 8, "nri_uniform"), (2, 8, "uniform"), (1, 4, "default")):
        interior = (slice(0, 1), slice(radius, 16 - radius), slice(radius, 18 - radius))
        codes = motion._plane_codes(volume, (1, 2), (radius, radius), points, interior)
        ours = motion._label_table(points, method)[codes]
        theirs = local_binary_pattern(volume[0].astype(np.uint8), points, radius, method=method)[interior[1:]]
        assert (ours[0] == theirs).mean() > 0.99, (radius, points, method)


def test_lbp_top_refuses_a_volume_too_short_for_its_time_radius():
    with pytest.raises(ValueError, match="no voxel"):
        motion.lbp_top(np.zeros((5, 20, 20), np.uint8), (2, 2), (1, 1, 3), (4, 4, 4))


# ----------------------------------------------------------------------------- apex rule
def test_motion_apex_position_finds_the_frame_where_a_change_peaks():
    base = textured(48, seed=3).astype(np.float32)
    y, x = np.mgrid[0:48, 0:48]
    blob = np.exp(-((x - 30) ** 2 + (y - 18) ** 2) / (2 * 5.0 ** 2)) * 120
    amplitude = [0, 0.1, 0.3, 0.6, 0.85, 1.0, 0.8, 0.5, 0.2, 0.05]  # peak at frame 5
    frames = np.stack([np.clip(base + a * blob, 0, 255) for a in amplitude]).astype(np.uint8)
    assert motion.motion_apex_position(frames) == 5
    differences = motion.apex_feature_differences(frames)
    assert differences[0] == 0 and np.argmax(differences) == 5
    assert motion.motion_apex_position(np.repeat(frames[:1], 4, 0)) == 0  # no change: the onset itself


# ----------------------------------------------------------------------------- cached stages
@pytest.fixture(scope="module")
def corpus_samples(smoke_corpus):
    """One synthetic CASME II clip (apex annotated) and one SMIC clip (no apex)."""
    from common.datasets import load

    casme2 = load("casme2", smoke_corpus)[0]
    smic = load("smic", smoke_corpus)[0]
    assert casme2.apex is not None and smic.apex is None
    return casme2, smic


def test_stages_on_the_synthetic_corpus(corpus_samples, tmp_path):
    from common.preprocessing import motion_stages as stages
    from common.preprocessing.cache import STATS

    root = tmp_path / "cache"
    for sample in corpus_samples:
        faces = stages.face_sequence(sample, 32, root)
        assert faces.shape == (len(sample.frames), 32, 32) and faces.dtype == np.uint8
        apex = stages.flow_apex_position(sample, cache_root=root)
        if sample.apex is not None:
            assert apex == sample.apex_position
        else:  # the rule on the clip's 128-px faces, whatever size the flow uses
            assert apex == motion.motion_apex_position(stages.face_sequence(sample, stages.APEX_SIZE, root))
        pair = stages.onset_apex_faces(sample, 32, root)
        np.testing.assert_array_equal(pair, faces[[0, apex]])
        features = stages.flow_features(sample, 32, "tvl1", root)
        assert features.shape == (32, 32, 3) and features.dtype == np.float32
        np.testing.assert_allclose(features[..., 2], motion.optical_strain(features[..., :2]), atol=1e-6)
        np.testing.assert_allclose(features[..., :2], motion.optical_flow(*pair), atol=1e-6)

    sample = corpus_samples[0]
    STATS.reset()
    first = stages.flow_features(sample, 32, "tvl1", root)
    again = stages.flow_features(sample, 32, "tvl1", root)
    assert STATS.hits["motion_flow"] == 2 and STATS.misses["motion_flow"] == 0
    np.testing.assert_array_equal(first, again)
    farneback = stages.flow_features(sample, 32, "farneback", root)  # another parameter: another entry
    assert STATS.misses["motion_flow"] == 1 and not np.array_equal(farneback, first)

    lbp = stages.lbp_top_features(sample, 32, (2, 2), (1, 1, 2), (4, 4, 4), cache_root=root)
    lbp_again = stages.lbp_top_features(sample, 32, (2, 2), (1, 1, 2), (4, 4, 4), cache_root=root)
    other = stages.lbp_top_features(sample, 32, (3, 3), (1, 1, 2), (4, 4, 4), cache_root=root)
    assert STATS.misses["motion_lbp_top"] == 2 and STATS.hits["motion_lbp_top"] == 1
    np.testing.assert_array_equal(lbp, lbp_again)
    assert lbp.shape == (4 * 3 * 15,) and other.shape == (9 * 3 * 15,)
    np.testing.assert_array_equal(lbp, motion.lbp_top(stages.face_sequence(sample, 32, root), (2, 2), (1, 1, 2),
                                                      (4, 4, 4)))


def test_a_recordings_guessed_apex_gives_way_to_the_baselines_own_rule():
    """``--predict``'s generic motion apex is dropped for the flow baselines; a given apex is kept."""
    import dataclasses

    from common.datasets.sample import Sample
    from common.preprocessing.motion_stages import own_apex

    sample = Sample(dataset="recording", subject="", clip="c", emotion="", onset=1, apex=5, offset=9, fps=30.0,
                    frames=(), meta={"apex_rule": "motion"})
    assert own_apex(sample).apex is None
    given = dataclasses.replace(sample, meta={"apex_rule": "given"})
    assert own_apex(given) is given
