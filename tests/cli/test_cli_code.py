"""``conv-explorer code``: the printed script runs and builds the scene's stack."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENES = ROOT / "assets" / "scenes"


def _run_script(source: str, tmp_path: Path) -> tuple[list[int], set[int]]:
    """Run a generated script alone (not from the repo); return its printed output shape
    and every bare integer it printed."""
    script = tmp_path / "stack.py"
    script.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-I", str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    shapes = re.findall(r"torch\.Size\(\[([\d, ]+)\]\)", proc.stdout)
    assert shapes, proc.stdout
    numbers = {int(line.strip()) for line in proc.stdout.splitlines() if line.strip().isdigit()}
    return [int(v) for v in shapes[-1].split(",")], numbers


def _stats(cli_main, *args) -> dict:
    code, out, err = cli_main("stats", *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["pointwise_64_to_128", "rgb_to_gray", "mobilenet_v2_inverted_residual"]
)
def test_code_runs_and_matches_stats(name: str, cli_main, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("explorer.core.compute.codegen")
    scene = SCENES / f"{name}.json"
    code, out, err = cli_main("code", scene)
    assert code == 0, err
    assert err == ""
    ast.parse(out)  # a Python script, nothing else on stdout
    assert "explorer" not in re.findall(r"^\s*(?:import|from)\s+(\w+)", out, re.M)
    shape, numbers = _run_script(out, tmp_path)
    stats = _stats(cli_main, scene)
    assert shape == [1, *stats["output_shape"]]
    assert stats["total"]["params"] in numbers
    if name == "pointwise_64_to_128":
        assert shape == [1, 128, 32, 32] and 8_320 in numbers


@pytest.mark.slow
def test_code_input_shape_override(cli_main, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("explorer.core.compute.codegen")
    scene = SCENES / "pointwise_64_to_128.json"
    code, out, err = cli_main("code", scene, "--input-shape", "64", "7", "9")
    assert code == 0, err
    shape, numbers = _run_script(out, tmp_path)
    assert shape == [1, 128, 7, 9]
    assert 8_320 in numbers
