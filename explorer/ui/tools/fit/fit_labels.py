"""Words of the Fit dock: target names for labels, and a scene's fit record in a line."""

from __future__ import annotations

from typing import Any

from explorer.core.model.fit_record import FitRecord

__all__ = ["record_text", "short_target", "spread_name"]


def short_target(target: str) -> str:
    """``scene:/long/path/x.json`` as ``scene:x.json`` (for labels; the record keeps it all)."""
    name, sep, value = target.partition(":")
    if name in ("scene", "npy") and sep:
        return f"{name}:{value.replace(chr(92), '/').rsplit('/', 1)[-1]}"
    return target


def spread_name(options: Any) -> str:
    return "variance" if options.loss == "mse" else "mean absolute deviation"


def record_text(record: FitRecord) -> str:
    text = f"This scene is to be fitted to {record.target}"
    if record.loss_end is not None:
        text = (
            f"Last fit to {record.target}: loss {record.loss_end:.4g}"
            + (
                f", relative error {record.relative_error:.3g}"
                if record.relative_error is not None
                else ""
            )
            + (f" after {record.steps_done:,} steps" if record.steps_done else "")
        )
    return text + ". Press Start to fit."
