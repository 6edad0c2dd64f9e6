"""Who may see what. Every view fetches its object through one of these helpers, which
check permission and own the query shape; anything not allowed is a 404, so ids of
other places' objects cannot be probed."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from .answers import PartnerLink
from .models import Diagnostic, Invitation, Place

# A partner's session: {invitation public id: generation of the link followed}. (The
# key changed with the generation: sessions of the older list format hold no link.)
PARTNER_SESSION_KEY = "partner_links"


def signed_in_user(request: HttpRequest) -> User:
    """The user of a view behind ``@login_required``: ``request.user`` narrowed from
    ``User | AnonymousUser``. Never anonymous there; if a view forgets the decorator, a
    403 rather than a query or an audit entry with an anonymous user."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def user_can_create_places(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("surveys.add_place") or user.facilitated_places.exists()
    )


def place_for_facilitator(request: HttpRequest, slug: str) -> Place:
    place = Place.objects.filter(slug=slug, facilitators=signed_in_user(request)).first()
    if place is None:
        raise Http404("No such place")
    return place


def diagnostic_for_facilitator(request: HttpRequest, slug: str) -> Diagnostic:
    diagnostic = (
        Diagnostic.objects.select_related("place", "framework")
        .filter(slug=slug, place__facilitators=signed_in_user(request))
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


def partner_link_hold(request: HttpRequest, invitation: Invitation) -> None:
    """Remember in this browser's session that it followed this invitation's current link."""
    held = dict(request.session.get(PARTNER_SESSION_KEY, {}))
    if held.get(invitation.public_id) != invitation.token_generation:
        # A new session key on arrival: a session fixed by someone else gains nothing.
        request.session.cycle_key()
        held.pop(invitation.public_id, None)
        held[invitation.public_id] = invitation.token_generation
        request.session[PARTNER_SESSION_KEY] = dict(list(held.items())[-20:])


def partner_link(request: HttpRequest, public_id: str) -> PartnerLink:
    """The link to this invitation that this browser followed (see partner views), or 404.
    Whether it is still the invitation's current link is checked with the invitation."""
    held = request.session.get(PARTNER_SESSION_KEY, {})
    generation = held.get(public_id) if isinstance(held, dict) else None
    if not isinstance(generation, int):
        raise Http404("No such invitation")
    return PartnerLink(public_id=public_id, generation=generation)


def invitation_for_partner(request: HttpRequest, public_id: str) -> Invitation:
    """The invitation whose current link this browser followed; 404 once the link has
    been renewed or revoked (every session opened with the old link ends)."""
    link = partner_link(request, public_id)
    try:
        # get() by a unique key: no ORDER BY, unlike first().
        return Invitation.objects.select_related("diagnostic__place", "diagnostic__framework").get(
            public_id=link.public_id,
            token_generation=link.generation,
            token_hash__isnull=False,
            revoked_at__isnull=True,
        )
    except Invitation.DoesNotExist:
        raise Http404("No such invitation") from None
