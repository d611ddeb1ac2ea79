"""Errors: one line on stderr, the right exit code, never a traceback."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from explorer import cli

ROOT = Path(__file__).resolve().parents[2]
POINTWISE = ROOT / "assets" / "scenes" / "pointwise_64_to_128.json"
DEFAULT = ROOT / "assets" / "scenes" / "default.json"


def _scene(tmp_path: Path, **changes) -> Path:
    data = json.loads(POINTWISE.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _assert_one_line_error(proc, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    (line,) = lines
    assert line.startswith("conv-explorer: error: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    assert proc.stdout == ""
    return line


def test_missing_scene_file(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    _assert_one_line_error(run_cli("stats", missing), "nowhere.json")


def test_malformed_json(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "conv-explorer-scene",\n "version": 1,\n "layers": [\n', "utf-8")
    line = _assert_one_line_error(run_cli("stats", bad), "broken.json")
    assert "line" in line


def test_invalid_layer_field(run_cli, tmp_path: Path) -> None:
    path = _scene(
        tmp_path,
        layers=[
            {"kind": "pointwise", "out_channels": 8},
            {"kind": "depthwise", "kernel_size": "3"},
        ],
    )
    _assert_one_line_error(run_cli("stats", path), "scene.json", "layer 2", "kernel_size")


def test_layer_that_cannot_run_on_the_input(run_cli, tmp_path: Path) -> None:
    path = _scene(tmp_path, layers=[{"kind": "standard", "out_channels": 8, "kernel_size": 64}])
    _assert_one_line_error(run_cli("stats", path), "layer 1", "kernel_size")


def test_layer_too_big_for_an_override_shape(cli_main, tmp_path: Path) -> None:
    path = _scene(tmp_path, layers=[{"kind": "standard", "out_channels": 8, "kernel_size": 3}])
    code, out, err = cli_main("stats", path, "--input-shape", "64", "3", "3")
    assert code == 0, err
    for command in ("stats", "code"):
        code, out, err = cli_main(command, path, "--input-shape", "64", "2", "3")
        assert code == 2 and out == ""
        assert err.count("\n") == 1
        assert "scene.json: layer 1 (standard), field 'kernel_size'" in err


@pytest.mark.parametrize(
    "shape, needle",
    [(["3", "x", "4"], "'x'"), (["3", "0", "4"], "'0'"), (["3", "4"], "--input-shape")],
)
def test_bad_input_shape(run_cli, shape: list[str], needle: str) -> None:
    _assert_one_line_error(run_cli("stats", POINTWISE, "--input-shape", *shape), needle)


def test_bad_image(run_cli, tmp_path: Path) -> None:
    fake = tmp_path / "photo.png"
    fake.write_text("this is not an image", encoding="utf-8")
    _assert_one_line_error(run_cli("stats", DEFAULT, "--image", fake), "photo.png")
    _assert_one_line_error(run_cli("code", DEFAULT, "--image", tmp_path / "gone.jpg"), "gone.jpg")


def test_newer_version(run_cli, tmp_path: Path) -> None:
    path = _scene(tmp_path, version=7)
    _assert_one_line_error(run_cli("stats", path, "--json"), "scene.json", "7", "newer")


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["stats", "a.json", "--image", "x.png", "--input-shape", "1", "2", "3"],
        ["stats", "a.json", "--frobnicate"],
        ["render", "a.json", "--width", "-5"],
    ],
    ids=["no-scene", "exclusive", "unknown-option", "bad-width"],
)
def test_usage_errors(cli_main, args: list[str]) -> None:
    code, out, err = cli_main(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("conv-explorer: error: ")


def test_gui_with_missing_scene_is_an_error_before_any_window(cli_main, tmp_path) -> None:
    code, out, err = cli_main(tmp_path / "nope.json")
    assert code == 2
    assert err.startswith("conv-explorer: error: ") and "nope.json" in err


def test_unexpected_exception_is_a_bug(cli_main, monkeypatch) -> None:
    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli._HANDLERS, "stats", broken)
    code, out, err = cli_main("stats", POINTWISE)
    assert code == 1
    assert err.count("\n") == 1
    assert "ZeroDivisionError" in err and "this is a bug; run with --debug" in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["stats", POINTWISE.as_posix(), "--debug"])


def test_debug_reraises_user_errors(tmp_path) -> None:
    from explorer.core.errors import ExplorerError

    with pytest.raises((ExplorerError, OSError)):
        cli.main(["--debug", "stats", str(tmp_path / "missing.json")])


def test_version_and_help(run_cli, cli_main) -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("conv-explorer ")
    code, out, _ = cli_main("--help")
    assert code == 0
    for command in ("stats", "render", "code"):
        assert command in out


def test_gui_is_the_default_command(cli_main, monkeypatch, tmp_path) -> None:
    """Without a command, the arguments go to explorer.ui.app.run_app."""
    calls = []
    fake = types.ModuleType("explorer.ui.app")
    fake.run_app = lambda scene_path=None, image=None, screenshot=None: (
        calls.append((scene_path, image, screenshot)) or 0
    )
    monkeypatch.setitem(sys.modules, "explorer.ui.app", fake)
    headless = []
    monkeypatch.setattr(cli, "_headless", lambda: headless.append(True))
    if "explorer.ui" in sys.modules:
        monkeypatch.setattr(sys.modules["explorer.ui"], "app", fake, raising=False)
    shot = tmp_path / "shot.png"
    assert cli_main(POINTWISE, "--screenshot", shot)[0] == 0
    assert cli_main()[0] == 0
    assert cli_main("--image", DEFAULT)[0] == 0  # any existing file stands in for an image
    assert calls == [
        (str(POINTWISE), None, str(shot)),
        (None, None, None),
        (None, str(DEFAULT), None),
    ]
    assert headless == [True]  # only a screenshot forces offscreen drawing


def test_code_checks_what_running_needs_stats_only_counts(cli_main) -> None:
    gray = ROOT / "assets" / "scenes" / "rgb_to_gray.json"
    code, out, err = cli_main("code", gray, "--input-shape", "5", "8", "8")
    assert code == 2 and out == ""
    assert "rgb_to_gray.json: layer 1 (pointwise), field 'weights.weight'" in err
    assert "[1, 5, 1, 1]" in err and err.count("\n") == 1
    assert cli_main("stats", gray, "--input-shape", "5", "8", "8")[0] == 0

    huge = ("--input-shape", "512", "4000", "4000")
    code, out, err = cli_main("code", POINTWISE, *huge)
    assert code == 2 and "limit" in err and "CONV_EXPLORER_MEMORY_LIMIT_MB" in err
    code, out, err = cli_main("stats", POINTWISE, *huge, "--json")
    assert code == 0, err
    assert json.loads(out)["total"]["macs"] == 512 * 128 * 4000 * 4000
