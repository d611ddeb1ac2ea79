"""explorer.ui.state."""
