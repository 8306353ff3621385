import io

import numpy as np
import pytest
import scipy.linalg
import torch
from PIL import Image

from gankit.data.dataset import to_float, to_uint8
from gankit.data.digits import load_digits_dataset
from gankit.metrics import extract_features, feature_stats, fid_from_features, fid_from_stats, load_digits_net
from gankit.metrics.fid import BiasedFidWarning


@pytest.fixture(scope="module")
def net():
    return load_digits_net()


@pytest.fixture(scope="module")
def test_images() -> torch.Tensor:
    return load_digits_dataset("test", resolution=32, channels=1).images


def _fid_scipy(mu1, sigma1, mu2, sigma2) -> float:
    """The common sqrtm(S1 S2) formulation, as an independent reference."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _well_conditioned_sets(seed: int, n: int = 500, dim: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, dim))
    b = rng.standard_normal((n, dim)) @ (np.eye(dim) + 0.3 * rng.standard_normal((dim, dim))) + 0.5
    return a, b


def test_fid_reference_value_for_isotropic_gaussians():
    """Pins the closed form: mu (0,0) vs (1,1), covariance I vs 4I gives 2 + 2 + 8 - 2*4 = 4."""
    fid = fid_from_stats(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))
    assert fid == pytest.approx(4.0, abs=1e-10)


@pytest.mark.parametrize(
    ("mu2", "sigma1", "sigma2", "expected"),
    [
        ([0.0, 0.0], np.diag([1.0, 0.0]), np.diag([0.0, 1.0]), 2.0),  # singular, orthogonal: 1 + 1 - 2 * 0
        ([3.0, 4.0], np.zeros((2, 2)), np.zeros((2, 2)), 25.0),  # point masses 5 apart
        ([0.0, 0.0], np.diag([4.0, 9.0]), np.diag([1.0, 1.0]), 5.0),  # (2 - 1)^2 + (3 - 1)^2
    ],
)
def test_frechet_distance_closed_forms(mu2, sigma1, sigma2, expected):
    """Pins the closed forms of issue 4's test list, including singular and zero covariances."""
    assert fid_from_stats(np.zeros(2), sigma1, np.array(mu2), sigma2) == pytest.approx(expected, abs=1e-10)


def test_fid_of_a_set_against_itself_is_zero():
    """Protects the trace term: identical sets must give a distance of 0, not a rounding residue."""
    feats, _ = _well_conditioned_sets(0)
    assert fid_from_features(feats, feats) == pytest.approx(0.0, abs=1e-8)


def test_fid_matches_scipy_sqrtm_on_well_conditioned_case():
    """Protects the eigendecomposition route against the textbook sqrtm(S1 S2) formula."""
    a, b = _well_conditioned_sets(1)
    mu_a, sigma_a = feature_stats(a)
    mu_b, sigma_b = feature_stats(b)
    expected = _fid_scipy(mu_a, sigma_a, mu_b, sigma_b)
    assert fid_from_features(a, b) == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_fid_is_finite_and_real_for_singular_covariance():
    """Protects against NaN/complex results when there are fewer samples than dimensions."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((10, 64)), rng.standard_normal((10, 64)) + 0.1
    with pytest.warns(BiasedFidWarning, match="10 samples in 64 feature dimensions"):
        fid = fid_from_features(a, b)
    assert isinstance(fid, float)
    assert np.isfinite(fid)
    # Rank-deficient but exact case: both covariances are 0, so only the mean term remains.
    with pytest.warns(BiasedFidWarning):
        fid_const = fid_from_features(np.zeros((5, 64)), np.ones((5, 64)))
    assert fid_const == pytest.approx(64.0, abs=1e-10)


@pytest.mark.filterwarnings("ignore::gankit.metrics.fid.BiasedFidWarning")  # few samples on purpose
def test_fid_is_symmetric():
    """Protects the asymmetric-looking S1^1/2 S2 S1^1/2 form: swapping the sets must not change the distance."""
    a, b = _well_conditioned_sets(3)
    assert fid_from_features(a, b) == pytest.approx(fid_from_features(b, a), rel=1e-9, abs=1e-9)
    rng = np.random.default_rng(3)
    c, d = rng.standard_normal((10, 64)), rng.standard_normal((12, 64))
    assert fid_from_features(c, d) == pytest.approx(fid_from_features(d, c), rel=1e-8, abs=1e-8)


def test_feature_stats_use_unbiased_covariance_in_float64():
    """Pins N-1 normalisation and float64 statistics."""
    feats = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]], dtype=torch.float32)
    mu, sigma = feature_stats(feats)
    assert mu.dtype == np.float64 and sigma.dtype == np.float64
    np.testing.assert_allclose(mu, [2.0, 4.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(feats.numpy().astype(np.float64), rowvar=False), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "match"),
    [
        ((10, 4), (10, 5), "feature dimensions"),
        ((1, 4), (10, 4), "at least 2"),
        ((10,), (10, 4), r"expected \[N, D\]"),
    ],
)
def test_fid_rejects_bad_shapes(a_shape, b_shape, match):
    """Protects the error messages for mismatched dims, too few samples and non-matrix input."""
    with pytest.raises(ValueError, match=match):
        fid_from_features(np.zeros(a_shape), np.zeros(b_shape))


def test_fid_from_stats_rejects_mismatched_stats():
    """Protects the shape check on precomputed statistics."""
    with pytest.raises(ValueError, match="sigma2 has shape"):
        fid_from_stats(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))


def test_extract_features_is_batch_size_independent(net, test_images):
    """Protects against BatchNorm batch statistics or batching bugs leaking into features."""
    small = extract_features(net, test_images[:30], batch_size=7)
    large = extract_features(net, test_images[:30], batch_size=256)
    assert small.dtype == np.float64 and small.shape == (30, 128)
    torch.testing.assert_close(torch.from_numpy(small), torch.from_numpy(large), rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore::gankit.metrics.fid.BiasedFidWarning")  # few samples on purpose
def test_extract_features_and_fid_are_deterministic(net, test_images):
    """Protects metric reproducibility: the same images give the same features and FID twice."""
    images = test_images[:100]
    first, second = extract_features(net, images), extract_features(net, images)
    torch.testing.assert_close(torch.from_numpy(first), torch.from_numpy(second), rtol=0, atol=0)
    real = extract_features(net, test_images[100:])
    assert fid_from_features(real, first) == pytest.approx(fid_from_features(real, second), rel=0, abs=1e-12)


@pytest.mark.filterwarnings("ignore::gankit.metrics.fid.BiasedFidWarning")  # few samples on purpose
def test_float_batch_and_its_uint8_png_copy_give_identical_features(net, test_images):
    """Protects the one rounding rule: a generator batch and its lossless PNG copy must score the same."""
    # Make an off-grid float batch as a generator would, then its PNG copy.
    generator = torch.Generator().manual_seed(0)
    fake_img = (to_float(test_images[:32]) + 0.01 * torch.randn(32, 1, 32, 32, generator=generator)).clamp(-1.1, 1.1)
    pngs = []
    for img in to_uint8(fake_img):
        buf = io.BytesIO()
        Image.fromarray(img[0].numpy(), mode="L").save(buf, format="PNG")
        pngs.append(torch.from_numpy(np.array(Image.open(io.BytesIO(buf.getvalue())))))
    png_img = torch.stack(pngs)[:, None]  # [N, H, W] -> [N, 1, H, W]

    # Compare features and FID.
    feats_float = extract_features(net, fake_img)
    feats_png = extract_features(net, png_img)
    torch.testing.assert_close(torch.from_numpy(feats_float), torch.from_numpy(feats_png), rtol=0, atol=0)
    assert fid_from_features(feats_float, feats_png) == pytest.approx(0.0, abs=1e-8)


def test_fid_between_real_digit_sets_is_small_relative_to_noise(net, test_images):
    """Protects the end-to-end pipeline: two halves of the real test digits are far closer than digits and noise."""
    real_a = extract_features(net, test_images[0::2])
    real_b = extract_features(net, test_images[1::2])
    noise = torch.randint(0, 256, (225, 1, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    fid_real = fid_from_features(real_a, real_b)
    fid_noise = fid_from_features(real_a, extract_features(net, noise))
    assert np.isfinite(fid_real) and np.isfinite(fid_noise)
    assert fid_noise > 10 * fid_real
