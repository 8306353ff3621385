"""Stop training cleanly on SIGTERM or SIGINT (preemption, Ctrl-C, `kill`).

The handler only records the signal; the training loop looks at the record at every step boundary,
writes a checkpoint and returns, so the process exits 0 and `--resume auto` continues from exactly
that step. Under torchrun the ranks agree with a one-integer all-reduce (MAX) per step, so they all
stop after the same step even when only one of them got the signal; with NCCL it runs on a gloo
side group on the CPU, so it never waits for the GPU. After the first signal the previous handler is
back in place, so a second Ctrl-C interrupts at once, as usual.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopFlag:
    """Remembers the first stop signal; `agreed()` tells every rank whether any rank got one."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._group = None

    def request(self, name: str) -> None:
        self.signal_name = self.signal_name or name

    @contextmanager
    def installed(self) -> Iterator["StopFlag"]:
        """Route SIGTERM and SIGINT to this flag while the block runs (main thread only)."""
        previous = {}

        def handler(signum, frame) -> None:
            self.request(signal.Signals(signum).name)
            signal.signal(signum, previous[signum])  # a second signal acts as it did before

        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, handler)
        try:
            yield self
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def agreed(self, world_size: int) -> bool:
        """Whether any rank has asked to stop; a collective under torchrun, so every rank calls it every step."""
        if world_size == 1:
            return self.signal_name is not None
        if self._group is None:
            backend = dist.get_backend()
            self._group = dist.new_group(backend="gloo") if backend != "gloo" else dist.group.WORLD
        flag = torch.tensor([int(self.signal_name is not None)])
        dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self._group)
        if flag.item() and self.signal_name is None:
            self.signal_name = "a signal on another rank"
        return bool(flag.item())
