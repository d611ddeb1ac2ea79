"""explorer.ui.tools.walkthrough."""
