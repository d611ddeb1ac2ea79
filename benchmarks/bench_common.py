"""Helpers shared by the benchmark scripts: statistics, scenes, environment, JSON output.

Every benchmark script runs in its own process (started by ``benchmarks/run.py``), so its
peak RSS is its own, and prints exactly one JSON object on its last line of stdout.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The app measured: this checkout, or another one named by CONV_EXPLORER_BENCH_APP (to
#: measure a before/after pair with the same scripts in the same session).
APP_ROOT = Path(os.environ.get("CONV_EXPLORER_BENCH_APP", str(ROOT))).resolve()
if str(APP_ROOT) not in sys.path:
    sys.path.insert(0, str(APP_ROOT))

#: Marks the line of stdout that carries a script's result.
RESULT_PREFIX = "BENCH-RESULT "


def bench_env() -> dict[str, str]:
    """Environment for a benchmark subprocess: offscreen Qt, no user settings or autosave."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["CONV_EXPLORER_NO_SETTINGS"] = "1"
    scratch = tempfile.mkdtemp(prefix="conv-explorer-bench-")
    env["XDG_DATA_HOME"] = os.path.join(scratch, "data")
    env["XDG_CONFIG_HOME"] = os.path.join(scratch, "config")
    env["XDG_CACHE_HOME"] = os.path.join(scratch, "cache")
    # CONV_EXPLORER_BENCH_APP: a checkout of another version of the app to measure with
    # these scripts (before/after comparisons in the same session)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(APP_ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def summarize(samples: Sequence[float]) -> dict[str, Any]:
    """Median, min, max and count of timing samples in seconds (reported in ms)."""
    ms = [s * 1e3 for s in samples]
    return {
        "median_ms": statistics.median(ms),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "n": len(ms),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (``ru_maxrss`` is KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024**2


def emit(result: dict[str, Any]) -> None:
    """Print the result line that ``run.py`` reads."""
    result.setdefault("peak_rss_mb", peak_rss_mb())
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": _cpu_name(),
        "qpa": "offscreen",
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:  # pragma: no cover
        pass
    for name in ("PySide6", "pyqtgraph", "numpy", "matplotlib"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---------------------------------------------------------------------- scenes
def scene_dict(
    *, size: int, channels: int, image: str = "sample:astronaut", mode: str = "rgb"
) -> dict[str, Any]:
    """A separable block to ``channels`` then a 1×1 with ``channels`` outputs, as scene JSON.

    The "heavy" scene of the issue is ``scene_dict(size=512, channels=128)``; the scaling
    table varies ``size`` and ``channels``.
    """
    return {
        "format": "conv-explorer-scene",
        "version": 1,
        "title": f"bench {size}² → {channels} channels",
        "seed": 0,
        "input": {"image": image, "size": size, "mode": mode},
        "layers": [
            {
                "kind": "separable",
                "out_channels": channels,
                "kernel_size": 3,
                "padding": "same",
                "batch_norm": True,
                "activation": "relu",
            },
            {"kind": "pointwise", "out_channels": channels},
        ],
    }


def load_named_scene(name: str, size: int | None = None, channels: int | None = None):
    """``"default"`` (the bundled default scene), ``"heavy"``, or ``"custom"`` (size, channels)."""
    from explorer.core.io.scene import load_scene, scene_from_dict

    if name == "default":
        return load_scene(ROOT / "assets" / "scenes" / "default.json")
    if name == "heavy":
        return scene_from_dict(scene_dict(size=512, channels=128))
    if name == "custom":
        assert size is not None and channels is not None
        return scene_from_dict(scene_dict(size=size, channels=channels, image=large_image(size)))
    raise SystemExit(f"unknown scene {name!r}")


def large_image(size: int) -> str:
    """A path to an RGB image at least ``size`` pixels a side (the samples are ≤ 512 px).

    The bundled astronaut, upscaled with Lanczos and cached in the temp folder, so that the
    1024² row of the scaling table really runs on 1024² pixels (the app never upscales).
    """
    if size <= 512:
        return "sample:astronaut"
    out = Path(tempfile.gettempdir()) / f"conv-explorer-bench-astronaut-{size}.png"
    if not out.is_file():
        from PIL import Image

        with Image.open(ROOT / "assets" / "samples" / "astronaut.jpg") as im:
            im.convert("RGB").resize((size, size), Image.Resampling.LANCZOS).save(out)
    return str(out)
