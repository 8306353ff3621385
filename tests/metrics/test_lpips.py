from pathlib import Path

import pytest
import torch

from gankit.errors import CheckpointError
from gankit.metrics.lpips import LPIPS, VARIANTS, load_lpips
from gankit.metrics.seeded_weights import seeded_state_dict, shapes_of


def _seeded(variant: str) -> LPIPS:
    net = LPIPS(variant)
    state = seeded_state_dict(shapes_of(net), 0)
    state = {k: v.abs() if k.startswith("lin") else v for k, v in state.items()}  # heads are non-negative
    net.load_state_dict(state)
    return net.eval()


def _images(seed: int, n: int = 3, res: int = 64) -> torch.Tensor:
    return torch.rand(n, 3, res, res, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("variant", ["alex", "vgg"])
def test_lpips_identities(variant):
    """Protects the metric's basic properties: d(x, x) = 0, symmetry, positivity, batch-size independence."""
    net = _seeded(variant)
    a, b = _images(0), _images(1)
    with torch.no_grad():
        same, ab, ba = net(a, a), net(a, b), net(b, a)
        one_by_one = torch.cat([net(a[i : i + 1], b[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(same, torch.zeros(3), atol=1e-7, rtol=0)
    torch.testing.assert_close(ab, ba, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(one_by_one, ab, atol=1e-6, rtol=1e-5)
    assert (ab > 0).all()


def test_lpips_matches_eq1_recomputed_by_hand():
    """Pins eq. 1 of Zhang et al. 2018 on the AlexNet taps: unit-normalise, square, weight, average, sum."""
    net = _seeded("alex")
    a, b = _images(2, n=1), _images(3, n=1)
    shift, scale = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1), torch.tensor([0.458, 0.448, 0.450])
    xa, xb, start, total = (a - shift) / scale.view(1, 3, 1, 1), (b - shift) / scale.view(1, 3, 1, 1), 0, 0.0
    with torch.no_grad():
        for i, end in enumerate(VARIANTS["alex"]["taps"]):
            xa, xb = net.features[start:end](xa), net.features[start:end](xb)
            na, nb = xa / xa.norm(dim=1, keepdim=True), xb / xb.norm(dim=1, keepdim=True)
            w = getattr(net, f"lin{i}").model[1].weight.view(1, -1, 1, 1)
            total += ((na - nb) ** 2 * w).sum(dim=1).mean().item()
            start = end
        assert net(a, b).item() == pytest.approx(total, rel=1e-4)


def test_load_lpips_from_local_files_and_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    with pytest.raises(CheckpointError, match="alexnet-owt-7be5be79.pth .*sha256 7be5be791159472b1fbf3c69796f7cb3"):
        load_lpips("alex")
    state = _seeded("alex").state_dict()
    backbone, heads = tmp_path / "alexnet-owt-7be5be79.pth", tmp_path / "heads.pth"
    torch.save({k: v for k, v in state.items() if k.startswith("features.")}, backbone)
    torch.save({k: v for k, v in state.items() if k.startswith("lin")}, heads)
    with pytest.raises(CheckpointError, match="expected 7be5be791159472b.*LPIPS-alex backbone"):
        load_lpips("alex", backbone_path=backbone, heads_path=heads)
    net = load_lpips("alex", backbone_path=backbone, heads_path=heads, check_hash=False)
    assert set(net.weight_sha256) == {"backbone", "heads"} and not net.training
    a, b = _images(4, n=2), _images(5, n=2)
    torch.testing.assert_close(net(a, b), _seeded("alex")(a, b))
