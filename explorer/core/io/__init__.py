"""explorer.core.io."""
