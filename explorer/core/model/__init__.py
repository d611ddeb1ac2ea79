"""explorer.core.model."""
