"""Reads of the vendor registry, one module per feature."""
