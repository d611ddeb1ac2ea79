"""Load torch's big shared library without holding the interpreter lock (start-up).

``import torch`` loads ``torch._C``, an extension module whose dependency
``libtorch_cpu.so`` (≈ 430 MB) takes 0.15-0.19 s for the dynamic loader to map and
relocate. Python loads an extension module with the interpreter lock held, so while a
worker imports torch every other thread — the GUI thread above all — stops for that long
(the issue 16 monkey saw 218 ms and 186 ms stalls right after start-up, and a script
ticking every 2 ms beside ``import torch`` a gap of 159-190 ms). Loading the library with
``ctypes.CDLL`` first does not help: that call holds the lock too.

:func:`start_torch_preload` instead calls the C library's ``dlopen`` as a *foreign
function* through ctypes, which releases the lock for the call, on a thread of its own.
Once the library is mapped, the later ``import torch`` finds it loaded and only counts a
reference; the same script's longest gap drops to ≈ 35 ms. An import hook holds any
``import torch`` that begins before the preload has finished until it has (waiting
releases the lock), so that import does not load the library a second time — with the
lock held, while the loader's own lock makes it wait for the preload anyway.

Linux only (elsewhere, or when torch or its library is not where expected, nothing
happens and ``import torch`` works as always). Torch is imported here only when asked
(``then_import``, by the window after its first paint): the command line's torch-free
commands never call this, and importing this module is cheap (no Qt, no torch).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = [
    "PRELOAD_LIBRARIES",
    "PRELOAD_WAIT_S",
    "PreloadResult",
    "expect_torch_preload",
    "start_torch_preload",
    "torch_preload_expected",
    "torch_import_in_flight",
    "torch_library_dir",
    "wait_for_torch_preload",
]

#: torch's shared libraries loaded ahead, in this order (their own dependencies, c10 and
#: gomp, come with them). ``libtorch_python.so`` is left to the import: it needs the
#: interpreter, and loading it takes a few milliseconds.
PRELOAD_LIBRARIES: tuple[str, ...] = ("libtorch_cpu.so",)

#: The interpreter's switch interval while the preload thread imports torch (Python's
#: default is 5 ms): the GUI thread, waiting for the lock at each call back into Python
#: from Qt, gets it back sooner from the importing thread.
IMPORT_SWITCH_INTERVAL_S = 0.0005

#: An ``import torch`` waits at most this long for the preload before going on by itself.
PRELOAD_WAIT_S = 30.0


class PreloadResult:
    """What the preload did: the libraries it loaded, its time, or why it did nothing."""

    def __init__(self) -> None:
        self.loaded: list[str] = []
        self.skipped: str | None = None
        self.seconds: float = 0.0
        self.done = threading.Event()
        #: Set once the preload thread's own ``import torch`` (``then_import``) has ended.
        self.imported = threading.Event()
        self.then_import = False
        self.thread_id: int | None = None

    def __repr__(self) -> str:
        state = "done" if self.done.is_set() else "running"
        return (
            f"PreloadResult({state}, loaded={self.loaded}, skipped={self.skipped!r}, "
            f"seconds={self.seconds:.3f})"
        )


_lock = threading.Lock()
_result: PreloadResult | None = None
#: Until this :func:`time.monotonic` time a preload not started yet is on its way
#: (:func:`expect_torch_preload`).
_expected_until = 0.0


def torch_library_dir() -> Path | None:
    """Where torch's shared libraries are (``torch/lib``), found without importing torch;
    ``None`` when torch is not installed as a package directory."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        lib = Path(location) / "lib"
        if lib.is_dir():
            return lib
    return None


def _dlopen_without_the_lock(path: Path) -> bool:
    """``dlopen(path, RTLD_NOW | RTLD_LOCAL)`` called through ctypes as a foreign
    function: ctypes releases the interpreter lock around the call. Returns whether the
    library is loaded (it stays loaded: the handle is never closed)."""
    import ctypes

    libc = ctypes.CDLL(None)  # the process's own symbols: the C library's dlopen
    dlopen = libc.dlopen
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    handle = dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL)
    return bool(handle)


def _preload(result: PreloadResult, paths: Sequence[Path], then_import: bool) -> None:
    start = time.perf_counter()
    try:
        for path in paths:
            if not _dlopen_without_the_lock(path):
                result.skipped = f"{path} could not be loaded"
                return
            result.loaded.append(path.name)
    except Exception as exc:  # noqa: BLE001 - a failed preload only means a slower import
        result.skipped = f"{type(exc).__name__}: {exc}"
    finally:
        result.seconds = time.perf_counter() - start
        result.done.set()  # before importing: an import waiting at the gate goes on
    if then_import:
        interval = sys.getswitchinterval()
        sys.setswitchinterval(IMPORT_SWITCH_INTERVAL_S)
        try:  # whichever thread comes first imports; the other waits for it
            import torch  # noqa: F401
        except Exception:  # noqa: BLE001, S110 - the run's own import says what is wrong
            pass
        finally:
            sys.setswitchinterval(interval)
            result.imported.set()


class _TorchImportGate:
    """A meta path finder that holds the first ``import torch`` until the preload is done
    (it finds nothing itself; the normal finders then import torch). It stays on
    ``sys.meta_path`` afterwards, a name comparison per import: removing it while another
    thread walks the list could make that thread skip a finder."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        result = _result
        if (
            name == "torch"
            and result is not None
            and not result.done.is_set()
            and threading.get_ident() != result.thread_id
        ):
            result.done.wait(PRELOAD_WAIT_S)
        return None


_gate = _TorchImportGate()


def start_torch_preload(
    libraries: Sequence[str] = PRELOAD_LIBRARIES,
    *,
    then_import: bool = False,
    platform: str | None = None,
    before_loading: Callable[[], object] | None = None,
) -> PreloadResult:
    """Start loading torch's shared libraries on a daemon thread (once per process).

    Call it at start-up, before anything imports torch. Until the libraries are loaded an
    ``import torch`` on any thread waits for them (with the interpreter lock released).

    Parameters
    ----------
    libraries
        File names in ``torch/lib`` to load, in order.
    then_import
        Then import torch on the same thread, at its normal priority (the run's worker
        thread runs at a lower one; on a busy machine it could hold the interpreter lock
        while waiting for a core). A failed import is left to the next importer to report.
    platform
        ``sys.platform`` by default; anything but Linux does nothing.
    before_loading
        Called once the import gate is in place and just before the loading thread
        starts (also when nothing is to be loaded): start here the threads needed soon
        (the first run's worker). While the C library's loader maps the library it holds
        its lock, and a thread created meanwhile waits for it: the GUI thread's
        ``QThreadPool.start`` of the first run took 20-60 ms there (up to the ≈ 0.18 s
        of the whole load); before it, < 1 ms.

    Returns
    -------
    PreloadResult
        Its ``done`` event is set when the preload has finished (or was skipped: torch
        already imported, not Linux, torch or a library not found).
    """
    with _lock:
        if _result is not None:  # started before: nothing to load
            result, thread = _result, None
        else:
            result, thread = _prepare(libraries, then_import, platform)
    try:
        if before_loading is not None:
            before_loading()
    finally:
        if thread is not None:
            thread.start()
            result.thread_id = thread.ident
    return result


def _prepare(
    libraries: Sequence[str], then_import: bool, platform: str | None
) -> tuple[PreloadResult, threading.Thread | None]:
    """Under ``_lock``: the new result and its loading thread (not started; ``None`` when
    nothing is to be loaded), the import gate in place."""
    global _result
    result = PreloadResult()
    _result = result
    platform = sys.platform if platform is None else platform
    lib = None
    if "torch" in sys.modules:
        result.skipped = "torch was imported already"
    elif not platform.startswith("linux"):
        result.skipped = f"not on Linux ({platform})"
    else:  # found here, before the gate is in place: find_spec("torch") passes it
        lib = torch_library_dir()
        if lib is None:
            result.skipped = "torch is not installed as a package directory"
    paths = [lib / name for name in libraries] if lib is not None else []
    missing = [path for path in paths if not path.is_file()]
    if missing:
        result.skipped = f"{missing[0]} not found"
    if result.skipped is not None:
        result.done.set()
        thread = None
    else:
        thread = threading.Thread(
            target=_preload,
            args=(result, paths, then_import),
            name="torch-preload",
            daemon=True,
        )
        result.then_import = then_import
        sys.meta_path.insert(0, _gate)  # an import torch from now on waits for the load
    return result, thread


def torch_import_in_flight() -> bool:
    """Whether the preload thread is loading or importing torch now (``then_import``):
    the import makes ≈ 10⁵ long-lived objects, which a collection then would only visit
    (:mod:`explorer.ui.state.gc_policy` waits, then freezes them)."""
    result = _result
    return result is not None and result.then_import and not result.imported.is_set()


def wait_for_torch_preload(timeout: float | None = None) -> bool:
    """Wait until a started preload has finished; ``True`` when none was started or it has
    finished within ``timeout`` seconds."""
    result = _result
    return True if result is None else result.done.wait(timeout)


def expect_torch_preload(within_s: float) -> None:
    """Announce that :func:`start_torch_preload` will be called within ``within_s`` seconds
    (the window calls it after its first paint): until then, or until it is called,
    :func:`torch_preload_expected` says so. The expectation lapses by itself, so a window
    closed before it was painted leaves nothing behind."""
    global _expected_until
    _expected_until = max(_expected_until, time.monotonic() + within_s)


def torch_preload_expected() -> bool:
    """Whether a preload was announced (:func:`expect_torch_preload`) and has not started
    yet: an ``import torch`` on the GUI thread now would load torch itself, for most of a
    second (the monkey's first action, Edit Weights… before the first paint: 0.9-1 s)."""
    return _result is None and time.monotonic() < _expected_until
