"""Random transforms of the real images as the batch stream hands them out (`augment.dataset`).

Each batch's draws come from a generator seeded by the run seed and the batch's place in the data
order (epoch, offset), so they need no state of their own and a resumed run repeats them exactly.
The images stay in [-1, 1]: colour changes are clamped.
"""

import torch

from gankit.augment.options import DatasetTransformOptions


class DatasetTransform:
    """x-flip, random crop (translation with replicated borders) and colour jitter of real batches.

    Args:
        opts: the `augment.dataset` section.
        seed: the run seed.
    """

    def __init__(self, opts: DatasetTransformOptions, seed: int) -> None:
        self.opts, self.seed = opts, seed

    def __call__(self, img: torch.Tensor, epoch: int, offset: int) -> torch.Tensor:
        """[N, C, H, W] in [-1, 1] -> the same; `epoch` and `offset` place the batch in the data order."""
        o = self.opts
        n, c, h, w = img.shape
        gen = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) * 1_000_033 + offset)
        r = torch.rand(6, n, generator=gen).to(img.device)  # one draw per transform and image, used or not

        # Mirror half of the images.
        if o.xflip:
            img = torch.where((r[0] < 0.5)[:, None, None, None], img.flip(3), img)

        # Crop a shifted window out of the image with its borders replicated.
        sy, sx = round(h * o.translate_ratio), round(w * o.translate_ratio)
        if sy or sx:
            dy = (r[1] * (2 * sy + 1)).long().clamp(max=2 * sy)  # offsets 0..2*sy into the padded image
            dx = (r[2] * (2 * sx + 1)).long().clamp(max=2 * sx)
            padded = torch.nn.functional.pad(img, (sx, sx, sy, sy), mode="replicate")  # [N, C, H + 2sy, W + 2sx]
            rows = (torch.arange(h, device=img.device)[None, :] + dy[:, None])[:, None, :, None]  # [N, 1, H, 1]
            cols = (torch.arange(w, device=img.device)[None, :] + dx[:, None])[:, None, None, :]  # [N, 1, 1, W]
            padded = padded.gather(2, rows.expand(-1, c, -1, padded.shape[3]))  # [N, C, H, W + 2sx]
            img = padded.gather(3, cols.expand(-1, c, h, -1))  # [N, C, H, W]

        # Jitter brightness, contrast and (RGB only) saturation.
        if not (o.brightness or o.contrast or (o.saturation and c == 3)):
            return img
        u = (r[3:] * 2 - 1)[:, :, None, None, None]  # [3, N, 1, 1, 1] in [-1, 1)
        img = img + u[0] * o.brightness
        mean = img.mean(dim=(1, 2, 3), keepdim=True)
        img = (img - mean) * (1 + u[1] * o.contrast) + mean
        if c == 3:
            grey = img.mean(dim=1, keepdim=True)
            img = (img - grey) * (1 + u[2] * o.saturation) + grey
        return img.clamp(-1, 1)
