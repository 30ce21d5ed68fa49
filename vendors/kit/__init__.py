"""Primitives both apps share; imports no domain code of either app."""
