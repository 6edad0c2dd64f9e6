"""Start and stop gunicorn as the README deploys it, for the load test and the tests that
run several app processes against one PostgreSQL database."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self, TextIO

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def default_workers() -> int:
    """The README's ``--workers $((2 * $(nproc) + 1))``."""
    return 2 * (os.cpu_count() or 1) + 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL for the database a connection's settings point at (tests use this
    to send gunicorn to pytest-django's ``test_<name>`` database)."""
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


class Gunicorn:
    """``gunicorn config.wsgi`` on a loopback port with ``bench.settings`` and DEBUG=0.

    Used as a context manager; it waits until the server answers and stops it on exit.
    Its error log goes to a temporary file, shown if it fails to start.
    """

    def __init__(
        self,
        *,
        database_url: str,
        secret_key: str,
        workers: int | None = None,
        port: int | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.workers = workers or default_workers()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self._process: subprocess.Popen | None = None
        self._log_file: TextIO | None = None
        handle, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)

    @property
    def process(self) -> subprocess.Popen:
        """The running gunicorn (inside the ``with`` block only)."""
        if self._process is None:
            raise RuntimeError("gunicorn is not running: use Gunicorn as a context manager")
        return self._process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._log_file = self.log_path.open("a")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--chdir",
                str(BASE_DIR),
                "--log-level",
                "warning",
                "--error-logfile",
                str(self.log_path),
            ],
            env=self.env,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,  # the application's own log lines too
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/bench/ok/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)
