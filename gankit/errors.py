"""User-facing error types. The CLI prints their message without a traceback."""


class GankitError(Exception):
    """Base class for errors caused by user input, files or the environment, not by a gankit bug."""


class ConfigError(GankitError, ValueError):
    """A config key or value is unknown, ill-typed or inconsistent."""


class DataError(GankitError, ValueError):
    """A dataset file is missing, unreadable or inconsistent."""


class CheckpointError(GankitError, ValueError):
    """A checkpoint or run folder is missing, truncated, corrupt or of the wrong format."""


class OutputError(GankitError, OSError):
    """An output file or folder cannot be written: the disk is full, read-only or not writable."""


class TrainingError(GankitError, RuntimeError):
    """Training cannot go on, e.g. it kept producing non-finite values after every allowed rollback."""


class MissingDependencyError(GankitError, ImportError):
    """An optional package is not installed."""


def require(module: str, pip_name: str | None = None, purpose: str = ""):
    """Import an optional module, or raise MissingDependencyError naming the pip command."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f" (needed for {purpose})" if purpose else ""
        raise MissingDependencyError(
            f"the optional package '{pip_name or module}' is not installed{what}; "
            f"install it with: pip install {pip_name or module}"
        ) from exc
