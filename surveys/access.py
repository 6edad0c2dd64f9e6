"""Who may see what. Every view fetches its object through one of these helpers, which
check permission and own the query shape; anything not allowed is a 404, so ids of
other places' objects cannot be probed."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest

from .models import Diagnostic, Invitation, Place

PARTNER_SESSION_KEY = "partner_invitations"


def user_can_create_places(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("surveys.add_place") or user.facilitated_places.exists()
    )


def place_for_facilitator(request: HttpRequest, slug: str) -> Place:
    place = Place.objects.filter(slug=slug, facilitators=request.user).first()
    if place is None:
        raise Http404("No such place")
    return place


def diagnostic_for_facilitator(request: HttpRequest, slug: str) -> Diagnostic:
    diagnostic = (
        Diagnostic.objects.select_related("place", "framework")
        .filter(slug=slug, place__facilitators=request.user)
        .first()
    )
    if diagnostic is None:
        raise Http404("No such diagnostic")
    return diagnostic


def diagnostic_for_reader(request: HttpRequest, slug: str) -> tuple[Diagnostic, bool]:
    """A diagnostic whose reports the user may read; also whether they facilitate it."""
    diagnostic = (
        Diagnostic.objects.select_related("place", "framework")
        .for_reader(request.user)
        .filter(slug=slug)
        .first()
    )
    if diagnostic is None:
        raise Http404("No such diagnostic")
    is_facilitator = diagnostic.place.facilitators.filter(pk=request.user.pk).exists()
    return diagnostic, is_facilitator


def partner_holds_invitation(request: HttpRequest, public_id: str) -> bool:
    """Whether this browser arrived by this invitation's link (see partner views)."""
    return public_id in request.session.get(PARTNER_SESSION_KEY, [])


def invitation_for_partner(request: HttpRequest, public_id: str) -> Invitation:
    """The invitation this browser holds, having arrived by its link (see partner views)."""
    if not partner_holds_invitation(request, public_id):
        raise Http404("No such invitation")
    try:
        # get() by a unique key: no ORDER BY, unlike first() (this runs on every save).
        return Invitation.objects.select_related("diagnostic__place", "diagnostic__framework").get(
            public_id=public_id, token_hash__isnull=False
        )
    except Invitation.DoesNotExist:
        raise Http404("No such invitation") from None
