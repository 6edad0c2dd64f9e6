"""Hypothesis profiles, chosen with ``HYPOTHESIS_PROFILE`` (loaded by tests/conftest.py).

- ``dev`` (the default, `make test` on a laptop): a quarter of the examples, so that the
  property tests still explore but the suite stays quick.
- ``ci`` (``.ci/run`` sets it): the thorough figures each test was written with.

A test that needs more (or fewer) examples than the profile's default says how many it
wants under ``ci`` through ``examples(n)``; under ``dev`` it gets its share of them.
"""

from __future__ import annotations

import os

from hypothesis import settings

THOROUGH = 100  # Hypothesis' own default number of examples: the ci profile
PROFILES = {"ci": THOROUGH, "dev": 25}
DEFAULT_PROFILE = "dev"
FEWEST = 10  # never fewer examples than this, whatever the profile

for name, max_examples in PROFILES.items():
    settings.register_profile(name, max_examples=max_examples)


def load() -> str:
    """Load the profile HYPOTHESIS_PROFILE names (``dev`` when unset); fail on any other."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "").strip() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(
            f"HYPOTHESIS_PROFILE must be one of {', '.join(sorted(PROFILES))}, got {name!r}"
        )
    settings.load_profile(name)
    return name


def examples(thorough: int) -> int:
    """``thorough`` examples under the ci profile; the same share of them as the loaded
    profile has of Hypothesis' default otherwise (at least FEWEST, at most ``thorough``)."""
    share = settings().max_examples / THOROUGH
    return min(thorough, max(FEWEST, round(thorough * share)))
