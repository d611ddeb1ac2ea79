"""``conv-explorer fit``: a fitted scene that reproduces the target, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from explorer.core.compute.fit_targets import LUMA

SCENE = {
    "format": "conv-explorer-scene",
    "version": 1,
    "seed": 0,
    "input": {"shape": [3, 24, 24]},
    "layers": [{"kind": "pointwise", "out_channels": 1}],
}


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    path = tmp_path / "g.json"
    path.write_text(json.dumps(SCENE))
    return path


def test_fit_gray_json_subprocess(run_cli, scene, tmp_path) -> None:
    out = tmp_path / "fitted.json"
    proc = run_cli(
        "fit", scene, "--target", "gray", "--steps", "300", "--lr", "0.05", "--out", out, "--json"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # stdout is one JSON object
    assert {"loss_start", "loss_end", "steps", "seconds"} <= set(data)
    assert data["steps"] == 300 and data["reason"] == "done"
    assert data["loss_end"] < 1e-6 * data["loss_start"]
    assert "step 300/300" in proc.stderr  # progress on stderr
    saved = json.loads(out.read_text())
    weights = saved["layers"][0]["weights"]
    np.testing.assert_allclose(np.ravel(weights["weight"]), LUMA, atol=0.01)
    assert abs(weights["bias"][0]) < 0.01
    assert saved["fit"]["target"] == "gray"
    assert saved["fit"]["loss_end"] == pytest.approx(data["loss_end"])
    # the fitted scene is an ordinary scene: stats reads it
    stats = run_cli("stats", out, "--json")
    assert stats.returncode == 0, stats.stderr


def test_fit_text_output_and_the_scene_record_as_defaults(cli_main, tmp_path) -> None:
    path = tmp_path / "rec.json"
    data = {**SCENE, "layers": [{"kind": "pointwise", "out_channels": 3}]}
    path.write_text(json.dumps({**data, "fit": {"target": "ycbcr", "steps": 5}}))
    code, out, err = cli_main("fit", path, "--out", tmp_path / "o.json")
    assert code == 0, err
    assert "to ycbcr" in out and "in 5 steps" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--target", "grey"], "unknown target 'grey'"),
        (
            ["--target", "sobel-x"],
            "wrong channel count: it is 3×24×24 but the stack's output is 1×24×24",
        ),
        (["--target", "gray", "--input-shape", "4", "8", "8"], "needs an RGB input"),
        (["--target", "gray", "--freeze", "1"], "nothing to train"),
        (["--target", "scene:missing.json"], "cannot run on this input"),
        (["--target", "gray", "--lr", "-1"], "--lr"),
        ([], "name a target with --target"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli_main, scene, tmp_path, args, message) -> None:
    out = tmp_path / "o.json"
    code, stdout, err = cli_main("fit", scene, *args, "--out", out)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("conv-explorer: error: "), err
    assert message in err
    assert not out.exists()


def test_wrong_shape_npy_subprocess(run_cli, scene, tmp_path) -> None:
    np.save(tmp_path / "t.npy", np.zeros((1, 10, 10), np.float32))
    proc = run_cli(
        "fit", scene, "--target", f"npy:{tmp_path / 't.npy'}", "--out", tmp_path / "o.json"
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"conv-explorer: error: target 'npy:{tmp_path / 't.npy'}' has the wrong shape: it is "
        "1×10×10 but the stack's output is 1×24×24"
    ]
    assert proc.stdout == ""


def test_a_fit_too_big_for_memory_exits_2_with_one_line(cli_main, scene, tmp_path, monkeypatch):
    """The scene runs within the limit, its fit does not: refused before training."""
    from explorer.core.analysis.costs import stack_cost
    from explorer.core.analysis.fit_memory import fit_memory_estimate
    from explorer.core.analysis.memory import ENV_VAR, memory_estimate
    from explorer.core.io.scene import scene_from_dict

    layers = scene_from_dict(SCENE).layers
    cost = stack_cost((3, 24, 24), layers)
    run, fit = memory_estimate(cost).total, fit_memory_estimate(cost, float64=True).total
    monkeypatch.setenv(ENV_VAR, str((run + fit) / 2 / 1024**2))
    out = tmp_path / "o.json"
    code, stdout, err = cli_main("fit", scene, "--target", "gray", "--float64", "--out", out)
    assert code == 2 and not stdout
    assert err.count("\n") == 1 and "fitting this stack in float64 needs about" in err, err
    assert not out.exists()
