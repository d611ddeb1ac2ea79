"""Every kind of image file a user may load: through the core, the window and the CLI.

Refused files give one line naming the file and leave the window as it was; odd but valid
files are converted. The files are made here (see ``nasty_files``), none is stored.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from nasty_files import ACCEPTED_IMAGES, REFUSED_IMAGES, large_jpeg
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from robust_helpers import shown_maps, small_scene, state_of

from explorer import cli
from explorer.core.errors import ImageError
from explorer.core.io import images
from explorer.core.io.images import load_image

REFUSED = sorted(REFUSED_IMAGES)
ACCEPTED = sorted(ACCEPTED_IMAGES)
SCENE = Path(__file__).resolve().parents[2] / "assets" / "scenes" / "default.json"


def _one_line(message: str, path: Path, words: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert str(path) in message, message
    assert words in message, message


# ---------------------------------------------------------------------- core
@pytest.mark.parametrize("name", REFUSED)
def test_core_refuses_with_one_line_naming_the_file(tmp_path, name):
    maker, words = REFUSED_IMAGES[name]
    path = maker(tmp_path)
    with pytest.raises(ImageError) as info:
        load_image(path)
    _one_line(str(info.value), path, words)


@pytest.mark.parametrize("name", ACCEPTED)
def test_core_converts_odd_but_valid_images(tmp_path, name):
    maker, (height, width) = ACCEPTED_IMAGES[name]
    out = load_image(maker(tmp_path))
    assert out.shape == (3, height, width) and out.dtype == np.float32
    assert np.isfinite(out).all() and 0.0 <= out.min() and out.max() <= 1.0


def test_core_unreadable_file(tmp_path, monkeypatch):
    path = ACCEPTED_IMAGES["rgba"][0](tmp_path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(images, "open", denied, raising=False)  # root reads anything
    with pytest.raises(ImageError) as info:
        load_image(path)
    _one_line(str(info.value), path, "permission denied")


_PEAK_SCRIPT = """
import resource, sys
import numpy as np
from explorer.core.io.images import load_image
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = load_image(sys.argv[1], size=256)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(out.shape[1], out.shape[2], (after - before) * 1024)
"""


@pytest.mark.parametrize("maker", ["large jpeg", "huge header"])
def test_huge_images_never_allocate_the_full_picture(tmp_path, subprocess_env, maker):
    """Peak memory (ru_maxrss of a fresh process) stays far below the decoded size."""
    if maker == "large jpeg":
        path, full = large_jpeg(tmp_path), 20_000 * 1500 * 3  # 90 MB as uint8 RGB
    else:
        path, full = REFUSED_IMAGES["huge dimensions"][0](tmp_path), 40_000 * 40_000 * 3
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path)],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if maker == "huge header":
        assert proc.returncode == 1 and "ImageError" in proc.stderr and "refused" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    height, width, grew = (int(v) for v in proc.stdout.split())
    assert (height, width) == (19, 256)
    assert grew < full / 4, f"decoding grew the process by {grew / 2**20:.0f} MiB"


# ---------------------------------------------------------------------- window
def _drop(win, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(event)


@pytest.mark.parametrize("how", ["open", "drop"])
def test_window_refuses_every_bad_image_and_keeps_its_work(qtbot, tmp_path, make_window, how):
    win = make_window(small_scene())
    win.document.select(0)
    shown = shown_maps(win)
    assert shown
    for name in REFUSED:
        maker, words = REFUSED_IMAGES[name]
        path = maker(tmp_path)
        before = state_of(win)
        if how == "open":
            assert win.files.open_image(path) is False
        else:  # a dropped image is checked on a worker: the refusal comes a moment later
            with qtbot.waitSignal(win.files.images.finished, timeout=10000):
                _drop(win, path)
        box = win.files.error_box
        assert box is not None and box.isVisible(), name
        _one_line(box.text(), path, words)
        box.close()
        qtbot.wait(30)  # give a wrongly started run the chance to show
        assert state_of(win) == before, name
        assert not win.controller.busy, name
    after = shown_maps(win)
    assert len(after) == len(shown)
    assert all(np.array_equal(a, b) for a, b in zip(after, shown, strict=True))
    # Still working: an edit runs.
    with qtbot.waitSignal(win.controller.run_finished, timeout=30000):
        win.document.replace_layer(0, win.document.layers[0].with_changes(out_channels=5))


def test_window_unreadable_image(qtbot, tmp_path, make_window, monkeypatch):
    win = make_window(small_scene())
    path = ACCEPTED_IMAGES["rgba"][0](tmp_path)
    before = state_of(win)
    monkeypatch.setattr(
        images,
        "open",
        lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")),
        raising=False,
    )
    assert win.files.open_image(path) is False
    _one_line(win.files.error_box.text(), path, "permission denied")
    assert state_of(win) == before


def test_window_accepts_every_odd_image_and_runs_it(qtbot, tmp_path, make_window):
    win = make_window(small_scene())
    for name in ACCEPTED:
        maker, (height, width) = ACCEPTED_IMAGES[name]
        path = maker(tmp_path)
        with qtbot.waitSignal(win.controller.run_finished, timeout=30000):
            assert win.files.open_image(path) is True, name
        assert win.document.scene.input.image == str(path.resolve())
        assert win.controller.input_image.shape == (3, height, width), name
        assert win.controller.results[0].output.shape == (4, height, width), name


# ---------------------------------------------------------------------- CLI
@pytest.mark.parametrize("command", ["stats", "render", "code"])
def test_cli_refuses_every_bad_image(tmp_path, capsys, command):
    for name in REFUSED:
        maker, words = REFUSED_IMAGES[name]
        path = maker(tmp_path)
        extra = ["--out", str(tmp_path / "out")] if command == "render" else []
        capsys.readouterr()
        code = cli.main([command, str(SCENE), "--image", str(path), *extra])
        out, err = capsys.readouterr()
        assert code == 2, (name, err)
        assert out == "" and err.count("\n") == 1 and err.startswith("conv-explorer: error: ")
        _one_line(err.strip(), path, words)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("command", ["stats", "render", "code"])
@pytest.mark.parametrize("name", ["truncated png", "huge dimensions", "directory"])
def test_cli_subprocess_exit_2_one_line_in_seconds(tmp_path, subprocess_env, command, name):
    maker, words = REFUSED_IMAGES[name]
    path = maker(tmp_path)
    extra = ["--out", str(tmp_path / "out")] if command == "render" else []
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", command, str(SCENE), "--image", str(path), *extra],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    seconds = time.perf_counter() - start
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    _one_line(proc.stderr.strip(), path, words)
    assert seconds < 15, seconds  # torch's import is most of it


@pytest.mark.parametrize("command", ["stats", "code"])
def test_cli_accepts_odd_images(tmp_path, capsys, command):
    for name in ("16-bit", "cmyk", "animated gif", "exif rotated", "palette + transparency"):
        path = ACCEPTED_IMAGES[name][0](tmp_path)
        capsys.readouterr()
        code = cli.main([command, str(SCENE), "--image", str(path)])
        out, err = capsys.readouterr()
        assert code == 0 and err == "", (name, err)
        assert out


def test_rusage_is_in_kib_here():
    """ru_maxrss is KiB on Linux (bytes on macOS): the peak test above assumes Linux."""
    if sys.platform != "linux":
        pytest.skip("the peak-memory test reads ru_maxrss as KiB")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 10_000
