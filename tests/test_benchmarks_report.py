"""benchmarks/run.py without matplotlib: it says to install the bench extra and reports
the rest (no traceback)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_repaint  # noqa: E402
import run as bench_run  # noqa: E402


def test_missing_matplotlib_is_reported_not_raised(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    result = bench_repaint.measure_matplotlib(1)
    assert "bench extra" in result["matplotlib_missing"]
    data = {
        "mode": "quick",
        "date": "now",
        "load_before": (1.0,),
        "load_after": (1.0,),
        "machine": {"cpus": 2, "processor": "x", "python": "3", "PySide6": "6", "pyqtgraph": "0"},
        "results": {"repaint": {"grid": {"median_ms": 20.0}, **result}},
    }
    text = bench_run.report(data)
    assert "matplotlib: not installed" in text and "pip install -e '.[bench]'" in text
    assert "repaint 64 × 256² maps  20.0 ms" in text
