"""explorer.ui.tools.weights."""
