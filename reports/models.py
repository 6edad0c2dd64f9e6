"""Releases: the frozen results of a round that readers see (docs/reports.md, "Releases").

A release is published by the facilitator (interim) or when the round closes (final). It
holds everything a reader of that release can fetch, computed once: the suppressed
summary, the ratings row by row with small groups' labels removed, and each
respondent's contribution (a fingerprint per pre-condition) so that the next release can
be checked against it for differencing. Later submissions, edits or withdrawals never
change a published release.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from surveys.models import Diagnostic


class ReleaseQuerySet(models.QuerySet):
    def light(self) -> ReleaseQuerySet:
        """Without the row-by-row data and the contributions: what report pages need."""
        return self.defer("rows", "contributions")


class Release(models.Model):
    class Kind(models.TextChoices):
        INTERIM = "interim", "Interim"
        FINAL = "final", "Final"

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="releases")
    number = models.PositiveIntegerField()  # 1, 2, … within the round
    kind = models.CharField(max_length=10, choices=Kind.choices)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    min_group_size = models.PositiveSmallIntegerField()
    # system slug -> respondents in this release
    respondents = models.JSONField(default=dict)
    # the serialised DiagnosticSummary (reports.releases.summary_to_data), evidence included
    summary = models.JSONField(default=dict)
    # the ratings row by row, labels of groups below k removed, in no respondent's order
    rows = models.JSONField(default=list)
    # response id -> [system id, sector, role, {code: fingerprint}]: never shown
    contributions = models.JSONField(default=dict)
    # groups hidden by the differencing rule (final releases), each a sentence
    hidden = models.JSONField(default=list)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["diagnostic", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "number"], name="unique_release_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} release {self.number} of {self.diagnostic_id}"

    @property
    def is_interim(self) -> bool:
        return self.kind == self.Kind.INTERIM

    @property
    def total_respondents(self) -> int:
        return sum(self.respondents.values())

    @property
    def label(self) -> str:
        """e.g. "Interim release 2, 14 May 2026 09:30 UTC, 37 respondents"."""
        when = timezone.localtime(self.published_at).strftime("%-d %B %Y %H:%M %Z")
        n = self.total_respondents
        return (
            f"{self.get_kind_display()} release {self.number}, {when}, "
            f"{n} respondent{'' if n == 1 else 's'}"
        )
