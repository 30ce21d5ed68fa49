"""Writes to the vendor registry, one module per feature."""
