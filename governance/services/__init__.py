"""Writes for the governance app: keyword-only functions named <entity>_<verb>."""
