"""DiffAugment (Zhao et al. 2020, "Differentiable augmentation for data-efficient GAN training").

The same random, differentiable transforms are applied to real and fake images before D, so D
cannot overfit the few real images while G still receives gradients through the transform. The
transforms follow section 3 of the paper: colour (brightness, saturation, contrast), translation
by up to 1/8 of the image with zero padding, and cutout of a square half the image size.
"""

from collections.abc import Sequence

import torch
import torch.nn.functional as F

ORDER = ("color", "translation", "cutout")


class DiffAugment:
    """Apply a policy of differentiable transforms, drawing randomness from an explicit generator.

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
        unknown = set(policy) - set(ORDER)
        if unknown:
            raise ValueError(f"unknown DiffAugment transforms {sorted(unknown)}; choices: {', '.join(ORDER)}")
        self.policy = [p for p in ORDER if p in policy]
        self.generator = generator
        self.translation_ratio = translation_ratio
        self.cutout_ratio = cutout_ratio

    def __bool__(self) -> bool:
        return bool(self.policy)

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        """[N, C, H, W] -> [N, C, H, W], differentiable with respect to `img`."""
        for name in self.policy:
            img = getattr(self, f"_{name}")(img)
        return img

    def _rand(self, *shape: int, device: torch.device) -> torch.Tensor:
        # Draw on the generator's device, then move, so CPU and CUDA runs share one stream.
        return torch.rand(*shape, generator=self.generator, device=self.generator.device).to(device)

    def _color(self, img: torch.Tensor) -> torch.Tensor:
        n = img.shape[0]
        r = self._rand(3, n, 1, 1, 1, device=img.device)
        img = img + (r[0] - 0.5)  # brightness: add U(-0.5, 0.5)
        mean_c = img.mean(dim=1, keepdim=True)
        img = (img - mean_c) * (r[1] * 2) + mean_c  # saturation: scale by U(0, 2)
        mean_all = img.mean(dim=(1, 2, 3), keepdim=True)
        return (img - mean_all) * (r[2] + 0.5) + mean_all  # contrast: scale by U(0.5, 1.5)

    def _translation(self, img: torch.Tensor) -> torch.Tensor:
        n, _, h, w = img.shape
        sy, sx = int(h * self.translation_ratio + 0.5), int(w * self.translation_ratio + 0.5)
        if sy == 0 and sx == 0:
            return img
        r = self._rand(2, n, device=img.device)
        dy = (r[0] * (2 * sy + 1)).long().clamp(max=2 * sy)  # offsets 0..2*sy into the padded image
        dx = (r[1] * (2 * sx + 1)).long().clamp(max=2 * sx)
        padded = F.pad(img, (sx, sx, sy, sy))  # [N, C, H + 2sy, W + 2sx], zeros outside
        rows = (torch.arange(h, device=img.device)[None, :] + dy[:, None])[:, None, :, None]  # [N, 1, H, 1]
        cols = (torch.arange(w, device=img.device)[None, :] + dx[:, None])[:, None, None, :]  # [N, 1, 1, W]
        padded = padded.gather(2, rows.expand(-1, img.shape[1], -1, padded.shape[3]))  # [N, C, H, W + 2sx]
        return padded.gather(3, cols.expand(-1, img.shape[1], h, -1))  # [N, C, H, W]

    def _cutout(self, img: torch.Tensor) -> torch.Tensor:
        n, _, h, w = img.shape
        ch, cw = int(h * self.cutout_ratio + 0.5), int(w * self.cutout_ratio + 0.5)
        r = self._rand(2, n, device=img.device)
        cy = (r[0] * (h + 1 - ch % 2)).long()  # square centre, as in the paper's reference
        cx = (r[1] * (w + 1 - cw % 2)).long()
        ys = torch.arange(h, device=img.device)[None, :] - (cy[:, None] - ch // 2)  # [N, H]
        xs = torch.arange(w, device=img.device)[None, :] - (cx[:, None] - cw // 2)  # [N, W]
        inside = ((ys >= 0) & (ys < ch))[:, :, None] & ((xs >= 0) & (xs < cw))[:, None, :]  # [N, H, W]
        return img * (~inside)[:, None].to(img.dtype)
