"""gunicorn.conf.py masks invitation tokens in the access log."""

from __future__ import annotations

import io
import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
TOKEN = "q3Jx0c-Zr8vT2mWkP1eLh5sYdN7aUiGo"


def access_line(path: str, *, referer: str = "-", log_format: str | None = None) -> str:
    conf = runpy.run_path(str(CONF))
    config = Config()
    for name in ("logger_class", "accesslog"):
        config.set(name, conf[name])
    if log_format:
        config.set("access_log_format", log_format)
    logger = config.logger_class(config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log.handlers = [handler]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.partition("?")[2],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Location", "/respond/x/")])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    return stream.getvalue()


def test_the_deploy_configuration_logs_access_with_the_masking_logger():
    conf = runpy.run_path(str(CONF))
    assert conf["logger_class"].__name__ == "TokenMaskingLogger"
    assert conf["accesslog"] == "-"


def test_an_invitation_token_never_reaches_the_access_log():
    line = access_line(f"/i/{TOKEN}/", referer=f"https://example.org/i/{TOKEN}/")
    assert "203.0.113.9" in line and "302" in line
    assert TOKEN not in line
    assert line.count("/i/…/") == 2  # the request line and the Referer


def test_every_field_is_masked_whatever_the_log_format():
    line = access_line(
        f"/i/{TOKEN}/?x=1", log_format='%(U)s %(q)s "%({raw_uri}e)s" "%({referer}i)s" %(r)s'
    )
    assert TOKEN not in line
    assert "/i/…" in line


def test_other_paths_are_logged_as_they_are():
    line = access_line("/respond/Ab12Cd34/homelessness/A/")
    assert "GET /respond/Ab12Cd34/homelessness/A/ HTTP/1.1" in line


def test_djangos_own_log_lines_mask_tokens_too(client, db):
    # A mistyped or revoked link is logged by Django ("Not Found: /i/<token>/").
    (console,) = logging.getLogger().handlers[:1]
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        assert client.get(f"/i/{TOKEN}/").status_code == 404
    finally:
        console.setStream(previous)
    logged = stream.getvalue()
    assert "Not Found: /i/…/" in logged
    assert TOKEN not in logged
