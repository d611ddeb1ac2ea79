"""explorer.ui.tools.fit."""
