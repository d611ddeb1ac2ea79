"""What the Conv Explorer bundle leaves out, and the rules that decide it.

The PyInstaller spec (``packaging/conv-explorer.spec``) imports this module; it has no
PyInstaller import of its own so that ``tests/packaging/test_trim.py`` can check the rules
without building anything.

Four kinds of trim:

* **Modules** (:data:`EXCLUDED_MODULES`) that torch's hook drags in through
  ``collect_submodules("torch")`` or that are only there for development, and the Qt
  bindings the app never imports. Excluded at analysis, so they are not in the archive.
* **Files** (:data:`DROP_PATTERNS`): torch's C++ headers, test binaries and test libraries,
  CUDA libraries, Qt translations, QML, and the Qt libraries of modules the app does not use.
  Filtered from the collected binaries and data after analysis.
* **System libraries** (:data:`SYSTEM_LIBRARIES`, Linux) that must come from the user's
  system and are declared as the .deb's dependencies instead.
* **Kept on purpose** (:data:`KEEP_PATTERNS`), which win over a drop: ``torch_shm_manager``
  (torch fails to start without it) and every ``.py`` file of torch (torch reads its own
  source at import for TorchScript).

Patterns are ``fnmatch`` patterns on the path inside the bundle (``_internal/``), with ``/``
as separator on every OS.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "DROP_PATTERNS",
    "EXCLUDED_MODULES",
    "KEEP_PATTERNS",
    "SYMPY_USERS",
    "SYSTEM_LIBRARIES",
    "excluded_modules",
    "is_dropped",
    "split_toc",
    "tree_size",
]

#: Modules never imported by the app. Not here although torch's hook is what brings them:
#: ``pygments`` (``superqt.utils`` imports it) and ``torch.testing._internal`` (``import
#: torch`` does); ``tests/packaging/test_packaging_rules.py`` checks this list against what
#: the app really imports. ``sympy`` and ``mpmath`` are added by
#: :func:`excluded_modules` only when the app's source does not need them.
EXCLUDED_MODULES: tuple[str, ...] = (
    # dragged in by torch's hook, never imported by ``import torch`` or by the app
    "networkx",
    "jinja2",
    "markupsafe",
    "setuptools",
    "pkg_resources",
    "distutils",
    "_distutils_hack",
    "fsspec",
    "filelock",
    "torch.utils.tensorboard",
    "tensorboard",
    "triton",
    # "onnx" is a runtime dependency since issue 11 (File > Open Model); only the test
    # reference runtimes stay out of the bundle
    "onnxruntime",
    "ai_edge_litert",
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

#: Imports that mean the app needs sympy at run time (torch's FLOP counter, compiler and
#: symbolic shapes import it); ``torch.compile(...)`` counts too.
SYMPY_USERS: tuple[str, ...] = (
    "sympy",
    "torch.utils.flop_counter",
    "torch._dynamo",
    "torch._inductor",
    "torch.fx.experimental",
    "torch.export",
    "torch.onnx",
)

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
    "PySide6/translations/*",  # the Windows wheel's layout
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
    # Qt platforms for kiosks and framebuffers (eglfs, linuxfb, vnc, vkkhrdisplay), the TUIO
    # touch plugin (the only users of Qt6Network), and the GTK3 theme (it pulls in the whole
    # GTK stack; Qt's own dialogs and the xdg-desktop-portal theme remain)
    "PySide6/Qt/plugins/platforms/libqeglfs*",
    "PySide6/Qt/plugins/platforms/libqminimalegl*",
    "PySide6/Qt/plugins/platforms/libqlinuxfb*",
    "PySide6/Qt/plugins/platforms/libqvnc*",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay*",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/generic/libqtuiotouchplugin*",
    "PySide6/Qt/plugins/platformthemes/libqgtk3*",
    "PySide6/Qt/lib/libQt6EglFS*",
    "PySide6/Qt/lib/libQt6EglFs*",
    "PySide6/Qt/lib/libQt6Network*",
    "PySide6/*.pyi",
    "PySide6/typesystems/*",
    "PySide6/glue/*",
    "PySide6/include/*",
    "PySide6/scripts/*",
    "PySide6/support/*",
    # pyqtgraph demos
    "pyqtgraph/examples/*",
)

#: System libraries PyInstaller copied from the build machine that must come from the user's
#: system instead (the .deb declares them; ``packaging/elfdeps.py`` computes the packages):
#: the X11/xcb client libraries, GLib, D-Bus, fontconfig/FreeType and the GTK stack. A copy
#: from the build machine clashes with the newer one the system's GL driver, input method or
#: theme loads into the same process (the reasoning of AppImage's excludelist). Only names
#: at the top of ``_internal/``: pillow's private, hash-named copies stay.
SYSTEM_LIBRARIES: tuple[str, ...] = (
    "libX11.so.*",
    "libX11-xcb.so.*",
    "libXau.so.*",
    "libXdmcp.so.*",
    "libXext.so.*",
    "libXrender.so.*",
    "libXi.so.*",
    "libXfixes.so.*",
    "libxcb.so.*",
    "libxcb-*.so.[0-9]",
    "libxkbcommon.so.*",
    "libxkbcommon-x11.so.*",
    "libbsd.so.*",
    "libmd.so.*",
    "libglib-2.0.so.*",
    "libgobject-2.0.so.*",
    "libgio-2.0.so.*",
    "libgmodule-2.0.so.*",
    "libgthread-2.0.so.*",
    "libpcre2-8.so.*",
    "libdbus-1.so.*",
    "libsystemd.so.*",
    "libcap.so.*",
    "libgcrypt.so.*",
    "libgpg-error.so.*",
    "liblz4.so.*",
    "libzstd.so.*",
    "libselinux.so.*",
    "libmount.so.*",
    "libblkid.so.*",
    "libfontconfig.so.*",
    "libfreetype.so.*",
    "libexpat.so.*",
    "libpng16.so.*",
    "libharfbuzz.so.*",
    "libgraphite2.so.*",
    "libbrotlicommon.so.*",
    "libbrotlidec.so.*",
    "libjpeg.so.*",
    "libcairo.so.*",
    "libcairo-gobject.so.*",
    "libpango-1.0.so.*",
    "libpangocairo-1.0.so.*",
    "libpangoft2-1.0.so.*",
    "libgdk_pixbuf-2.0.so.*",
    "libatk-1.0.so.*",
    "libthai.so.*",
    "libdatrie.so.*",
    "libfribidi.so.*",
    "libpixman-1.so.*",
    "libgssapi_krb5.so.*",
    "libkrb5.so.*",
    "libk5crypto.so.*",
    "libcom_err.so.*",
    "libkrb5support.so.*",
    "libkeyutils.so.*",
    "libGL.so.*",
    "libEGL.so.*",
    "libGLX.so.*",
    "libOpenGL.so.*",
    "libdrm.so.*",
    "libwayland-*.so.*",
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
    if "/" not in path and any(fnmatch.fnmatchcase(path, p) for p in SYSTEM_LIBRARIES):
        return True
    return any(fnmatch.fnmatchcase(path, p) for p in DROP_PATTERNS)


def split_toc(toc: Iterable[tuple]) -> tuple[list[tuple], list[tuple]]:
    """Split PyInstaller TOC entries ``(dest, src, typecode)`` into (kept, dropped)."""
    kept: list[tuple] = []
    dropped: list[tuple] = []
    for entry in toc:
        (dropped if is_dropped(entry[0]) else kept).append(entry)
    return kept, dropped


def _needs_sympy(tree: ast.AST) -> bool:
    def hit(name: str) -> bool:
        return any(name == m or name.startswith(m + ".") for m in SYMPY_USERS)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(hit(a.name) for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if hit(node.module) or any(hit(f"{node.module}.{a.name}") for a in node.names):
                return True
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "compile"
            and isinstance(node.value, ast.Name)
            and node.value.id == "torch"
        ):
            return True
    return False


def app_needs_sympy(sources: Iterable[Path]) -> list[Path]:
    """The source files among *sources* that import something needing sympy at run time.

    Imports are read from the syntax tree (inside functions too), so a docstring that names
    ``FlopCounterMode`` does not count.
    """
    return [p for p in sources if _needs_sympy(ast.parse(p.read_text(encoding="utf-8"), str(p)))]


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
