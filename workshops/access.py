"""Who reaches which workshop. Anything not allowed is a 404, so workshop ids cannot be
probed (as in ``surveys/access.py``).

- Facilitators of the round's place reach its workshops' facilitator pages.
- A phone reaches only the participant pages of the workshop it joined, by the id its
  session holds; never another workshop's, never anyone's answers but its own.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest

from .models import Participant, Workshop

# A phone's session: {workshop public id: participant id}.
PARTICIPANT_SESSION_KEY = "workshop_participants"


def workshop_for_facilitator(request: HttpRequest, public_id: str) -> Workshop:
    user = request.user
    if isinstance(user, AnonymousUser):
        raise Http404("No such workshop")
    workshop = (
        Workshop.objects.select_related(
            "diagnostic__place", "diagnostic__framework", "system", "current_precondition"
        )
        .filter(public_id=public_id, diagnostic__place__facilitators=user)
        .first()
    )
    if workshop is None:
        raise Http404("No such workshop")
    return workshop


def participant_hold(request: HttpRequest, participant: Participant) -> None:
    """Bind this browser's session to the participant (a fresh session key on the first
    join, so a session fixed by someone else gains nothing)."""
    held = request.session.get(PARTICIPANT_SESSION_KEY)
    if not isinstance(held, dict):
        request.session.cycle_key()
        held = {}
    held = dict(held)
    held[participant.workshop.public_id] = participant.pk
    request.session[PARTICIPANT_SESSION_KEY] = dict(list(held.items())[-10:])


def participant_held(request: HttpRequest, public_id: str) -> int | None:
    held = request.session.get(PARTICIPANT_SESSION_KEY)
    value = held.get(public_id) if isinstance(held, dict) else None
    return value if isinstance(value, int) else None


def participant_for_session(request: HttpRequest, public_id: str) -> Participant:
    """The participant this browser joined as, in this workshop, with the workshop's
    state (one query); 404 for any other workshop."""
    participant_id = participant_held(request, public_id)
    participant = (
        Participant.objects.select_related(
            "workshop__current_precondition", "workshop__diagnostic", "workshop__system"
        )
        .filter(pk=participant_id, workshop__public_id=public_id)
        .first()
        if participant_id is not None
        else None
    )
    if participant is None:
        raise Http404("No such workshop")
    return participant
