"""Write the settings file on a thread of its own, without the interpreter lock.

Every remembered choice (a colour map, the presentation scale, a recent file) used to be
written at once on the GUI thread: ``QSettings.sync`` rewrites the INI file through a
``QSaveFile``, whose commit calls ``fdatasync`` twice. On an idle disk that is under a
millisecond; with other writes in flight it took 20-90 ms in monkey runs (a click on
*View ▸ Presentation Scale ▸ 2.5×* or on a colour map froze the window that long), and
PySide keeps the interpreter lock during the call, so a Python thread would not help.

:func:`write_behind` moves the ``QSettings`` object to a :class:`QThread` that only runs
Qt's event loop. ``setValue`` keeps changing the values in memory on the calling thread
(the settings file's data is guarded by Qt's own mutex) and posts Qt's update request to
the object; the writer thread handles it in C++ — the file is written there, with no
Python running. :func:`stop_writer` (when the application quits, and at exit) writes what
is left and ends the thread.

Qt's mutex guards the values *and* the file write: a ``value`` or ``setValue`` on the GUI
thread while the writer thread writes waits for the disk (up to 21 ms measured with other
writes in flight). So the app's :class:`~explorer.ui.state.settings.AppSettings` keeps its
own copy of the values for reading, and hands each change to :func:`set_later`: the change
is made by the writer thread itself, between its writes.
"""

from __future__ import annotations

import atexit
import threading

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, QThread

__all__ = ["request_write", "set_later", "stop_writer", "write_behind", "writer_thread"]

_thread: QThread | None = None
_moved: list[QSettings] = []
_lock = threading.Lock()
_pending: dict[int, tuple[QSettings, dict[str, object]]] = {}
_DRAIN = QEvent.Type(QEvent.registerEventType())


class _Relay(QObject):
    """Lives on the writer thread; makes the changes :func:`set_later` queued."""

    def event(self, event: QEvent) -> bool:  # noqa: D102 (Qt override)
        if event.type() == _DRAIN:
            _drain()
            return True
        return super().event(event)


_relay: _Relay | None = None


def _drain() -> None:
    """Make every queued change (on the writer thread, or after it has stopped)."""
    with _lock:
        batches = list(_pending.values())
        _pending.clear()
    for qsettings, values in batches:
        for key, value in values.items():
            qsettings.setValue(key, value)
        request_write(qsettings)


def writer_thread() -> QThread | None:
    """The writer thread, ``None`` before the first :func:`write_behind`."""
    return _thread


def write_behind(qsettings: QSettings) -> QSettings:
    """Let ``qsettings`` write its file on the writer thread (started on first use).

    It must have no parent (it changes thread) and must be used afterwards only through
    ``value``, ``setValue``, ``remove`` and ``sync`` (Qt's conf-file mutex guards them).
    Returns ``qsettings``.
    """
    global _thread
    if _thread is None or not _thread.isRunning():
        _thread = QThread()
        _thread.setObjectName("settings-writer")
        _thread.start(QThread.Priority.LowPriority)
        global _relay
        _relay = _Relay()
        _relay.moveToThread(_thread)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(stop_writer)
    qsettings.moveToThread(_thread)
    _moved.append(qsettings)  # kept alive until the thread has stopped
    return qsettings


def request_write(qsettings: QSettings) -> None:
    """Ask the writer thread to write ``qsettings``' changes (after a ``setValue``).

    Qt posts its own update request only when none is pending, and the writer thread clears
    that flag *after* writing: a value set while it writes got no request of its own and
    stayed in memory until the next change or quit (a test waiting for the file saw it
    time out). An explicit request after every change closes that gap; one that finds
    nothing new writes nothing.
    """
    QCoreApplication.postEvent(qsettings, QEvent(QEvent.Type.UpdateRequest))


def set_later(qsettings: QSettings, key: str, value: object) -> None:
    """Set ``key`` of ``qsettings`` (given to :func:`write_behind`) on the writer thread.

    The calling thread never takes Qt's settings mutex, so it never waits for a write in
    progress. The change reaches the file like any other (and at the latest in
    :func:`stop_writer`). Read it back from your own copy, not from ``qsettings``.
    """
    with _lock:
        relay = _relay
        if relay is not None:
            first = not _pending
            _pending.setdefault(id(qsettings), (qsettings, {}))[1][key] = value
    if relay is None:  # the writer has stopped (the app quits): write here
        qsettings.setValue(key, value)
        qsettings.sync()
    elif first:
        QCoreApplication.postEvent(relay, QEvent(_DRAIN))


def stop_writer() -> None:
    """Write every pending change and end the writer thread (idempotent)."""
    global _thread, _relay
    thread, _thread = _thread, None
    if thread is None:
        return
    with _lock:
        relay, _relay = _relay, None
    thread.quit()
    thread.wait()
    _drain()  # changes queued after the thread's last turn
    for qsettings in _moved:
        qsettings.sync()  # whatever the thread had not written yet
    _moved.clear()
    # The relay goes only now, on this thread. Dropped before the wait, the writer thread
    # freed it on leaving its own ``event`` (PySide's bound method held the last
    # reference): an object deleted inside its own event handler, and a crash at quit
    # ("free(): invalid pointer", about 1 start in 12 with a cold disk cache).
    del relay


atexit.register(stop_writer)
