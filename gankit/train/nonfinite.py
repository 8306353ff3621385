"""Skip optimizer steps whose loss or gradient is not finite, on the device and without a host sync.

Every phase run checks its loss and its (already all-reduced) gradients for NaN or inf on the device
and hands the result to the fused Adam step as `found_inf`, the mechanism PyTorch's GradScaler uses:
a flagged step leaves the weights, the Adam moments and the step counter exactly as they were. So a
bad step never writes a non-finite value into a weight, and no `.item()` is needed per step.

Under torchrun every rank makes the same decision: a rank whose loss is not finite adds `loss * 0`
(NaN for inf or NaN, else 0) to one gradient element before the gradient all-reduce, so the NaN
reaches every rank's averaged gradient and every rank flags the step. No extra collective runs.

The counters (bad steps this tick, the current run of consecutive bad steps) stay on the device too
and are read at the end of each tick, next to the tick's one host sync. The trainer then rolls back
to the last checkpoint when a run reached `train.max_nonfinite_steps`, and stops with a
TrainingError when that would be rollback number `train.max_rollbacks + 1`.
"""

import torch

from gankit.errors import TrainingError


class NonFiniteGuard:
    """Flags non-finite phase steps, counts bad steps and rollbacks.

    Args:
        max_bad_steps: consecutive bad steps that trigger a rollback (checked at the end of a tick).
        max_rollbacks: rollbacks allowed in a run; one more stops training.
        device: where the flags and counters live (the networks' device).
    """

    def __init__(self, max_bad_steps: int, max_rollbacks: int, device: torch.device) -> None:
        self.max_bad_steps, self.max_rollbacks = max_bad_steps, max_rollbacks
        zeros = lambda: torch.zeros((), device=device)  # noqa: E731
        self._one = torch.ones((), device=device)
        self._step_bad, self._run, self._tick_bad, self._tick_max_run = zeros(), zeros(), zeros(), zeros()
        self.rollbacks = 0
        self.bad_steps_total = 0

    @staticmethod
    def spread_loss_flag(loss: torch.Tensor, params: list[torch.nn.Parameter]) -> None:
        """Before a gradient all-reduce: turn one gradient element into NaN when this rank's loss is not finite."""
        target = next((p for p in params if p.requires_grad), None)
        if target is None:
            return
        if target.grad is None:
            target.grad = torch.zeros_like(target)  # the all-reduce would create it anyway
        first = target.grad[(0,) * target.grad.dim()]  # a view of one element, in any memory format
        first.add_(loss.detach().float() * 0)  # 0 for a finite loss, NaN for inf or NaN

    def flag_step(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, params: list[torch.nn.Parameter]) -> None:
        """After the all-reduce, before `optimizer.step()`: make the fused step skip itself on any NaN or inf."""
        grads = [p.grad for p in params if p.grad is not None]
        found = torch.zeros((), device=self._one.device)
        if grads:
            torch._amp_foreach_non_finite_check_and_unscale_(grads, found, self._one)  # sets found to 1 on NaN/inf
        found = torch.maximum(found, (~torch.isfinite(loss.detach())).float())
        optimizer.grad_scale, optimizer.found_inf = None, found  # read by fused Adam (torch 2.13), as GradScaler does
        if not optimizer.defaults.get("fused"):  # e.g. RMSprop: no found_inf, so zero the gradients instead
            for g in grads:
                torch.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0, out=g).mul_(1 - found)
        torch.maximum(self._step_bad, found, out=self._step_bad)

    def end_step(self) -> None:
        """Fold this step's flag into the tick's counters (all on the device)."""
        self._run.add_(1).mul_(self._step_bad)  # consecutive bad steps, 0 after a good one
        torch.maximum(self._tick_max_run, self._run, out=self._tick_max_run)
        self._tick_bad.add_(self._step_bad)
        self._step_bad.zero_()

    def end_tick(self) -> tuple[int, bool]:
        """(bad steps in this tick, whether a rollback is due); reads the counters once, at the tick's sync."""
        bad, longest = (int(v) for v in torch.stack([self._tick_bad, self._tick_max_run]).cpu())
        self._tick_bad.zero_()
        self._tick_max_run.copy_(self._run)
        self.bad_steps_total += bad
        return bad, longest >= self.max_bad_steps

    def start_rollback(self, checkpoint, where: str) -> int:
        """Count one rollback, or raise TrainingError when no more are allowed or there is nothing to roll back to."""
        if checkpoint is None:
            raise TrainingError(
                f"{self.max_bad_steps} consecutive steps had a non-finite loss or gradient at {where}, before the "
                "first checkpoint, so there is nothing to roll back to; lower train.lr_g / train.lr_d or check the "
                "data and the loss"
            )
        if self.rollbacks >= self.max_rollbacks:
            raise TrainingError(
                f"training diverged: {self.max_bad_steps} consecutive steps had a non-finite loss or gradient at "
                f"{where}, after {self.rollbacks} rollbacks (train.max_rollbacks={self.max_rollbacks}); the last "
                f"good checkpoint is {checkpoint}. Lower train.lr_g / train.lr_d, add loss.r1_gamma, or raise "
                "train.max_rollbacks"
            )
        self.rollbacks += 1
        self._run.zero_()
        self._tick_max_run.zero_()
        return self.rollbacks

    def state_dict(self) -> dict:
        return {"rollbacks": self.rollbacks, "bad_steps_total": self.bad_steps_total, "run": int(self._run)}

    def load_state_dict(self, state: dict) -> None:
        self.rollbacks = int(state["rollbacks"])
        self.bad_steps_total = int(state["bad_steps_total"])
        self._run.fill_(int(state["run"]))
        self._tick_max_run.copy_(self._run)


def reseed_after_rollback(generators: dict[str, torch.Generator], seed: int, rank: int, rollback: int) -> None:
    """Give the latent and augmentation streams a new, reproducible state, so a rolled-back run takes another path."""
    for i, gen in enumerate(generators.values()):
        gen.manual_seed((seed * 7919 + rank * 104_729 + i + 1) ^ (rollback * 0x9E3779B97F4A7C15 % 2**62))
