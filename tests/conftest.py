from __future__ import annotations

import pytest
from django.core.management import call_command

from preconditions.models import Framework


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users: a fast hasher keeps them quick (never used outside tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def framework(db) -> Framework:
    """The nine pre-conditions, loaded from the fixture as `make run` loads them.

    Loaded per test rather than once per session because transactional tests flush the
    database; `loaddata` is idempotent, so loading it again is harmless.
    """
    call_command("loaddata", "framework", verbosity=0)
    return Framework.objects.get(slug="place-based-systems-change")
