"""The sample photos and lesson scenes that ship with the app (package ``explorer.assets``).

Installed, the files live in the package ``explorer.assets`` (the repository's ``assets/``
folder, mapped in ``pyproject.toml``) and are found with :mod:`importlib.resources`. Run
from a source tree that is not installed, the same folder is found next to the package.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from stat import S_ISDIR

from explorer.core.errors import ImageError, SceneError

__all__ = [
    "DEFAULT_SAMPLE",
    "DEFAULT_SCENE",
    "SAMPLE_PREFIX",
    "Sample",
    "assets_dir",
    "list_samples",
    "list_scenes",
    "sample_path",
    "scene_path",
]

#: The photo shown when the user has not chosen one.
DEFAULT_SAMPLE = "astronaut"
#: The scene opened when the app starts without one.
DEFAULT_SCENE = "default"
#: How a scene file names a bundled sample: ``"sample:coffee"``.
SAMPLE_PREFIX = "sample:"

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Sample:
    """A bundled photo.

    Attributes
    ----------
    name
        Short name used in scene files as ``"sample:NAME"``.
    path
        Where the file is.
    title
        What the photo shows, for menus.
    credit
        Author and licence, to show next to the photo.
    """

    name: str
    path: Path
    title: str
    credit: str


# Titles and credits; the full provenance is in assets/samples/LICENSES.md.
_ABOUT: dict[str, tuple[str, str]] = {
    "astronaut": ("Astronaut Eileen Collins", "NASA, public domain"),
    "coffee": ("A cup of coffee", "Rachel Michetti, CC0"),
    "chelsea": ("Chelsea the cat", "Stefan van der Walt, CC0"),
    "rocket": ("Falcon 9 lifting off", "SpaceX, public domain"),
}


def assets_dir() -> Path:
    """The folder holding ``samples/`` and ``scenes/``."""
    try:
        root = resources.files("explorer.assets")
    except ModuleNotFoundError:  # a source tree that is not installed
        return Path(__file__).resolve().parents[3] / "assets"
    return Path(str(root))


_listing: tuple[object, dict[str, Path]] | None = None  # (folder's stat key, files)


def _sample_files() -> dict[str, Path]:
    """The bundled photos by name; listed again only when the folder changed (its
    modification time): asked on every selection, the listing showed as GUI stalls."""
    global _listing
    folder = assets_dir() / "samples"
    try:
        stat = folder.stat()
    except OSError:
        return {}
    key = (str(folder), stat.st_mtime_ns, stat.st_ino)
    listing = _listing
    if listing is not None and listing[0] == key:
        return dict(listing[1])
    if not S_ISDIR(stat.st_mode):
        return {}
    files = {
        p.stem: p
        for p in sorted(folder.iterdir())
        if p.suffix.lower() in _IMAGE_SUFFIXES and p.is_file()
    }
    _listing = (key, files)
    return dict(files)


def list_samples() -> list[Sample]:
    """The bundled photos, the default one first, then by name."""
    files = _sample_files()
    names = sorted(files, key=lambda n: (n != DEFAULT_SAMPLE, n))
    samples = []
    for name in names:
        title, credit = _ABOUT.get(name, (name.replace("_", " ").capitalize(), ""))
        samples.append(Sample(name=name, path=files[name], title=title, credit=credit))
    return samples


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def sample_path(name: str) -> Path:
    """Path of the bundled photo ``name`` (with or without the ``"sample:"`` prefix).

    Raises
    ------
    ImageError
        If there is no such sample; the message lists the ones there are.
    """
    if name.startswith(SAMPLE_PREFIX):
        name = name[len(SAMPLE_PREFIX) :]
    files = _sample_files()
    if name not in files:
        known = sorted(files)
        raise ImageError(
            f"sample:{name}: no such sample; {_did_you_mean(name, known)}"
            f"the samples are {', '.join(known) or '(none installed)'}"
        )
    return files[name]


def list_scenes() -> list[str]:
    """Names of the bundled scenes (``assets/scenes/NAME.json``), sorted."""
    folder = assets_dir() / "scenes"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if p.is_file())


def scene_path(name: str) -> Path:
    """Path of the bundled scene ``name`` (``assets/scenes/NAME.json``).

    Raises
    ------
    SceneError
        If there is no such scene; the message lists the ones there are.
    """
    path = assets_dir() / "scenes" / f"{name}.json"
    if "/" in name or "\\" in name or not path.is_file():
        known = list_scenes()
        raise SceneError(
            f"{name}: no such bundled scene; {_did_you_mean(name, known)}"
            f"the scenes are {', '.join(known) or '(none installed)'}"
        )
    return path
