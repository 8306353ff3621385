"""Process-group set-up for `torchrun` and the few collectives the loop needs."""

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device_kind: str) -> DistInfo:
    """Join the process group that `torchrun` describes in its environment; a plain run is world size 1."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_kind == "cuda" else "gloo")
    return DistInfo(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=int(os.environ["LOCAL_RANK"]))


def all_reduce_grads(params: list[torch.nn.Parameter], world_size: int) -> None:
    """Average gradients across ranks in one flat all-reduce.

    A parameter without a gradient on every rank (a PGGAN block not grown into yet) keeps `grad=None`,
    so the optimizer skips it as in a single process; one missing on some ranks only counts as zero there.
    """
    if world_size == 1:
        return
    params = [p for p in params if p.requires_grad]

    # Sum the gradients (zeros where missing) and, in the same buffer, how many ranks had each one.
    had_grad = [p.grad is not None for p in params]
    grads = [p.grad.flatten() if p.grad is not None else torch.zeros(p.numel(), device=p.device) for p in params]
    flags = torch.tensor(had_grad, dtype=grads[0].dtype, device=grads[0].device)
    flat = torch.cat([*grads, flags])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for p, rank_share in zip(params, flat[-len(params) :].tolist(), strict=True):
        n = p.numel()
        if p.grad is not None:
            p.grad.copy_(flat[offset : offset + n].view_as(p.grad))
        elif rank_share > 0:
            p.grad = flat[offset : offset + n].view_as(p).clone()
        offset += n


def broadcast_buffers(module: torch.nn.Module, world_size: int) -> None:
    """Copy rank 0's buffers (batch-norm statistics) to every rank, as DistributedDataParallel does."""
    if world_size == 1:
        return
    for b in module.buffers():
        dist.broadcast(b, src=0)


def broadcast_params(module: torch.nn.Module, world_size: int) -> None:
    """Start every rank from rank 0's weights."""
    if world_size == 1:
        return
    for t in [*module.parameters(), *module.buffers()]:
        dist.broadcast(t.data, src=0)


def all_reduce_sum(t: torch.Tensor, world_size: int) -> torch.Tensor:
    if world_size > 1:
        dist.all_reduce(t)
    return t


def shutdown_distributed() -> None:
    """Leave the process group cleanly: wait for every rank, then destroy it.

    Without this, a rank that exits while another still runs its last collective can abort in the
    communication library's teardown ("terminate called without an active exception").
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
