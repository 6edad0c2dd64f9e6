"""The facilitator's progress dashboard: who has been invited, opened, started, submitted.

A few aggregate queries, whatever the number of invitations (the dashboard must not
slow down as a round grows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, Q

from .models import Diagnostic, Invitation, Response, Sector


@dataclass
class ProgressRow:
    label: str
    invited: int = 0
    sent: int = 0
    opened: int = 0
    started: int = 0
    submitted: int = 0
    imported: int = 0  # responses imported from offline files (submitted, no invitation)
    workshop: int = 0  # responses submitted by a workshop's participants (no invitation)

    @property
    def response_rate(self) -> int | None:
        """Percentage of invitations with at least one submitted response."""
        return round(100 * self.submitted / self.invited) if self.invited else None


@dataclass
class Progress:
    total: ProgressRow
    by_system: list[ProgressRow] = field(default_factory=list)
    by_sector: list[ProgressRow] = field(default_factory=list)
    by_organisation: list[ProgressRow] = field(default_factory=list)
    missing_sectors: list[str] = field(default_factory=list)


def diagnostic_progress(diagnostic: Diagnostic) -> Progress:
    invitations = list(
        Invitation.objects.filter(diagnostic=diagnostic, revoked_at__isnull=True)
        .values("id", "sent_at", "opened_at", "organisation__name", "organisation__sector")
        .order_by()
    )
    response_state: defaultdict[int, dict[str, bool]] = defaultdict(
        lambda: {"started": False, "submitted": False}
    )
    systems_by_invitation = defaultdict(set)
    for invitation_id, system_name in Invitation.systems.through.objects.filter(
        invitation__diagnostic=diagnostic, invitation__revoked_at__isnull=True
    ).values_list("invitation_id", "system__name"):
        systems_by_invitation[invitation_id].add(system_name)
    per_system_state: dict[tuple[int, str], str] = {}
    for invitation_id, system_name, submitted in (
        Response.objects.filter(diagnostic=diagnostic, invitation__isnull=False)
        .order_by()  # no default ordering, which would split the GROUP BY
        .values_list("invitation_id", "system__name")
        .annotate(submitted=Count("id", filter=Q(status=Response.Status.SUBMITTED)))
    ):
        state = response_state[invitation_id]
        state["started"] = True
        state["submitted"] = state["submitted"] or bool(submitted)
        per_system_state[(invitation_id, system_name)] = "submitted" if submitted else "started"

    total = ProgressRow("All invitations")
    sectors = {code: ProgressRow(label) for code, label in Sector.choices}
    organisations: dict[str, ProgressRow] = {}
    systems: dict[str, ProgressRow] = {
        s.name: ProgressRow(s.name) for s in diagnostic.systems.all()
    }

    for inv in invitations:
        state = response_state[inv["id"]]
        org_row = organisations.setdefault(
            inv["organisation__name"], ProgressRow(inv["organisation__name"])
        )
        for row in (total, sectors[inv["organisation__sector"]], org_row):
            _count(row, inv, state["started"], state["submitted"])
        for system_name in systems_by_invitation[inv["id"]]:
            system_state = per_system_state.get((inv["id"], system_name))
            if system_name in systems:
                _count(
                    systems[system_name],
                    inv,
                    system_state is not None,
                    system_state == "submitted",
                )
    # Responses collected offline, or in a workshop (once it has ended and submitted
    # them), count for their sector, system and organisation, though no one was invited
    # online. One query for both.
    for source, system_name, sector, organisation_name, count in (
        Response.objects.filter(
            diagnostic=diagnostic,
            source__in=[Response.Source.IMPORT, Response.Source.WORKSHOP],
            status=Response.Status.SUBMITTED,
        )
        .order_by()
        .values_list("source", "system__name", "sector", "organisation__name")
        .annotate(count=Count("id"))
    ):
        column = "imported" if source == Response.Source.IMPORT else "workshop"
        organisations.setdefault(organisation_name, ProgressRow(organisation_name))
        rows = [total, sectors[sector], organisations[organisation_name]]
        if system_name in systems:
            rows.append(systems[system_name])
        for row in rows:
            setattr(row, column, getattr(row, column) + count)
    return Progress(
        total=total,
        by_system=list(systems.values()),
        by_sector=list(sectors.values()),
        by_organisation=sorted(organisations.values(), key=lambda r: r.label.lower()),
        missing_sectors=[
            row.label
            for row in sectors.values()
            if row.submitted == 0 and row.imported == 0 and row.workshop == 0
        ],
    )


def _count(
    row: ProgressRow, invitation: Mapping[str, object], started: bool, submitted: bool
) -> None:
    row.invited += 1
    row.sent += invitation["sent_at"] is not None
    row.opened += invitation["opened_at"] is not None
    row.started += started
    row.submitted += submitted


@dataclass(frozen=True)
class RoundCounts:
    """What opening or closing a round would affect, for its confirmation page."""

    invitations: int  # not revoked
    emailed: int
    not_started: int
    in_progress: int  # partners with a response not yet submitted
    submitted: int  # partners who have submitted every response they started
    imported: int  # responses imported from offline files


def round_counts(diagnostic: Diagnostic) -> RoundCounts:
    """Two queries, whatever the size of the round."""
    invitations = list(
        Invitation.objects.filter(diagnostic=diagnostic, revoked_at__isnull=True)
        .order_by()
        .annotate(
            drafts=Count("responses", filter=Q(responses__status=Response.Status.DRAFT)),
            started=Count("responses"),
        )
        .values_list("sent_at", "drafts", "started")
    )
    imported = Response.objects.filter(diagnostic=diagnostic, source=Response.Source.IMPORT).count()
    return RoundCounts(
        invitations=len(invitations),
        emailed=sum(sent is not None for sent, _d, _s in invitations),
        not_started=sum(started == 0 for _sent, _d, started in invitations),
        in_progress=sum(drafts > 0 for _sent, drafts, _s in invitations),
        submitted=sum(started > 0 and drafts == 0 for _sent, drafts, started in invitations),
        imported=imported,
    )


def workshop_response_count(diagnostic: Diagnostic, *, submitted_by=None) -> int:
    """How many of the round's submitted responses came from workshops (all of them, or
    those submitted by ``submitted_by``: the ones a release published then holds). The
    report says so, because a partner who joined a workshop may also have answered from a
    personal link, and the tool cannot know (one query)."""
    responses = Response.objects.filter(
        diagnostic=diagnostic,
        source=Response.Source.WORKSHOP,
        status=Response.Status.SUBMITTED,
    )
    if submitted_by is not None:
        responses = responses.filter(submitted_at__lte=submitted_by)
    return responses.count()
