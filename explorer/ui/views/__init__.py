"""explorer.ui.views."""
