"""The usual save of a partner's answer, as one SQL statement.

While someone types, their browser saves every few seconds, and nearly every save
replaces an answer they stored a moment before. That case is one ``UPDATE`` whose
conditions are the checks of the full path (``surveys.answers``), so a row is only
written here when the full path would write the same; anything else (a first answer, a
conflict, a retried request, a closed round, a revoked or renewed link) writes nothing
and ``surveys.answers.partner_answer_save`` takes the full path. That function is the
only caller; ``tests/test_save_paths.py`` proves over random states that the two paths
agree.

Raw SQL because this is the hot path of a workshop: built by the ORM the same checks
cost about 3 ms of CPU, the statement 0.1 ms (docs/performance.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from .models import Diagnostic

if TYPE_CHECKING:
    from .answers import Answer, PartnerLink


@dataclass(frozen=True)
class Replaced:
    version: int
    updated_at: datetime
    next_code: str | None  # the framework's next pre-condition, where the partner goes next


# Nested lookups rather than one join of seven tables, which PostgreSQL took 5 ms to
# plan. A response's diagnostic is its invitation's. An answer equal to the stored one
# is left to the full path, which stores no new version for it. The link's generation
# must be the invitation's: a session opened with a link since renewed writes nothing.
_REPLACE_SQL = """
UPDATE surveys_rating
SET score = %(score)s, dont_know = %(dont_know)s, evidence = %(evidence)s,
    indicators_seen = %(indicators_seen)s, version = version + 1, updated_at = %(now)s
WHERE version = %(version)s
  AND NOT ((score = %(score)s OR (score IS NULL AND %(score)s IS NULL))
           AND dont_know = %(dont_know)s AND evidence = %(evidence)s
           AND indicators_seen = %(indicators_seen)s)
  AND precondition_id IN (
      SELECT id FROM preconditions_precondition
      WHERE code = %(code)s AND {json_array_length}(indicators) > %(highest_indicator)s)
  AND response_id = (
      SELECT response.id FROM surveys_response response
      WHERE response.invitation_id = (
              SELECT invitation.id FROM surveys_invitation invitation
              WHERE invitation.public_id = %(public_id)s
                AND invitation.token_generation = %(generation)s
                AND invitation.token_hash IS NOT NULL
                AND invitation.revoked_at IS NULL
                AND (SELECT status FROM surveys_diagnostic
                     WHERE id = invitation.diagnostic_id) = %(open)s)
        AND response.system_id IN (SELECT id FROM surveys_system WHERE slug = %(system_slug)s)
        AND EXISTS (
            SELECT 1 FROM surveys_invitation_systems chosen
            WHERE chosen.invitation_id = response.invitation_id
              AND chosen.system_id = response.system_id)
        AND EXISTS (
            SELECT 1 FROM surveys_diagnostic_systems in_scope
            WHERE in_scope.diagnostic_id = response.diagnostic_id
              AND in_scope.system_id = response.system_id))
RETURNING (
    SELECT next_step.code
    FROM preconditions_precondition next_step
    JOIN preconditions_precondition this_step ON this_step.framework_id = next_step.framework_id
    WHERE this_step.id = surveys_rating.precondition_id AND next_step."order" > this_step."order"
    ORDER BY next_step."order"
    LIMIT 1)
"""

_SQL_BY_VENDOR = {
    "postgresql": _REPLACE_SQL.format(json_array_length="jsonb_array_length"),
    "sqlite": _REPLACE_SQL.format(json_array_length="json_array_length"),
}


def stored_answer_replace(
    *, link: PartnerLink, system_slug: str, code: str, answer: Answer, expected_version: int
) -> Replaced | None:
    """Replace the partner's stored answer to this step when the page they edited showed
    the stored version, their link is the invitation's current one and not revoked, the
    invitation includes the system, the round is open and the indicators ticked are the
    pre-condition's own; otherwise write nothing and return None.

    One statement is atomic without a transaction around it; a concurrent save of the
    same row waits for it, then finds the version moved on and writes nothing.
    """
    assert answer.evidence is not None  # a refused text goes to the full path
    now = timezone.now()
    params = {
        "score": answer.score,
        "dont_know": answer.dont_know,
        "evidence": answer.evidence,
        "indicators_seen": json.dumps(answer.indicators_seen),
        "now": connection.ops.adapt_datetimefield_value(now),
        "version": expected_version,
        "public_id": link.public_id,
        "generation": link.generation,
        "open": Diagnostic.Status.OPEN.value,
        "system_slug": system_slug,
        "code": code,
        "highest_indicator": max(answer.indicators_seen, default=-1),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SQL_BY_VENDOR[connection.vendor], params)
        row = cursor.fetchone()
    if row is None:
        return None
    return Replaced(version=expected_version + 1, updated_at=now, next_code=row[0])
