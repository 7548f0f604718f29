"""Central placement panel: models."""
