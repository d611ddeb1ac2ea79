"""Training steps per second of a fit, against a bare torch training loop of the same stack.

::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_fit.py [--steps N] [--repeats R]

The default scene (separable 3→16 then 1×1 16→8 on the 256² astronaut) is fitted toward the
output of the same stack with other random weights (what ``scene:PATH`` gives), every
parameter training, Adam, MSE. ``fit`` is :func:`explorer.core.compute.fit.run_fit` from its call to
its return (building the modules, the target shape check, keeping the best weights, the last
measuring pass, writing the weights back as specs); ``bare`` is a plain loop over the same
``build_stack`` modules (forward, loss, ``zero_grad``, ``backward``, ``step``, ``loss.item()``),
timed the same way including its ``build_stack``. The two alternate, ``R`` times each, in this
one process with the same torch thread count; the figure is the ratio of median steps/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import emit, load_named_scene, summarize  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from explorer.core.compute.build import build_stack
    from explorer.core.compute.fit import FitOptions, run_fit
    from explorer.core.compute.run import quiet_same_padding, run_stack
    from explorer.core.io.inputs import resolve_input
    from explorer.ui.state.controller import compute_threads

    threads = compute_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    scene = load_named_scene("default")
    image = resolve_input(scene.input, scene.seed)
    target = np.array(
        list(run_stack(scene.layers, image, seed=scene.seed + 1, device="cpu"))[-1].output
    )
    options = FitOptions(steps=args.steps, lr=args.lr)

    def fit_once() -> float:
        start = time.perf_counter()
        result = run_fit(scene.layers, image, target, options, seed=scene.seed)
        assert result.steps == args.steps
        return time.perf_counter() - start

    def bare_once() -> float:
        start = time.perf_counter()
        model = build_stack(scene.layers, image.shape[0], seed=scene.seed)
        x = torch.from_numpy(image.copy())[None]
        y = torch.from_numpy(target.copy())[None]
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        with quiet_same_padding():
            for _ in range(args.steps):
                loss = torch.nn.functional.mse_loss(model(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss.item()
        return time.perf_counter() - start

    fit_once(), bare_once()  # warm-up: first-call costs of torch kernels
    fit_times, bare_times = [], []
    for _ in range(args.repeats):
        fit_times.append(fit_once())
        bare_times.append(bare_once())
    fit_rate = args.steps / summarize(fit_times)["median_ms"] * 1e3
    bare_rate = args.steps / summarize(bare_times)["median_ms"] * 1e3
    emit(
        {
            "scene": "default",
            "steps": args.steps,
            "repeats": args.repeats,
            "threads": torch.get_num_threads(),
            "fit": summarize(fit_times),
            "bare": summarize(bare_times),
            "fit_steps_per_s": fit_rate,
            "bare_steps_per_s": bare_rate,
            "ratio": fit_rate / bare_rate,
            # on a loaded machine the medians wander; the fastest runs are the least disturbed
            "ratio_of_fastest": min(bare_times) / min(fit_times),
        }
    )
    print(
        f"fit {fit_rate:.1f} steps/s, bare torch {bare_rate:.1f} steps/s, "
        f"ratio {fit_rate / bare_rate:.2f} ({torch.get_num_threads()} threads)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
