import json

import pytest
import torch

from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer, prepare_run_dir
from tests.conftest import train_run as _train


def _state(trainer):
    nets = {"G": trainer.G, "D": trainer.D, "G_ema": trainer.ema.G_ema}
    return {f"{n}.{k}": v.clone() for n, net in nets.items() for k, v in net.state_dict().items()}


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs"


def test_d_phase_lowers_d_loss_and_leaves_g_untouched(tiny_cfg, tmp_path):
    """A D phase changes only D, and lowers D's loss on the batch it trained on."""
    trainer = Trainer(tiny_cfg("augment.diffaugment=[]", "train.lr_d=0.001"), tmp_path)
    d_phase = next(p for p in trainer.game.phases if p.name == "D")
    g_before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    trainer.ctx.real_img, _ = trainer.stream.next()
    z = trainer.ctx.sample_z(16)
    trainer.ctx.sample_z = lambda n: z  # the same fakes before and after
    trainer.D.requires_grad_(True)

    def d_loss():
        with torch.no_grad():
            trainer.D.eval()
            fake = trainer.G.eval()(z)
            real_logits, fake_logits = trainer.D(trainer.ctx.real_img), trainer.D(fake)
            trainer.D.train(), trainer.G.train()
            return torch.nn.functional.softplus(-real_logits).mean() + torch.nn.functional.softplus(fake_logits).mean()

    before = d_loss()
    for _ in range(5):
        loss = d_phase.run(trainer.ctx)["loss"]
        trainer.optimizers["D"].zero_grad()
        loss.backward()
        trainer.optimizers["D"].step()
    assert d_loss() < before
    for k, v in trainer.G.state_dict().items():
        if not k.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(v, g_before[k]), f"G.{k} changed in a D phase"


def test_g_phase_leaves_d_untouched(tiny_cfg, tmp_path):
    trainer = Trainer(tiny_cfg("train.reuse_fakes=false"), tmp_path)
    g_phase = next(p for p in trainer.game.phases if p.name == "G")
    d_before = {k: v.clone() for k, v in trainer.D.named_parameters()}
    g_before = {k: v.clone() for k, v in trainer.G.named_parameters()}
    trainer.ctx.real_img, _ = trainer.stream.next()
    trainer.G.requires_grad_(True), trainer.D.requires_grad_(False)
    loss = g_phase.run(trainer.ctx)["loss"]
    trainer.optimizers["G"].zero_grad()
    loss.backward()
    trainer.optimizers["G"].step()
    assert all(p.grad is None for p in trainer.D.parameters())
    assert all(torch.equal(p, d_before[k]) for k, p in trainer.D.named_parameters())
    assert any(not torch.equal(p, g_before[k]) for k, p in trainer.G.named_parameters())


def test_resume_equals_uninterrupted_run_bit_for_bit(tiny_cfg, tmp_path):
    """N steps + resume + N steps equals 2N steps exactly, with shuffling, DiffAugment, EMA and lazy R1."""
    opts = ["augment.diffaugment=[color, translation, cutout]", "loss.r1_gamma=1.0", "loss.r1_interval=3"]
    full = _train(tiny_cfg(*opts, "train.total_kimg=0.256"), tmp_path / "full")
    half = _train(tiny_cfg(*opts, "train.total_kimg=0.128"), tmp_path / "resumed")
    resumed = _train(
        tiny_cfg(*opts, "train.total_kimg=0.256"), tmp_path / "resumed", ckpt.resolve_checkpoint(tmp_path / "resumed")
    )
    assert half.nimg == 128 and resumed.nimg == full.nimg == 256
    assert resumed.step == full.step and resumed.stream.state_dict() == full.stream.state_dict()
    _assert_same(_state(full), _state(resumed))
    for k in ("G", "D"):
        s_full, s_res = full.optimizers[k].state_dict()["state"], resumed.optimizers[k].state_dict()["state"]
        for i in s_full:
            assert torch.equal(s_full[i]["exp_avg"], s_res[i]["exp_avg"])


def test_checkpoint_round_trip_and_pointer(tiny_cfg, tmp_path):
    trainer = _train(tiny_cfg(), tmp_path)
    latest = ckpt.resolve_checkpoint(tmp_path)
    assert latest.name == "ckpt-0000000128"
    assert len(ckpt.list_checkpoints(tmp_path / "checkpoints")) == 2  # keep_checkpoints
    other = Trainer(tiny_cfg(), tmp_path / "other", log=lambda *a: None)
    other.load(latest)
    _assert_same(_state(trainer), _state(other))
    assert other.nimg == trainer.nimg and other.tick == trainer.tick
    assert other.streams["latent"].get_state().equal(trainer.streams["latent"].get_state())


def test_run_folder_contents(tiny_cfg, tmp_path):
    _train(tiny_cfg(), tmp_path)
    lines = (tmp_path / "log.jsonl").read_text().splitlines()
    assert len(lines) == 4
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["fakes-0000000064.png", "fakes-0000000128.png"]
    assert (tmp_path / "config.yaml").is_file()


def test_interrupted_write_leaves_previous_checkpoint(tiny_cfg, tmp_path):
    """A leftover temporary folder from a crash is ignored by resume and cleaned at the next start."""
    cfg = tiny_cfg()
    _train(cfg, tmp_path)
    good = ckpt.resolve_checkpoint(tmp_path)
    junk = tmp_path / "checkpoints" / ".tmp-ckpt-0000000999.123"
    junk.mkdir()
    (junk / "G.safetensors").write_bytes(b"partial")
    assert ckpt.resolve_checkpoint(tmp_path) == good
    prepare_run_dir(tmp_path, cfg)
    assert not junk.exists()


def test_linear_lr_decay_reaches_zero_at_the_end(tiny_cfg, tmp_path):
    trainer = Trainer(tiny_cfg("train.lr_decay=linear", "train.lr_decay_start_kimg=0.064"), tmp_path)
    trainer.nimg = 32
    assert trainer.lr_factor() == 1.0
    trainer.nimg = 96
    assert trainer.lr_factor() == 0.5
    trainer.run_step()
    assert trainer.optimizers["G"].param_groups[0]["lr"] == 0.5 * trainer.cfg.train.lr_g
    trainer.nimg = 128
    assert trainer.lr_factor() == 0.0


def test_ema_counts_every_image_shown_to_d_with_k_critic_steps(tiny_cfg, tmp_path):
    """Regression: with d_steps=k the EMA half-life must count all k batches D saw, not one."""
    trainer = Trainer(tiny_cfg("train.d_steps=3"), tmp_path)
    calls = []
    trainer.ema.update = lambda batch, nimg: calls.append((batch, nimg))
    trainer.run_step()
    trainer.run_step()
    assert calls == [(48, 48), (48, 96)]


ADA_OPTS = [
    "augment.ada.mode=adaptive",
    "augment.ada.target=0.0",  # an untrained D is right on over half the reals: p rises within a few steps
    "augment.ada.ada_kimg=0.5",
    "augment.ada.interval=3",  # not a divisor of the checkpoint's step: the controller's sums travel too
    "augment.ada.imgfilter=1",
    "augment.ada.noise=1",
    "augment.ada.cutout=1",
    "augment.dataset.xflip=true",
    "augment.dataset.translate_ratio=0.125",
    "loss.r1_gamma=1.0",
    "loss.r1_interval=3",
]


def test_resume_with_ada_equals_uninterrupted_run_bit_for_bit(tiny_cfg, tmp_path):
    """N steps + resume + N steps equals 2N steps exactly with adaptive ADA and dataset transforms on."""
    full = _train(tiny_cfg(*ADA_OPTS, "train.total_kimg=0.256"), tmp_path / "full")
    half = _train(tiny_cfg(*ADA_OPTS, "train.total_kimg=0.128"), tmp_path / "resumed")
    last = ckpt.resolve_checkpoint(tmp_path / "resumed")
    resumed = _train(tiny_cfg(*ADA_OPTS, "train.total_kimg=0.256"), tmp_path / "resumed", last)
    assert 0 < half.augment.p.item() < full.augment.p.item()  # p moved before and after the checkpoint
    assert torch.equal(resumed.augment.p, full.augment.p)
    _assert_same(_state(full), _state(resumed))
    log = [json.loads(line) for line in (tmp_path / "full" / "log.jsonl").read_text().splitlines()]
    assert all("aug_p" in r and "d_real_sign" in r for r in log)
    assert log[-1]["aug_p"] == pytest.approx(full.augment.p.item())


def test_ada_p_is_stored_in_checkpoints_and_restored(tiny_cfg, tmp_path):
    trainer = _train(tiny_cfg(*ADA_OPTS), tmp_path)
    p = trainer.augment.p.clone()
    assert p.item() > 0
    other = Trainer(tiny_cfg(*ADA_OPTS), tmp_path / "other", log=lambda *a: None)
    assert other.augment.p.item() == 0.0
    other.load(ckpt.resolve_checkpoint(tmp_path))
    assert torch.equal(other.augment.p, p)
    assert other.ada_controller.count == trainer.ada_controller.count
    assert other.ada_controller.last_nimg == trainer.ada_controller.last_nimg


def test_fixed_ada_with_p_zero_trains_exactly_like_no_augmentation(tiny_cfg, tmp_path):
    """p = 0 is the identity end to end: the same weights as a run without augmentation."""
    plain = _train(tiny_cfg("train.total_kimg=0.064"), tmp_path / "plain")
    ada = _train(tiny_cfg("train.total_kimg=0.064", "augment.ada.mode=fixed", "augment.ada.p=0"), tmp_path / "ada")
    _assert_same(_state(plain), _state(ada))
