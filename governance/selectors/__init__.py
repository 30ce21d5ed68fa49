"""Reads of governance, one module per feature."""
