"""explorer.core.compute."""
