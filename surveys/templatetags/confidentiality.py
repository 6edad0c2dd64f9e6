"""The round's promise to partners in templates, from ``surveys.confidentiality``:
``{% partner_promise diagnostic as sentences %}`` and ``{% partner_promise_short diagnostic %}``."""

from __future__ import annotations

from django import template

from surveys import confidentiality

register = template.Library()


@register.simple_tag
def partner_promise(diagnostic) -> list[str]:
    return confidentiality.partner_promise(diagnostic)


@register.simple_tag
def partner_promise_short(diagnostic) -> str:
    return confidentiality.partner_promise_short(diagnostic)


@register.simple_tag
def facilitators_see_who_said_what(diagnostic) -> bool:
    return confidentiality.facilitators_see_who_said_what(diagnostic)
