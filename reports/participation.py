"""Who took part, for the board paper: responses and response rates by sector and by
role, with groups below k hidden by the report's own suppression rule
(``reports.aggregate.suppressed_cells``, so the hidden groups cannot be recovered from
the total either).

A response is one partner's answers about one system. The responses counted are those of
the release the reader sees (its ``contributions``, frozen when it was published), so the
page agrees with the figures; live responses only for live figures. The invitations are
counted as they are now (who was invited says nothing about anyone's answers): one
invitation about two systems counts as two invited responses. The response rate is the
share of invited responses submitted online; responses imported from offline forms had no
invitation, so they are counted in "responses" and left out of the rate.

Three queries, whatever the size of the round.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from surveys.models import Diagnostic, Invitation, Response, Role, Sector

from .aggregate import ROLES, SECTORS, suppressed_cells
from .models import Release


@dataclass(frozen=True)
class ParticipationRow:
    label: str
    invited: int  # invitations x systems, not revoked
    responses: int | None  # None: hidden (a group of fewer than k)
    online: int | None  # of those, submitted online through an invitation

    @property
    def rate(self) -> int | None:
        """Percentage of invited responses submitted online; None when hidden or nobody
        was invited."""
        if self.online is None or not self.invited:
            return None
        return round(100 * self.online / self.invited)


@dataclass(frozen=True)
class Participation:
    min_group_size: int
    total: ParticipationRow
    by_sector: list[ParticipationRow]
    by_role: list[ParticipationRow]
    imported: int  # responses from offline forms, in the totals, outside every rate

    @property
    def hidden_groups(self) -> bool:
        return any(row.responses is None for row in [*self.by_sector, *self.by_role])

    def tables(self) -> list[dict]:
        return [
            {"caption": "Responses by sector", "group": "Sector", "rows": self.by_sector},
            {"caption": "Responses by role", "group": "Role", "rows": self.by_role},
        ]


def _responses(diagnostic: Diagnostic, release: Release | None) -> list[tuple[str, str, bool]]:
    """(sector, role, submitted online) of each response counted."""
    if release is None:
        return [
            (sector, role, source == Response.Source.ONLINE and invitation is not None)
            for sector, role, source, invitation in Response.objects.filter(
                diagnostic=diagnostic, status=Response.Status.SUBMITTED
            ).values_list("sector", "role", "source", "invitation_id")
        ]
    online = set(
        Response.objects.filter(
            pk__in=[int(pk) for pk in release.contributions],
            source=Response.Source.ONLINE,
            invitation__isnull=False,
        ).values_list("pk", flat=True)
    )
    return [
        (sector, role, int(pk) in online)
        for pk, (_system, sector, role, _answers) in release.contributions.items()
    ]


def _rows(
    groups: tuple[str, ...],
    labels: dict[str, str],
    invited: Counter[str],
    responses: Counter[str],
    online: Counter[str],
    k: int,
) -> list[ParticipationRow]:
    ns = {group: responses[group] for group in groups}
    never_shown = [group for group in responses if group not in ns]  # e.g. no role given
    ns |= {group: responses[group] for group in never_shown}
    hidden = suppressed_cells(ns, k, never_shown=never_shown)
    return [
        ParticipationRow(
            label=labels[group],
            invited=invited[group],
            responses=None if group in hidden else responses[group],
            online=None if group in hidden else online[group],
        )
        for group in groups
        if invited[group] or responses[group]
    ]


def participation(diagnostic: Diagnostic, release: Release | None) -> Participation:
    """Who took part in the release (or, with None, in the live round)."""
    k = release.min_group_size if release is not None else diagnostic.min_group_size
    invited_sector: Counter[str] = Counter()
    invited_role: Counter[str] = Counter()
    for sector, role in Invitation.systems.through.objects.filter(
        invitation__diagnostic=diagnostic, invitation__revoked_at__isnull=True
    ).values_list("invitation__organisation__sector", "invitation__role"):
        invited_sector[sector] += 1
        invited_role[role] += 1
    rows = _responses(diagnostic, release)
    by_sector: Counter[str] = Counter()
    by_role: Counter[str] = Counter()
    online_sector: Counter[str] = Counter()
    online_role: Counter[str] = Counter()
    for sector, role, online in rows:
        by_sector[sector] += 1
        by_role[role] += 1
        online_sector[sector] += online
        online_role[role] += online
    online_total = sum(online for _, _, online in rows)
    return Participation(
        min_group_size=k,
        total=ParticipationRow(
            label="Everyone",
            invited=sum(invited_sector.values()),
            responses=len(rows),
            online=online_total,
        ),
        by_sector=_rows(SECTORS, dict(Sector.choices), invited_sector, by_sector, online_sector, k),
        by_role=_rows(ROLES, dict(Role.choices), invited_role, by_role, online_role, k),
        imported=len(rows) - online_total,
    )
