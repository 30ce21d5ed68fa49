"""Start the test OpenID Connect provider: `python -m tests.oidc_idp.serve PORT`.

Migrates its own SQLite database, then serves (threaded) until it is stopped by its pid.
"""

import os
import sys

import django
from django.core.management import call_command
from django.core.servers.basehttp import run
from django.core.wsgi import get_wsgi_application


def main() -> None:
    port = int(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_idp.settings"
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
