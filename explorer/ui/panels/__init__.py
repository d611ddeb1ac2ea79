"""explorer.ui.panels."""
