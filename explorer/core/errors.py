"""The project's own error types.

Every error a user can cause (a bad file, a bad field, a layer too big for memory) is
raised as an :class:`ExplorerError`. Its ``str()`` is a single line that names what is
wrong, so the command line can print it as it is and the window can show it at a field.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "ExplorerError",
    "ImageError",
    "ResourceError",
    "SceneError",
    "SpecError",
]


class ExplorerError(Exception):
    """Base class of every error the user can cause; ``str()`` is one line."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class SpecError(ExplorerError):
    """A layer field is wrong.

    Parameters
    ----------
    message
        What is wrong, in words.
    layer
        Index of the layer in the stack (0-based), if known.
    field
        Name of the field that is wrong, if one field is to blame.
    kind
        The layer's kind, used in the message.
    """

    def __init__(
        self,
        message: str,
        *,
        layer: int | None = None,
        field: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.layer = layer
        self.field = field
        self.kind = kind

    def at(self, layer: int, kind: str | None = None) -> SpecError:
        """Return a copy that names the layer index (and kind)."""
        return SpecError(self.message, layer=layer, field=self.field, kind=kind or self.kind)

    def __str__(self) -> str:
        where = []
        if self.layer is not None:
            where.append(f"layer {self.layer + 1}" + (f" ({self.kind})" if self.kind else ""))
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        text = " ".join(self.message.split())
        return f"{prefix}: {text}" if prefix else text


class SceneError(ExplorerError):
    """A scene file cannot be read or is not valid."""


class ImageError(ExplorerError):
    """An image file cannot be read or is refused."""


class CheckpointError(ExplorerError):
    """A checkpoint cannot be read, is unsafe, or does not fit the layer."""


class ResourceError(ExplorerError):
    """Running the stack would need more memory than the configured limit."""
