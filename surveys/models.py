"""Places, systems, organisations, diagnostics (rounds), invitations, responses, ratings.

Business rules that span models live in topical modules: ``surveys/invitations.py``,
``surveys/answers.py``, ``surveys/importing/``, ``surveys/progress.py``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preconditions.models import Framework, Precondition

MIN_GROUP_SIZE_FLOOR = 3
DEFAULT_MIN_GROUP_SIZE = 5
EVIDENCE_MAX_LENGTH = 5000


class Sector(models.TextChoices):
    PUBLIC = "public", "Public sector"
    PRIVATE = "private", "Private sector"
    VOLUNTARY = "voluntary", "Voluntary and community sector (VCSE)"
    CITIZEN = "citizen", "Citizen or service user"


class Role(models.TextChoices):
    FRONTLINE = "frontline", "Frontline worker"
    MANAGER = "manager", "Manager"
    SENIOR = "senior", "Senior leader"
    BOARD = "board", "Board or elected member"
    SERVICE_USER = "service_user", "Service user"


class Score(models.IntegerChoices):
    """The developmental scale: five anchored points. "Don't know" is stored separately."""

    ABSENT = 1, _("Absent")
    EMERGING = 2, _("Emerging")
    DEVELOPING = 3, _("Developing")
    ESTABLISHED = 4, _("Established")
    EMBEDDED = 5, _("Embedded")


SCORE_ANCHORS = {
    Score.ABSENT: _("Not seen in this system."),
    Score.EMERGING: _("Talked about, or seen in isolated pockets."),
    Score.DEVELOPING: _("Seen in several parts of the system, not yet the norm."),
    Score.ESTABLISHED: _("The usual way of working across most of the system."),
    Score.EMBEDDED: _("System-wide, sustained and renewed as things change."),
}


def new_public_id() -> str:
    """A random, non-sequential identifier for URLs of private objects."""
    return uuid.uuid4().hex[:12]


class Place(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="facilitated_places", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("surveys:place_detail", args=[self.slug])


class System(models.Model):
    """A system in scope, e.g. "Homelessness and housing"; may sit inside a wider one."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="systems")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="A wider system this one sits inside, e.g. housing for homelessness.",
    )

    class Meta:
        ordering = ["place", "name"]
        constraints = [
            models.UniqueConstraint(fields=["place", "slug"], name="unique_system_slug"),
            models.UniqueConstraint(fields=["place", "name"], name="unique_system_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=20, choices=Sector.choices)

    class Meta:
        ordering = ["place", "name"]
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="unique_organisation_name"),
        ]

    def __str__(self) -> str:
        return self.name


class DiagnosticQuerySet(models.QuerySet):
    def for_facilitator(self, user) -> DiagnosticQuerySet:
        return self.filter(place__facilitators=user)

    def for_reader(self, user) -> DiagnosticQuerySet:
        """Diagnostics whose reports `user` may read: facilitators and steering members."""
        return self.filter(
            models.Q(place__facilitators=user) | models.Q(steering_members=user)
        ).distinct()


class Diagnostic(models.Model):
    """One round of assessment in a place."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Confidentiality(models.TextChoices):
        UNATTRIBUTED = (
            "unattributed",
            "Steering group sees ratings and evidence, never who said what",
        )
        RATINGS_ONLY = (
            "ratings_only",
            "Steering group sees ratings only; evidence stays with facilitators",
        )

    class Attribution(models.TextChoices):
        """Whether anyone may tie answers to a person. Chosen before the round opens;
        the rules that follow from it live in ``surveys/confidentiality.py``."""

        ANONYMOUS = (
            "anonymous",
            "Anonymous: nobody, facilitators included, can tie answers to a person or "
            "an organisation",
        )
        ATTRIBUTED = (
            "attributed",
            "Attributed for agreed follow-up: facilitators may see who said what, and "
            "partners are told so before they answer",
        )

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="diagnostics")
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT)
    systems = models.ManyToManyField(System, related_name="diagnostics")
    opens_on = models.DateField(null=True, blank=True)
    closes_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    confidentiality = models.CharField(
        max_length=20, choices=Confidentiality.choices, default=Confidentiality.UNATTRIBUTED
    )
    attribution = models.CharField(
        max_length=20, choices=Attribution.choices, default=Attribution.ANONYMOUS
    )
    min_group_size = models.PositiveSmallIntegerField(
        default=DEFAULT_MIN_GROUP_SIZE,
        validators=[MinValueValidator(MIN_GROUP_SIZE_FLOOR), MaxValueValidator(50)],
        help_text="Any breakdown with fewer respondents than this is hidden.",
    )
    steering_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="steered_diagnostics", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)

    objects = DiagnosticQuerySet.as_manager()

    class Meta:
        ordering = ["place", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_group_size__gte=MIN_GROUP_SIZE_FLOOR),
                name="min_group_size_at_least_3",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("surveys:diagnostic_detail", args=[self.slug])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def previous_round(self) -> Diagnostic | None:
        """The latest earlier round in the same place, for change over time."""
        return (
            Diagnostic.objects.filter(place_id=self.place_id, created_at__lt=self.created_at)
            .order_by("-created_at")
            .first()
        )


class Invitation(models.Model):
    """An invitation to one person. The link's token is never stored, only its SHA-256."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="invitations")
    public_id = models.CharField(max_length=12, unique=True, default=new_public_id)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    systems = models.ManyToManyField(System, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The state of the latest e-mail to this person, kept by the outbox app (which holds
    # every attempt) so the invitation list can filter on it without a join.
    # db_default: rows written by raw SQL or COPY (the benchmark's generator) get them too.
    email_status = models.CharField(max_length=10, blank=True, default="", db_default="")
    email_error = models.CharField(max_length=500, blank=True, default="", db_default="")
    # The language the partner last read the service in: their e-mails (invitation,
    # reminders) are written in it (surveys.partner_reading.invitation_language_remember).
    # (db_default too: bulk writers that name their columns, e.g. the benchmark's COPY.)
    language = models.CharField(
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        db_default=settings.LANGUAGE_CODE,
    )

    class Meta:
        ordering = ["diagnostic", "organisation__name", "name"]
        indexes = [models.Index(fields=["diagnostic", "email_status"])]

    def __str__(self) -> str:
        return f"{self.name or 'Invitee'} ({self.organisation})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Response(models.Model):
    """One respondent's assessment of one system: one per invitation per system.

    Organisation, sector and role are copied here so that reports never need the
    invitation (which holds personal data and can be erased).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    class Source(models.TextChoices):
        ONLINE = "online", "Online"
        IMPORT = "import", "Imported"
        WORKSHOP = "workshop", "Workshop"

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="responses")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="responses")
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    # For imported responses: the respondent label from the file (personal data, erasable).
    respondent_label = models.CharField(max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="responses"
    )
    sector = models.CharField(max_length=20, choices=Sector.choices)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)
    created_at = models.DateTimeField(default=timezone.now)
    # When this row last changed (made, submitted). Each answer's own time is its
    # rating's updated_at: a save touches only the rating, one row.
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["diagnostic", "system", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "system"],
                condition=models.Q(invitation__isnull=False),
                name="one_response_per_invitation_and_system",
            ),
            models.UniqueConstraint(
                fields=["diagnostic", "system", "respondent_label"],
                condition=models.Q(source="import") & ~models.Q(respondent_label=""),
                name="one_imported_response_per_respondent_and_system",
            ),
        ]
        indexes = [models.Index(fields=["diagnostic", "status"])]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.system}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class RatingQuerySet(models.QuerySet):
    def answered(self) -> RatingQuerySet:
        """Ratings with a score or "don't know" (not evidence-only drafts)."""
        return self.filter(models.Q(score__isnull=False) | models.Q(dont_know=True))


class Rating(models.Model):
    """One answer: a score on the scale or "don't know", with evidence.

    A row with neither a score nor don't-know is a draft that holds only evidence.
    ``version`` increases on every save, so a stale save from another tab is detected.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="ratings")
    precondition = models.ForeignKey(Precondition, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(choices=Score.choices, null=True, blank=True)
    dont_know = models.BooleanField(default=False)
    evidence = models.TextField(blank=True, max_length=EVIDENCE_MAX_LENGTH)
    indicators_seen = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["response", "precondition__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "precondition"], name="one_rating_per_precondition"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | models.Q(score__gte=1, score__lte=5, dont_know=False),
                name="score_on_scale_and_not_dont_know",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.precondition_id}: {self.score or ('?' if self.dont_know else '-')}"

    @property
    def is_answered(self) -> bool:
        return self.score is not None or self.dont_know


class AuditEvent(models.Model):
    """What a facilitator did, or who read raw evidence. Never holds evidence or tokens."""

    class Action(models.TextChoices):
        PLACE_CREATED = "place_created", "Created the place"
        DIAGNOSTIC_CREATED = "diagnostic_created", "Created the diagnostic"
        DIAGNOSTIC_EDITED = "diagnostic_edited", "Edited the diagnostic"
        MIN_GROUP_SIZE_CHANGED = "min_group_size_changed", "Changed the minimum group size"
        CONFIDENTIALITY_CHANGED = (
            "confidentiality_changed",
            "Changed who may see answers or evidence",
        )
        OPENED = "opened", "Opened the round"
        CLOSED = "closed", "Closed the round"
        INVITED = "invited", "Invited partners"
        LINK_SENT = "link_sent", "Sent invitation links"
        REMINDED = "reminded", "Sent reminders"
        LINK_RENEWED = "link_renewed", "Renewed an invitation link"
        REVOKED = "revoked", "Revoked an invitation"
        IMPORTED = "imported", "Imported responses"
        EXPORTED = "exported", "Exported results"
        EVIDENCE_READ = "evidence_read", "Read raw evidence"
        ANSWERS_READ = "answers_read", "Read one partner's answers (attributed round)"
        ROLE_CHANGED = "role_changed", "Changed who has access"
        PERSONAL_DATA_ERASED = "personal_data_erased", "Erased personal data"
        RESPONSES_WITHDRAWN = "responses_withdrawn", "A partner withdrew their responses"
        RELEASED = "released", "Released results"
        LINKS_EXPORTED = "links_exported", "Downloaded or printed invitation links"
        STEERING_INVITED = "steering_invited", "Invited a steering member to set a password"
        PASSWORD_SET = "password_set", "A steering member set their password"
        WORKSHOP_STARTED = "workshop_started", "Started a workshop"
        WORKSHOP_ENDED = "workshop_ended", "Ended a workshop"

    diagnostic = models.ForeignKey(
        Diagnostic, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class PendingBulkInvitation(models.Model):
    """Checked bulk invitations waiting for the facilitator's confirmation. A plan is
    consumed once: confirming it again (a reload, a double click) creates nothing."""

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id)
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    source_text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    consumed_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Bulk invitations {self.public_id}"


class PendingImport(models.Model):
    """An uploaded file waiting for the facilitator to confirm its preview: its rows as
    read once at upload (text keyed by column name), not the file itself."""

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id)
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    filename = models.CharField(max_length=255)
    rows = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename
