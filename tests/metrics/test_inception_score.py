import numpy as np
import pytest

from gankit.metrics.inception_score import inception_score


def test_is_of_confident_uniform_classes_is_the_class_count():
    """Pins the closed form: one-hot predictions spread evenly over K classes give IS = K exactly."""
    probs = np.tile(np.eye(4), (5, 1))  # 20 samples, each class 5 times
    mean, std = inception_score(probs, splits=1)
    assert mean == pytest.approx(4.0, abs=1e-12)
    assert std == 0.0


def test_is_of_identical_predictions_is_one():
    """Pins the lower bound: the same p(y|x) for every sample means zero KL, IS = 1."""
    probs = np.tile([[0.2, 0.3, 0.5]], (12, 1))
    assert inception_score(probs, splits=3) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_is_matches_hand_computed_two_sample_case():
    """Pins a hand-computed value: p = (0.9, 0.1) and (0.1, 0.9); marginal (0.5, 0.5); KL = 0.9 ln 1.8 + 0.1 ln 0.2."""
    probs = np.array([[0.9, 0.1], [0.1, 0.9]])
    kl = 0.9 * np.log(1.8) + 0.1 * np.log(0.2)
    assert inception_score(probs, splits=1)[0] == pytest.approx(np.exp(kl), rel=1e-12)


def test_is_splits_are_consecutive_parts():
    """Protects the split rule: part k is rows [k N / s, (k+1) N / s), so the std reflects differing parts."""
    probs = np.concatenate([np.tile(np.eye(2), (3, 1)), np.tile([[0.5, 0.5]], (6, 1))])  # IS 2 then IS 1
    mean, std = inception_score(probs, splits=2)
    assert mean == pytest.approx(1.5, abs=1e-12)
    assert std == pytest.approx(0.5, abs=1e-12)


def test_is_is_invariant_to_float32_input():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((100, 10))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert inception_score(probs.astype(np.float32), 5)[0] == pytest.approx(inception_score(probs, 5)[0], rel=1e-5)


def test_is_rejects_fewer_samples_than_splits():
    with pytest.raises(ValueError, match="3 samples, splits=10; use more samples or fewer splits"):
        inception_score(np.full((3, 2), 0.5), splits=10)


@pytest.mark.parametrize("bad", [np.full((4, 2), 0.7), np.array([[1.5, -0.5]] * 4), np.zeros((0, 3))])
def test_is_rejects_non_probabilities(bad):
    with pytest.raises(ValueError, match="probs"):
        inception_score(bad, splits=1)
