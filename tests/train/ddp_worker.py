"""Run by test_distributed.py under torchrun: trains a few steps and writes this rank's weights."""

import sys
from pathlib import Path

import torch

from gankit.config import load_config
from gankit.train.distributed import shutdown_distributed
from gankit.train.loop import Trainer, prepare_run_dir

out = Path(sys.argv[1])
preset, overrides = "dcgan-digits", sys.argv[2:]
if overrides and overrides[0].startswith("preset="):
    preset, overrides = overrides[0].removeprefix("preset="), overrides[1:]
cfg = load_config(preset, overrides)
trainer = Trainer(cfg, out / "run", log=lambda *a: None)
if trainer.dist.is_main:
    prepare_run_dir(out / "run", cfg)
first = trainer.stream.next_indices()
trainer.stream.load_state_dict({"epoch": 0, "position": 0})
trainer.train()
weights = {f"{n}.{k}": v for n, net in trainer.nets.items() for k, v in net.state_dict().items()}
weights["G_ema"] = torch.cat([p.flatten() for p in trainer.ema.G_ema.parameters()])
weights["first_batch"] = first
# How many parameters each optimizer has stepped (Adam keeps state only for those).
for key, opt in trainer.optimizers.items():
    weights[f"stepped_{key}"] = torch.tensor(len(opt.state))
weights["aug_p"] = trainer.augment.state_dict().get("p", torch.zeros(()))  # ADA's p; 0 without ADA
torch.save(weights, out / f"rank{trainer.dist.rank}.pt")
shutdown_distributed()
