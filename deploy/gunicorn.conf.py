"""gunicorn for Tollgate's web nodes (`gunicorn -c deploy/gunicorn.conf.py`).

Every value comes from the environment, so one file serves every node. Web nodes are
stateless: sessions live in the database, files in the configured storage, tasks on the broker.
"""

import multiprocessing
import os

wsgi_app = "governance.config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The usual 2 x cores + 1 sync workers; threads only when requests mostly wait on I/O.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A packet is rendered by Celery, never in a request: a request past this is stuck, not busy.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Recycle workers now and then, so a slow leak never takes a node down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# The load balancer or reverse proxy in front sets X-Forwarded-Proto; trust only it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# JSON lines on stderr like the application's (TOLLGATE_LOG_FORMAT, json by default here). The
# application logs every request itself (request id, route, user, status, duration), so in JSON
# gunicorn's own access lines are left out unless GUNICORN_ACCESS_LOG is set.
LOG_FORMAT = os.environ.get("TOLLGATE_LOG_FORMAT", "json")
ACCESS_LOG = os.environ.get("GUNICORN_ACCESS_LOG", "")
accesslog = ACCESS_LOG or ("-" if LOG_FORMAT == "text" else None)
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
if LOG_FORMAT == "json":
    _stderr = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        # gunicorn's defaults name these two handlers; both write JSON to stderr.
        "handlers": {"console": _stderr, "error_console": _stderr},
        # Not propagated: the application's root handler would write each line a second time.
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO" if ACCESS_LOG else "WARNING",
                "handlers": ["console"],
                "propagate": False,
            },
        },
    }
