"""The framework as reference data: nine pre-conditions in two groups.

Loaded from ``preconditions/fixtures/framework.json`` (``manage.py loaddata framework``),
which is idempotent because every row carries a fixed primary key.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Framework(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=20)
    citation = models.TextField(help_text="Full citation of the source the framework comes from.")
    source_url = models.URLField(blank=True)

    class Meta:
        ordering = ["name", "version"]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class PreconditionGroup(models.Model):
    """Vision (A–D: the ambition of the system) or Behaviours (E–I: how change happens)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="groups")
    slug = models.SlugField()
    name = models.CharField(max_length=100)
    description = models.TextField()
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "slug"], name="unique_group_slug"),
        ]

    def __str__(self) -> str:
        return self.name


class Precondition(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="preconditions")
    group = models.ForeignKey(
        PreconditionGroup, on_delete=models.PROTECT, related_name="preconditions"
    )
    code = models.CharField(max_length=1, help_text="A to I, as in the report.")
    title = models.CharField(max_length=200, help_text="The report's own name.")
    subtitle = models.CharField(max_length=300, blank=True)
    summary = models.CharField(max_length=300)
    description = models.TextField()
    indicators = models.JSONField(
        default=list, help_text="Short phrases: signs that the pre-condition is present."
    )
    # Plain English for partners (the standard version; easy read is another matter):
    # the question they answer, with "{system}" where the system's name goes, and the
    # indicators in the same order as ``indicators`` (ticks are stored by position).
    question = models.CharField(
        max_length=300,
        blank=True,
        help_text='The question partners answer, in plain English; "{system}" is replaced '
        "by the system's name.",
    )
    plain_indicators = models.JSONField(
        default=list,
        blank=True,
        help_text="The indicators in plain English, in the same order as the indicators.",
    )
    warning_signs = models.JSONField(
        default=list, help_text="Short phrases: signs that the pre-condition is absent."
    )
    scenario_situation = models.TextField(help_text="The citizen's-eye situation.")
    scenario_present = models.TextField(help_text="The citizen's experience when present.")
    scenario_absent = models.TextField(help_text="The citizen's experience when absent.")
    discussion_questions = models.JSONField(
        default=list, help_text="Questions for a steering group, drawn from the report."
    )
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="unique_precondition_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("preconditions:detail", args=[self.code])

    @property
    def partner_indicators(self) -> list[str]:
        """What partners tick: the plain indicators when there is one for each indicator,
        else the framework's own (a tick is the indicator's position in either list)."""
        if len(self.plain_indicators) == len(self.indicators):
            return list(self.plain_indicators)
        return list(self.indicators)


class PreconditionRelation(models.Model):
    """How two pre-conditions bear on each other, as the report discusses them.

    Stored once per pair; the pages show it from both ends.
    """

    class Kind(models.TextChoices):
        RELATED = "related", "Related"
        MULTIPLIER = "multiplier", "Multiplier"

    source = models.ForeignKey(Precondition, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Precondition, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATED)
    explanation = models.TextField()

    class Meta:
        ordering = ["source__order", "target__order"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="unique_relation"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="relation_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} – {self.target.code}"
