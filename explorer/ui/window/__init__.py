"""explorer.ui.window."""
