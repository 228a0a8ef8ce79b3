"""One run at a time per output folder: an advisory lock on ``OUT/.lock``.

The lock is an ``flock`` on an open file, so it goes away with the process that
holds it, however that process ends (even SIGKILL): no stale lock to clear by hand.
"""
from __future__ import annotations

import os
from pathlib import Path

LOCK_NAME = ".lock"


class RunLocked(Exception):
    """Another run holds the output folder."""


class RunLock:
    """``with RunLock(out_dir):`` holds ``out_dir`` for one run or raises UsageProblem at once."""

    def __init__(self, out_dir: str | Path):
        self.path = Path(out_dir) / LOCK_NAME
        self.fd = -1

    def __enter__(self) -> RunLock:
        import fcntl

        from .batch import UsageProblem

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise UsageProblem(f"another run (process {holder}) is writing to {self.path.parent}; wait for it to "
                               "finish, or give another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        import fcntl

        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1
