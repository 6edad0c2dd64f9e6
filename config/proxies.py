"""The client's address, the same for every part of the app that counts by address: the
bad-link rate limit (surveys.ratelimit) and django-axes' sign-in lockout.

Behind reverse proxies ``REMOTE_ADDR`` is the nearest proxy's address, shared by every
client: one client's failures then count against all of them. Each proxy appends the
address it received the request from to ``X-Forwarded-For``, so with ``TRUSTED_PROXY_COUNT``
proxies in front of the app the client is the entry that many places from the end.
Anything further left was written by the client and proves nothing.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The address of the client as the outermost trusted proxy saw it; ``REMOTE_ADDR``
    with no proxies trusted (the default) or when the header is missing, too short or
    not an address (a request that did not come through every proxy). None when there is
    no address at all (a request made inside the process): django-axes stores the address
    in an IP column, which PostgreSQL checks, so a placeholder word would be an error."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(forwarded) < count:
        return remote
    return _address(forwarded[-count]) or remote


def _address(text: str) -> str | None:
    """``text`` as a normalised IP address, without a port some proxies add; or None."""
    candidates = [text]
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:  # 192.0.2.1:443
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
