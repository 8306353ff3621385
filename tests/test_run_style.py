"""Run.sample's truncation cutoff and noise modes, and Run.style_mix, on tiny untrained style-based generators."""

from pathlib import Path

import pytest
import torch

from gankit.config import load_config
from gankit.errors import ConfigError
from gankit.models.mapping import truncate
from gankit.nets import build_generator
from gankit.run import Run
from tests.conftest import TINY_STYLE_G

TINY_STYLE = ["data.resolution=16", *TINY_STYLE_G]
STYLE_PRESETS = ["stylegan-digits", "stylegan2-digits"]


def make_run(preset: str, *overrides: str) -> Run:
    """A Run around a freshly built G with a filled w_avg and non-zero noise strengths (as after training)."""
    cfg = load_config(preset, [*TINY_STYLE, *overrides] if "stylegan" in preset else list(overrides))
    torch.manual_seed(0)
    G = build_generator(cfg)
    if hasattr(G, "mapping"):
        G.train()(torch.randn(64, G.z_dim))  # moves w_avg away from 0
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.data.fill_(0.5)  # untrained strengths are 0, which would hide the noise
    G = G.eval().requires_grad_(False)
    return Run(Path("unused"), cfg, Path("unused"), G, 0.0)


@pytest.mark.parametrize("preset", STYLE_PRESETS)
def test_psi_one_leaves_samples_unchanged_and_psi_zero_gives_the_average_w_image(preset):
    """Truncation in W (StyleGAN eq. 3): psi = 1 is the identity, psi = 0 gives every sample the w_avg image."""
    run = make_run(preset)
    G = run.G
    z = run.latents(4, seed=7)
    torch.testing.assert_close(run.sample(4, seed=7, truncation=1.0), G(z), rtol=0, atol=0)
    with pytest.raises(ConfigError, match="truncation_cutoff=2 has no effect without truncation"):
        run.sample(4, seed=7, truncation=1.0, truncation_cutoff=2)  # a cutoff without psi < 1 is a mistake
    avg_img = G.synthesis(G.mapping.w_avg.expand(1, G.num_ws, -1))  # [1, C, H, W]
    torch.testing.assert_close(run.sample(4, seed=7, truncation=0.0), avg_img.expand(4, -1, -1, -1))


@pytest.mark.parametrize("preset", STYLE_PRESETS)
def test_truncation_cutoff_truncates_only_the_first_layers(preset):
    """--truncation-cutoff L: ws before L are pulled to w_avg, the rest are left as the mapping gave them."""
    run = make_run(preset)
    G = run.G
    ws = G.mapping(run.latents(3, seed=2))
    want_ws = torch.cat([truncate(ws, G.mapping.w_avg, 0.0)[:, :2], ws[:, 2:]], dim=1)
    got = run.sample(3, seed=2, truncation=0.0, truncation_cutoff=2)
    torch.testing.assert_close(got, G.synthesis(want_ws))
    assert not torch.allclose(got, run.sample(3, seed=2, truncation=0.0), atol=1e-4)


@pytest.mark.parametrize("preset", STYLE_PRESETS)
def test_noise_modes_are_repeatable_and_random_noise_does_not_depend_on_the_batch(preset):
    """const is the default, random draws per-sample streams from the seed (any batch size), none drops noise."""
    run = make_run(preset)
    const = run.sample(4, seed=1)
    torch.testing.assert_close(run.sample(4, seed=1, noise="const"), const, rtol=0, atol=0)
    random_a = run.sample(4, seed=1, noise="random")
    torch.testing.assert_close(run.sample(4, seed=1, noise="random", batch_size=3), random_a, rtol=0, atol=0)
    torch.testing.assert_close(run.sample(1, seed=1, noise="random"), random_a[:1], rtol=0, atol=0)
    none = run.sample(4, seed=1, noise="none")
    assert not torch.allclose(random_a, const, atol=1e-3) and not torch.allclose(none, const, atol=1e-3)
    assert not torch.allclose(random_a[0], random_a[1], atol=1e-3)  # different samples, different noise
    z = run.latents(4, seed=1)
    torch.testing.assert_close(none, run.G(z, noise_mode="none"))


@pytest.mark.parametrize("preset", STYLE_PRESETS)
def test_style_mix_takes_rows_before_the_crossover_and_columns_after(preset):
    """Each cell is the synthesis of ws[:L] from its row seed and ws[L:] from its column seed; the sources are
    the seeds' ordinary samples."""
    run = make_run(preset)
    G, crossover = run.G, 3
    mix = run.style_mix([1, 2], [5, 6, 7], crossover)
    assert mix.mixed.shape == (2, 3, 1, 16, 16)
    torch.testing.assert_close(mix.row_images[1:2], run.sample(1, seed=2))
    torch.testing.assert_close(mix.col_images[2:3], run.sample(1, seed=7))
    ws_row, ws_col = G.mapping(run.latents(1, seed=2)), G.mapping(run.latents(1, seed=6))
    want = G.synthesis(torch.cat([ws_row[:, :crossover], ws_col[:, crossover:]], dim=1))
    torch.testing.assert_close(mix.mixed[1, 1:2], want)
    assert not torch.allclose(mix.mixed[1, 1], mix.row_images[1], atol=1e-4)
    assert not torch.allclose(mix.mixed[1, 1], mix.col_images[1], atol=1e-4)


def test_style_mix_changes_only_layers_past_the_crossover():
    """Spying on every layer and toRGB: in the mixed image those reading ws before L get the row's w, the
    others the column's (StyleGAN2's toRGB of resolution r reads the w of the next resolution's first layer)."""
    run = make_run("stylegan2-digits")
    G, crossover, seen = run.G, 4, {}
    readers = {i: layer for i, layer in enumerate(G.synthesis.layers)}  # layer i reads ws[:, i]
    readers.update({2 * k + 1 + 100: torgb for k, torgb in enumerate(G.synthesis.torgbs)})  # toRGB k: ws[:, 2k+1]
    hooks = [
        module.register_forward_hook(lambda mod, args, out, key=key: seen.setdefault(key, []).append(args[1]))
        for key, module in readers.items()
    ]
    run.style_mix([3], [4], crossover)  # synthesis order: mixed, row source, column source
    for hook in hooks:
        hook.remove()
    assert len(seen) == 8  # 5 layers and 3 toRGBs at 16x16
    for key, (mixed_w, row_w, col_w) in seen.items():
        ws_index = key % 100
        torch.testing.assert_close(mixed_w, row_w if ws_index < crossover else col_w, rtol=0, atol=0)
        assert not torch.equal(row_w, col_w)


def test_style_mix_grid_puts_sources_in_the_first_row_and_column():
    """StyleGAN figure 3's layout: blank corner, column sources along the top, row sources down the left."""
    mix = make_run("stylegan2-digits").style_mix([1, 2], [3, 4, 5], crossover=2)
    images, nrow = mix.grid()
    assert nrow == 4 and images.shape == (12, 1, 16, 16)
    assert torch.equal(images[0], torch.ones(1, 16, 16))
    torch.testing.assert_close(images[1:4], mix.col_images, rtol=0, atol=0)
    torch.testing.assert_close(images[4], mix.row_images[0], rtol=0, atol=0)
    torch.testing.assert_close(images[9:12], mix.mixed[1], rtol=0, atol=0)


def test_style_mix_with_random_noise_keeps_the_row_seeds_noise():
    """With noise='random', a cell mixed at the last layer differs from its row source only through that layer."""
    run = make_run("stylegan2-digits")
    mix = run.style_mix([1], [2], crossover=1, noise="random")
    torch.testing.assert_close(mix.row_images, run.sample(1, seed=1, noise="random"))
    torch.testing.assert_close(mix.col_images, run.sample(1, seed=2, noise="random"))
    same_ws = run.style_mix([1], [1], crossover=1, noise="random")  # a seed mixed with itself is its own image
    torch.testing.assert_close(same_ws.mixed[0], same_ws.row_images)


@pytest.mark.parametrize("crossover", [0, 6, -1])
def test_crossover_out_of_range_is_named(crossover):
    """The crossover must leave at least one layer to each side; the message names the generator's ws count."""
    run = make_run("stylegan2-digits")  # 16x16: num_ws = 6
    with pytest.raises(ConfigError, match=rf"crossover={crossover} is out of range: .* 6 style layers .* 1\.\.5"):
        run.style_mix([1], [2], crossover)


def test_truncation_cutoff_out_of_range_and_empty_seeds_are_named():
    """Cutoffs past num_ws, empty seed lists and unknown noise modes are refused with the allowed values."""
    run = make_run("stylegan-digits")
    with pytest.raises(ConfigError, match=r"truncation_cutoff=7 is out of range: .* pick 1\.\.6"):
        run.sample(2, truncation=0.5, truncation_cutoff=7)
    with pytest.raises(ConfigError, match=r"col_seeds=\[\]: expected a non-empty list"):
        run.style_mix([1], [], 2)
    with pytest.raises(ConfigError, match="noise='fresh' is not known; choices: const, random, none"):
        run.sample(2, noise="fresh")


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda run: run.style_mix([1], [2], 1), "style mixing"),
        (lambda run: run.sample(2, noise="random"), "noise='random'"),
        (lambda run: run.sample(2, truncation=0.5, truncation_cutoff=2), "truncation_cutoff=2"),
    ],
)
def test_generators_without_mapping_network_name_the_ones_that_have_one(call, what):
    """DCGAN has no mapping network: the error says so and lists the generators that support the option."""
    run = make_run("dcgan-digits", "data.resolution=16", "generator.width=8", "generator.z_dim=16")
    expected = rf"{what} needs a generator with a mapping network, .*'dcgan' has none; .*: stylegan, stylegan2"
    with pytest.raises(ConfigError, match=expected):
        call(run)
