"""Independent placements: models."""
