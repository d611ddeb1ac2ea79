"""``python -m explorer --screenshot OUT.png`` with the offscreen platform, and a fast start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.core.io.samples import scene_path

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CONV_EXPLORER_NO_SETTINGS="1",
        CONV_EXPLORER_DATA_DIR=str(tmp_path / "data"),
    )
    return env


@pytest.mark.slow
@pytest.mark.parametrize("scene", [None, "pointwise_64_to_128"])
def test_screenshot_subprocess_writes_png(tmp_path, scene):
    out = tmp_path / "win.png"
    args = [sys.executable, "-m", "explorer"]
    if scene:
        args.append(str(scene_path(scene)))
    args += ["--screenshot", str(out)]
    proc = subprocess.run(
        args, cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape[0] >= 400 and image.shape[1] >= 600
    # Not a blank grab: the feature maps give many distinct colours.
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 200


def test_window_module_does_not_import_torch(tmp_path):
    code = (
        "import sys, explorer.ui.window.main_window, explorer.ui.app; print('torch' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
