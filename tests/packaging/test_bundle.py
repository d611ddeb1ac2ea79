"""Smoke tests of the built desktop bundle and its Linux packages (``packaging/build.sh``).

Marked ``bundle``; each test is skipped, with the reason, when what it checks has not been
built. ``packaging/ci_smoke.sh`` builds everything and runs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "packaging" / "dist"
BUNDLE = DIST / "conv-explorer"
EXE = BUNDLE / ("conv-explorer-cli.exe" if sys.platform == "win32" else "conv-explorer")
VERSION = re.search(
    r'(?m)^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8")
).group(1)

pytestmark = pytest.mark.bundle


def _newest_source() -> tuple[float, str]:
    """The newest app source or asset: a bundle older than it tests old code."""
    files = [
        p
        for d in ("explorer", "assets")
        for p in (ROOT / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    newest = max(files, key=lambda p: p.stat().st_mtime)
    return newest.stat().st_mtime, str(newest.relative_to(ROOT))


def _skip_reason(artefact: Path | None, what: str) -> str | None:
    """Why a test of *artefact* cannot run: not built, or built before the source changed."""
    if artefact is None or not artefact.is_file():
        return f"no {what} in packaging/dist: run packaging/build.sh"
    mtime, newest = _newest_source()
    if artefact.stat().st_mtime < mtime:
        return f"{artefact.name} is older than {newest}: rerun packaging/build.sh"
    return None


def _one(pattern: str) -> Path | None:
    found = sorted(DIST.glob(pattern))
    return found[-1] if found else None


_bundle_reason = _skip_reason(EXE, "bundle (conv-explorer/conv-explorer)")
needs_bundle = pytest.mark.skipif(_bundle_reason is not None, reason=_bundle_reason or "")


def _run(cmd: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    full_env.pop("CONV_EXPLORER_BUNDLE_CHECK", None)
    full_env.update(env)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=full_env)


def assert_painted_scene(png: Path) -> None:
    """The screenshot is a window with content: big, many colours, not one flat fill."""
    assert png.is_file(), f"{png} was not written"
    with Image.open(png) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    h, w, _ = rgb.shape
    assert w >= 640 and h >= 400, f"screenshot is only {w}x{h}"
    colours = np.unique(rgb.reshape(-1, 3), axis=0)
    assert len(colours) > 500, f"only {len(colours)} colours: nothing painted"
    # Feature maps are images: many pixels must differ from the most common (background) one.
    flat = rgb.reshape(-1, 3)
    values, counts = np.unique(flat, axis=0, return_counts=True)
    background = counts.max() / len(flat)
    assert background < 0.6, f"{background:.0%} of the window is one colour"


@needs_bundle
def test_bundle_screenshot_paints_default_scene(tmp_path: Path) -> None:
    png = tmp_path / "bundle.png"
    res = _run([str(EXE), "--screenshot", str(png)], HOME=str(tmp_path))
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    assert_painted_scene(png)


@needs_bundle
def test_bundle_reports_package_version() -> None:
    res = _run([str(EXE), "--version"])
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"conv-explorer {VERSION}"


@needs_bundle
def test_bundle_imports_every_app_module_and_finds_assets() -> None:
    res = _run([str(EXE)], CONV_EXPLORER_BUNDLE_CHECK="1")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"version {VERSION}" in res.stdout


@needs_bundle
def test_bundle_keeps_what_torch_needs_and_drops_the_trimmed() -> None:
    internal = BUNDLE / "_internal"
    assert (internal / "torch" / "__init__.py").is_file(), "torch's .py sources are needed"
    if sys.platform.startswith("linux"):
        assert (internal / "torch" / "bin" / "torch_shm_manager").is_file()
        assert not list((internal / "torch" / "bin").glob("test_*"))
    assert not (internal / "torch" / "include").exists()
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    assert not list(internal.glob("sympy*")), "sympy is excluded unless the app needs it"
    assert not (internal / "matplotlib").exists()


def _deb() -> Path | None:
    return _one("conv-explorer_*.deb")


_deb_reason = _skip_reason(_deb(), ".deb (conv-explorer_*.deb)") or (
    None if shutil.which("dpkg-deb") else "no dpkg-deb"
)
needs_deb = pytest.mark.skipif(_deb_reason is not None, reason=_deb_reason or "")


@needs_deb
def test_deb_declares_glibc_and_qt_libraries() -> None:
    deb = _deb()
    fields = {
        name: subprocess.run(
            ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
        ).stdout.strip()
        for name in ("Package", "Version", "Architecture", "Depends")
    }
    assert fields["Package"] == "conv-explorer"
    # PEP 440 pre-releases become Debian "~" versions so they sort before the release
    assert fields["Version"] == re.sub(r"[.]?(a|b|rc|dev)(\d*)", r"~\1\2", VERSION)
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert re.fullmatch(r"libc6 \(>= 2\.\d+\)", depends[0]), depends[0]
    for lib in ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libfontconfig1"):
        assert lib in depends, f"{lib} missing from Depends: {fields['Depends']}"


@needs_deb
def test_deb_installs_launcher_menu_entry_and_icons() -> None:
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(_deb())], capture_output=True, text=True, check=True
    ).stdout
    paths = {
        line.split()[-1] if " -> " not in line else line.split()[-3]
        for line in listing.splitlines()
    }
    for path in (
        "./usr/bin/conv-explorer",
        "./opt/conv-explorer/conv-explorer",
        "./opt/conv-explorer/_internal/torch/bin/torch_shm_manager",
        "./usr/share/applications/conv-explorer.desktop",
        "./usr/share/icons/hicolor/48x48/apps/conv-explorer.png",
        "./usr/share/icons/hicolor/scalable/apps/conv-explorer.svg",
    ):
        assert path in paths, f"{path} not in the .deb"


def _tarball() -> Path | None:
    return _one("conv-explorer-*-linux-*.tar.gz")


_tar_reason = _skip_reason(_tarball(), "tarball (conv-explorer-*-linux-*.tar.gz)")


@pytest.mark.skipif(_tar_reason is not None, reason=_tar_reason or "")
def test_tarball_unpacks_and_runs(tmp_path: Path) -> None:
    subprocess.run(["tar", "-xzf", str(_tarball()), "-C", str(tmp_path)], check=True)
    (top,) = tmp_path.iterdir()
    for name in ("conv-explorer", "install.sh", "conv-explorer.desktop", "INSTALL.txt"):
        assert (top / name).is_file(), f"{name} missing from the tarball"
    assert (top / "icons/hicolor/256x256/apps/conv-explorer.png").is_file()
    png = tmp_path / "tar.png"
    res = _run([str(top / "conv-explorer"), "--screenshot", str(png)], HOME=str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert_painted_scene(png)
    # install.sh into a private prefix: launcher on PATH, menu entry pointing at the copy
    prefix = tmp_path / "prefix"
    subprocess.run(
        [str(top / "install.sh")],
        check=True,
        capture_output=True,
        env={**os.environ, "PREFIX": str(prefix)},
    )
    desktop = (prefix / "share/applications/conv-explorer.desktop").read_text()
    assert f'Exec="{prefix}/lib/conv-explorer/conv-explorer" %f' in desktop
    res = _run([str(prefix / "bin/conv-explorer"), "--version"])
    assert res.stdout.strip() == f"conv-explorer {VERSION}", res.stderr
    subprocess.run(
        [str(top / "install.sh"), "--uninstall"],
        check=True,
        capture_output=True,
        env={**os.environ, "PREFIX": str(prefix)},
    )
    assert not (prefix / "lib/conv-explorer").exists()
    assert not (prefix / "bin/conv-explorer").exists()


@pytest.mark.skipif(
    os.environ.get("CONV_EXPLORER_TEST_INSTALLED") != "1"
    or not Path("/opt/conv-explorer/conv-explorer").is_file(),
    reason="the .deb is not installed (packaging/ci_smoke.sh installs it when run as root)",
)
def test_installed_deb_launcher_paints_default_scene(tmp_path: Path) -> None:
    launcher = shutil.which("conv-explorer", path="/usr/bin")
    assert launcher == "/usr/bin/conv-explorer"
    png = tmp_path / "installed.png"
    res = _run([launcher, "--screenshot", str(png)], HOME=str(tmp_path))
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stderr}"
    assert_painted_scene(png)
    desktop = Path("/usr/share/applications/conv-explorer.desktop").read_text()
    assert "Exec=conv-explorer %f" in desktop and "Icon=conv-explorer" in desktop
    assert Path("/usr/share/icons/hicolor/256x256/apps/conv-explorer.png").is_file()
