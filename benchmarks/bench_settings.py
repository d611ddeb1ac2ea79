"""How long the GUI thread waits in the settings while other writes reach the disk: the
app's write-behind settings (a copy for reading, changes made on the writer thread) against
the same calls straight on the ``QSettings`` object the writer thread writes (the baseline,
what the app did before), in the same run and under the same disk load (issue 16: Qt's
settings mutex is held while the file is written, up to 21 ms measured).

Run::

    python benchmarks/bench_settings.py --seconds 6
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import bench_common  # noqa: F401  (puts the measured app first on sys.path)
from bench_common import RESULT_PREFIX
from PySide6.QtCore import QCoreApplication, QTimer

from explorer.ui.state.settings import AppSettings, make_qsettings
from explorer.ui.state.settings_writer import request_write


class _Direct:
    """The baseline: the same reads and changes straight on the moved ``QSettings``."""

    def __init__(self, qsettings) -> None:
        self.q = qsettings

    def step(self, n: int) -> None:
        self.q.setValue("files/recent", f'["/tmp/x{n % 50}.json"]')
        request_write(self.q)
        self.q.value("files/recent", "[]")
        self.q.value("view/colormap", "viridis")


class _App:
    def __init__(self, settings: AppSettings) -> None:
        self.s = settings

    def step(self, n: int) -> None:
        self.s._set("files/recent", f'["/tmp/x{n % 50}.json"]')
        self.s.recent_files()
        self.s.colormap  # noqa: B018 (a read)


def _measure(app: QCoreApplication, target, seconds: float) -> list[float]:
    times: list[float] = []
    end = time.perf_counter() + seconds
    n = 0

    def tick() -> None:
        nonlocal n
        if time.perf_counter() > end:
            app.quit()
            return
        start = time.perf_counter()
        target.step(n)
        times.append((time.perf_counter() - start) * 1000)
        n += 1
        QTimer.singleShot(5, tick)

    QTimer.singleShot(0, tick)
    app.exec()
    return sorted(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args(argv)
    app = QCoreApplication([])
    folder = Path(tempfile.mkdtemp(prefix="bench-settings-"))
    load = subprocess.Popen(  # other writes in flight: 20 MB files, each synced to disk
        [
            "bash",
            "-c",
            f"while true; do dd if=/dev/zero of={folder}/load.bin bs=1M count=20 "
            "conv=fdatasync status=none; done",
        ]
    )
    try:
        results = {}
        for name in ("baseline", "app", "baseline", "app"):  # alternated
            settings = AppSettings(make_qsettings(folder / f"{name}.ini"), write_behind=True)
            target = _Direct(settings.qsettings) if name == "baseline" else _App(settings)
            results.setdefault(name, []).extend(_measure(app, target, args.seconds / 2))
    finally:
        load.kill()
    out = {"bench": "settings"}
    for name, times in results.items():
        times.sort()
        p99, worst = times[int(len(times) * 0.99)], times[-1]
        over = sum(t > 10 for t in times)
        print(
            f"{name}: {len(times)} steps, p99 {p99:.2f} ms, max {worst:.1f} ms, over 10 ms: {over}"
        )
        out[name] = {"n": len(times), "p99_ms": p99, "max_ms": worst, "over_10ms": over}
    out["max_ratio"] = out["app"]["max_ms"] / out["baseline"]["max_ms"]
    print(f"longest wait: x{out['max_ratio']:.3f} of the baseline")
    print(RESULT_PREFIX + __import__("json").dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
