"""Diagnostics (rounds): creating, editing, opening and closing, with an audit trail."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from preconditions.framework import framework_default

from .models import AuditEvent, Diagnostic, Place


def place_create(*, name: str, description: str, facilitator) -> Place:
    base = slugify(name)[:60] or "place"
    slug = base
    while Place.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(2)}"
    with transaction.atomic():
        place = Place.objects.create(name=name, slug=slug, description=description)
        place.facilitators.add(facilitator)
        AuditEvent.objects.create(
            place=place, actor=facilitator, action=AuditEvent.Action.PLACE_CREATED
        )
    return place


def unique_slug(base: str, taken: set[str], *, max_length: int = 80) -> str:
    """`base` (already slugified), or `base-2`, `base-3`… whichever is not in `taken`;
    the result is added to `taken` so a loop can call this for many names."""
    base = base[:max_length].strip("-") or "system"
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug, n = f"{base[: max_length - len(suffix)]}{suffix}", n + 1
    taken.add(slug)
    return slug


def diagnostic_slug(title: str) -> str:
    """Readable and unguessable: the title plus random characters."""
    return f"{slugify(title)[:60] or 'diagnostic'}-{secrets.token_hex(3)}"


def diagnostic_create(*, place: Place, form_data: dict, actor) -> Diagnostic:
    systems = form_data.pop("systems")
    with transaction.atomic():
        diagnostic = Diagnostic.objects.create(
            place=place,
            framework=framework_default(),
            slug=diagnostic_slug(form_data["title"]),
            **form_data,
        )
        diagnostic.systems.set(systems)
        AuditEvent.objects.create(
            diagnostic=diagnostic,
            place=place,
            actor=actor,
            action=AuditEvent.Action.DIAGNOSTIC_CREATED,
            detail={"min_group_size": diagnostic.min_group_size},
        )
    return diagnostic


def diagnostic_update(*, diagnostic: Diagnostic, form_data: dict, actor) -> None:
    old_min = Diagnostic.objects.values_list("min_group_size", flat=True).get(pk=diagnostic.pk)
    systems = form_data.pop("systems")
    with transaction.atomic():
        for name, value in form_data.items():
            setattr(diagnostic, name, value)
        diagnostic.save()
        diagnostic.systems.set(systems)
        AuditEvent.objects.create(
            diagnostic=diagnostic, actor=actor, action=AuditEvent.Action.DIAGNOSTIC_EDITED
        )
        if diagnostic.min_group_size != old_min:
            AuditEvent.objects.create(
                diagnostic=diagnostic,
                actor=actor,
                action=AuditEvent.Action.MIN_GROUP_SIZE_CHANGED,
                detail={"from": old_min, "to": diagnostic.min_group_size},
            )


def diagnostic_open(*, diagnostic: Diagnostic, actor) -> None:
    """Open (or re-open) the round for answers."""
    if diagnostic.status != Diagnostic.Status.OPEN:
        diagnostic.status = Diagnostic.Status.OPEN
        diagnostic.opened_at = diagnostic.opened_at or timezone.now()
        diagnostic.save(update_fields=["status", "opened_at"])
        AuditEvent.objects.create(
            diagnostic=diagnostic, actor=actor, action=AuditEvent.Action.OPENED
        )


# Called as a round closes, inside the same transaction: ``reports`` registers its final
# release here (ReportsConfig.ready), so surveys never imports reports (dependencies
# point reports -> surveys -> preconditions). A hook that raises stops the close.
CLOSE_HOOKS: list[Callable[..., None]] = []


def register_close_hook(hook: Callable[..., None]) -> None:
    """Call ``hook(diagnostic=..., actor=...)`` whenever a round closes."""
    if hook not in CLOSE_HOOKS:
        CLOSE_HOOKS.append(hook)


def diagnostic_close(*, diagnostic: Diagnostic, actor) -> None:
    if diagnostic.status == Diagnostic.Status.OPEN:
        with transaction.atomic():
            diagnostic.status = Diagnostic.Status.CLOSED
            diagnostic.closed_at = timezone.now()
            diagnostic.save(update_fields=["status", "closed_at"])
            AuditEvent.objects.create(
                diagnostic=diagnostic, actor=actor, action=AuditEvent.Action.CLOSED
            )
            for hook in CLOSE_HOOKS:
                hook(diagnostic=diagnostic, actor=actor)
