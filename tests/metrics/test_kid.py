import numpy as np
import pytest

from gankit.metrics.kid import kid_from_features, mmd2_unbiased, polynomial_kernel


def _sets(seed: int, n: int = 200, dim: int = 8, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)), rng.standard_normal((n, dim)) + shift


def test_mmd2_matches_hand_computed_two_point_case():
    """Pins MMD^2_u on 1-d sets {0, 1} and {1, 2} with k = (xy + 1)^3, summed by hand."""
    x = np.array([[0.0], [1.0]])
    y = np.array([[1.0], [2.0]])
    # k_xx off-diagonal: k(0,1) = 1, twice; k_yy: k(1,2) = 27, twice; k_xy: k(0,1)=1, k(0,2)=1, k(1,1)=8, k(1,2)=27.
    expected = 2 / 2 + 54 / 2 - 2 * 37 / 4
    assert mmd2_unbiased(x, y) == pytest.approx(expected, abs=1e-12)


def test_polynomial_kernel_divides_by_dimension():
    """Protects the kernel's 1/d scaling: (x . y / d + 1)^3 with d = 4."""
    a = np.ones((1, 4))
    assert polynomial_kernel(a, 2 * a)[0, 0] == pytest.approx((8 / 4 + 1) ** 3)


def test_kid_with_one_full_subset_equals_mmd2_of_whole_sets():
    """With subset_size = N and one subset the estimate is the whole-set MMD^2_u (subset order does not matter)."""
    a, b = _sets(0, n=50, shift=0.5)
    mean, std = kid_from_features(a, b, subset_size=50, num_subsets=1)
    assert mean == pytest.approx(mmd2_unbiased(a, b), rel=1e-12)
    assert std == 0.0


def test_kid_of_a_set_against_itself_is_near_zero_and_shift_raises_it():
    """Protects unbiasedness: equal distributions give KID ~ 0 (within its std); a shifted set gives much more."""
    a, b = _sets(1, n=400)
    same, same_std = kid_from_features(a, b, subset_size=100, num_subsets=50)
    shifted, _ = kid_from_features(a, b + 1.0, subset_size=100, num_subsets=50)
    assert abs(same) < 3 * same_std + 1e-3
    assert shifted > 50 * abs(same) and shifted > 0.1


def test_kid_is_deterministic_for_a_seed_and_varies_with_it():
    a, b = _sets(2, shift=0.3)
    first = kid_from_features(a, b, subset_size=50, num_subsets=10, seed=3)
    assert kid_from_features(a, b, subset_size=50, num_subsets=10, seed=3) == first
    assert kid_from_features(a, b, subset_size=50, num_subsets=10, seed=4) != first


def test_kid_accepts_float32_tensors_with_float64_result():
    import torch

    a, b = _sets(3, shift=0.3)
    from_tensor = kid_from_features(torch.from_numpy(a).float(), torch.from_numpy(b).float(), 50, 5)
    from_numpy = kid_from_features(a.astype(np.float32), b.astype(np.float32), 50, 5)
    assert from_tensor == pytest.approx(from_numpy, rel=1e-12)


@pytest.mark.parametrize(
    ("subset_size", "num_subsets", "match"),
    [(201, 10, r"subset_size=201 must be in \[2, 200\]"), (1, 10, "subset_size=1"), (10, 0, "num_subsets=0")],
)
def test_kid_rejects_bad_subsets(subset_size, num_subsets, match):
    a, b = _sets(4)
    with pytest.raises(ValueError, match=match):
        kid_from_features(a, b, subset_size=subset_size, num_subsets=num_subsets)


def test_kid_rejects_empty_and_mismatched_sets():
    a, b = _sets(5)
    with pytest.raises(ValueError, match="non-empty"):
        kid_from_features(a[:0], b, subset_size=2)
    with pytest.raises(ValueError, match="same feature network"):
        kid_from_features(a, b[:, :4], subset_size=2)
