from __future__ import annotations

from typing import Literal, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults

from outbox.steering import steering_password_set_record, steering_tokens
from surveys.models import EVIDENCE_MAX_LENGTH

from .forms import SteeringSetPasswordForm


class PasswordResetView(auth_views.PasswordResetView):
    """Builds the e-mailed link from SITE_URL, never from the request's Host header."""

    def form_valid(self, form):
        site = urlsplit(settings.SITE_URL)
        self.extra_email_context = {
            "protocol": site.scheme,
            "domain": site.netloc,
            "site_name": "Preconditions",
        }
        return super().form_valid(form)


class SteeringSetPasswordView(auth_views.PasswordResetConfirmView):
    """The page a steering member's e-mailed invitation opens: set a first password, then
    signed in, on to the reports. Django's reset view, so the token leaves the URL at
    once (it is kept in the session), with the invitation's own token generator."""

    token_generator = steering_tokens
    form_class = SteeringSetPasswordForm
    template_name = "registration/steering_set_password.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("reports:index")

    def form_valid(self, form):
        response = super().form_valid(form)
        steering_password_set_record(form.user)
        messages.success(self.request, "Your password is set and you are signed in.")
        return response


def bad_request(request, exception):
    """Django's 400 page, or, for a request that asked for JSON (the partner's autosave),
    a JSON error the page can show: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused
    before any view runs, so no view can answer it."""
    if "application/json" not in request.headers.get("Accept", ""):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        message = (
            "Your answer is too large to save. Shorten the evidence: it can be "
            f"{EVIDENCE_MAX_LENGTH:,} characters at most."
        )
    else:
        message = "The request could not be read. Please try again."
    return JsonResponse({"status": "invalid", "message": message, "errors": {}}, status=400)


CookieSameSite = Literal["Lax", "Strict", "None"] | None


def language_switch(request: HttpRequest, code: str) -> HttpResponse:
    """The "English | Cymraeg" toggle: remember the language in a cookie and go back to the
    page it was chosen on. A link, not a form (the GOV.UK pattern), so it works anywhere,
    including in the middle of a partner's step, without JavaScript. Choosing a language
    changes nothing but how pages read, so a GET is safe."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("No such language")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        # A setting is typed str; set_cookie takes the three values Django allows.
        samesite=cast(CookieSameSite, settings.LANGUAGE_COOKIE_SAMESITE),
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response
