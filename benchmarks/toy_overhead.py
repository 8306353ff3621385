"""Where a toy step's time goes: gankit's trainer against a bare loop, and seeds stacked as one model.

Two measurements in thread CPU time on one thread (the machine is shared, so wall time is not used):

- `trainer`: `Trainer.run_step()` of a protocol preset against a bare loop on the same networks with the same
  fused Adam, softplus losses, fakes reused by the G step and D frozen there, and nothing else (no non-finite
  guard, tick collector, EMA or logged D outputs); rounds interleaved, their order alternating. The ratio
  gankit / bare is the trainer's share of a step.
- `members`: the plain step of S seeds stacked into one model (every weight [S, in, out], `torch.baddbmm`),
  in CPU ms per member-step, for S = 1, 2, 5, 10 at the VEEGAN sizes and S = 1, 5 at PacGAN-like sizes (maxout
  D, ReLU G without batch norm). If per-op overhead dominated, stacking would cut the time per member-step.

    python benchmarks/toy_overhead.py trainer --rounds 5 --steps 50
    python benchmarks/toy_overhead.py members
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from toy_modes import PROTOCOLS, ROWS, run_overrides  # benchmarks/toy_modes.py, beside this script

from gankit.config import Config, load_config
from gankit.nets import build_networks
from gankit.train.loop import Trainer


class BareToyLoop:
    """The plain step on gankit's networks and data, with nothing around it."""

    def __init__(self, cfg: Config, points: torch.Tensor) -> None:
        t = cfg.train
        self.G, self.D = build_networks(cfg)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=t.betas_g, fused=True)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=t.lr_d, betas=t.betas_d, fused=True)
        self.points, self.n, self.gen = points, t.batch_size, torch.Generator().manual_seed(cfg.seed)

    def step(self) -> None:
        # Draw reals and fakes; the G step reuses the fakes.
        real = self.points[torch.randint(len(self.points), (self.n,), generator=self.gen)]
        fake = self.G(torch.randn(self.n, self.G.z_dim, generator=self.gen))

        # Update D, then G through the frozen D.
        self.opt_d.zero_grad(set_to_none=True)
        loss_d = F.softplus(-self.D(real)).mean() + F.softplus(self.D(fake.detach())).mean()
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad(set_to_none=True)
        self.D.requires_grad_(False)
        F.softplus(-self.D(fake)).mean().backward()
        self.opt_g.step()
        self.D.requires_grad_(True)


def cpu_ms(fn: Callable[[], None], steps: int) -> float:
    start = time.thread_time()
    for _ in range(steps):
        fn()
    return (time.thread_time() - start) / steps * 1000


def trainer_overhead(protocol: str, rounds: int, steps: int) -> None:
    """Print gankit's and the bare loop's CPU ms per step, and their per-round ratios."""
    proto = PROTOCOLS[protocol]
    cfg = load_config(proto.preset, run_overrides(ROWS[0], proto, "ring8", proto.steps))
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, Path(tmp) / "run", log=lambda *a, **k: None)
        loops = {"gankit": trainer.run_step, "bare": BareToyLoop(cfg, trainer.dataset.images).step}
        times: dict[str, list[float]] = {name: [] for name in loops}
        for r in range(rounds):
            for name in list(loops)[:: 1 if r % 2 == 0 else -1]:
                cpu_ms(loops[name], 3)
                times[name].append(cpu_ms(loops[name], steps))
    ratios = [g / b for g, b in zip(times["gankit"], times["bare"], strict=True)]
    print(
        f"{protocol}: gankit {statistics.median(times['gankit']):.2f} CPU ms/step, bare "
        f"{statistics.median(times['bare']):.2f}; gankit / bare per round {', '.join(f'{r:.3f}' for r in ratios)} "
        f"(median {statistics.median(ratios):.3f})"
    )


def stacked(sizes: list[tuple[int, int]], members: int, gen: torch.Generator) -> list[torch.Tensor]:
    """Weights and biases [S, in, out], [S, 1, out] of an MLP for S members, PyTorch's default uniform init."""
    params = []
    for i, o in sizes:
        bound = i**-0.5
        params.append(((torch.rand(members, i, o, generator=gen) * 2 - 1) * bound).requires_grad_())
        params.append(((torch.rand(members, 1, o, generator=gen) * 2 - 1) * bound).requires_grad_())
    return params


def stacked_forward(params: list[torch.Tensor], x: torch.Tensor, act: Callable, pieces: int = 0) -> torch.Tensor:
    """[S, N, in] -> [S, N, out]; hidden layers apply `act`, or maxout over `pieces` when pieces > 0."""
    layers = len(params) // 2
    for k in range(layers):
        x = torch.baddbmm(params[2 * k + 1], x, params[2 * k])  # [S, N, in] @ [S, in, out] -> [S, N, out]
        if k < layers - 1:
            x = x.view(*x.shape[:2], -1, pieces).amax(-1) if pieces else act(x)  # [S, N, out*k] -> [S, N, out]
    return x


def members_cost(members: int, steps: int, veegan: bool) -> float:
    """CPU ms per member-step of the plain step with `members` seeds stacked into one model."""
    gen = torch.Generator().manual_seed(0)
    if veegan:
        batch, z_dim, act, pieces = 512, 256, torch.tanh, 0
        G = stacked([(256, 128), (128, 128), (128, 2)], members, gen)
        D = stacked([(2, 128), (128, 128), (128, 1)], members, gen)
    else:
        batch, z_dim, act, pieces = 100, 2, torch.relu, 5
        G = stacked([(2, 400), (400, 400), (400, 400), (400, 400), (400, 2)], members, gen)
        D = stacked([(2, 1000), (200, 1000), (200, 1000), (200, 1)], members, gen)
    opt_g = torch.optim.Adam(G, lr=1e-3, betas=(0.5, 0.999), fused=True)
    opt_d = torch.optim.Adam(D, lr=1e-4, betas=(0.5, 0.999), fused=True)
    points = torch.randn(100_000, 2)

    def step() -> None:
        real = points[torch.randint(len(points), (members * batch,), generator=gen)].view(members, batch, 2)
        fake = stacked_forward(G, torch.randn(members, batch, z_dim, generator=gen), act)
        opt_d.zero_grad(set_to_none=True)
        real_logits = stacked_forward(D, real, act, pieces)
        fake_logits = stacked_forward(D, fake.detach(), act, pieces)
        loss_d = F.softplus(-real_logits).mean((1, 2)) + F.softplus(fake_logits).mean((1, 2))  # [S]
        loss_d.sum().backward()  # a sum over members: each member's gradient is its own loss's
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        for p in D:
            p.requires_grad_(False)
        F.softplus(-stacked_forward(D, fake, act, pieces)).mean((1, 2)).sum().backward()
        opt_g.step()
        for p in D:
            p.requires_grad_(True)

    cpu_ms(step, 3)
    return statistics.median(cpu_ms(step, steps) for _ in range(3)) / members


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["trainer", "members"])
    parser.add_argument("--protocols", default="veegan,pacgan", help="for `trainer`: comma-separated protocols")
    parser.add_argument("--rounds", type=int, default=5, help="for `trainer`: interleaved rounds")
    parser.add_argument("--steps", type=int, default=50, help="for `trainer`: timed steps per loop and round")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"command: python benchmarks/toy_overhead.py {' '.join(sys.argv[1:])}")
    if args.what == "trainer":
        for protocol in args.protocols.split(","):
            trainer_overhead(protocol, args.rounds, args.steps)
        return
    for members in (1, 2, 5, 10):
        print(
            f"VEEGAN sizes, S={members}: {members_cost(members, max(10, 60 // members), True):.2f} ms per member-step"
        )
    for members in (1, 5):
        ms = members_cost(members, max(5, 20 // members), False)
        print(f"PacGAN-like sizes, S={members}: {ms:.2f} ms per member-step")


if __name__ == "__main__":
    main()
