"""Tollgate project wiring and the governance app (pilots, money, evidence)."""

from governance.config.celery import app as celery_app

__all__ = ("celery_app",)
