"""Settings: one ``QSettings`` built at start-up and injected (as in silx's ``main``).

:func:`make_qsettings` chooses where they live: a given INI file (tests), a temporary INI
when ``CONV_EXPLORER_NO_SETTINGS=1`` (so tests never touch the user's), else the platform's
native store. :class:`AppSettings` gives typed access to what the app remembers.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

__all__ = ["MAX_RECENT", "AppSettings", "make_qsettings", "settings_disabled"]

MAX_RECENT = 10
ORGANIZATION = "conv-explorer"
APPLICATION = "Conv Explorer"
SCALE_MODES = ("shared", "per_channel")


def settings_disabled() -> bool:
    """Whether ``CONV_EXPLORER_NO_SETTINGS=1`` asks to leave the user's settings alone."""
    return os.environ.get("CONV_EXPLORER_NO_SETTINGS", "") not in ("", "0")


def make_qsettings(path: str | Path | None = None) -> QSettings:
    """The ``QSettings`` of the app.

    Parameters
    ----------
    path
        An INI file to use. Without it: a fresh temporary INI when settings are disabled
        (see :func:`settings_disabled`), else the platform's native settings.
    """
    if path is None and settings_disabled():
        path = Path(tempfile.mkdtemp(prefix="conv-explorer-settings-")) / "settings.ini"
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


class AppSettings:
    """Typed access to the remembered state.

    Parameters
    ----------
    qsettings
        Where to read and write (see :func:`make_qsettings`).
    write_behind
        Write the file on the settings-writer thread (``ui/state/settings_writer.py``, the
        app's choice) instead of at once on the calling thread: a change is in memory at
        once and on disk a moment later, and the GUI thread never waits for the disk.
    """

    def __init__(self, qsettings: QSettings, *, write_behind: bool = False) -> None:
        self.qsettings = qsettings
        self.write_behind = write_behind
        # write-behind: the values as this object last set them; reads never take Qt's
        # settings mutex, which the writer thread holds while the file is written
        self._values: dict[str, object] | None = None
        if write_behind:
            from explorer.ui.state.settings_writer import write_behind as move

            self._values = {key: qsettings.value(key) for key in qsettings.allKeys()}
            move(qsettings)

    # ------------------------------------------------------------------ plain values
    def _value(self, key: str, default: object = None) -> object:
        if self._values is not None:
            return self._values.get(key, default)
        return self.qsettings.value(key, default)

    def _str(self, key: str, default: str = "") -> str:
        value = self._value(key, default)
        return value if isinstance(value, str) else default

    def _path(self, key: str) -> Path | None:
        value = self._str(key)
        return Path(value) if value else None

    def _set(self, key: str, value: object) -> None:
        if self._values is None:
            self.qsettings.setValue(key, value)
            self.qsettings.sync()
            return
        from explorer.ui.state.settings_writer import set_later

        self._values[key] = value
        set_later(self.qsettings, key, value)  # made and written on the writer thread

    @property
    def last_scene(self) -> Path | None:
        """The scene file open when the app last closed."""
        return self._path("files/last_scene")

    @last_scene.setter
    def last_scene(self, path: str | Path | None) -> None:
        self._set("files/last_scene", str(Path(path).resolve()) if path else "")

    @property
    def last_image(self) -> Path | None:
        """The last image opened (the Open Image dialog starts there)."""
        return self._path("files/last_image")

    @last_image.setter
    def last_image(self, path: str | Path | None) -> None:
        self._set("files/last_image", str(Path(path).resolve()) if path else "")

    @property
    def colormap(self) -> str:
        """Name of the feature-map colour map."""
        return self._str("view/colormap", "viridis") or "viridis"

    @colormap.setter
    def colormap(self, name: str) -> None:
        self._set("view/colormap", name)

    @property
    def scale_mode(self) -> str:
        """``"shared"`` (one colour scale for every channel) or ``"per_channel"``."""
        mode = self._str("view/scale_mode", "shared")
        return mode if mode in SCALE_MODES else "shared"

    @scale_mode.setter
    def scale_mode(self, mode: str) -> None:
        if mode not in SCALE_MODES:
            raise ValueError(f"scale mode must be one of {SCALE_MODES}, got {mode!r}")
        self._set("view/scale_mode", mode)

    @property
    def presentation_scale(self) -> float:
        """Font scale of presentation mode (1.0–3.0; 1.5 when never chosen)."""
        try:
            scale = float(self._value("view/presentation_scale", 1.5))
        except (TypeError, ValueError):
            return 1.5
        return scale if 1.0 <= scale <= 3.0 else 1.5

    @presentation_scale.setter
    def presentation_scale(self, scale: float) -> None:
        self._set("view/presentation_scale", float(scale))

    @property
    def presentation_colorblind(self) -> bool:
        """Whether presentation mode switches to a colour-blind-safe colour map."""
        return self._str("view/presentation_colorblind", "false") == "true"

    @presentation_colorblind.setter
    def presentation_colorblind(self, on: bool) -> None:
        self._set("view/presentation_colorblind", "true" if on else "false")

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[Path]:
        """Recently opened or saved scenes, newest first (at most :data:`MAX_RECENT`)."""
        try:
            items = json.loads(self._str("files/recent", "[]"))
        except json.JSONDecodeError:
            return []
        if not isinstance(items, list):
            return []
        return [Path(p) for p in items if isinstance(p, str)][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> list[Path]:
        """Put ``path`` first in the recent files; returns the new list."""
        path = Path(path).resolve()
        items = [path] + [p for p in self.recent_files() if p != path]
        self._set("files/recent", json.dumps([str(p) for p in items[:MAX_RECENT]]))
        return items[:MAX_RECENT]

    def remove_recent(self, path: str | Path) -> None:
        """Drop ``path`` from the recent files (e.g. it no longer exists)."""
        path = Path(path).resolve()
        items = [p for p in self.recent_files() if p != path]
        self._set("files/recent", json.dumps([str(p) for p in items]))

    def clear_recent(self) -> None:
        """Forget all recent files."""
        self._set("files/recent", "[]")

    # ------------------------------------------------------------------ window
    def save_window(self, window: QMainWindow) -> None:
        """Remember the window's geometry and its docks and toolbars."""
        geometry, state = window.saveGeometry(), window.saveState()
        if self._values is not None:
            self._values.update({"window/geometry": geometry, "window/state": state})
        self.qsettings.setValue("window/geometry", geometry)  # the window closes: here
        self.qsettings.setValue("window/state", state)
        self.qsettings.sync()

    def restore_window(self, window: QMainWindow) -> bool:
        """Put back the geometry and docks saved by :meth:`save_window`.

        Returns whether there was anything to restore.
        """
        geometry = self._value("window/geometry")
        state = self._value("window/state")
        restored = False
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            restored = window.restoreGeometry(geometry) or restored
        if isinstance(state, QByteArray) and not state.isEmpty():
            restored = window.restoreState(state) or restored
        return restored
