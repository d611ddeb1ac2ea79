"""What a built Linux bundle needs from the system: the glibc version and the Debian packages.

Computed from the bundle's own ELF files, not guessed:

* **glibc** — the highest ``GLIBC_x.y`` symbol version any bundled binary references
  (``objdump -T``), which is the oldest glibc the bundle can run on.
* **libraries** — every ``NEEDED`` soname (``objdump -p``) that the bundle does not ship
  itself; each is mapped to the Debian package that provides it (``dpkg -S`` on the host,
  or :data:`KNOWN_PACKAGES` for libraries not installed on the build machine, such as the
  xcb helpers Qt's X11 plugin needs but a headless build host lacks). Packages needed only
  by optional Qt plugins (Wayland, EGL on X11) are ``Recommends``, the rest ``Depends``.

Usage (``packaging/build.sh`` calls it)::

    python packaging/elfdeps.py BUNDLE_DIR          # prints glibc=..., depends=...
    python packaging/elfdeps.py BUNDLE_DIR --missing  # bundled files whose libraries are
                                                      # neither bundled nor known: exit 1
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "KNOWN_PACKAGES",
    "OPTIONAL_PLUGINS",
    "DISTRIBUTIONS",
    "debian_depends",
    "distributions",
    "elf_files",
    "glibc_requirement",
    "max_glibc",
    "needed_sonames",
    "package_of",
    "required_files",
]

#: soname → Debian package, for libraries the build host may not have installed.
KNOWN_PACKAGES: dict[str, str] = {
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "librt.so.1": "libc6",
    "libpthread.so.0": "libc6",
    "libutil.so.1": "libc6",
    "ld-linux-x86-64.so.2": "libc6",
    "libgcc_s.so.1": "libgcc-s1",
    "libstdc++.so.6": "libstdc++6",
    "libz.so.1": "zlib1g",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libdrm.so.2": "libdrm2",
    "libgbm.so.1": "libgbm1",
    "libgssapi_krb5.so.2": "libgssapi-krb5-2",
    "libgomp.so.1": "libgomp1",
    "libudev.so.1": "libudev1",
    "libmtdev.so.1": "libmtdev1",
    "libinput.so.10": "libinput10",
    "libts.so.0": "libts0",
    "libgtk-3.so.0": "libgtk-3-0",
    "libgdk-3.so.0": "libgtk-3-0",
    "libpango-1.0.so.0": "libpango-1.0-0",
    "libcairo.so.2": "libcairo2",
    "libcairo-gobject.so.2": "libcairo-gobject2",
    "libgdk_pixbuf-2.0.so.0": "libgdk-pixbuf-2.0-0",
    "libatk-1.0.so.0": "libatk1.0-0",
    "libatspi.so.0": "libatspi2.0-0",
    "libvulkan.so.1": "libvulkan1",
}

#: (distribution, its glibc), oldest first within each family; for "runs on" notes.
DISTRIBUTIONS: tuple[tuple[str, str], ...] = (
    ("Debian 11", "2.31"),
    ("Debian 12", "2.36"),
    ("Debian 13", "2.41"),
    ("Ubuntu 20.04", "2.31"),
    ("Ubuntu 22.04", "2.35"),
    ("Ubuntu 24.04", "2.39"),
    ("Fedora 36", "2.35"),
    ("Fedora 37", "2.36"),
    ("Fedora 38", "2.37"),
    ("Fedora 40", "2.39"),
    ("RHEL/Rocky 8", "2.28"),
    ("RHEL/Rocky 9", "2.34"),
    ("RHEL/Rocky 10", "2.39"),
    ("openSUSE Leap 15.6", "2.38"),
    ("Linux Mint 21", "2.35"),
    ("Linux Mint 22", "2.39"),
)

_GLIBC_RE = re.compile(r"\bGLIBC_(\d+(?:\.\d+)+)\b")


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def distributions(glibc: str) -> tuple[list[str], list[str]]:
    """Known distributions whose glibc is at least *glibc* (runs on), and the others."""
    need = _version_key(glibc)
    ok = [name for name, v in DISTRIBUTIONS if _version_key(v) >= need]
    too_old = [name for name, v in DISTRIBUTIONS if _version_key(v) < need]
    return ok, too_old


def elf_files(root: Path) -> list[Path]:
    """Every regular (non-link) ELF file under *root*."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def _objdump(flag: str, path: Path) -> str:
    return subprocess.run(
        ["objdump", flag, str(path)], capture_output=True, text=True, check=False
    ).stdout


def max_glibc(texts: Iterable[str]) -> str | None:
    """The highest ``GLIBC_x.y`` version named in *texts* (``objdump -T`` outputs)."""
    versions = {m for text in texts for m in _GLIBC_RE.findall(text)}
    return max(versions, key=_version_key) if versions else None


def glibc_requirement(files: Iterable[Path]) -> tuple[str | None, Path | None]:
    """The glibc version the bundle needs, and one file that needs it."""
    best: str | None = None
    where: Path | None = None
    for path in files:
        v = max_glibc([_objdump("-T", path)])
        if v is not None and (best is None or _version_key(v) > _version_key(best)):
            best, where = v, path
    return best, where


def needed_sonames(files: Iterable[Path]) -> dict[str, list[Path]]:
    """``NEEDED`` soname → the files that need it."""
    needed: dict[str, list[Path]] = {}
    for path in files:
        for line in _objdump("-p", path).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "NEEDED":
                needed.setdefault(parts[1], []).append(path)
    return needed


def _ldconfig_paths() -> dict[str, str]:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    paths: dict[str, str] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and "x86-64" in m.group(2):  # the 64-bit copy, not a multilib one
            paths.setdefault(m.group(1), m.group(3))
    return paths


def package_of(soname: str, ld_paths: dict[str, str] | None = None) -> str | None:
    """The Debian package providing *soname*: :data:`KNOWN_PACKAGES`, else ``dpkg -S``."""
    if soname in KNOWN_PACKAGES:
        return KNOWN_PACKAGES[soname]
    path = (ld_paths or {}).get(soname)
    if path is None or shutil.which("dpkg") is None:
        return None
    res = subprocess.run(
        ["dpkg", "-S", str(Path(path).resolve())], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        res = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
    if res.returncode != 0 or ":" not in res.stdout:
        return None
    return res.stdout.split(":")[0].strip()


#: Qt plugins the app runs without (Qt falls back to X11/XWayland when the Wayland plugin
#: cannot load): the system libraries only they need are ``Recommends``, not ``Depends``.
OPTIONAL_PLUGINS: tuple[str, ...] = (
    "PySide6/Qt/plugins/platforms/libqwayland*",
    "PySide6/Qt/plugins/wayland-*",
    "PySide6/Qt/plugins/xcbglintegrations/libqxcb-egl-integration*",
)
#: Bundled libraries that are loaded only because another bundled file needs them: they are
#: required only when something required needs them (Qt's libraries).
_DEPENDENT_ONLY = ("PySide6/Qt/lib/",)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix().removeprefix("_internal/")


def required_files(root: Path, files: list[Path], needed: dict[Path, list[str]]) -> set[Path]:
    """The ELF files the app cannot start without.

    Roots are every file except the optional plugins and Qt's own libraries; then whatever
    bundled file a required file needs, transitively.
    """
    by_name: dict[str, list[Path]] = {}
    for f in files:
        by_name.setdefault(f.name, []).append(f)
    todo = [
        f
        for f in files
        if not any(fnmatch.fnmatchcase(_rel(f, root), p) for p in OPTIONAL_PLUGINS)
        and not _rel(f, root).startswith(_DEPENDENT_ONLY)
    ]
    required: set[Path] = set()
    while todo:
        f = todo.pop()
        if f in required:
            continue
        required.add(f)
        for soname in needed.get(f, []):
            todo += by_name.get(soname, [])
    return required


def debian_depends(root: Path) -> tuple[str, str, dict[str, list[str]], dict[str, list[Path]]]:
    """The bundle's Debian ``Depends`` and ``Recommends``, sonames per package, and unknowns.

    Returns
    -------
    depends
        ``"libc6 (>= 2.xx), libfoo1, ..."``, sorted, ``libc6`` first: the packages of the
        system libraries that a required file (:func:`required_files`) needs.
    recommends
        The packages needed only by optional plugins (:data:`OPTIONAL_PLUGINS`).
    by_package
        package → the system sonames it provides to the bundle.
    unknown
        soname → the bundled files needing it, for sonames neither bundled nor mappable.
    """
    files = elf_files(root)
    bundled = {p.name for p in root.rglob("*")}
    glibc, _ = glibc_requirement(files)
    needed_by_file = {f: sorted(needed_sonames([f])) for f in files}
    required = required_files(root, files, needed_by_file)
    ld_paths = _ldconfig_paths()
    by_package: dict[str, list[str]] = {"libc6": []}
    unknown: dict[str, list[Path]] = {}
    depends: set[str] = set()
    recommends: set[str] = set()
    users_of: dict[str, list[Path]] = {}
    for f, sonames in needed_by_file.items():
        for soname in sonames:
            users_of.setdefault(soname, []).append(f)
    for soname, users in sorted(users_of.items()):
        if soname in bundled:
            continue
        pkg = package_of(soname, ld_paths)
        if pkg is None:
            unknown[soname] = users
            continue
        by_package.setdefault(pkg, []).append(soname)
        (depends if any(u in required for u in users) else recommends).add(pkg)
    recommends -= depends
    items = [f"libc6 (>= {glibc})" if glibc else "libc6"]
    items += sorted(depends - {"libc6"})
    return ", ".join(items), ", ".join(sorted(recommends)), by_package, unknown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the one-folder bundle (packaging/dist/...)")
    parser.add_argument(
        "--missing",
        action="store_true",
        help="list system libraries that cannot be mapped to a package; exit 1",
    )
    args = parser.parse_args(argv)
    root: Path = args.bundle
    files = elf_files(root)
    glibc, where = glibc_requirement(files)
    depends, recommends, by_package, unknown = debian_depends(root)
    print(f"glibc={glibc}")
    print(f"glibc_needed_by={where.relative_to(root) if where else ''}")
    print(f"depends={depends}")
    print(f"recommends={recommends}")
    if glibc:
        ok, too_old = distributions(glibc)
        print(f"runs_on={', '.join(ok)}")
        print(f"too_old={', '.join(too_old)}")
    for pkg, sonames in sorted(by_package.items()):
        print(f"# {pkg}: {' '.join(sonames)}")
    for soname, users in sorted(unknown.items()):
        print(f"# UNKNOWN {soname}: needed by {users[0].relative_to(root)} (+{len(users) - 1})")
    if args.missing and unknown:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
