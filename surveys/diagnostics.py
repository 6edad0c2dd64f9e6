"""Diagnostics (rounds): creating, editing, opening and closing, with an audit trail."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from preconditions.framework import framework_default

from . import confidentiality
from .audit import audit
from .models import AuditEvent, Diagnostic, Place, Response, System


def place_create(*, name: str, description: str, facilitator) -> Place:
    base = slugify(name)[:60] or "place"
    slug = base
    while Place.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(2)}"
    with transaction.atomic():
        place = Place.objects.create(name=name, slug=slug, description=description)
        place.facilitators.add(facilitator)
        audit(AuditEvent.Action.PLACE_CREATED, place=place, actor=facilitator)
    return place


def places_of_facilitator(user) -> QuerySet[Place]:
    """The places ``user`` facilitates, by name, each with its rounds newest first: two
    queries."""
    return (
        Place.objects.filter(facilitators=user)
        .prefetch_related(
            Prefetch("diagnostics", queryset=Diagnostic.objects.order_by("-created_at"))
        )
        .order_by("name")
    )


def rounds_steered_by(user) -> QuerySet[Diagnostic]:
    """The rounds ``user`` is a steering member of, with their place: one query."""
    return Diagnostic.objects.filter(steering_members=user).select_related("place")


def place_overview(place: Place) -> dict[str, QuerySet]:
    """What a place's page lists: its systems (with their parent), its organisations
    (with how many invitations each has) and its rounds, newest first. Three queries."""
    return {
        "systems": place.systems.select_related("parent"),
        "organisations": place.organisations.annotate(invited=Count("invitations")),
        "diagnostics": place.diagnostics.order_by("-created_at"),
    }


def place_rounds(place: Place) -> list[Diagnostic]:
    """The place's rounds, newest first: one query."""
    return list(place.diagnostics.order_by("-created_at"))


def round_systems(diagnostic: Diagnostic) -> QuerySet[System]:
    """The systems the round assesses (in the systems' usual order)."""
    return diagnostic.systems.all()


def system_add(*, place: Place, system: System) -> System:
    """Save a new ``system`` (from a form, unsaved) in ``place`` with a slug of its own."""
    system.place = place
    system.slug = unique_slug(
        slugify(system.name)[:70], set(place.systems.values_list("slug", flat=True))
    )
    system.save()
    return system


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


def systems_create(*, place: Place, names: list[str]) -> list[System]:
    """Add systems to a place (slugs made unique); the names must be new to it."""
    taken = set(place.systems.values_list("slug", flat=True))
    with transaction.atomic():
        return [
            System.objects.create(
                place=place, name=name, slug=unique_slug(slugify(name)[:70], taken)
            )
            for name in names
        ]


def _form_systems(place: Place, form_data: dict) -> list[System]:
    """The round's systems from its form: those chosen, and new ones added on the spot.
    (Call in a transaction.) Also drops the form's fields that are not the model's."""
    systems = list(form_data.pop("systems"))
    new = form_data.pop("new_systems", [])
    for name in ("copy_from", "copy_invitations"):
        form_data.pop(name, None)
    return systems + systems_create(place=place, names=new) if new else systems


def diagnostic_create(*, place: Place, form_data: dict, actor) -> Diagnostic:
    with transaction.atomic():
        systems = _form_systems(place, form_data)
        diagnostic = Diagnostic.objects.create(
            place=place,
            framework=framework_default(),
            slug=diagnostic_slug(form_data["title"]),
            **form_data,
        )
        diagnostic.systems.set(systems)
        audit(
            AuditEvent.Action.DIAGNOSTIC_CREATED,
            diagnostic=diagnostic,
            actor=actor,
            detail=confidentiality.settings_of(diagnostic),
        )
    return diagnostic


class ConfidentialityLoosenedError(ValueError):
    """A change would loosen a round's confidentiality after partners were told its
    terms; ``problems`` maps each field to why (``surveys.confidentiality``)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def diagnostic_update(*, diagnostic: Diagnostic, form_data: dict, actor) -> None:
    """Save the round's settings. A change to its confidentiality is checked again here,
    under a lock on the round, and refused if it loosens terms partners have been told
    (``ConfidentialityLoosenedError``); every change is audited from old to new."""
    with transaction.atomic():
        # The lock makes the check and the save one step against a concurrent edit.
        stored = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
        systems = _form_systems(diagnostic.place, form_data)
        old = confidentiality.settings_of(stored)
        new = {name: form_data.get(name, old[name]) for name in old}
        problems = confidentiality.confidentiality_change_problems(
            old=old, new=new, terms_given=confidentiality.terms_given(stored)
        )
        if problems:
            raise ConfidentialityLoosenedError(problems)
        for name, value in form_data.items():
            setattr(diagnostic, name, value)
        diagnostic.save()
        diagnostic.systems.set(systems)
        if not confidentiality.facilitators_see_who_said_what(diagnostic):
            _imported_labels_pseudonymise(diagnostic)
        audit(AuditEvent.Action.DIAGNOSTIC_EDITED, diagnostic=diagnostic, actor=actor)
        for name, _label in confidentiality.SETTINGS:
            if new[name] == old[name]:
                continue
            if name == "min_group_size":
                audit(
                    AuditEvent.Action.MIN_GROUP_SIZE_CHANGED,
                    diagnostic=diagnostic,
                    actor=actor,
                    detail={"from": old[name], "to": new[name]},
                )
            else:
                audit(
                    AuditEvent.Action.CONFIDENTIALITY_CHANGED,
                    diagnostic=diagnostic,
                    actor=actor,
                    detail={"setting": name, "from": old[name], "to": new[name]},
                )


def _imported_labels_pseudonymise(diagnostic: Diagnostic) -> None:
    """A round made anonymous after an import keeps no respondent's name: each imported
    label becomes its pseudonym (``confidentiality.respondent_label_stored``)."""
    imported = (
        Response.objects.filter(diagnostic=diagnostic, source=Response.Source.IMPORT)
        .exclude(respondent_label="")
        .exclude(respondent_label__startswith="anonymous-")
        .only("pk", "respondent_label")
    )
    changed = []
    for response in imported:
        response.respondent_label = confidentiality.respondent_label_stored(
            diagnostic, response.respondent_label
        )
        changed.append(response)
    Response.objects.bulk_update(changed, ["respondent_label"], batch_size=500)


def diagnostic_open(*, diagnostic: Diagnostic, actor) -> None:
    """Open (or re-open) the round for answers."""
    if diagnostic.status != Diagnostic.Status.OPEN:
        diagnostic.status = Diagnostic.Status.OPEN
        diagnostic.opened_at = diagnostic.opened_at or timezone.now()
        diagnostic.save(update_fields=["status", "opened_at"])
        audit(AuditEvent.Action.OPENED, diagnostic=diagnostic, actor=actor)


# Called as a round closes, inside the same transaction: ``reports`` registers its final
# release here (ReportsConfig.ready), so surveys never imports reports (dependencies
# point reports -> surveys -> preconditions). A hook that raises stops the close.
CLOSE_HOOKS: list[Callable[..., None]] = []


def register_close_hook(hook: Callable[..., None], *, first: bool = False) -> None:
    """Call ``hook(diagnostic=..., actor=...)`` whenever a round closes. ``first``: before
    the hooks registered so far (a workshop still running is ended, and its answers
    submitted, before the final release freezes the round's figures)."""
    if hook not in CLOSE_HOOKS:
        if first:
            CLOSE_HOOKS.insert(0, hook)
        else:
            CLOSE_HOOKS.append(hook)


def diagnostic_close(*, diagnostic: Diagnostic, actor) -> None:
    if diagnostic.status == Diagnostic.Status.OPEN:
        with transaction.atomic():
            diagnostic.status = Diagnostic.Status.CLOSED
            diagnostic.closed_at = timezone.now()
            diagnostic.save(update_fields=["status", "closed_at"])
            audit(AuditEvent.Action.CLOSED, diagnostic=diagnostic, actor=actor)
            for hook in CLOSE_HOOKS:
                hook(diagnostic=diagnostic, actor=actor)
