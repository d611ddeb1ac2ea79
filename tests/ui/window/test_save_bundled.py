"""File ▸ Save never writes over the app's own scenes and lessons (explorer/ui/file_ops.py)."""

from __future__ import annotations


def test_save_never_writes_over_a_bundled_scene(make_window, tmp_path, monkeypatch):
    """Found by a monkey run: Save on a bundled lesson slide wrote over the app's asset."""
    from PySide6.QtWidgets import QFileDialog

    from explorer.core.io.samples import DEFAULT_SCENE, scene_path
    from explorer.core.io.scene import load_scene

    bundled = scene_path(DEFAULT_SCENE)
    before = bundled.read_bytes()
    win = make_window(load_scene(bundled))
    assert win.files.open_scene(bundled) and win.document.path == bundled
    target = tmp_path / "mine.json"
    asked = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a, **k: asked.append(a) or (str(target), "")),
    )
    assert win.files.save()
    assert asked and target.is_file() and win.document.path == target  # Save As instead
    assert bundled.read_bytes() == before
