"""The training loop: phases, intervals, EMA, checkpoints, logging."""
