"""What one training step means for a task: which phases run, on which networks, with which losses."""

from gankit.games import progressive, stylegan, unconditional, unrolled  # noqa: F401
from gankit.games.base import Context, Game, Phase, StepPlan

__all__ = ["Context", "Game", "Phase", "StepPlan"]
