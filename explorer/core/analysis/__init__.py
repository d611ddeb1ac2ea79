"""explorer.core.analysis."""
