"""One writer per output folder: an exclusive lock on ``<folder>/.lock``, held for a whole run.

The lock is the operating system's (``flock`` on Unix, ``LockFileEx`` on Windows, through filelock), so
it dies with its process: a run killed with ``kill -9`` leaves nothing to clean up. The holder writes
its PID into the file, so a second writer is told who holds the folder and exits at once.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import lock_descriptor

__all__ = ["LOCK", "FolderInUse", "hold", "holding"]

LOCK = ".lock"


class FolderInUse(ValueError):
    """Another process writes to the folder (a ValueError: the CLI's bad-input exit, 2)."""


@contextmanager
def hold(folder: Path, what: str = "run folder") -> Iterator[None]:
    """Create ``folder`` if needed and hold its lock for the block; :class:`FolderInUse` if it is held."""
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not lock_descriptor(fd, blocking=False):
            raise FolderInUse(f"{what} {folder} is in use by {_holder(fd)}; wait for it or use another --out")
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    except BaseException:
        if created and [p.name for p in folder.iterdir()] == [LOCK]:  # a writer that failed before writing
            (folder / LOCK).unlink()  # leaves no folder behind (still locked: no one else can be in it)
            folder.rmdir()
        raise
    finally:
        os.close(fd)  # releases the lock


def holding(parameter: str, what: str = "run folder") -> Callable[[Callable], Callable]:
    """Decorate a writer so that the folder given as its argument ``parameter`` is held for the call
    (a ``None`` folder, i.e. nothing written, takes no lock)."""

    def decorate(writer: Callable) -> Callable:
        signature = inspect.signature(writer)

        @functools.wraps(writer)
        def locked(*args, **kwargs):
            folder = signature.bind(*args, **kwargs).arguments.get(parameter)
            if folder is None:
                return writer(*args, **kwargs)
            with hold(Path(folder), what):
                return writer(*args, **kwargs)

        return locked

    return decorate


def _holder(fd: int) -> str:
    try:
        pid = os.read(fd, 32).decode().strip()
    except OSError:  # Windows locks the bytes the PID is written in
        pid = ""
    return f"PID {pid}" if pid.isdigit() else "another process"
