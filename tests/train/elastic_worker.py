"""Run by test_distributed.py as a torchrun worker: `gankit train --resume auto`, where on the first
attempt rank 1 kills itself with SIGKILL right after the second checkpoint, so torchrun restarts both."""

import os
import signal
import sys

from gankit.cli import main
from gankit.train.loop import Trainer

KILL = sys.argv[1] == "--kill"  # else --no-kill: the uninterrupted reference run
saves = []
real_save = Trainer.save


def save_then_die(self):
    path = real_save(self)
    saves.append(path)
    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    if KILL and first_attempt and self.dist.rank == 1 and len(saves) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return path


Trainer.save = save_then_die
main(sys.argv[2:])
