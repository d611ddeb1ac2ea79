"""Helpers for the command-line tests: run ``python -m explorer`` or ``cli.main``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENES = ROOT / "assets" / "scenes"


@pytest.fixture
def scenes_dir() -> Path:
    """The folder of the bundled scenes."""
    return SCENES


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``python -m explorer ARGS`` in a subprocess (offscreen Qt, no settings)."""

    def run(
        *args: str, cwd: Path | None = None, timeout: float = 240
    ) -> subprocess.CompletedProcess:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONV_EXPLORER_NO_SETTINGS="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return subprocess.run(
            [sys.executable, "-m", "explorer", *map(str, args)],
            cwd=cwd or ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def cli_main(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``explorer.cli.main(ARGS)`` in this process: ``(exit code, stdout, stderr)``."""
    from explorer import cli

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
