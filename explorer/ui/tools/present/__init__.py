"""explorer.ui.tools.present."""
