"""EHC needs-assessment requests: models."""
