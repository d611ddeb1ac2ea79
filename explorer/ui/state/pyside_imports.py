"""Imports after PySide6 without PySide's source scan of every module (issue 16).

Once PySide6 is imported, every module imported afterwards passes through its
``__feature__`` hook (``shibokensupport.feature.feature_imported``), which reads the
module's *source file* and searches it for "PySide6" to decide whether the module may
switch PySide features (``from __feature__ import snake_case``). For the ~1,500 modules of
``import torch`` that is ≈ 110 ms more of the interpreter lock (measured: 830 → 720 ms
wall for the import after the library preload), held by the first run's import while the
user can already click. Packages that never use PySide are answered at once here ("not
a PySide module", what the scan finds for them anyway); every other module is scanned
as before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

__all__ = ["NO_PYSIDE_PACKAGES", "skip_pyside_source_scan"]

#: Top-level packages whose modules never use PySide's ``__feature__`` switches.
NO_PYSIDE_PACKAGES: frozenset[str] = frozenset(
    {
        "torch",
        "torchgen",
        "functorch",
        "numpy",
        "scipy",
        "sympy",
        "mpmath",
        "onnx",
        "onnxruntime",
        "networkx",
        "jinja2",
        "markupsafe",
        "fsspec",
        "filelock",
        "PIL",
    }
)


def skip_pyside_source_scan(packages: Iterable[str] = NO_PYSIDE_PACKAGES) -> bool:
    """Answer PySide's "does this module use PySide?" without reading the source for the
    modules of ``packages`` (once per process; later calls add packages). Returns whether
    the hook was found (PySide6 imported, a version with that hook)."""
    feature = sys.modules.get("shibokensupport.feature")
    scan = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(scan):
        return False
    skipped = getattr(scan, "skipped_packages", None)
    if skipped is not None:  # installed already
        skipped.update(packages)
        return True
    skipped = set(packages)

    def uses_pyside(module: object, _scan: Callable[[object], bool] = scan) -> bool:
        name = getattr(module, "__name__", None)
        if isinstance(name, str) and name.partition(".")[0] in skipped:
            return False
        return _scan(module)

    uses_pyside.skipped_packages = skipped  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[union-attr]
    return True
