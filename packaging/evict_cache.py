"""Drop the given files and folders from the OS page cache, so the next start is cold.

Used by ``packaging/measure_startup.sh`` (hyperfine ``--prepare``): ``posix_fadvise(...,
POSIX_FADV_DONTNEED)`` on every regular file, which needs no root and touches nothing but
those files' cached pages.

    python packaging/evict_cache.py PATH [PATH ...]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def evict(path: Path) -> int:
    """Evict *path* (a file, or every file under a folder); return the bytes advised."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    total = 0
    for file in files:
        try:
            fd = os.open(file, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            total += os.fstat(fd).st_size
        finally:
            os.close(fd)
    return total


if __name__ == "__main__":
    print(
        sum(evict(Path(p).resolve()) for p in sys.argv[1:]) // 2**20, "MiB evicted", file=sys.stderr
    )
