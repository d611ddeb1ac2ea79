"""explorer.ui.tools.models."""
