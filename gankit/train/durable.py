"""Durable writes and what to tell the user when the disk refuses one.

`write_durable` writes bytes to a file and fsyncs it before returning, so a later rename publishes
complete data. `describe_os_error` turns the errors a full, read-only or unwritable output disk
gives (ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EFBIG) into one sentence naming the path and the fix.
"""

import errno
import os
from pathlib import Path

from gankit.errors import OutputError

_PROBLEMS = {
    errno.ENOSPC: ("no space left on device", "free some space or pass --out on another disk"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or pass --out on another disk"),
    errno.EROFS: ("read-only file system", "pass --out on a writable disk"),
    errno.EACCES: ("permission denied", "make the folder writable or pass --out elsewhere"),
    errno.EPERM: ("operation not permitted", "make the folder writable or pass --out elsewhere"),
    errno.EFBIG: ("file too large for this disk or process limit", "raise the limit or pass --out elsewhere"),
}


def describe_os_error(exc: OSError, path: str | os.PathLike | None = None) -> str | None:
    """A one-line message for an output-disk error, or None for other OS errors."""
    problem = _PROBLEMS.get(exc.errno)
    if problem is None:
        return None
    where = exc.filename or path or "the output folder"
    return f"cannot write '{where}': {problem[0]} ({errno.errorcode[exc.errno]}); {problem[1]}"


def output_error(exc: OSError, path: str | os.PathLike, note: str = "") -> OSError:
    """The OutputError for `exc` (when it is a disk problem) with `note` appended, else `exc` itself."""
    message = describe_os_error(exc, path)
    if message is None:
        return exc
    return OutputError(message + (f"; {note}" if note else ""))  # one argument keeps str() to the message


def write_durable(path: Path, data: bytes) -> None:
    """Write `data` to `path` and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
