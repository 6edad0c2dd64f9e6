"""Settings for the gunicorn that the benchmark and the reliability tests start.

Production settings (``config.settings``, started with DEBUG=0) plus the benchmark's own
routes (``bench.urls``), and cookies that travel over plain HTTP: the load runs on
loopback with no TLS proxy in front. Never used by a deployment.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# No `collectstatic` on a benchmark run: name static files as development does.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
