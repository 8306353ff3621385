import pytest
import torch

from gankit.data.digits import load_digits_dataset
from gankit.data.loader import BatchStream
from gankit.models.dcgan import DCGANGenerator
from gankit.train.ema import GeneratorEMA, recalibrate_batchnorm
from gankit.train.stats import TickCollector, format_tick
from gankit.train.streams import RandomStreams


def test_batch_stream_state_round_trip_mid_epoch():
    """A stream restored mid-epoch yields exactly the batches the original would have."""
    ds = load_digits_dataset("test", 8)
    a = BatchStream(ds, 64, seed=1)
    for _ in range(9):  # crosses the epoch boundary at 7 batches of 64 out of 450
        a.next_indices()
    b = BatchStream(ds, 64, seed=1)
    b.load_state_dict(a.state_dict())
    for _ in range(10):
        assert torch.equal(a.next_indices(), b.next_indices())
    assert a.epoch == 2


def test_batch_stream_epochs_are_permutations():
    ds = load_digits_dataset("test", 8)
    s = BatchStream(ds, 50, seed=0)
    seen = torch.cat([s.next_indices() for _ in range(9)])
    assert sorted(seen.tolist()) == list(range(450))


def test_random_streams_round_trip():
    a = RandomStreams(3, 0, torch.device("cpu"))
    state = a.state_dict()
    x = torch.randn(4, generator=a["latent"])
    b = RandomStreams(99, 0, torch.device("cpu"))
    b.load_state_dict(state, rank=0)
    assert torch.equal(torch.randn(4, generator=b["latent"]), x)


def test_ema_half_life_and_rampup():
    """After one half-life of images the EMA weight of the old value is 1/2 (Karras et al. convention)."""
    G = DCGANGenerator(8, 1, z_dim=4, width=2)
    ema = GeneratorEMA(G, halflife_kimg=1.0, rampup=None)
    betas = [ema.beta(100, 1000) for _ in range(10)]
    torch.testing.assert_close(torch.tensor(betas).prod(), torch.tensor(0.5), rtol=1e-6, atol=1e-6)
    ramped = GeneratorEMA(G, halflife_kimg=1.0, rampup=0.05)
    assert ramped.beta(100, 2000) < ema.beta(100, 2000)  # half-life capped at 5% of 2,000 images
    assert GeneratorEMA(G, 0.0, None).beta(100, 10) == 0.0


def test_ema_update_moves_towards_g():
    G = DCGANGenerator(8, 1, z_dim=4, width=2)
    ema = GeneratorEMA(G, halflife_kimg=0.1, rampup=None)
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
    before = [p.clone() for p in ema.G_ema.parameters()]
    ema.update(batch_size=100, nimg=1000)
    for p_ema, p_old, p in zip(ema.G_ema.parameters(), before, G.parameters(), strict=True):
        torch.testing.assert_close(p_ema, p_old + 0.5 * (p - p_old), rtol=1e-5, atol=1e-6)


def test_recalibrated_batchnorm_matches_batch_statistics():
    """Standing statistics equal the plain average over calibration batches, so eval mode matches train mode."""
    G = DCGANGenerator(8, 1, z_dim=4, width=2)
    z = torch.randn(512, 4, generator=torch.Generator().manual_seed(0))
    recalibrate_batchnorm(G, lambda: z, batches=3)
    assert not G.training
    with torch.no_grad():
        eval_out = G(z)
        G.train()
        train_out = G(z)
    torch.testing.assert_close(eval_out, train_out, rtol=1e-3, atol=1e-3)


def test_collector_averages_once_per_tick_and_formats_fixed_width():
    c = TickCollector()
    for v in (1.0, 2.0, 3.0):
        c.add({"loss_d": torch.tensor(v), "d_real": torch.tensor(v / 10)})
    avg = c.reduce()
    assert avg == pytest.approx({"d_real": 0.2, "loss_d": 2.0})
    assert c.reduce() == {}
    line = format_tick({"tick": 3, "kimg": 12.0, "time_s": 75, "sec_per_kimg": 2.5, "img_per_sec": 400.0, **avg})
    assert line.startswith("tick 3     kimg 12.0     time 1m 15s    sec/kimg 2.50    img/s 400.0   loss_d 2.000")
    assert "D(x) 0.200" in line
