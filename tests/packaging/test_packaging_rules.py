"""The packaging rules, checked without building: what the bundle trims, what it keeps, and
how the Linux package's requirements are read from ELF files."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    # By path: "packaging" is also the name of a PyPI library installed in the venv.
    spec = importlib.util.spec_from_file_location(
        f"_conv_packaging_{name}", ROOT / "packaging" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


trim = _load("trim")
elfdeps = _load("elfdeps")


@pytest.mark.parametrize(
    "dest",
    [
        "torch/bin/torch_shm_manager",  # torch fails to start without it
        "torch/__init__.py",  # torch reads its own source
        "torch/nn/modules/conv.py",
        "torch/lib/libtorch_cpu.so",
        "torch/lib/libgomp.so.1",
        "torch/lib/libshm.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "explorer/assets/scenes/default.json",
        "explorer/assets/icon/conv-explorer-128.png",
        "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
        "libpython3.11.so.1.0",
        "libstdc++.so.6",
        "libffi.so.8",  # Python's ctypes
        "libxcb-9065bb12.so.1.1.0",  # pillow's private copy
        "libXau-154567c4.so.6.0.0",
        "pillow.libs/libxcb-9065bb12.so.1.1.0",
        "libicuuc.so.73",
    ],
)
def test_kept(dest: str) -> None:
    assert not trim.is_dropped(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "torch/include/ATen/ATen.h",
        "torch/bin/test_api",
        "torch/bin/protoc",
        "torch/test/test_jit",
        "torch/lib/libtorchbind_test.so",
        "torch/lib/libjitbackend_test.so",
        "torch/lib/libtorch_cuda.so",
        "torch/share/cmake/Torch/TorchConfig.cmake",
        "nvidia/cudnn/lib/libcudnn.so.9",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/qml/QtQuick/Controls/qmldir",
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "PySide6/Qt/lib/libQt6Qml.so.6",
        "PySide6\\Qt\\translations\\qt_fr.qm",  # Windows separators
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/lib/libQt6Network.so.6",
        # system libraries, declared as .deb dependencies instead
        "libX11.so.6",
        "libxcb.so.1",
        "libxcb-icccm.so.4",
        "libglib-2.0.so.0",
        "libfontconfig.so.1",
        "libdbus-1.so.3",
        "libcairo.so.2",
    ],
)
def test_dropped(dest: str) -> None:
    assert trim.is_dropped(dest)


def test_split_toc_keeps_entries_whole_and_in_order() -> None:
    toc = [
        ("torch/bin/torch_shm_manager", "/x/a", "BINARY"),
        ("torch/bin/test_jit", "/x/b", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/x/c", "BINARY"),
        ("PySide6/Qt/translations/qt_de.qm", "/x/d", "DATA"),
    ]
    kept, dropped = trim.split_toc(toc)
    assert kept == [toc[0], toc[2]]
    assert dropped == [toc[1], toc[3]]


def test_sympy_is_excluded_only_when_the_app_does_not_need_it(tmp_path: Path) -> None:
    plain = tmp_path / "plain.py"
    plain.write_text('"""FLOPs = 2 x MACs (torch FlopCounterMode convention)."""\nimport torch\n')
    counting = tmp_path / "counting.py"
    counting.write_text("def f():\n    from torch.utils.flop_counter import FlopCounterMode\n")
    compiling = tmp_path / "compiling.py"
    compiling.write_text("import torch\nfast = torch.compile(torch.nn.Conv2d(3, 8, 1))\n")
    assert trim.app_needs_sympy([compiling]) == [compiling]
    indirect = tmp_path / "indirect.py"
    indirect.write_text("from torch.utils import flop_counter\n")
    assert trim.app_needs_sympy([indirect]) == [indirect]
    mods, users = trim.excluded_modules([plain])
    assert "sympy" in mods and users == []
    mods, users = trim.excluded_modules([plain, counting])
    assert "sympy" not in mods and users == [counting]


def test_the_app_itself_keeps_what_it_imports() -> None:
    """No module the app's own source imports at top level is excluded from the bundle."""
    import ast

    excluded, _ = trim.excluded_modules(sorted((ROOT / "explorer").rglob("*.py")))
    for path in (ROOT / "explorer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            for name in names:
                hit = [m for m in excluded if name == m or name.startswith(m + ".")]
                assert not hit, f"{path.relative_to(ROOT)} imports {name}, excluded by {hit}"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(2, 3), st.integers(0, 45)), min_size=1, max_size=12))
def test_max_glibc_is_the_numerically_highest(versions: list[tuple[int, int]]) -> None:
    text = "\n".join(
        f"0000000000000000      DF *UND*  0000000000000000 (GLIBC_{a}.{b}) sym{i}"
        for i, (a, b) in enumerate(versions)
    )
    text += "\n0000 DF *UND* 0000 (GLIBCXX_9.9.99) _Znwm\n0000 DF *UND* 0000 (GLIBC_PRIVATE) x\n"
    a, b = max(versions)
    assert elfdeps.max_glibc([text]) == f"{a}.{b}"


def test_distributions_split_at_the_glibc_needed() -> None:
    ok, too_old = elfdeps.distributions("2.36")
    assert "Debian 12" in ok and "Ubuntu 24.04" in ok
    assert "Ubuntu 22.04" in too_old and "Debian 11" in too_old
    assert set(ok).isdisjoint(too_old)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("objdump") is None,
    reason="needs Linux and objdump",
)
def test_elfdeps_reads_the_running_python(tmp_path: Path) -> None:
    """On a real ELF file the glibc found is no newer than the host's, and libc is needed."""
    exe = Path(sys.executable).resolve()
    (tmp_path / exe.name).write_bytes(exe.read_bytes())
    files = elfdeps.elf_files(tmp_path)
    assert files == [tmp_path / exe.name]
    glibc, _ = elfdeps.glibc_requirement(files)
    host = subprocess.run(["ldd", "--version"], capture_output=True, text=True).stdout
    host_version = host.splitlines()[0].split()[-1]
    assert glibc is not None
    assert tuple(map(int, glibc.split("."))) <= tuple(map(int, host_version.split(".")))
    needed = elfdeps.needed_sonames(files)
    assert any(name.startswith("libc.so") for name in needed)


def test_nothing_the_app_imports_is_excluded() -> None:
    """Import every app module (as the bundle check does) and look for excluded modules."""
    excluded, _ = trim.excluded_modules(sorted((ROOT / "explorer").rglob("*.py")))
    code = (
        "import pkgutil, importlib, sys, json, explorer\n"
        "for m in pkgutil.walk_packages(explorer.__path__, 'explorer.'):\n"
        "    try: importlib.import_module(m.name)\n"
        "    except ImportError: pass\n"  # an unfinished module is not this test's concern
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def modules(source: str) -> set[str]:
        res = subprocess.run(
            [sys.executable, "-c", source],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=240,
            env=env,
        )
        assert res.returncode == 0, res.stderr
        return set(json.loads(res.stdout.splitlines()[-1]))

    # minus what the interpreter loads by itself (the venv's .pth files: _distutils_hack)
    loaded = modules(code) - modules("import sys, json; print(json.dumps(sorted(sys.modules)))")
    hits = sorted({m for name in loaded for m in excluded if name == m or name.startswith(m + ".")})
    assert not hits, f"the app imports excluded modules: {hits}"


def test_required_files_follow_needed_from_everything_but_optional_plugins(tmp_path: Path) -> None:
    """Qt's libraries count only when something required needs them; Wayland is optional."""
    names = {
        "conv-explorer": [],
        "_internal/PySide6/QtGui.abi3.so": ["libQt6Gui.so.6"],
        "_internal/PySide6/Qt/lib/libQt6Gui.so.6": ["libGL.so.1"],
        "_internal/PySide6/Qt/lib/libQt6WaylandClient.so.6": ["libwayland-client.so.0"],
        "_internal/PySide6/Qt/lib/libQt6Unused.so.6": [],
        "_internal/PySide6/Qt/plugins/platforms/libqxcb.so": ["libQt6Gui.so.6"],
        "_internal/PySide6/Qt/plugins/platforms/libqwayland.so": ["libQt6WaylandClient.so.6"],
    }
    files = []
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
        files.append(tmp_path / name)
    needed = {tmp_path / n: deps for n, deps in names.items()}
    required = {
        p.relative_to(tmp_path).as_posix() for p in elfdeps.required_files(tmp_path, files, needed)
    }
    assert required == {
        "conv-explorer",
        "_internal/PySide6/QtGui.abi3.so",
        "_internal/PySide6/Qt/lib/libQt6Gui.so.6",
        "_internal/PySide6/Qt/plugins/platforms/libqxcb.so",
    }
