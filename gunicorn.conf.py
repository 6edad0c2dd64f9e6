"""gunicorn's configuration, used by the README's deploy command (``-c gunicorn.conf.py``).

Access-log lines hold the request line, the path and the Referer. An invitation link
(``/i/<token>/``) is the partner's only credential, so its token is replaced by ``…``
in every field of the line (config/logmask.py, which also filters Django's own logs).
Other settings (bind, workers) are given on the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gunicorn.glogging import Logger

sys.path.insert(0, str(Path(__file__).resolve().parent))  # config.logmask, from anywhere
from config.logmask import mask_tokens  # noqa: E402


class TokenMaskingLogger(Logger):
    """gunicorn's logger with invitation tokens masked in every access-log field."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: mask_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


logger_class = TokenMaskingLogger
accesslog = "-"  # to standard output, where the service manager collects it
