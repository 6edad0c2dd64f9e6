"""``signed_in_user``: the typed ``request.user`` of views behind ``@login_required``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from surveys.access import signed_in_user

from .factories import make_user


@pytest.mark.django_db
def test_it_gives_the_signed_in_user_of_the_request():
    user = make_user()
    request = RequestFactory().get("/")
    # As AuthenticationMiddleware sets it: the user behind a lazy object.
    request.user = SimpleLazyObject(lambda: User.objects.get(pk=user.pk))
    assert signed_in_user(request) == user


def test_an_anonymous_visitor_is_refused_rather_than_passed_on():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        signed_in_user(request)
