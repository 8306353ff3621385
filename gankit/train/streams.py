"""The run's random streams. Every random draw in training comes from one of these generators,
seeded from the run seed and the rank, and their states travel in checkpoints."""

import torch
import torch.distributed as dist

STREAMS = ("latent", "augment", "penalty")  # append only: a stream's seed depends on its place here


class RandomStreams:
    """Named torch.Generators on `device` for this rank."""

    def __init__(self, seed: int, rank: int, device: torch.device) -> None:
        self.generators = {}
        for i, name in enumerate(STREAMS):
            gen = torch.Generator(device=device)
            gen.manual_seed(seed * 7919 + rank * 104_729 + i + 1)
            self.generators[name] = gen

    def __getitem__(self, name: str) -> torch.Generator:
        return self.generators[name]

    def state_dict(self, world_size: int = 1) -> dict[str, list[torch.Tensor]]:
        """Every rank's state per stream (gathered onto each rank), CPU ByteTensors."""
        out = {}
        for name, gen in self.generators.items():
            state = gen.get_state().cpu()
            if world_size > 1:
                gathered = [torch.empty_like(state) for _ in range(world_size)]
                dist.all_gather(gathered, state)
                out[name] = gathered
            else:
                out[name] = [state]
        out["torch_global"] = [torch.get_rng_state()]
        return out

    def load_state_dict(self, state: dict[str, list[torch.Tensor]], rank: int) -> None:
        for name, gen in self.generators.items():
            if name not in state:
                continue  # a stream added after this checkpoint was written: unused then, so it keeps its seed
            gen.set_state(state[name][rank].to(gen.get_state().device))
        torch.set_rng_state(state["torch_global"][0])
