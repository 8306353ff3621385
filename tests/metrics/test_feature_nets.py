import sys

import numpy as np
import pytest
import torch
from torch import nn

from gankit.data.digits import load_digits_dataset
from gankit.metrics.catalog import GENERATOR_METRICS, FeatureSets
from gankit.metrics.digits_net import load_digits_net
from gankit.metrics.feature_nets import ModuleFeatureNet, extract
from gankit.registry import FEATURE_NETS, METRICS


def _custom_net(seed: int = 0) -> ModuleFeatureNet:
    torch.manual_seed(seed)  # the test's own module init; gankit code takes no global randomness
    body = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(2))
    return ModuleFeatureNet(body, name="tiny-cnn", resolution=16, channels=1, classifier=nn.Linear(16, 3)).eval()


def test_any_module_becomes_a_feature_net_with_hash_and_rule():
    net = _custom_net()
    assert net.feature_dim == 16 and len(net.weight_sha256) == 64
    assert "resize to 16x16" in net.preprocessing
    assert _custom_net(0).weight_sha256 == net.weight_sha256 != _custom_net(1).weight_sha256


@pytest.mark.parametrize("key", ["digits", "custom"])
def test_features_and_probs_do_not_depend_on_batch_size(key):
    """Protects batch-size independence of extraction, for the shipped and a custom network."""
    net = FEATURE_NETS.get("digits").build("cpu") if key == "digits" else _custom_net()
    images = load_digits_dataset("test", 32).images[:50]
    feats_a, probs_a = extract(net, images, batch_size=7, with_probs=True)
    feats_b, probs_b = extract(net, images, batch_size=50, with_probs=True)
    np.testing.assert_allclose(feats_a, feats_b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs_a, probs_b, rtol=1e-5, atol=1e-7)
    assert feats_a.dtype == probs_a.dtype == np.float64


def test_every_registered_metric_runs_on_custom_features():
    net = _custom_net()
    images = load_digits_dataset("test", 16).images
    real, _ = extract(net, images[:200])
    fake, probs = extract(net, images[200:400], with_probs=True)
    sets = FeatureSets(real, fake, probs)
    for name in sorted(set(METRICS.names()) - GENERATOR_METRICS):
        entry = METRICS.get(name)
        results, _ = entry.build(sets, entry.options())
        assert all(np.isfinite(v) for k, v in results.items() if k != "warning"), name


def test_probabilities_need_a_classifier():
    net = ModuleFeatureNet(nn.Sequential(nn.Flatten()), name="flat", resolution=4, channels=1).eval()
    with pytest.raises(NotImplementedError, match="'flat' has no classifier"):
        extract(net, torch.zeros(2, 1, 4, 4, dtype=torch.uint8), with_probs=True)


@pytest.mark.parametrize(("tty", "asked", "shown"), [(True, True, True), (False, True, False), (True, False, False)])
def test_progress_bar_only_on_a_terminal_and_when_asked(monkeypatch, capsys, tty, asked, shown):
    """Protects the progress rule: a bar on a terminal, none on a pipe or when progress=False; features unchanged."""
    net = load_digits_net()
    images = load_digits_dataset("test", 16).images[:40]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    feats, _ = extract(net, images, batch_size=16, progress=asked, desc="probe")
    err = capsys.readouterr().err
    assert ("probe" in err and "/40" in err and "img/s" in err) == shown
    np.testing.assert_allclose(feats, extract(net, images, batch_size=40)[0], rtol=1e-5, atol=1e-6)
