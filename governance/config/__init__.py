"""Project wiring: settings, URLs, Celery, WSGI/ASGI and middleware."""
