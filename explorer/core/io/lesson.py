"""Lessons: scene files stepped through as slides, each with its title and caption on screen.

A lesson is a folder. With a ``lesson.json`` index::

    {"format": "conv-explorer-lesson", "version": 1, "title": "What a 1×1 convolution does",
     "slides": ["01_what_is_1x1.json", "02_rgb_to_gray.json"]}

the slides are the listed scene files (paths relative to the folder), in that order. A slide
may also open a teaching tool when it is shown::

    {"scene": "10_walkthrough_pointwise.json", "tool": "walkthrough",
     "options": {"layer": 1, "region": [8, 8, 4, 4], "play": true}}

(the tool gets ``options``; see the tool's ``show_for_slide``). ``{"scene": "01.json",
"layer": 2}`` selects layer 2 (from 1) when the slide opens instead of the first, e.g. where
layer 1 only turns a photo into the feature maps the slide is about. Without
one, the slides are the folder's ``*.json`` scene files sorted by name, and the title is the
folder's name. Each slide is an ordinary scene file (``explorer.core.io.scene``); its ``title``
and ``caption`` are what the presentation shows.

The lesson that ships with the app is in ``assets/lessons/`` (:func:`default_lesson_path`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from explorer.core.errors import SceneError

__all__ = [
    "INDEX_NAME",
    "LESSON_FORMAT",
    "LESSON_VERSION",
    "Lesson",
    "default_lesson_path",
    "load_lesson",
    "slide_text",
]

LESSON_FORMAT = "conv-explorer-lesson"
LESSON_VERSION = 1
INDEX_NAME = "lesson.json"
_MAX_INDEX_BYTES = 1 << 20


@dataclass(frozen=True)
class Lesson:
    """An ordered list of scene files.

    Attributes
    ----------
    title
        Shown on the first slide and in the window title.
    slides
        Absolute paths of the scene files, in order (at least one).
    folder
        The lesson's folder.
    """

    title: str
    slides: tuple[Path, ...]
    folder: Path
    tools: tuple[tuple[str, dict] | None, ...] = ()
    #: the layer (from 1) each slide selects when it opens; 0: the first, as any scene
    layers: tuple[int, ...] = ()

    def tool_of(self, index: int) -> tuple[str, dict] | None:
        """``(tool name, options)`` that slide ``index`` opens, or ``None``."""
        return self.tools[index] if 0 <= index < len(self.tools) else None

    def layer_of(self, index: int) -> int:
        """The layer (from 1) slide ``index`` selects when it opens; 0 for the default."""
        return self.layers[index] if 0 <= index < len(self.layers) else 0

    def __len__(self) -> int:
        return len(self.slides)


def default_lesson_path() -> Path:
    """The folder of the lesson that ships with the app."""
    from explorer.core.io.samples import assets_dir

    return assets_dir() / "lessons"


def _fail(path: Path, message: str) -> SceneError:
    return SceneError(f"{path}: {message}")


def _read_json(path: Path, limit: int = _MAX_INDEX_BYTES) -> object:
    try:
        size = path.stat().st_size
        if size > limit:
            raise _fail(path, f"{size:,} bytes is too big for this file")
        text = path.read_text(encoding="utf-8")
    except SceneError:
        raise
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except IsADirectoryError:
        raise _fail(path, "is a folder, not a file") from None
    except UnicodeDecodeError:
        raise _fail(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            path, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def _from_index(index: Path) -> Lesson:
    data = _read_json(index)
    if not isinstance(data, dict):
        raise _fail(index, "must be a JSON object")
    if data.get("format") != LESSON_FORMAT:
        raise _fail(index, f'"format" must be "{LESSON_FORMAT}", got {data.get("format")!r}')
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _fail(index, f'"version" must be an integer, got {version!r}')
    if version > LESSON_VERSION:
        raise _fail(
            index,
            f"version {version} is newer than this Conv Explorer understands "
            f"({LESSON_VERSION}); update the app",
        )
    unknown = sorted(set(data) - {"format", "version", "title", "slides"})
    if unknown:
        raise _fail(index, f"unknown field {unknown[0]!r}; expected format, version, title, slides")
    title = data.get("title", index.parent.name)
    if not isinstance(title, str):
        raise _fail(index, f'"title" must be a string, got {title!r}')
    names = data.get("slides")
    if not isinstance(names, list) or not names:
        raise _fail(index, '"slides" must be a non-empty list of scene file names')
    folder = index.parent.resolve()
    slides, tools, layers = [], [], []
    for i, entry in enumerate(names, 1):
        name, tool, layer = _entry(index, i, entry)
        tools.append(tool)
        layers.append(layer)
        if not isinstance(name, str) or not name:
            raise _fail(index, f"slide {i} must be a file name, got {name!r}")
        if os.path.isabs(name):
            raise _fail(index, f"slide {i} ({name}) must be relative to the lesson folder")
        path = (folder / name).resolve()
        if not path.is_file():
            raise _fail(index, f"slide {i} ({name}) does not exist")
        slides.append(path)
    return Lesson(
        title=title,
        slides=tuple(slides),
        folder=folder,
        tools=tuple(tools),
        layers=tuple(layers),
    )


def _entry(index: Path, i: int, entry: object) -> tuple[object, tuple[str, dict] | None, int]:
    """A slide of the index: a file name, or ``{"scene", "tool", "options", "layer"}``."""
    if not isinstance(entry, dict):
        return entry, None, 0
    unknown = sorted(set(entry) - {"scene", "tool", "options", "layer"})
    if unknown:
        raise _fail(
            index,
            f"slide {i}: unknown field {unknown[0]!r}; expected scene, tool, options, layer",
        )
    layer = entry.get("layer", 0)
    if isinstance(layer, bool) or not isinstance(layer, int) or layer < 0:
        raise _fail(index, f'slide {i}: "layer" must be a layer number from 1, got {layer!r}')
    tool, options = entry.get("tool"), entry.get("options", {})
    if tool is not None and (not isinstance(tool, str) or not tool):
        raise _fail(index, f'slide {i}: "tool" must be a tool name, got {tool!r}')
    if not isinstance(options, dict):
        raise _fail(index, f'slide {i}: "options" must be an object, got {options!r}')
    return entry.get("scene"), (tool, options) if tool else None, layer


def load_lesson(path: str | os.PathLike[str]) -> Lesson:
    """Read a lesson from its folder, or from its ``lesson.json``.

    Only the index is checked here (the slides exist); each slide is loaded, and validated,
    when it is shown (``explorer.core.io.scene.load_scene``).

    Raises
    ------
    SceneError
        One line naming the file: missing, unreadable, not JSON, wrong format or a newer
        version, a slide that does not exist, or a folder with no scene files.
    """
    path = Path(path)
    if path.is_dir():
        index = path / INDEX_NAME
        if index.exists():
            return _from_index(index)
        slides = tuple(sorted(p.resolve() for p in path.glob("*.json") if p.is_file()))
        if not slides:
            raise _fail(path, f"no {INDEX_NAME} and no scene files (*.json) in this folder")
        return Lesson(
            title=path.resolve().name.replace("_", " "), slides=slides, folder=path.resolve()
        )
    if path.is_file():
        return _from_index(path)
    raise _fail(path, "no such file or folder")


def slide_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """``(title, caption)`` of a scene file, read without loading the scene (for a slide
    list); empty strings when absent.

    Raises
    ------
    SceneError
        When the file cannot be read or is not a JSON object.
    """
    path = Path(path)
    data = _read_json(path, 64 << 20)
    if not isinstance(data, dict):
        raise _fail(path, "must be a JSON object")
    title, caption = data.get("title", ""), data.get("caption", "")
    return (title if isinstance(title, str) else "", caption if isinstance(caption, str) else "")
