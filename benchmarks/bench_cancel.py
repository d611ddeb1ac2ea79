"""How long a run takes to stop after Esc, inside one long layer (issue 16).

The layer is the slowest one the memory guard lets run by default: a 301×301 kernel, 64
outputs, on a 3×340×340 random input (output 64×40×40, about 2.8·10¹⁰ MACs). A thread runs
:func:`explorer.core.compute.run.run_stack` the way the window's worker does; ``--after`` seconds into
the layer the abort flag is set (what Esc, a newer edit or closing the window does through
``Controller._is_stale``) and the time until the generator has returned is measured.

Before/after in the same process: ``unsplit`` runs the convolution whole (chunking disabled:
the code before issue 16), ``chunked`` runs it in blocks with abort checks between them. The
baseline is the layer's own uninterrupted time, measured in the same run.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_cancel.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _stop_time(layers, image, after: float) -> tuple[float, float]:
    """``(seconds from the abort flag to the end of the run, seconds the run lasted)``."""
    from explorer.core.compute.run import run_stack

    flag = threading.Event()
    done = threading.Event()
    start = time.perf_counter()

    def work() -> None:
        for _ in run_stack(layers, image, should_abort=flag.is_set, device="cpu"):
            pass
        done.set()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    time.sleep(after)
    flagged = time.perf_counter()
    flag.set()
    done.wait()
    end = time.perf_counter()
    thread.join()
    return end - flagged, end - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--after", type=float, default=1.0, help="seconds before Esc")
    parser.add_argument("--kernel", type=int, default=301)
    parser.add_argument("--size", type=int, default=340)
    parser.add_argument("--out-channels", type=int, default=64)
    args = parser.parse_args(argv)

    import torch

    from explorer.core.compute import chunked
    from explorer.core.compute.run import run_stack
    from explorer.core.io.inputs import random_input
    from explorer.core.model.specs import default_spec

    torch.set_num_threads(1)
    layers = (
        default_spec(
            "standard",
            out_channels=args.out_channels,
            kernel_size=(args.kernel, args.kernel),
            padding=(0, 0),
        ),
    )
    image = random_input((3, args.size, args.size), seed=0)
    results = {}
    for mode, budget in (("unsplit", 10**18), ("chunked", chunked.CHUNK_MACS)):
        # run_part's default budget was bound when it was defined: set it for this mode
        chunked.run_part.__kwdefaults__["budget"] = budget
        whole = time.perf_counter()
        for _ in run_stack(layers, image, device="cpu"):
            pass
        whole = time.perf_counter() - whole
        stops = [_stop_time(layers, image, args.after)[0] for _ in range(args.repeats)]
        results[mode] = {
            "layer_s": round(whole, 2),
            "esc_to_stopped_s": [round(s, 3) for s in stops],
            "median_s": round(statistics.median(stops), 3),
        }
        print(
            f"{mode:8s}: layer {whole:.2f} s uninterrupted; Esc → stopped "
            f"{', '.join(f'{s:.3f}' for s in stops)} s (median {statistics.median(stops):.3f} s, "
            f"{statistics.median(stops) / whole:.3f} of the layer)",
            flush=True,
        )
    ratio = results["unsplit"]["median_s"] / max(results["chunked"]["median_s"], 1e-9)
    print(f"chunked stops {ratio:.0f}× sooner")
    print(
        "BENCH-RESULT "
        + json.dumps({"bench": "cancel", "kernel": args.kernel, "size": args.size, **results})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
