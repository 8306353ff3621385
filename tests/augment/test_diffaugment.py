import torch

from gankit.augment import DiffAugment


def _aug(policy, seed=0):
    return DiffAugment(policy, torch.Generator().manual_seed(seed))


def test_translation_shifts_content_without_scaling():
    img = torch.zeros(16, 1, 16, 16)
    img[:, :, 8, 8] = 1.0
    out = _aug(["translation"])(img)
    assert out.shape == img.shape
    torch.testing.assert_close(out.sum(dim=(1, 2, 3)), torch.ones(16))  # the dot moved by at most 2 px, never lost
    ys, xs = (out[:, 0] == 1).nonzero()[:, 1], (out[:, 0] == 1).nonzero()[:, 2]
    assert (ys - 8).abs().max() <= 2 and (xs - 8).abs().max() <= 2
    assert len(set(zip(ys.tolist(), xs.tolist(), strict=True))) > 1


def test_cutout_zeroes_a_quarter_of_the_image():
    img = torch.ones(8, 3, 16, 16)
    out = _aug(["cutout"])(img)
    zeroed = (out == 0).all(dim=1).float().mean(dim=(1, 2))
    assert (zeroed <= 0.25 + 1e-6).all() and (zeroed > 0).all()


def test_augmentation_is_seeded_and_differentiable():
    img = torch.randn(4, 3, 8, 8, requires_grad=True)
    a = _aug(["color", "translation", "cutout"], seed=3)(img)
    b = _aug(["color", "translation", "cutout"], seed=3)(img)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    a.sum().backward()
    assert img.grad is not None and img.grad.abs().sum() > 0
