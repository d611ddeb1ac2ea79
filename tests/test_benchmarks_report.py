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


def test_startup_rows_give_both_modes_against_their_baselines():
    def fig(ms: float) -> dict:
        return {"median_ms": ms, "min_ms": ms, "max_ms": ms, "n": 1}

    def mode(window: float, results: float) -> dict:
        return {
            "window": fig(window),
            "first_results": fig(results),
            "baseline_window": fig(200.0),
            "baseline_first_results": fig(1500.0),
            "window_ratio": window / 200.0,
            "first_results_ratio": results / 1500.0,
        }

    r = {
        "dont_write_bytecode": True,
        "source": mode(1100.0, 2000.0),
        "bytecode": mode(700.0, 1800.0),
    }
    rows = bench_run.startup_rows(r, bench_run.WINDOW_MS, bench_run.RESULTS_MS)
    assert rows[0] == (
        "start-up → painted window (sources compiled)",
        "1.10 s",
        "blank PySide6 window 0.20 s",
        "5.50×",
        "≤ 1.0 s",
        "NO",
    )
    assert rows[2][0] == "start-up → painted window (cached bytecode)" and rows[2][-1] == "yes"
    assert rows[3][1:4] == ("1.80 s", "blank window + torch conv 1.50 s", "1.20×")
    assert bench_run.startup_rows({"error": "x"}, 1.0, 1.0) == []
