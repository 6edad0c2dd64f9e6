"""``item``: a dictionary lookup with a key from the template (the report's "Plan an
action" links are keyed by system slug and pre-condition code)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def item(mapping: Mapping | None, key: Any) -> Any:
    """``mapping[key]``, or None when there is no mapping or no such key."""
    if not mapping:
        return None
    return mapping.get(key)
