import torch

from gankit.games.unrolled import adam_look_ahead
from gankit.train.loop import Trainer


def _weights(trainer):
    return {f"{n}.{k}": v.clone() for n, net in trainer.nets.items() for k, v in net.state_dict().items()}


def _run(cfg, tmp_path, steps):
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    for _ in range(steps):
        trainer.run_step()
    return trainer


def test_unrolled_with_zero_steps_equals_the_plain_game_bit_for_bit(toy_cfg, tmp_path):
    """Metz et al.'s surrogate with K = 0 is the plain GAN loss: same weights after training, to the bit."""
    for reuse in ("true", "false"):
        plain = _run(toy_cfg(f"train.reuse_fakes={reuse}"), tmp_path / f"plain-{reuse}", 6)
        unrolled = _run(
            toy_cfg("train.game=unrolled", "train.unroll_steps=0", f"train.reuse_fakes={reuse}"),
            tmp_path / f"unrolled-{reuse}",
            6,
        )
        a, b = _weights(plain), _weights(unrolled)
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), f"{key} differs with reuse_fakes={reuse}"


def test_adam_look_ahead_matches_torch_adam():
    """The differentiable look-ahead step is torch.optim.Adam's update, from the optimizer's current moments."""
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=0.01, betas=(0.5, 0.9))
    x = torch.randn(8, 3)
    for _ in range(3):  # some history, so the moments matter
        opt.zero_grad()
        lin(x).square().mean().backward()
        opt.step()
    params = {n: p.detach().clone().requires_grad_(True) for n, p in lin.named_parameters()}
    loss = torch.func.functional_call(lin, params, (x,)).square().mean()
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    ahead = adam_look_ahead(params, grads, opt)
    opt.zero_grad()
    lin(x).square().mean().backward()
    opt.step()
    for name, p in lin.named_parameters():
        torch.testing.assert_close(ahead[name], p.detach(), rtol=1e-6, atol=1e-7)


def test_unrolled_g_gradient_differs_and_leaves_d_alone(toy_cfg, tmp_path):
    """With K > 0 G follows the look-ahead D; the look-ahead never changes D's weights or Adam state."""
    trainer = _run(toy_cfg("train.game=unrolled", "train.unroll_steps=3"), tmp_path, 3)
    assert [p.name for p in trainer.game.phases] == ["D", "G"]
    d_before = {k: v.clone() for k, v in trainer.D.state_dict().items()}
    adam_before = {id(p): s["exp_avg"].clone() for p, s in trainer.optimizers["D"].state.items()}
    trainer.ctx.real_img, _ = trainer.stream.next()
    z = trainer.ctx.sample_z(64)
    trainer.ctx.sample_z = lambda n: z
    trainer.D.requires_grad_(False)
    trainer.ctx.scratch.clear()
    g_unrolled = next(p for p in trainer.game.phases if p.name == "G")
    loss = g_unrolled.run(trainer.ctx)["loss"]
    grad_unrolled = torch.autograd.grad(loss, list(trainer.G.parameters()))
    plain = Trainer(toy_cfg(), tmp_path / "plain", log=lambda *a: None).game.phases[-1]
    grad_plain = torch.autograd.grad(plain.run(trainer.ctx)["loss"], list(trainer.G.parameters()))
    assert any(not torch.allclose(a, b) for a, b in zip(grad_unrolled, grad_plain, strict=True))
    for k, v in trainer.D.state_dict().items():
        assert torch.equal(v, d_before[k])
    for p, s in trainer.optimizers["D"].state.items():
        assert torch.equal(s["exp_avg"], adam_before[id(p)])
