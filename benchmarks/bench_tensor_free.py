"""How long freeing (and making) a big torch tensor holds the interpreter lock, with torch's
allocator on transparent huge pages (what importing ``explorer`` turns on) against without,
in the same run (issue 16: freeing a 1 GB result map stalled every thread ~100 ms).

Run::

    python benchmarks/bench_tensor_free.py --mb 1024 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = """
import sys, time, torch
mb, repeats = int(sys.argv[1]), int(sys.argv[2])
free, make = [], []
for _ in range(repeats):
    start = time.perf_counter()
    tensor = torch.ones(mb * 2**20 // 4)
    make.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    del tensor
    free.append((time.perf_counter() - start) * 1000)
print(sorted(free)[len(free) // 2], sorted(make)[len(make) // 2])
"""


def _run(huge: str, mb: int, repeats: int) -> tuple[float, float]:
    env = dict(os.environ, THP_MEM_ALLOC_ENABLE=huge)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(mb), str(repeats)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    base_free, base_make = _run("0", args.mb, args.repeats)  # the baseline: small pages
    free, make = _run("1", args.mb, args.repeats)
    print(
        f"free {args.mb} MB: {base_free:.1f} ms -> {free:.1f} ms "
        f"(x{free / base_free:.3f} of the baseline)"
    )
    print(
        f"make+fill {args.mb} MB: {base_make:.1f} ms -> {make:.1f} ms "
        f"(x{make / base_make:.3f} of the baseline)"
    )
    print(
        "BENCH-RESULT "
        + json.dumps(
            {
                "bench": "tensor_free",
                "mb": args.mb,
                "free_ratio": free / base_free,
                "make_ratio": make / base_make,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
