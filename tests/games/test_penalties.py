import pytest
import torch

from gankit.train.loop import Trainer


def _step_terms(trainer):
    """Run one training step and return the averaged logged values."""
    trainer.run_step()
    return trainer.collector.reduce()


@pytest.mark.parametrize("name", ["gp", "dragan", "r1", "r2"])
def test_every_step_penalty_is_a_term_of_the_d_phase(tiny_cfg, tmp_path, name):
    weight_key = {"gp": "gp_weight", "dragan": "dragan_weight", "r1": "r1_gamma", "r2": "r2_gamma"}[name]
    cfg = tiny_cfg("loss.r1_gamma=0", f"loss.{weight_key}=10", f"loss.{name}_interval=1")
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    assert [p.name for p in trainer.game.phases] == ["D", "G"]
    terms = _step_terms(trainer)
    assert terms[f"loss_d_{name}"] > 0


def test_lazy_penalties_are_phases_of_their_own(tiny_cfg, tmp_path):
    cfg = tiny_cfg("loss.r1_gamma=1", "loss.r1_interval=4", "loss.r2_gamma=1", "loss.r2_interval=2")
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    phases = {p.name: p for p in trainer.game.phases}
    assert list(phases) == ["D", "D_r1", "D_r2", "G"]
    assert phases["D_r1"].interval == 4 and phases["D_r2"].interval == 2
    terms = _step_terms(trainer)
    assert terms["loss_d_r1"] > 0 and terms["loss_d_r2"] > 0


def test_lazy_phase_loss_is_scaled_by_its_interval(tiny_cfg, tmp_path):
    """StyleGAN2's lazy regularization: the optimised value is the logged one times the interval."""
    trainer = Trainer(tiny_cfg("loss.r2_gamma=2", "loss.r2_interval=8"), tmp_path, log=lambda *a: None)
    phase = next(p for p in trainer.game.phases if p.name == "D_r2")
    trainer.ctx.real_img, _ = trainer.stream.next()
    terms = phase.run(trainer.ctx)
    torch.testing.assert_close(terms["loss"], terms["loss_d_r2"] * 8)


def test_wgan_clips_d_weights_after_each_step_and_rmsprop_is_used(tiny_cfg, tmp_path):
    cfg = tiny_cfg(
        "loss.name=wgan", "loss.options.weight_clip=0.00390625", "train.optimizer=rmsprop", "train.d_steps=2"
    )
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    assert isinstance(trainer.optimizers["D"], torch.optim.RMSprop)
    trainer.run_step()
    assert max(p.abs().max().item() for p in trainer.D.parameters()) <= 0.00390625
    assert max(p.abs().max().item() for p in trainer.G.parameters()) > 0.00390625  # G is not clipped
    # 2**-8 is exact in float32, so the bound is not blurred by rounding.


def test_relativistic_g_phase_scores_reals(tiny_cfg, tmp_path):
    trainer = Trainer(tiny_cfg("loss.name=ragan", "train.reuse_fakes=false"), tmp_path, log=lambda *a: None)
    terms = _step_terms(trainer)
    assert torch.isfinite(torch.tensor(terms["loss_g"])) and terms["loss_g"] > 0
