"""Files a reader never sees half of: written under a temporary name, flushed, then renamed."""

from __future__ import annotations

import os
from pathlib import Path


def temporary_beside(final: Path) -> Path:
    """A temporary name in the same folder (a rename across file systems is not atomic).

    >>> temporary_beside(Path("out/members.csv")).name.startswith(".members.csv.")
    True
    """
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def replace_durably(temporary: Path, final: Path) -> None:
    """Flush ``temporary`` to disk and rename it over ``final``; the rename is flushed too, so
    that after a crash the folder holds the old file or the whole new one."""
    _fsync(temporary)
    os.replace(temporary, final)
    _fsync(final.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
