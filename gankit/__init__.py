"""gankit: train, evaluate and use Generative Adversarial Networks."""

__version__ = "0.1.0"


def load_run(path, device="cpu"):
    """Open a run folder for sampling and evaluation; see `gankit.run.Run`."""
    from gankit.run import Run

    return Run.load(path, device=device)


__all__ = ["__version__", "load_run"]
