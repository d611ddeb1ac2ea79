"""What the Conv Explorer bundle leaves out, and the rules that decide it.

The PyInstaller spec (``packaging/conv-explorer.spec``) imports this module; it has no
PyInstaller import of its own so that ``tests/packaging/test_trim.py`` can check the rules
without building anything.

Three kinds of trim:

* **Modules** (:data:`EXCLUDED_MODULES`) that torch's hook drags in through
  ``collect_submodules("torch")`` or that are only there for development, and the Qt
  bindings the app never imports. Excluded at analysis, so they are not in the archive.
* **Files** (:data:`DROP_PATTERNS`): torch's C++ headers, test binaries and test libraries,
  CUDA libraries, Qt translations, QML, and the Qt libraries of modules the app does not use.
  Filtered from the collected binaries and data after analysis.
* **Kept on purpose** (:data:`KEEP_PATTERNS`), which win over a drop: ``torch_shm_manager``
  (torch fails to start without it) and every ``.py`` file of torch (torch reads its own
  source at import for TorchScript).

Patterns are ``fnmatch`` patterns on the path inside the bundle (``_internal/``), with ``/``
as separator on every OS.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "DROP_PATTERNS",
    "EXCLUDED_MODULES",
    "KEEP_PATTERNS",
    "SYMPY_USERS",
    "excluded_modules",
    "is_dropped",
    "split_toc",
    "tree_size",
]

#: Modules never imported by the app. ``sympy`` and ``mpmath`` are added by
#: :func:`excluded_modules` only when the app's source does not need them.
EXCLUDED_MODULES: tuple[str, ...] = (
    # dragged in by torch's hook, never imported by ``import torch`` or by the app
    "networkx",
    "jinja2",
    "markupsafe",
    "pygments",
    "setuptools",
    "pkg_resources",
    "distutils",
    "_distutils_hack",
    "fsspec",
    "filelock",
    "torch.utils.tensorboard",
    "torch.testing._internal",
    "tensorboard",
    "triton",
    "onnx",
    "onnxruntime",
    "expecttest",
    # development only
    "_pytest",
    "pytest",
    "pytestqt",
    "pluggy",
    "hypothesis",
    "importlinter",
    "grimp",
    "ruff",
    "matplotlib",
    "pyinstrument",
    "IPython",
    "tkinter",
    "_tkinter",
    "PyInstaller",
    # pyqtgraph extras the app does not use (need PyOpenGL, Jupyter, or are demos)
    "pyqtgraph.opengl",
    "pyqtgraph.examples",
    "pyqtgraph.jupyter",
    "OpenGL",
    # Qt bindings other than PySide6, and PySide6 modules the app never imports
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2",
    "PySide6.QtNetwork",
    "PySide6.QtSql",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDBus",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.Qt3DCore",
    "PySide6.QtMultimedia",
    "PySide6.QtPdf",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
)

#: Source snippets that mean the app needs sympy (torch's FLOP counter and compiler use it).
SYMPY_USERS: tuple[str, ...] = ("flop_counter", "FlopCounterMode", "torch.compile", "sympy")

#: Files left out of the bundle (paths inside ``_internal/``).
DROP_PATTERNS: tuple[str, ...] = (
    # torch: C++ headers, CMake files, static libraries, test folders, binaries and libraries
    "torch/include/*",
    "torch/share/*",
    "torch/test/*",
    "torch/bin/*",
    "torch/lib/*test*",
    "torch/lib/libbackend_with_compiler*",
    "torch/lib/libaoti_custom_ops*",
    "torch/lib/*.a",
    "torch/lib/*.lib",
    "*.pyi",
    # CUDA / ROCm, should a GPU wheel be installed in the build environment
    "*libcud*",
    "*libcublas*",
    "*libcufft*",
    "*libcurand*",
    "*libcusolver*",
    "*libcusparse*",
    "*libnccl*",
    "*libnvrtc*",
    "*libnvToolsExt*",
    "*libnvJitLink*",
    "*libtorch_cuda*",
    "*libc10_cuda*",
    "*libcaffe2_nvrtc*",
    "*libhip*",
    "*librocm*",
    "*libMIOpen*",
    "nvidia/*",
    "triton/*",
    # Qt: translations, QML, build metadata, tools, and libraries of unused modules
    "PySide6/Qt/translations/*",
    "PySide6/Qt/qml/*",
    "PySide6/Qt/metatypes/*",
    "PySide6/Qt/libexec/*",
    "PySide6/Qt/resources/qtwebengine*",
    "PySide6/Qt/lib/libQt6Qml*",
    "PySide6/Qt/lib/libQt6Quick*",
    "PySide6/Qt/lib/libQt6Labs*",
    "PySide6/Qt/lib/libQt6Lottie*",
    "PySide6/Qt/lib/libQt6Designer*",
    "PySide6/Qt/lib/libQt6Help*",
    "PySide6/Qt/lib/libQt6Sql*",
    "PySide6/Qt/lib/libQt6Test*",
    "PySide6/Qt/lib/libQt6UiTools*",
    "PySide6/Qt/lib/libQt6WaylandCompositor*",
    "PySide6/Qt/lib/libQt6WebEngine*",
    "PySide6/Qt/lib/libQt6Pdf*",
    "PySide6/Qt/lib/libQt63D*",
    "PySide6/Qt/lib/libQt6Multimedia*",
    "PySide6/Qt/lib/libQt6Charts*",
    "PySide6/Qt/lib/libQt6DataVisualization*",
    "PySide6/Qt/plugins/qmltooling/*",
    "PySide6/Qt/plugins/designer/*",
    "PySide6/Qt/plugins/sqldrivers/*",
    "PySide6/Qt/plugins/multimedia/*",
    "PySide6/Qt/plugins/sceneparsers/*",
    "PySide6/Qt/plugins/renderers/*",
    "PySide6/*.pyi",
    "PySide6/typesystems/*",
    "PySide6/glue/*",
    "PySide6/include/*",
    "PySide6/scripts/*",
    "PySide6/support/*",
    # pyqtgraph demos
    "pyqtgraph/examples/*",
)

#: Files kept even when a drop pattern matches them.
KEEP_PATTERNS: tuple[str, ...] = (
    "torch/bin/torch_shm_manager",
    "torch/bin/torch_shm_manager.exe",
    "torch/*.py",
)


def _norm(dest: str) -> str:
    return dest.replace("\\", "/").lstrip("/")


def is_dropped(dest: str) -> bool:
    """Whether the file at *dest* (a path inside ``_internal/``) is left out of the bundle."""
    path = _norm(dest)
    if any(fnmatch.fnmatchcase(path, p) for p in KEEP_PATTERNS):
        return False
    return any(fnmatch.fnmatchcase(path, p) for p in DROP_PATTERNS)


def split_toc(toc: Iterable[tuple]) -> tuple[list[tuple], list[tuple]]:
    """Split PyInstaller TOC entries ``(dest, src, typecode)`` into (kept, dropped)."""
    kept: list[tuple] = []
    dropped: list[tuple] = []
    for entry in toc:
        (dropped if is_dropped(entry[0]) else kept).append(entry)
    return kept, dropped


_SYMPY_RE = re.compile("|".join(re.escape(s) for s in SYMPY_USERS))


def app_needs_sympy(sources: Iterable[Path]) -> list[Path]:
    """The source files among *sources* that use something needing sympy at run time."""
    return [p for p in sources if _SYMPY_RE.search(p.read_text(encoding="utf-8"))]


def excluded_modules(app_sources: Sequence[Path]) -> tuple[list[str], list[Path]]:
    """The modules to exclude, and the app files that kept sympy in (empty when none).

    Parameters
    ----------
    app_sources
        The app's ``.py`` files; sympy (and mpmath) are excluded only when none of them uses
        torch's FLOP counter, ``torch.compile`` or sympy itself.
    """
    users = app_needs_sympy(app_sources)
    mods = list(EXCLUDED_MODULES)
    if not users:
        mods += ["sympy", "mpmath"]
    return mods, users


def tree_size(root: Path) -> int:
    """Bytes of all regular files under *root* (links not followed, not counted twice)."""
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
