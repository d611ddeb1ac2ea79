"""Scene files that must be refused, stacks too big for memory, and a fuzz of the CLI path."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nasty_files import bad_scene_texts, write_bad_scene, write_scene
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from robust_helpers import shown_maps, small_scene, state_of

from explorer import cli
from explorer.core.errors import SceneError
from explorer.core.io.scene import InputSpec, load_scene
from explorer.core.model.specs import default_spec

NAMES = sorted(bad_scene_texts(Path(".")))
#: Files that parse but do not run as they are: the window opens them and shows the error
#: (a saved scene must always open again); the core and the command line refuse them.
OPENED_WITH_ERRORS = {
    "kernel bigger than input",
    "missing image",
    "image is not an image",
    "missing checkpoint",
}
FOUR_K = {
    "format": "conv-explorer-scene",
    "version": 1,
    "input": {"shape": [3, 2160, 3840]},
    "layers": [{"kind": "standard", "out_channels": 4096, "kernel_size": 3, "padding": "same"}],
}


def _bad(tmp_path, name):
    doc, words = bad_scene_texts(tmp_path)[name]
    return write_bad_scene(tmp_path, name, doc), words


def _one_line(text: str, needles) -> None:
    assert "\n" not in text.strip() and "Traceback" not in text
    for needle in needles:
        assert needle in text, (needle, text)


# ---------------------------------------------------------------------- core
@pytest.mark.parametrize("name", NAMES)
def test_core_refuses_bad_scene_files(tmp_path, name):
    path, words = _bad(tmp_path, name)
    with pytest.raises(SceneError) as info:
        load_scene(path)
    _one_line(str(info.value), [path.name, words])


# ---------------------------------------------------------------------- window
def _drop(win, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    win.dropEvent(
        QDropEvent(
            QPointF(5, 5),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )


@pytest.mark.parametrize("how", ["open", "drop"])
def test_window_refuses_bad_scenes_and_keeps_its_work(qtbot, tmp_path, make_window, how):
    win = make_window(small_scene())
    win.document.select(0)
    shown = shown_maps(win)
    for name in sorted(set(NAMES) - OPENED_WITH_ERRORS):
        path, words = _bad(tmp_path, name)
        before = state_of(win)
        if how == "open":
            assert win.files.open_scene(path) is False
        else:  # a dropped scene is read on a worker: the refusal comes a moment later
            with qtbot.waitSignal(win.files.loader.finished, timeout=10000):
                _drop(win, path)
        box = win.files.error_box
        assert box is not None and box.isVisible(), name
        _one_line(box.text(), [path.name, words])
        box.close()
        qtbot.wait(20)
        assert state_of(win) == before, name
    assert all(np.array_equal(a, b) for a, b in zip(shown_maps(win), shown, strict=True))
    with qtbot.waitSignal(win.controller.run_finished, timeout=30000):
        win.document.replace_layer(0, win.document.layers[0].with_changes(out_channels=6))


@pytest.mark.parametrize("name", sorted(OPENED_WITH_ERRORS))
def test_window_opens_a_scene_that_does_not_run_and_shows_why(qtbot, tmp_path, make_window, name):
    win = make_window(small_scene())
    path, words = _bad(tmp_path, name)
    assert win.files.open_scene(path) is True
    assert win.document.path == path and not win.document.dirty
    assert win.document.scene == load_scene(path, validate=False)
    message = win.statusBar().currentMessage()
    _one_line(message, [words])
    if name == "kernel bigger than input":  # at its field, in the layer editor
        assert win.controller.error is not None and win.controller.error.field == "kernel_size"
        win.document.select(0)
        assert "kernel" in win.layer_editor.error_label.text()
    qtbot.waitUntil(lambda: not win.controller.busy, timeout=30000)


# ---------------------------------------------------------------------- CLI
@pytest.mark.parametrize("command", ["stats", "render", "code"])
def test_cli_refuses_bad_scenes(tmp_path, capsys, command):
    for name in NAMES:
        path, words = _bad(tmp_path, name)
        capsys.readouterr()
        code = cli.main(
            [command, str(path), "--out", str(tmp_path / "o")]
            if command == "render"
            else [command, str(path)]
        )
        out, err = capsys.readouterr()
        assert code == 2 and out == "", (name, err)
        assert err.startswith("conv-explorer: error: ") and err.count("\n") == 1
        _one_line(err, [path.name, words])


def test_cli_subprocess_bad_scene_in_seconds(tmp_path, subprocess_env):
    path, words = _bad(tmp_path, "newer version")
    for command in ("stats", "render", "code"):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "explorer", command, str(path)],
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.perf_counter() - start < 15
        assert proc.returncode == 2 and proc.stdout == "" and len(proc.stderr.splitlines()) == 1
        _one_line(proc.stderr, [path.name, words])


# ---------------------------------------------------------------------- memory
def test_4096_channels_on_4k_refused_to_run_but_counted(tmp_path, capsys, monkeypatch):
    path = write_scene(tmp_path, FOUR_K, "big.json")
    for command in ("render", "code"):
        capsys.readouterr()
        assert (
            cli.main(
                [command, str(path), "--out", str(tmp_path / "o")][: 2 + 2 * (command == "render")]
            )
            == 2
        )
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1
        _one_line(
            err,
            [
                "big.json",
                "needs about",
                "GiB",
                "the limit is 2.0 GiB",
                "CONV_EXPLORER_MEMORY_LIMIT_MB",
            ],
        )
    # stats runs nothing: it counts, and says the run would not fit
    capsys.readouterr()
    assert cli.main(["stats", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["macs"] == 4096 * 3 * 9 * 2160 * 3840
    assert data["memory"]["run_bytes"] > data["memory"]["limit_bytes"] == 2048 * 2**20
    assert cli.main(["stats", str(path)]) == 0
    assert "MORE than the limit of 2.0 GiB" in capsys.readouterr().out
    # the limit is configurable
    monkeypatch.setenv("CONV_EXPLORER_MEMORY_LIMIT_MB", str(10**6))
    capsys.readouterr()
    assert cli.main(["code", str(path)]) == 0
    assert "nn.Conv2d(3, 4096" in capsys.readouterr().out
    monkeypatch.setenv("CONV_EXPLORER_MEMORY_LIMIT_MB", "lots")
    assert cli.main(["stats", str(path)]) == 2
    _one_line(capsys.readouterr().err, ["CONV_EXPLORER_MEMORY_LIMIT_MB", "'lots'"])


def test_window_refuses_a_run_too_big_without_freezing(qtbot, make_window):
    win = make_window(small_scene())
    win.document.select(0)
    shown = shown_maps(win)
    results = dict(win.controller.results)
    ticks = []
    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start()
    start = time.perf_counter()
    with qtbot.waitSignal(win.controller.run_failed, timeout=10000) as failed:
        win.document.set_input(InputSpec(shape=(3, 2160, 3840)))
        win.document.replace_layer(0, default_spec("standard", out_channels=4096))
    took = time.perf_counter() - start
    ticker.stop()
    _one_line(failed.args[0], ["needs about", "GiB", "the limit is", "layer 1"])
    assert took < 3 and len(ticks) >= 1
    qtbot.waitUntil(lambda: not win.controller.worker_running, timeout=5000)
    assert win.statusBar().currentMessage() == failed.args[0]
    assert win.controller.results == results  # the previous results stay on screen
    assert all(np.array_equal(a, b) for a, b in zip(shown_maps(win), shown, strict=True))
    assert threading.active_count() < 50


def test_window_opens_a_scene_too_big_and_refuses_only_the_run(qtbot, tmp_path, make_window):
    win = make_window(small_scene())
    path = write_scene(tmp_path, FOUR_K, "big.json")
    with qtbot.waitSignal(win.controller.run_failed, timeout=10000) as failed:
        assert win.files.open_scene(path) is True
    assert "the limit is" in failed.args[0]
    assert win.document.path == path and win.controller.cost.macs == 4096 * 27 * 2160 * 3840
    # fixing the layer in the window makes it run
    with qtbot.waitSignal(win.controller.run_finished, timeout=60000):
        win.document.set_input(InputSpec(shape=(3, 32, 32)))


# ---------------------------------------------------------------------- fuzz, CLI path
_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-2, 70_000)
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=6)
    | st.sampled_from(
        [
            "same",
            "relu",
            "pointwise",
            "separable",
            "sample:coffee",
            "gone.png",
            "\x00",
            "../../etc/passwd",
        ]
    )
)
_JSON = st.recursive(
    _VALUES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = (
    "kind",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "multiplier",
    "bias",
    "batch_norm",
    "activation",
    "weights",
)


@st.composite
def _documents(draw):
    layers = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["standard", "pointwise", "depthwise", "separable"]))
        layer = (
            {"kind": kind}
            if kind == "depthwise"
            else {"kind": kind, "out_channels": draw(st.integers(1, 8))}
        )
        for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=2)) * (
            draw(st.integers(0, 3)) == 0
        ):
            layer[name] = draw(_JSON)
        layers.append(layer)
    doc = {
        "format": "conv-explorer-scene",
        "version": draw(st.sampled_from([1] * 8 + [2, "1", None])),
        "input": {
            "shape": draw(
                st.lists(st.integers(4, 24), min_size=3, max_size=3)
                | st.lists(st.integers(-1, 40), max_size=4)
            )
        },
        "layers": layers,
    }
    if draw(st.integers(0, 3)) == 0:
        doc[draw(st.sampled_from(["seed", "input", "layers", "title", "extra"]))] = draw(_JSON)
    text = json.dumps(doc)
    if draw(st.integers(0, 4)) == 0:  # sometimes a truncated file
        return text[: draw(st.integers(0, len(text) - 1))]
    return text


def test_fuzz_cli_exit_0_or_2_with_one_line(tmp_path, capsys):
    outcomes = {0: 0, 2: 0}

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
    )
    @given(_documents())
    def one(text):
        path = tmp_path / "fuzz.json"
        path.write_text(text, encoding="utf-8")
        for command in ("stats", "code"):
            capsys.readouterr()
            code = cli.main([command, str(path)])
            out, err = capsys.readouterr()
            assert code in (0, 2), (code, err)
            outcomes[code] += 1
            if code == 2:
                assert out == "" and err.count("\n") == 1 and "fuzz.json" in err, err
                assert "Traceback" not in err

    one()
    # the generator really produces both valid scenes and nasty ones
    assert outcomes[0] >= 5 and outcomes[2] >= 20, outcomes
