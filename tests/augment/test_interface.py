import pytest
import torch

from gankit.augment import ADA, DiffAugment, Identity, build_augment
from gankit.config import load_config


def test_diffaugment_pairs_get_the_same_transform():
    img = torch.rand(8, 3, 16, 16) * 2 - 1
    aug = DiffAugment(["color", "translation", "cutout"], torch.Generator().manual_seed(4))
    a, b = aug(img, img.clone())
    assert torch.equal(a, b)
    grey = img[:, :1]
    g1, g3 = DiffAugment(["translation", "cutout"], torch.Generator().manual_seed(4))(grey, grey.repeat(1, 3, 1, 1))
    assert torch.equal(g3, g1.repeat(1, 3, 1, 1))


def test_one_batch_in_one_batch_out():
    img = torch.zeros(2, 1, 8, 8)
    assert isinstance(Identity(torch.Generator())(img), torch.Tensor)
    assert isinstance(Identity(torch.Generator())(img, img), tuple)


@pytest.mark.parametrize(
    ("overrides", "kind", "adaptive"),
    [
        ([], Identity, False),
        (["augment.diffaugment=[color, cutout]"], DiffAugment, False),
        (["augment.ada.mode=fixed", "augment.ada.p=0.3"], ADA, False),
        (["augment.ada.mode=adaptive"], ADA, True),
    ],
)
def test_config_picks_the_augment(overrides, kind, adaptive):
    cfg = load_config("dcgan-digits", overrides)
    aug, ctl = build_augment(cfg.augment, torch.Generator())
    assert type(aug) is kind and (ctl is not None) == adaptive
    if kind is ADA and not adaptive:
        assert aug.p.item() == pytest.approx(0.3)


def test_diffaugment_and_ada_together_are_refused():
    from gankit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"augment\.ada\.mode='adaptive' are both set; pick one"):
        load_config("dcgan-digits", ["augment.diffaugment=[color]", "augment.ada.mode=adaptive"])
