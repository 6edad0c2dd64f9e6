"""Personal data: erasing it from a diagnostic while keeping anonymised ratings, and
managing who has access, both with an audit record."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .audit import audit
from .models import AuditEvent, Diagnostic, Invitation, PendingImport, Response

# Called inside the erasure's transaction: apps that keep copies of partners' personal data
# (the outbox keeps recipients) register here, so surveys never imports them. A hook that
# raises stops the erasure.
ERASE_HOOKS: list[Callable[..., object]] = []


def register_erase_hook(hook: Callable[..., object]) -> None:
    """Call ``hook(diagnostic=...)`` whenever a diagnostic's personal data is erased."""
    if hook not in ERASE_HOOKS:
        ERASE_HOOKS.append(hook)


def diagnostic_erase_personal_data(*, diagnostic: Diagnostic, actor) -> int:
    """Blank names, e-mails and link tokens of every invitation, and the respondent labels
    of imported responses. Ratings, sectors and roles stay for comparing rounds; the
    links stop working. Returns the number of invitations erased."""
    with transaction.atomic():
        erased = Invitation.objects.filter(diagnostic=diagnostic).update(
            name="", email="", token_hash=None, revoked_at=timezone.now()
        )
        Response.objects.filter(diagnostic=diagnostic).update(respondent_label="", invitation=None)
        for hook in ERASE_HOOKS:
            hook(diagnostic=diagnostic)
        # Uploaded files waiting for confirmation hold names and evidence too.
        PendingImport.objects.filter(diagnostic=diagnostic).delete()
        diagnostic.personal_data_erased_at = timezone.now()
        diagnostic.save(update_fields=["personal_data_erased_at"])
        audit(
            AuditEvent.Action.PERSONAL_DATA_ERASED,
            diagnostic=diagnostic,
            actor=actor,
            detail={"invitations": erased},
        )
    return erased


def diagnostic_members(diagnostic: Diagnostic) -> dict[str, list]:
    """Who can manage the round (its place's facilitators) and who steers it, by
    username: two queries."""
    return {
        "facilitators": list(diagnostic.place.facilitators.order_by("username")),
        "steering": list(diagnostic.steering_members.order_by("username")),
    }


def find_user(identifier: str):
    """The user with this username or e-mail address (either case), or None."""
    User = get_user_model()
    identifier = identifier.strip()
    return (
        User.objects.filter(username__iexact=identifier).first()
        or User.objects.filter(email__iexact=identifier).first()
    )


def membership_change(
    *, diagnostic: Diagnostic, identifier: str, role: str, add: bool, actor
) -> bool:
    """Add or remove a steering member (of the diagnostic) or a facilitator (of its place).
    Returns False when no user matches `identifier`; a facilitator cannot remove
    themself, so a place always keeps one."""
    user = find_user(identifier)
    if user is None or (role == "facilitator" and not add and user == actor):
        return False
    members = (
        diagnostic.place.facilitators if role == "facilitator" else diagnostic.steering_members
    )
    (members.add if add else members.remove)(user)
    audit(
        AuditEvent.Action.ROLE_CHANGED,
        diagnostic=diagnostic,
        actor=actor,
        detail={"user": user.get_username(), "role": role, "added": add},
    )
    return True
