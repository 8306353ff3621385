"""Batched homogeneous matrices for ADA: 3x3 for 2D geometry, 4x4 for colour (RGB plus a constant).

Every builder takes per-sample parameters [N] and returns [N, 3, 3] or [N, 4, 4], so a whole batch
of random transforms is composed with matrix products and applied once.
"""

import math

import torch

# The luma axis of RGB colour space, along which grey values lie: (1, 1, 1) / sqrt(3).
LUMA_AXIS = (1 / math.sqrt(3),) * 3


def _eye(n: int, size: int, ref: torch.Tensor) -> torch.Tensor:
    return torch.eye(size, dtype=ref.dtype, device=ref.device).expand(n, size, size).clone()  # [N, size, size]


def translate2d(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    """[N], [N] -> [N, 3, 3]: (x, y) -> (x + tx, y + ty)."""
    m = _eye(tx.shape[0], 3, tx)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def scale2d(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    """[N], [N] -> [N, 3, 3]: (x, y) -> (sx * x, sy * y)."""
    m = _eye(sx.shape[0], 3, sx)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    return m


def rotate2d_cos_sin(cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """[N], [N] -> [N, 3, 3]: rotation by the angle with this cosine and sine (exact for multiples of 90 degrees)."""
    m = _eye(cos.shape[0], 3, cos)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = cos, -sin, sin, cos
    return m


def rotate2d(theta: torch.Tensor) -> torch.Tensor:
    """[N] angles in radians -> [N, 3, 3] rotation matrices."""
    return rotate2d_cos_sin(theta.cos(), theta.sin())


def translate3d(t: torch.Tensor) -> torch.Tensor:
    """[N] -> [N, 4, 4]: add t to every colour channel (brightness)."""
    m = _eye(t.shape[0], 4, t)
    m[:, :3, 3] = t[:, None]
    return m


def scale3d(s: torch.Tensor) -> torch.Tensor:
    """[N] -> [N, 4, 4]: multiply every colour channel by s (contrast)."""
    m = _eye(s.shape[0], 4, s)
    m[:, 0, 0] = m[:, 1, 1] = m[:, 2, 2] = s
    return m


def luma_projector(ref: torch.Tensor) -> torch.Tensor:
    """[4, 4]: v v^T in the colour block (v the luma axis), zero elsewhere."""
    v = torch.tensor([*LUMA_AXIS, 0.0], dtype=ref.dtype, device=ref.device)
    return torch.outer(v, v)  # [4, 4]


def luma_flip3d(i: torch.Tensor) -> torch.Tensor:
    """[N] values in {0, 1} -> [N, 4, 4]: I - 2 v v^T i, a mirror of the colour component along the luma axis."""
    return _eye(i.shape[0], 4, i) - 2 * luma_projector(i)[None] * i[:, None, None]


def rotate_luma3d(theta: torch.Tensor) -> torch.Tensor:
    """[N] angles in radians -> [N, 4, 4] rotations about the luma axis (hue rotation, Rodrigues' formula)."""
    vx, vy, vz = LUMA_AXIS
    cross = torch.tensor([[0, -vz, vy, 0], [vz, 0, -vx, 0], [-vy, vx, 0, 0], [0, 0, 0, 0]], dtype=theta.dtype)
    cross = cross.to(theta.device)  # [4, 4], the cross-product matrix [v]_x
    proj = luma_projector(theta)
    colour_eye = torch.diag(torch.tensor([1.0, 1.0, 1.0, 0.0], dtype=theta.dtype, device=theta.device))
    c, s = theta.cos()[:, None, None], theta.sin()[:, None, None]
    rot = c * colour_eye + s * cross + (1 - c) * proj  # [N, 4, 4], zero in the constant row and column
    rot[:, 3, 3] = 1
    return rot


def saturate3d(s: torch.Tensor) -> torch.Tensor:
    """[N] -> [N, 4, 4]: keep the luma component, scale the chroma components by s (saturation)."""
    proj = luma_projector(s)[None]  # [1, 4, 4]
    colour_eye = torch.diag(torch.tensor([1.0, 1.0, 1.0, 0.0], dtype=s.dtype, device=s.device))[None]
    m = proj + (colour_eye - proj) * s[:, None, None]
    m[:, 3, 3] = 1
    return m
