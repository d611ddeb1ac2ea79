"""Checkpoints referenced by a scene: random bytes, code-running pickles, wrong shape/dtype."""

from __future__ import annotations

import os

import pytest
import torch
from nasty_files import evil_checkpoint, write_scene
from robust_helpers import small_scene

from explorer import cli
from explorer.core.compute.build import build_layer
from explorer.core.errors import SpecError
from explorer.core.io import checkpoints
from explorer.core.model.specs import CheckpointTensor, default_spec


@pytest.fixture(autouse=True)
def _fresh_cache():
    checkpoints.clear_cache()
    yield
    checkpoints.clear_cache()


def _make(folder, name, marker):
    path = folder / f"{name}.pt"
    if name == "evil":
        return evil_checkpoint(folder, marker), "never run"
    if name == "random":
        path.write_bytes(os.urandom(4096))
        return path, "not a PyTorch checkpoint"
    if name == "shape":
        torch.save({"w": torch.ones(7, 7)}, path)
        return path, "must have shape [4, 3, 1, 1], got [7, 7]"
    if name == "bool":
        torch.save({"w": torch.ones(4, 3, 1, 1, dtype=torch.bool)}, path)
        return path, "bool"
    if name == "complex":
        torch.save({"w": torch.ones(4, 3, 1, 1, dtype=torch.complex64)}, path)
        return path, "complex64"
    if name == "nan":
        torch.save({"w": torch.full((4, 3, 1, 1), float("nan"))}, path)
        return path, "NaN"
    torch.save({"other": torch.ones(4, 3, 1, 1)}, path)
    return path, "has no tensor 'w'"


KINDS = ["evil", "random", "shape", "bool", "complex", "nan", "no key"]


def _scene_doc(ck) -> dict:
    return {
        "format": "conv-explorer-scene",
        "version": 1,
        "input": {"shape": [3, 8, 8]},
        "layers": [
            {
                "kind": "pointwise",
                "out_channels": 4,
                "weights": {"weight": {"checkpoint": ck.name, "key": "w"}},
            }
        ],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_core_refuses_and_never_runs_code(tmp_path, kind):
    marker = tmp_path / "MARKER"
    path, words = _make(tmp_path, kind, marker)
    spec = default_spec("pointwise", out_channels=4).with_changes(
        weights=(("weight", CheckpointTensor(str(path), "w")),)
    )
    with pytest.raises(SpecError) as info:
        build_layer(spec, 3)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


def test_integer_tensors_are_converted(tmp_path):
    path = tmp_path / "int.pt"
    torch.save({"w": torch.arange(12).reshape(4, 3, 1, 1)}, path)
    spec = default_spec("pointwise", out_channels=4).with_changes(
        weights=(("weight", CheckpointTensor(str(path), "w")),)
    )
    module = build_layer(spec, 3)
    assert torch.equal(module[0].weight, torch.arange(12.0).reshape(4, 3, 1, 1))


@pytest.mark.parametrize("command", ["stats", "render", "code"])
def test_cli_exit_2_one_line_naming_the_scene(tmp_path, capsys, command):
    marker = tmp_path / "MARKER"
    for kind in KINDS:
        path, words = _make(tmp_path, kind, marker)
        scene = write_scene(tmp_path, _scene_doc(path), f"uses_{kind.replace(' ', '_')}.json")
        capsys.readouterr()
        args = [command, str(scene)] + (
            ["--out", str(tmp_path / "o")] if command == "render" else []
        )
        code = cli.main(args)
        out, err = capsys.readouterr()
        assert code == 2 and out == "", (kind, err)
        assert err.count("\n") == 1 and scene.name in err and words in err, err
        assert "layer 1 (pointwise), field 'weights'" in err
    assert not marker.exists()


def test_window_scene_with_bad_checkpoint_reports_and_keeps_running(qtbot, tmp_path, make_window):
    win = make_window(small_scene())
    marker = tmp_path / "MARKER"
    for kind in ("evil", "random", "shape"):
        path, words = _make(tmp_path, kind, marker)
        scene = write_scene(tmp_path, _scene_doc(path), f"w_{kind}.json")
        with qtbot.waitSignal(win.controller.run_failed, timeout=30000) as failed:
            assert win.files.open_scene(scene) is True  # the file itself is fine
        assert words in failed.args[0] and "layer 1" in failed.args[0]
        assert win.statusBar().currentMessage() == failed.args[0]
        qtbot.waitUntil(lambda: not win.controller.worker_running, timeout=5000)
    assert not marker.exists()
    with qtbot.waitSignal(win.controller.run_finished, timeout=30000):
        win.document.replace_layer(0, default_spec("pointwise", out_channels=4))
