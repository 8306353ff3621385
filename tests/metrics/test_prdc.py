import numpy as np
import pytest

from gankit.metrics.prdc import density_coverage, knn_radii, precision_recall


def _gauss(seed: int, n: int = 300, dim: int = 6, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)) + shift


def test_knn_radii_on_a_line_match_hand_values():
    """Pins the radius rule: on points 0, 1, 3, 7 the 2nd neighbour (self excluded) is at 3, 2, 3, 6."""
    feats = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_allclose(knn_radii(feats, k=2), [3.0, 2.0, 3.0, 6.0])


def test_precision_recall_of_a_set_against_itself_is_one():
    """Protects the inclusive ball: every sample lies in its own ball, so a set vs itself is 1/1."""
    feats = _gauss(0)
    assert precision_recall(feats, feats) == (1.0, 1.0)


def test_precision_recall_of_disjoint_sets_is_zero():
    """Far-apart sets share no manifold: precision and recall are 0/0."""
    assert precision_recall(_gauss(1), _gauss(2, shift=100.0)) == (0.0, 0.0)


def test_precision_recall_hand_computed_on_a_line():
    """Pins a small case by hand: real {0,1,2,3} (k=1 radii 1,1,1,1), fake {0.5, 10, 11}: 1 of 3 fakes inside;
    fake radii (k=1) are 9.5, 1, 1, so the ball around 0.5 holds all 4 reals."""
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [10.0], [11.0]])
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == pytest.approx(1 / 3)
    assert recall == 1.0


def test_density_coverage_hand_computed_on_a_line():
    """Pins Naeem et al.'s formulas: real {0,1,2,3}, k=1 radii 1; fakes {0.5, 0.9, 10}: 0.5 is in balls 0, 1;
    0.9 in balls 0, 1 but not 2 (distance 1.1); so density = 4 / (1 * 3), coverage = 2 / 4."""
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [0.9], [10.0]])
    density, coverage = density_coverage(real, fake, k=1)
    assert density == pytest.approx(4 / 3)
    assert coverage == pytest.approx(0.5)


def test_density_coverage_of_matching_sets_is_near_one_and_shift_lowers_both():
    real, fake = _gauss(3, n=1000), _gauss(4, n=1000)
    density, coverage = density_coverage(real, fake)
    shifted = density_coverage(real, fake + 1.5)
    assert density == pytest.approx(1.0, abs=0.15)
    assert coverage > 0.9
    assert shifted[0] < 0.5 * density and shifted[1] < 0.6 * coverage


def test_results_do_not_depend_on_chunk_size():
    """Protects the chunked distance computation: any chunk size gives the same counts."""
    real, fake = _gauss(5), _gauss(6, shift=0.3)
    assert precision_recall(real, fake, chunk_size=7) == precision_recall(real, fake, chunk_size=1024)
    assert density_coverage(real, fake, chunk_size=13) == density_coverage(real, fake, chunk_size=1024)


def test_guard_rails_name_what_to_change():
    real = _gauss(7, n=3)
    with pytest.raises(ValueError, match="real has 3 samples; a k-NN radius with k=3 needs at least 4"):
        precision_recall(real, _gauss(8))
    with pytest.raises(ValueError, match="non-empty"):
        density_coverage(_gauss(9), _gauss(9)[:0])
    with pytest.raises(ValueError, match="same feature network"):
        precision_recall(_gauss(9), _gauss(9, dim=3))
