"""Run by test_checkpoint_faults.py: trains, and hangs halfway through writing the second checkpoint.

It writes `<out>/writing` when the second checkpoint's first file is on disk, then sleeps, so the test
can kill -9 it at that moment.
"""

import sys
import time
from pathlib import Path

from gankit.config import load_config
from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer, prepare_run_dir

out = Path(sys.argv[1])
cfg = load_config("dcgan-digits", sys.argv[2:])
real_write, saves = ckpt.write_durable, []


def slow_write(path: Path, data: bytes) -> None:
    real_write(path, data)
    if path.name == "state.pt":
        saves.append(path)
        if len(saves) == 2:
            (out / "writing").write_text(str(path))
            time.sleep(600)


ckpt.write_durable = slow_write
trainer = Trainer(cfg, out / "run", log=lambda *a: None)
prepare_run_dir(out / "run", cfg)
trainer.train()
