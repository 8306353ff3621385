"""The augmentation pipeline of ADA (Karras et al. 2020, "Training generative adversarial networks with
limited data", section 2 and appendix B), written from the paper's description.

Every transform is applied to each image independently with probability p (times its multiplier,
1 for the paper's default "blit + geometric + colour" groups), with the paper's strengths:

| group | transform | parameter (paper symbol) |
| --- | --- | --- |
| pixel blitting | x-flip | mirror with probability 1/2 |
| | 90-degree rotations | k * 90 degrees, k uniform in 0..3 |
| | integer translation | t ~ U(-0.125, 0.125) of the side, rounded to whole pixels |
| general geometric | isotropic scaling | s ~ 2^N(0, 0.2^2) |
| | arbitrary rotation | theta ~ U(-180, 180) degrees, twice, each with probability 1 - sqrt(1 - p) |
| | anisotropic scaling | (s, 1/s) with s ~ 2^N(0, 0.2^2) |
| | fractional translation | t ~ N(0, 0.125^2) of the side |
| colour | brightness | b ~ N(0, 0.2^2) added |
| | contrast | c ~ 2^N(0, 0.5^2) multiplied |
| | luma flip | I - 2 v v^T i, i uniform in {0, 1}, v the luma axis |
| | hue rotation | theta ~ U(-180, 180) degrees about v |
| | saturation | s ~ 2^N(0, 1^2) on the components orthogonal to v |
| filtering | 4 frequency bands | each band gain ~ 2^N(0, 1^2), total expected power kept |
| corruption | additive noise | sigma ~ abs(N(0, 0.1^2)), then N(0, sigma^2) per pixel |
| | cutout | a square of half the side, centre uniform, set to 0 |

Geometry (blitting and general) is composed into ONE 3x3 matrix per image, in pixel units about
the image centre, and applied with one `grid_sample`. Filter choice: bilinear (or bicubic, by
option) interpolation with reflection padding. The paper instead upsamples 2x with a wavelet
filter before sampling, which keeps more fine detail under fractional shifts and avoids aliasing
when scaling down; bilinear blurs slightly at fractional positions, which reals and fakes undergo
alike. Blits alone map pixel centres onto pixel centres, so bilinear reproduces them exactly.
Colour transforms are composed into one 4x4 matrix (RGB plus a constant) and applied once.

Grayscale (one channel): a grey value g is treated as the achromatic colour (g, g, g); the colour
matrix is applied and the three results are averaged. So brightness and contrast act as usual,
luma flip becomes the inversion g -> -g, and hue rotation and saturation, which leave grey
unchanged, are skipped. Other channel counts than 1 and 3 raise NotImplementedError when colour
transforms are on.

Identity is exact: an image for which no transform fired in a stage is passed through that stage
untouched (`torch.where`), so p = 0 returns the input bit for bit. No step reads p on the host.
"""

import math

import torch
import torch.nn.functional as F

from gankit.augment import ada_matrices as mat
from gankit.augment.base import Augment

# Transform names in the order the pipeline applies them; each has a probability multiplier.
GEOMETRIC = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac")
COLOUR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
TRANSFORMS = (*GEOMETRIC, *COLOUR, "imgfilter", "noise", "cutout")

# Strengths from appendix B of the paper.
XINT_MAX = 0.125
SCALE_STD = 0.2
ROTATE_MAX = 1.0  # times pi
ANISO_STD = 0.2
XFRAC_STD = 0.125
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5
HUE_MAX = 1.0  # times pi
SATURATION_STD = 1.0
IMGFILTER_STD = 1.0
IMGFILTER_BAND_EDGES = (1 / 8, 1 / 4, 1 / 2)  # band limits as fractions of the Nyquist frequency
IMGFILTER_EXPECTED_POWER = (10.0, 1.0, 1.0, 1.0)  # relative power per band assumed when keeping total power
NOISE_STD = 0.1
CUTOUT_SIZE = 0.5


class ADA(Augment):
    """ADA's augmentation pipeline with probability `p`, a 0-dim tensor on the generator's device.

    Args:
        generator: the torch.Generator of this run's augmentation stream.
        p: the starting probability; `ADAController` moves it, or it stays fixed.
        multipliers: per-transform probability multipliers, keyed by the names in `TRANSFORMS`;
            missing keys are 0. A transform with multiplier 0 draws nothing and costs nothing.
        interpolation: "bilinear" or "bicubic", the filter of the single geometric resampling.
    """

    def __init__(
        self,
        generator: torch.Generator,
        p: float = 0.0,
        multipliers: dict[str, float] | None = None,
        interpolation: str = "bilinear",
    ) -> None:
        super().__init__(generator)
        multipliers = dict(multipliers or {})
        unknown = set(multipliers) - set(TRANSFORMS)
        if unknown:
            raise ValueError(f"unknown ADA transforms {sorted(unknown)}; choices: {', '.join(TRANSFORMS)}")
        self.multipliers = {name: float(multipliers.get(name, 0.0)) for name in TRANSFORMS}
        self.interpolation = interpolation
        self.p = torch.tensor(float(p), dtype=torch.float32, device=generator.device)

    @property
    def active(self) -> bool:
        return any(m > 0 for m in self.multipliers.values())

    def apply(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Each [N, C_i, H, W] in [-1, 1] -> [N, C_i, H, W], the same transform for every batch of the call."""
        n, device = imgs[0].shape[0], imgs[0].device
        if any(self.multipliers[t] > 0 for t in GEOMETRIC):
            matrix, moved = self.geometric_matrix(n, imgs[0].shape[3], imgs[0].shape[2], device)
            imgs = self.resample(imgs, matrix, moved)
        if any(self.multipliers[t] > 0 for t in COLOUR):
            imgs = self._colour(imgs)
        if self.multipliers["imgfilter"] > 0:
            imgs = self._imgfilter(imgs)
        if self.multipliers["noise"] > 0:
            imgs = self._noise(imgs)
        if self.multipliers["cutout"] > 0:
            imgs = self._cutout(imgs)
        return imgs

    def _fires(self, name: str, n: int, device: torch.device, prob: torch.Tensor | None = None) -> torch.Tensor:
        """[N] bool: which images get transform `name` this call."""
        prob = self.p.to(device) * self.multipliers[name] if prob is None else prob
        return self.rand(n, device=device) < prob

    # Geometry.
    def geometric_parts(self, n: int, width: int, height: int, device: torch.device) -> list[torch.Tensor]:
        """The sampling matrices [N, 3, 3] of every enabled geometric transform, in order of application.

        Each maps output pixel coordinates (about the image centre) to input coordinates; identity
        where the transform did not fire. Applying them one by one equals applying their product
        `parts[0] @ parts[1] @ ...` once.
        """
        m, parts = self.multipliers, []
        zero, one = torch.zeros(n, device=device), torch.ones(n, device=device)

        # Pixel blitting: x-flip, 90-degree rotations, integer translation.
        if m["xflip"] > 0:
            flip = (self.rand(n, device=device) * 2).floor()
            flip = torch.where(self._fires("xflip", n, device), flip, zero)
            parts.append(mat.scale2d(1 - 2 * flip, one))
        if m["rotate90"] > 0:
            k = (self.rand(n, device=device) * 4).floor().long()
            k = torch.where(self._fires("rotate90", n, device), k, torch.zeros_like(k))
            cos = torch.tensor([1.0, 0.0, -1.0, 0.0], device=device)[k]  # exact, unlike cos(k * pi / 2)
            sin = torch.tensor([0.0, 1.0, 0.0, -1.0], device=device)[k]
            parts.append(mat.rotate2d_cos_sin(cos, sin))
        if m["xint"] > 0:
            t = (self.rand(2, n, device=device) * 2 - 1) * XINT_MAX
            t = torch.where(self._fires("xint", n, device), t, zero)
            parts.append(mat.translate2d((t[0] * width).round(), (t[1] * height).round()))

        # General geometric: isotropic scaling, rotation, anisotropic scaling, rotation, fractional translation.
        p_rot = 1 - (1 - (self.p.to(device) * m["rotate"]).clamp(0, 1)).sqrt()  # two rotations: P(any) = p
        if m["scale"] > 0:
            s = torch.exp2(self.randn(n, device=device) * SCALE_STD)
            s = torch.where(self._fires("scale", n, device), s, one)
            parts.append(mat.scale2d(s, s))
        if m["rotate"] > 0:
            theta = (self.rand(n, device=device) * 2 - 1) * math.pi * ROTATE_MAX
            parts.append(mat.rotate2d(torch.where(self._fires("rotate", n, device, p_rot), theta, zero)))
        if m["aniso"] > 0:
            s = torch.exp2(self.randn(n, device=device) * ANISO_STD)
            s = torch.where(self._fires("aniso", n, device), s, one)
            parts.append(mat.scale2d(s, 1 / s))
        if m["rotate"] > 0:
            theta = (self.rand(n, device=device) * 2 - 1) * math.pi * ROTATE_MAX
            parts.append(mat.rotate2d(torch.where(self._fires("rotate", n, device, p_rot), theta, zero)))
        if m["xfrac"] > 0:
            t = self.randn(2, n, device=device) * XFRAC_STD
            t = torch.where(self._fires("xfrac", n, device), t, zero)
            parts.append(mat.translate2d(t[0] * width, t[1] * height))
        return parts

    def geometric_matrix(
        self, n: int, width: int, height: int, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(the composed sampling matrix [N, 3, 3] in pixel units, [N] bool: which images it moves)."""
        matrix = torch.eye(3, device=device).expand(n, 3, 3)
        for part in self.geometric_parts(n, width, height, device):
            matrix = matrix @ part  # [N, 3, 3]; the part applied first stays leftmost
        moved = (matrix != torch.eye(3, device=device)).flatten(1).any(dim=1)
        return matrix, moved

    def resample(
        self, imgs: list[torch.Tensor], matrix: torch.Tensor, moved: torch.Tensor, padding: str = "reflection"
    ) -> list[torch.Tensor]:
        """Warp every batch with the sampling matrix [N, 3, 3] (pixel units) in one `grid_sample`.

        Args:
            imgs: batches [N, C_i, H, W].
            matrix: output pixel coordinates (about the centre) -> input coordinates, [N, 3, 3].
            moved: [N] bool; images where it is False are returned untouched.
            padding: `grid_sample`'s padding mode; the pipeline uses "reflection".
        """
        n, _, h, w = imgs[0].shape
        to_pixels = torch.diag(torch.tensor([w / 2, h / 2, 1.0], device=matrix.device))
        to_unit = torch.diag(torch.tensor([2 / w, 2 / h, 1.0], device=matrix.device))
        theta = (to_unit @ matrix @ to_pixels)[:, :2, :]  # [N, 2, 3] in grid_sample's [-1, 1] coordinates
        stacked = torch.cat(imgs, dim=1) if len(imgs) > 1 else imgs[0]  # one warp keeps a pair aligned
        grid = F.affine_grid(theta, list(stacked.shape), align_corners=False)  # [N, H, W, 2]
        warped = F.grid_sample(stacked, grid, mode=self.interpolation, padding_mode=padding, align_corners=False)
        warped = torch.where(moved[:, None, None, None], warped, stacked)  # untouched images stay bit-exact
        return list(warped.split([img.shape[1] for img in imgs], dim=1))

    # Colour.
    def colour_matrices(
        self, n: int, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The composed colour matrices of one call.

        Returns:
            (full [N, 4, 4] for RGB, grey [N, 4, 4] without hue and saturation for one channel,
            [N] bool: which RGB images change, [N] bool: which grey images change).
        """
        m = self.multipliers
        zero, one = torch.zeros(n, device=device), torch.ones(n, device=device)
        grey = torch.eye(4, device=device).expand(n, 4, 4)
        changed = torch.zeros(n, dtype=torch.bool, device=device)
        if m["brightness"] > 0:
            fired = self._fires("brightness", n, device)
            b = torch.where(fired, self.randn(n, device=device) * BRIGHTNESS_STD, zero)
            grey, changed = mat.translate3d(b) @ grey, changed | fired
        if m["contrast"] > 0:
            fired = self._fires("contrast", n, device)
            c = torch.where(fired, torch.exp2(self.randn(n, device=device) * CONTRAST_STD), one)
            grey, changed = mat.scale3d(c) @ grey, changed | fired
        if m["lumaflip"] > 0:
            fired = self._fires("lumaflip", n, device)
            i = torch.where(fired, (self.rand(n, device=device) * 2).floor(), zero)
            grey, changed = mat.luma_flip3d(i) @ grey, changed | fired
        full, grey_changed = grey, changed
        if m["hue"] > 0:
            fired = self._fires("hue", n, device)
            theta = torch.where(fired, (self.rand(n, device=device) * 2 - 1) * math.pi * HUE_MAX, zero)
            full, changed = mat.rotate_luma3d(theta) @ full, changed | fired
        if m["saturation"] > 0:
            fired = self._fires("saturation", n, device)
            s = torch.where(fired, torch.exp2(self.randn(n, device=device) * SATURATION_STD), one)
            full, changed = mat.saturate3d(s) @ full, changed | fired
        return full, grey, changed, grey_changed

    def _colour(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        full, grey, changed, grey_changed = self.colour_matrices(imgs[0].shape[0], imgs[0].device)
        out = []
        for img in imgs:
            if img.shape[1] == 3:
                rgb = torch.einsum("nij,njhw->nihw", full[:, :3, :3], img) + full[:, :3, 3, None, None]
                out.append(torch.where(changed[:, None, None, None], rgb, img))
            elif img.shape[1] == 1:
                gain = grey[:, :3, :3].sum(dim=(1, 2)) / 3  # [N]: mean of M @ (g, g, g) over the 3 outputs
                bias = grey[:, :3, 3].mean(dim=1)  # [N]
                g = img * gain[:, None, None, None] + bias[:, None, None, None]
                out.append(torch.where(grey_changed[:, None, None, None], g, img))
            else:
                raise NotImplementedError(
                    f"ADA colour transforms need 1 or 3 channels, got {img.shape[1]}; set the colour "
                    "multipliers (augment.ada.brightness, contrast, lumaflip, hue, saturation) to 0"
                )
        return out

    # Filtering and corruption.
    def _imgfilter(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        n, _, h, w = imgs[0].shape
        device = imgs[0].device
        bands = len(IMGFILTER_EXPECTED_POWER)
        gains = torch.exp2(self.randn(n, bands, device=device) * IMGFILTER_STD)
        fired = self.rand(n, bands, device=device) < self.p.to(device) * self.multipliers["imgfilter"]
        gains = torch.where(fired, gains, torch.ones_like(gains))  # [N, bands]
        power = torch.tensor(IMGFILTER_EXPECTED_POWER, device=device)
        gains = gains / ((gains.square() * power).sum(dim=1, keepdim=True) / power.sum()).sqrt()

        # Map each rfft2 frequency to its band by its larger axis frequency, as a fraction of Nyquist.
        fy = torch.fft.fftfreq(h, device=device).abs()[:, None] * 2  # [H, 1]
        fx = torch.fft.rfftfreq(w, device=device)[None, :] * 2  # [1, W // 2 + 1]
        radius = torch.maximum(fy, fx)  # [H, W // 2 + 1] in [0, 1]
        band = torch.bucketize(radius, torch.tensor(IMGFILTER_BAND_EDGES, device=device), right=True)
        gain_map = gains[:, band]  # [N, H, W // 2 + 1]
        active = fired.any(dim=1)[:, None, None, None]
        out = []
        for img in imgs:
            filtered = torch.fft.irfft2(torch.fft.rfft2(img) * gain_map[:, None], s=(h, w))  # [N, C, H, W]
            out.append(torch.where(active, filtered.to(img.dtype), img))
        return out

    def _noise(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        n, _, h, w = imgs[0].shape
        device = imgs[0].device
        fired = self._fires("noise", n, device)
        sigma = torch.where(fired, self.randn(n, device=device).abs() * NOISE_STD, torch.zeros(n, device=device))
        noise = self.randn(n, max(img.shape[1] for img in imgs), h, w, device=device) * sigma[:, None, None, None]
        return [torch.where(fired[:, None, None, None], img + noise[:, : img.shape[1]], img) for img in imgs]

    def _cutout(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        n, _, h, w = imgs[0].shape
        device = imgs[0].device
        fired = self._fires("cutout", n, device)
        centre = self.rand(2, n, device=device)  # [2, N]: y and x of the square's centre, as fractions of the side
        ys = ((torch.arange(h, device=device) + 0.5) / h)[None, :] - centre[0][:, None]  # [N, H]
        xs = ((torch.arange(w, device=device) + 0.5) / w)[None, :] - centre[1][:, None]  # [N, W]
        inside = (ys.abs() < CUTOUT_SIZE / 2)[:, :, None] & (xs.abs() < CUTOUT_SIZE / 2)[:, None, :]  # [N, H, W]
        keep = ~(inside & fired[:, None, None])[:, None]  # [N, 1, H, W]
        return [img * keep.to(img.dtype) for img in imgs]

    # State.
    def state_dict(self) -> dict:
        return {"p": self.p.detach().cpu().clone()}

    def load_state_dict(self, state: dict) -> None:
        self.p = state["p"].to(device=self.p.device, dtype=torch.float32).clone()

    def log_values(self) -> dict[str, torch.Tensor]:
        """Values for the tick line: the current probability."""
        return {"aug_p": self.p}
