from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views


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
