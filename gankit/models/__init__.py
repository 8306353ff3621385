"""Generators and discriminators, one family per file; importing registers them."""

from gankit.models import biggan, dcgan, mlp, multiscale, pggan, resnet, stylegan, stylegan2, stylegan3  # noqa: F401
