"""Entry point of the PyInstaller bundle: the same as the ``conv-explorer`` command.

With ``CONV_EXPLORER_BUNDLE_CHECK=1`` in the environment it instead imports every module of
the app and reads its bundled assets, prints what failed, and exits 1 if anything did:
``packaging/build.sh`` runs this on the built bundle to prove the trimming removed nothing
the app needs.
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _bundle_check() -> int:
    import importlib
    import importlib.resources
    import pkgutil

    import explorer

    failures: list[str] = []
    names = [m.name for m in pkgutil.walk_packages(explorer.__path__, "explorer.")]
    for name in ["torch", "numpy", "PIL.Image", "PySide6.QtWidgets", "pyqtgraph", *names]:
        try:
            importlib.import_module(name)
        except Exception as exc:  # report every failure, not just the first
            failures.append(f"import {name}: {type(exc).__name__}: {exc}")
    try:
        scenes = importlib.resources.files("explorer.assets") / "scenes"
        found = sorted(p.name for p in scenes.iterdir() if p.name.endswith(".json"))
        if not found:
            failures.append("explorer.assets/scenes has no .json scene")
    except Exception as exc:
        failures.append(f"assets: {type(exc).__name__}: {exc}")
        found = []
    print(
        f"bundle check: version {explorer.__version__}, {len(names)} app modules, "
        f"{len(found)} scenes"
    )
    for line in failures:
        print(f"bundle check: FAILED {line}")
    return 1 if failures else 0


def _main() -> int:
    multiprocessing.freeze_support()
    if os.environ.get("CONV_EXPLORER_BUNDLE_CHECK") == "1":
        return _bundle_check()
    from explorer.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(_main())
