"""The fit's memory estimate against the real peak of fits (issue 16: the Fit's memory guard).

Each fit runs in a fresh subprocess (torch at one thread): it imports torch and runs a tiny
fit first (so the kernels and allocator are warm), resets the process's peak resident memory
(``/proc/self/clear_refs``; else ``ru_maxrss``), runs the fit, and reports the peak resident
memory (``VmHWM``) minus the resident memory before it.
The ratio ``estimate / measured`` must be ≥ 1 (an upper bound) and ≤ 3 (sane).

    .venv/bin/python benchmarks/bench_fit_memory.py            # every case, a table
    .venv/bin/python benchmarks/bench_fit_memory.py --json     # the same as JSON
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

#: (name, input (C, H, W), layers as scene dicts, fit options) — stacks of every family.
CASES: list[tuple[str, tuple[int, int, int], list[dict], dict]] = [
    (
        "3 standard 3×3 + BN + ReLU, 32 ch",
        (3, 384, 384),
        [
            {
                "kind": "standard",
                "out_channels": 32,
                "kernel_size": 3,
                "padding": 1,
                "batch_norm": True,
                "activation": "relu",
            },
            {
                "kind": "standard",
                "out_channels": 32,
                "kernel_size": 3,
                "padding": 1,
                "batch_norm": True,
                "activation": "relu",
            },
            {"kind": "standard", "out_channels": 3, "kernel_size": 3, "padding": 1},
        ],
        {},
    ),
    (
        "separable 5×5 + hardswish, max pool, 1×1",
        (8, 512, 512),
        [
            {
                "kind": "separable",
                "out_channels": 48,
                "kernel_size": 5,
                "padding": 2,
                "batch_norm": True,
                "activation": "hardswish",
            },
            {"kind": "maxpool", "kernel_size": 2, "stride": 2},
            {"kind": "standard", "out_channels": 4, "kernel_size": 1},
        ],
        {"optimizer": "sgd"},
    ),
    (
        "asymmetric padding, dilation, frozen first layer",
        (3, 400, 400),
        [
            {
                "kind": "standard",
                "out_channels": 16,
                "kernel_size": 3,
                "padding": [0, 2, 1, 1],
                "activation": "relu",
            },
            {
                "kind": "standard",
                "out_channels": 32,
                "kernel_size": 3,
                "dilation": 2,
                "padding": 2,
                "batch_norm": True,
                "activation": "silu",
            },
            {"kind": "standard", "out_channels": 3, "kernel_size": 3, "padding": 1},
        ],
        {"frozen": [0]},
    ),
    (
        "residual block (2 inner layers, skip)",
        (16, 256, 256),
        [
            {
                "kind": "block",
                "skip": True,
                "activation": "relu",
                "layers": [
                    {
                        "kind": "standard",
                        "out_channels": 16,
                        "kernel_size": 3,
                        "padding": 1,
                        "batch_norm": True,
                        "activation": "relu",
                    },
                    {
                        "kind": "standard",
                        "out_channels": 16,
                        "kernel_size": 3,
                        "padding": 1,
                        "batch_norm": True,
                    },
                ],
            },
        ],
        {},
    ),
]

_CHILD = r"""
import json, resource, sys
import numpy as np
import torch
torch.set_num_threads(1)
from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.fit_memory import fit_memory_estimate
from explorer.core.compute.fit import FitOptions, run_fit
from explorer.core.io.scene import scene_from_dict

case = json.loads(sys.argv[1])
shape, float64 = tuple(case["shape"]), case["float64"]
layers = scene_from_dict({"format": "conv-explorer-scene", "version": 2, "seed": 0,
    "input": {"image": "sample:astronaut", "size": 32, "mode": "rgb"},
    "layers": case["layers"]}).layers
opts = dict(case["options"])
opts["frozen"] = frozenset(opts.get("frozen", ()))
options = FitOptions(steps=3, float64=float64, **opts)
rng = np.random.default_rng(0)
image = rng.random(shape, dtype=np.float32)
cost = stack_cost(shape, layers)
target = rng.standard_normal(cost.output_shape).astype(np.float32)
# warm: the same kinds on a tiny input (kernels, allocator, first-use imports)
small = rng.random((shape[0], 24, 24), dtype=np.float32)
run_fit(layers, small, np.zeros(stack_cost(small.shape, layers).output_shape, np.float32),
        FitOptions(steps=2, float64=float64, **opts))
def status(field):
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith(field + ":"))
try:  # reset the peak (VmHWM) to the resident memory now (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
before = status("VmRSS")
peak_before = status("VmHWM")
run_fit(layers, image, target, options)
peak = status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
est = fit_memory_estimate(cost, frozen=options.frozen, optimizer=options.optimizer,
                          float64=float64)
print(json.dumps({"measured": peak - before, "estimate": est.total,
                  "valid": peak > peak_before or reset}))
"""


def measure(shape, layers, options, float64: bool) -> dict:
    """One fit's measured peak and its estimate, in a fresh process."""
    case = {"shape": list(shape), "layers": layers, "options": options, "float64": float64}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(case)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "failed")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["ratio"] = data["estimate"] / max(1, data["measured"])
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for name, shape, layers, options in CASES:
        for float64 in (False, True):
            r = measure(shape, layers, options, float64)
            rows.append({"case": name, "float64": float64, **r})
            if not args.json:
                mb = 1024**2
                print(
                    f"{name:<50} {'f64' if float64 else 'f32'}  measured "
                    f"{r['measured'] / mb:7.1f} MiB  estimate {r['estimate'] / mb:7.1f} MiB  "
                    f"ratio {r['ratio']:.2f}{'' if r['valid'] else '  (peak not reached)'}",
                    flush=True,
                )
    ok = all(1.0 <= r["ratio"] <= 3.0 and r["valid"] for r in rows)
    if args.json:
        print(json.dumps({"rows": rows, "ok": ok}))
    else:
        print("every estimate an upper bound within 3×:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
