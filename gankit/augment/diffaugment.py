"""DiffAugment (Zhao et al. 2020, "Differentiable augmentation for data-efficient GAN training").

The same random, differentiable transforms are applied to real and fake images before D, so D
cannot overfit the few real images while G still receives gradients through the transform. The
transforms follow section 3 of the paper: colour (brightness, saturation, contrast), translation
by up to 1/8 of the image with zero padding, and cutout of a square half the image size. The
policy strings are the paper's: "color", "translation", "cutout".
"""

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from gankit.augment.base import Augment

ORDER = ("color", "translation", "cutout")


class DiffAugment(Augment):
    """Apply a policy of differentiable transforms, drawing randomness from an explicit generator.

    Called with several batches (a pair), every batch gets the same brightness, saturation and
    contrast factors, the same shift and the same cut-out square.

    Args:
        policy: a subset of ("color", "translation", "cutout"); applied in that order.
        generator: the torch.Generator of this run's augmentation stream.
        translation_ratio: largest shift as a fraction of the image side.
        cutout_ratio: side of the cut-out square as a fraction of the image side.
    """

    def __init__(
        self,
        policy: Sequence[str],
        generator: torch.Generator,
        translation_ratio: float = 0.125,
        cutout_ratio: float = 0.5,
    ) -> None:
        super().__init__(generator)
        unknown = set(policy) - set(ORDER)
        if unknown:
            raise ValueError(f"unknown DiffAugment transforms {sorted(unknown)}; choices: {', '.join(ORDER)}")
        self.policy = [p for p in ORDER if p in policy]
        self.translation_ratio = translation_ratio
        self.cutout_ratio = cutout_ratio

    def __bool__(self) -> bool:
        return bool(self.policy)

    @property
    def active(self) -> bool:
        return bool(self.policy)

    def apply(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Each [N, C_i, H, W] -> [N, C_i, H, W], differentiable with respect to the images."""
        for name in self.policy:
            imgs = getattr(self, f"_{name}")(imgs)
        return imgs

    def _color(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        r = self.rand(3, imgs[0].shape[0], 1, 1, 1, device=imgs[0].device)
        out = []
        for img in imgs:
            img = img + (r[0] - 0.5)  # brightness: add U(-0.5, 0.5)
            mean_c = img.mean(dim=1, keepdim=True)
            img = (img - mean_c) * (r[1] * 2) + mean_c  # saturation: scale by U(0, 2); a no-op on one channel
            mean_all = img.mean(dim=(1, 2, 3), keepdim=True)
            out.append((img - mean_all) * (r[2] + 0.5) + mean_all)  # contrast: scale by U(0.5, 1.5)
        return out

    def _translation(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        n, _, h, w = imgs[0].shape
        sy, sx = int(h * self.translation_ratio + 0.5), int(w * self.translation_ratio + 0.5)
        if sy == 0 and sx == 0:
            return imgs
        device = imgs[0].device
        r = self.rand(2, n, device=device)
        dy = (r[0] * (2 * sy + 1)).long().clamp(max=2 * sy)  # offsets 0..2*sy into the padded image
        dx = (r[1] * (2 * sx + 1)).long().clamp(max=2 * sx)
        rows = (torch.arange(h, device=device)[None, :] + dy[:, None])[:, None, :, None]  # [N, 1, H, 1]
        cols = (torch.arange(w, device=device)[None, :] + dx[:, None])[:, None, None, :]  # [N, 1, 1, W]
        out = []
        for img in imgs:
            c = img.shape[1]
            padded = F.pad(img, (sx, sx, sy, sy))  # [N, C, H + 2sy, W + 2sx], zeros outside
            padded = padded.gather(2, rows.expand(-1, c, -1, padded.shape[3]))  # [N, C, H, W + 2sx]
            out.append(padded.gather(3, cols.expand(-1, c, h, -1)))  # [N, C, H, W]
        return out

    def _cutout(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        n, _, h, w = imgs[0].shape
        device = imgs[0].device
        ch, cw = int(h * self.cutout_ratio + 0.5), int(w * self.cutout_ratio + 0.5)
        r = self.rand(2, n, device=device)
        cy = (r[0] * (h + 1 - ch % 2)).long()  # square centre, as in the paper's reference
        cx = (r[1] * (w + 1 - cw % 2)).long()
        ys = torch.arange(h, device=device)[None, :] - (cy[:, None] - ch // 2)  # [N, H]
        xs = torch.arange(w, device=device)[None, :] - (cx[:, None] - cw // 2)  # [N, W]
        inside = ((ys >= 0) & (ys < ch))[:, :, None] & ((xs >= 0) & (xs < cw))[:, None, :]  # [N, H, W]
        keep = (~inside)[:, None]  # [N, 1, H, W]
        return [img * keep.to(img.dtype) for img in imgs]
