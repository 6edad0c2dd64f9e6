"""Project-wide middleware: pages for signed-in people are never stored, and staff
sessions end after a spell of inactivity and after a fixed lifetime."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# Session keys: when the staff session began, and when it was last used.
SIGNED_IN_AT = "staff_signed_in_at"
LAST_SEEN_AT = "staff_last_seen_at"
# Only note activity this often, so that browsing is not a session write per request.
LAST_SEEN_RESOLUTION = 60  # seconds
# Partners' pages (surveys/urls.py: the link, then the pages under its public id). Their
# views answer 503 by themselves when the database is down, so nothing here may read the
# session or the user for them first; and partners have no account to time out.
PARTNER_PATH_PREFIXES = ("/i/", "/respond/")


def is_partner_path(request: HttpRequest) -> bool:
    return request.path_info.startswith(PARTNER_PATH_PREFIXES)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (Django's never_cache headers) on every response to a
    signed-in user or to anyone with a session (a partner who followed their link): such
    pages name people and hold answers, and must not stay in a shared browser's cache or
    a proxy. Public pages without a session stay cacheable. Static files never reach
    this (WhiteNoise answers them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_partner_path(request)
            or request.user.is_authenticated
            or not request.session.is_empty()
        ):
            add_never_cache_headers(response)
        return response


class StaffSessionTimeoutMiddleware:
    """Signs a staff member out after ``STAFF_SESSION_IDLE_TIMEOUT`` seconds without a
    request, and ``STAFF_SESSION_MAX_AGE`` seconds after signing in, whatever they do;
    the next request goes to the sign-in page, which says why. Everyone with an account is
    staff here (facilitators, steering members, administrators). Partners have no account:
    their sessions, opened by an invitation link, are left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_partner_path(request) and request.user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str | None:
        session, now = request.session, time.time()
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if not isinstance(signed_in_at, int | float) or not isinstance(last_seen_at, int | float):
            # A session from before these limits: they start now.
            session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = now
            return None
        if now - signed_in_at > settings.STAFF_SESSION_MAX_AGE:
            return (
                f"You were signed out because you had been signed in for "
                f"{_duration(settings.STAFF_SESSION_MAX_AGE)}. Sign in again to continue."
            )
        if now - last_seen_at > settings.STAFF_SESSION_IDLE_TIMEOUT:
            return (
                f"You were signed out because you had not used the service for "
                f"{_duration(settings.STAFF_SESSION_IDLE_TIMEOUT)}. Sign in again to continue."
            )
        if now - last_seen_at >= LAST_SEEN_RESOLUTION:
            session[LAST_SEEN_AT] = now
        return None


def staff_session_start(sender, request: HttpRequest, user, **kwargs) -> None:
    """On every sign-in (a receiver of ``user_logged_in``, connected in
    surveys.apps): the session's clocks start, in the write the sign-in makes anyway."""
    request.session[SIGNED_IN_AT] = request.session[LAST_SEEN_AT] = time.time()


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
