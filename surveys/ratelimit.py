"""Counting failures per client address, to slow down guessing of invitation links."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from config.proxies import client_address

BAD_TOKEN_LIMIT = 10  # misses allowed per address per window
BAD_TOKEN_WINDOW_SECONDS = 60


def _key(request: HttpRequest, scope: str) -> str:
    return f"{scope}:{client_address(request) or 'unknown'}"


def bad_token_limit_reached(
    request: HttpRequest, *, scope: str = "bad-token", limit: int = BAD_TOKEN_LIMIT
) -> bool:
    """``scope`` keeps separate counts for separate kinds of guess (invitation links,
    workshop join codes), each with its own ``limit``."""
    return (cache.get(_key(request, scope)) or 0) >= limit


def bad_token_record(request: HttpRequest, *, scope: str = "bad-token") -> None:
    key = _key(request, scope)
    if cache.add(key, 1, timeout=BAD_TOKEN_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=BAD_TOKEN_WINDOW_SECONDS)
