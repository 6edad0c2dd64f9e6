"""Invitation links for people without e-mail: a CSV for a mail merge and a printable
sheet with a QR code beside each link.

A link is a secret (anyone holding it answers as that person), so every download or
print view is audited, and only facilitators reach them. The links are the invitations'
*current* links, derived again from the public id and the link's generation
(``surveys.invitations.invitation_link``): printing a sheet never renews a link, so a
partner who already holds theirs (e-mailed, or on an earlier sheet) keeps a working one.
Making a new link stays the facilitator's deliberate act ("Make a new link", which says
the old one stops working). Revoked and erased invitations have no link to give.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import segno
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from preconditions.csvsafe import csv_writer

from .audit import audit
from .invitations import invitation_link
from .models import AuditEvent, Diagnostic, Invitation

CSV_HEADER = ("organisation", "name", "sector", "role", "link")


@dataclass(frozen=True)
class InvitationLink:
    public_id: str
    name: str
    organisation: str
    sector: str
    role: str
    link: str


def invitations_with_links(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    """Only invitations that have a working link: not revoked, not erased."""
    return invitations.filter(revoked_at__isnull=True, token_hash__isnull=False)


def invitation_links(invitations: Iterable[Invitation]) -> Iterator[InvitationLink]:
    """One row per invitation. Reads ``invitation.organisation``: select it."""
    for invitation in invitations:
        yield InvitationLink(
            public_id=invitation.public_id,
            name=invitation.name,
            organisation=invitation.organisation.name,
            sector=invitation.organisation.get_sector_display(),
            role=invitation.get_role_display(),
            link=invitation_link(invitation),
        )


def links_csv_rows(links: Iterable[InvitationLink]) -> Iterator[tuple[str, ...]]:
    yield CSV_HEADER
    for row in links:
        yield (row.organisation, row.name, row.sector, row.role, row.link)


class _Echo:
    """A file whose write returns the line, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


def links_csv_lines(links: Iterable[InvitationLink]) -> Iterator[str]:
    """The CSV's lines, each cell made formula-safe by the app's one CSV writer. A byte
    order mark first, so Excel reads names in any script as UTF-8."""
    writer = csv_writer(_Echo())
    yield "\ufeff"
    for row in links_csv_rows(links):
        yield writer.writerow(row)


def qr_code_svg(link: str) -> SafeString:
    """The link as a QR code, an inline SVG drawn on the server (no network). Medium
    error correction survives a crease or a smudge on a printed sheet."""
    svg = segno.make(link, error="m").svg_inline(scale=3, svgclass="app-qr-code")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the link is URL-safe base64


def links_given_record(*, diagnostic: Diagnostic, actor, form: str, count: int) -> None:
    """Audit that links left the service (a download or a printable sheet)."""
    audit(
        AuditEvent.Action.LINKS_EXPORTED,
        diagnostic=diagnostic,
        actor=actor,
        detail={"format": form, "count": count},
    )
