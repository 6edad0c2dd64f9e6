"""Forms for facilitators and partners. They validate and normalise; saving happens in
the views through the service modules."""

from __future__ import annotations

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.conf import settings
from django.utils.html import format_html
from django.utils.text import slugify

from config.forms import (
    AutoDirSelect,
    GDSForm,
    GDSFormMixin,
    GDSModelForm,
    ModelMultipleChoiceField,
    prohibit_surrogates,
)
from preconditions.models import Precondition

from .answers import Answer
from .bulk_invitations import BulkInputError, decode_upload, parse_rows
from .invitations import INVITATION_STATUS_FILTERS, email_address_problem
from .models import (
    EVIDENCE_MAX_LENGTH,
    SCORE_ANCHORS,
    Diagnostic,
    Organisation,
    Place,
    Role,
    Score,
    Sector,
    System,
)

DONT_KNOW = "dont_know"


class PlaceForm(GDSModelForm):
    submit_label = "Save place"

    class Meta:
        model = Place
        fields = ["name", "description"]
        labels = {"name": "Name of the place", "description": "Description (optional)"}
        help_texts = {"name": "For example, a city, borough or county."}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not slugify(name):
            raise forms.ValidationError("Enter a name with at least one letter or number")
        return name


class SystemForm(GDSModelForm):
    submit_label = "Save system"

    class Meta:
        model = System
        fields = ["name", "description", "parent"]
        labels = {
            "name": "Name of the system",
            "description": "Description (optional)",
            "parent": "Wider system it sits inside (optional)",
        }
        help_texts = {"name": "For example, homelessness and housing."}
        widgets = {"parent": AutoDirSelect}

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.place = place
        parents = place.systems.all()
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not slugify(name):
            raise forms.ValidationError("Enter a name with at least one letter or number")
        clash = self.place.systems.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("This place already has a system with that name")
        return name


class OrganisationForm(GDSModelForm):
    submit_label = "Save organisation"

    class Meta:
        model = Organisation
        fields = ["name", "sector"]
        labels = {"name": "Name of the organisation", "sector": "Sector"}
        widgets = {"sector": forms.RadioSelect}

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.place = place
        self.fields["sector"].choices = Sector.choices
        self.helper.layout = Layout(
            "name", Field.radios("sector", legend_size=Size.SMALL), Button("submit", "Save")
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = self.place.organisations.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("This place already has an organisation with that name")
        return name


class DiagnosticForm(GDSModelForm):
    submit_label = "Save diagnostic"

    class Meta:
        model = Diagnostic
        fields = [
            "title",
            "systems",
            "opens_on",
            "closes_on",
            "confidentiality",
            "min_group_size",
        ]
        labels = {
            "title": "Title",
            "systems": "Systems in scope",
            "opens_on": "Opens on (optional)",
            "closes_on": "Closes on (optional)",
            "confidentiality": "Who sees the evidence",
            "min_group_size": "Smallest group shown in any breakdown",
        }
        help_texts = {
            "title": "For example, Northbridge systems diagnostic 2026.",
            "min_group_size": "Results for a group of fewer people than this are hidden, so "
            "no one can be identified. At least 3; 5 is usual.",
        }
        field_classes = {"systems": ModelMultipleChoiceField}
        widgets = {
            "systems": forms.CheckboxSelectMultiple,
            "confidentiality": forms.RadioSelect,
            "opens_on": forms.DateInput(attrs={"type": "date"}),
            "closes_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["systems"].queryset = place.systems.all()
        self.fields["systems"].error_messages["required"] = "Select at least one system"
        self.fields["confidentiality"].choices = Diagnostic.Confidentiality.choices
        self.fields["min_group_size"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["min_group_size"].error_messages["min_value"] = (
            "The smallest group must be at least 3 people"
        )
        self.helper.layout = Layout(
            "title",
            Field.checkboxes("systems", legend_size=Size.SMALL),
            "opens_on",
            "closes_on",
            Field.radios("confidentiality", legend_size=Size.SMALL),
            Field.text("min_group_size", field_width=2),
            Button("submit", self.submit_label),
        )

    def clean(self):
        cleaned = super().clean()
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", "The closing date must be on or after the opening date")
        return cleaned


def _role_choices():
    return Role.choices


class InvitationForm(GDSForm):
    submit_label = "Create invitation"

    name = forms.CharField(label="Name (optional)", max_length=200, required=False)
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        max_length=254,  # Invitation.email; Django's form field would allow 320
        help_text="Needed only if you want to send the link by email.",
    )
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        empty_label="Choose",
        widget=AutoDirSelect,
    )
    role = forms.ChoiceField(label="Role", choices=_role_choices, widget=forms.RadioSelect)
    systems = ModelMultipleChoiceField(
        label="Systems they will assess",
        queryset=System.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one system"},
    )

    def __init__(self, *args, diagnostic: Diagnostic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = diagnostic.place.organisations.all()
        self.fields["systems"].queryset = diagnostic.systems.all()
        self.fields["organisation"].error_messages["required"] = "Choose an organisation"
        self.fields["role"].error_messages["required"] = "Select a role"
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.helper.layout = Layout(
            "name",
            "email",
            Field.select("organisation"),
            Field.radios("role", legend_size=Size.SMALL),
            Field.checkboxes("systems", legend_size=Size.SMALL),
            Button("submit", self.submit_label),
        )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        problem = email and email_address_problem(email)
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:])
        return email


class InvitationFilterForm(forms.Form):
    """Search and filters of the invitation list (a GET form: no CSRF, bookmarkable)."""

    q = forms.CharField(
        label="Search by name, e-mail or organisation", required=False, max_length=200
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=lambda: [("", "All")] + list(INVITATION_STATUS_FILTERS.items()),
    )
    sector = forms.ChoiceField(
        label="Sector", required=False, choices=lambda: [("", "All sectors"), *Sector.choices]
    )

    def clean_q(self) -> str:
        return self.cleaned_data["q"].replace("\x00", "").strip()


class BulkInvitationForm(GDSForm):
    submit_label = "Check invitations"

    rows = forms.CharField(
        label="Paste invitations",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="Copy the rows from your spreadsheet, header line included: name, email, "
        "organisation, sector, role, systems. Separate several systems with a semicolon.",
    )
    file = forms.FileField(
        label="Or upload a CSV file",
        required=False,
        help_text="The same columns, with a header row; UTF-8 or Windows encoding.",
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                f"The file must be smaller than {settings.MAX_UPLOAD_SIZE // (1024 * 1024)} MB"
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("rows", "")
        upload = cleaned.get("file")
        field = "file" if upload else "rows"
        if upload:
            try:
                text = decode_upload(upload.read())
            except BulkInputError as error:
                self.add_error("file", str(error))
                return cleaned
        if not text.strip():
            if not self.has_error("file"):
                self.add_error("rows", "Paste some invitations or upload a CSV file")
            return cleaned
        try:
            # The whole list must be readable here; its rows are checked by the plan.
            cleaned["parsed_rows"], _ = parse_rows(text)
        except BulkInputError as error:
            self.add_error(field, str(error))
            return cleaned
        cleaned["source_text"] = text
        return cleaned


class ConfirmForm(GDSForm):
    """A form with only a submit button, for POST actions with CSRF protection."""


# Indexes an answer may name before the pre-condition is known (a background save checks
# them against its indicators in the same statement that stores them): generous, since
# StepForm, with the pre-condition's own indicators, is the real judge.
INDICATOR_INDEXES_MAX = 50


# Choices as callables: every form deep-copies its fields' choices, and this form is
# bound on every background save. (StepForm sets the labels a person reads.)
def _answer_values() -> list[tuple[str, str]]:
    return [(str(score.value), str(score.value)) for score in Score] + [(DONT_KNOW, DONT_KNOW)]


def _indicator_indexes() -> list[tuple[int, int]]:
    return [(i, i) for i in range(INDICATOR_INDEXES_MAX)]


class AnswerForm(forms.Form):
    """What a partner sends for one pre-condition, validated without the pre-condition:
    the background save (``surveys.answer_replace.stored_answer_replace``) reads nothing before
    it writes. ``StepForm`` adds the page around it."""

    answer = forms.ChoiceField(
        widget=forms.RadioSelect,
        required=False,
        choices=_answer_values,
    )
    evidence = forms.CharField(
        label="Evidence and examples (optional)",
        required=False,
        max_length=EVIDENCE_MAX_LENGTH,
        validators=[prohibit_surrogates],
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        help_text="What have you seen that makes you say this? Please do not name people.",
    )
    indicators_seen = forms.TypedMultipleChoiceField(
        label="Which of these have you seen in this system? (optional)",
        required=False,
        coerce=int,
        choices=_indicator_indexes,
        widget=forms.CheckboxSelectMultiple,
    )
    # The database's integer range: a larger number is no version ever stored.
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1
    )

    def clean_evidence(self) -> str:
        # NUL and other control characters have no place in evidence (tab/newline kept).
        text = self.cleaned_data["evidence"]
        return "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32).strip()

    def answer_value(self) -> tuple[int | None, bool]:
        raw = self.cleaned_data.get("answer") or ""
        if raw == DONT_KNOW:
            return None, True
        return (int(raw), False) if raw else (None, False)

    def to_answer(self, indicator_count: int | None = None) -> Answer:
        """The validated answer; with ``indicator_count`` (the pre-condition's), only
        the indicators it has. (Without, the background save checks them itself.)"""
        score, dont_know = self.answer_value()
        seen = sorted(set(self.cleaned_data["indicators_seen"]))
        if indicator_count is not None:
            seen = [i for i in seen if i < indicator_count]
        return Answer(
            score=score,
            dont_know=dont_know,
            evidence=self.cleaned_data["evidence"],
            indicators_seen=seen,
        )


class StepForm(GDSFormMixin, AnswerForm):
    """One pre-condition's step: the scale with its anchors, "don't know", evidence and
    the pre-condition's own indicators."""

    def __init__(self, *args, precondition: Precondition, system: System, **kwargs):
        super().__init__(*args, **kwargs)
        # crispy-forms-gds renders labels with |safe: escape the names here, and isolate
        # the system's name (user text) so right-to-left text cannot reorder the question.
        self.fields["answer"].label = format_html(
            "How far is “{}” in place in {}?",
            precondition.title,
            format_html('<bdi class="app-user-text" dir="auto">{}</bdi>', system.name),
        )
        self.fields["answer"].choices = [
            Choice(
                str(score.value),
                f"{score.value} {score.label}",
                hint=SCORE_ANCHORS[score],
                divider="or" if score == Score.EMBEDDED else None,
            )
            for score in Score
        ] + [Choice(DONT_KNOW, "I don't know")]
        self.fields["indicators_seen"].choices = list(enumerate(precondition.indicators))
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("answer", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("evidence", max_characters=EVIDENCE_MAX_LENGTH),
            Field.checkboxes("indicators_seen", small=True, legend_size=Size.SMALL),
            "version",
        )


class MembershipForm(GDSForm):
    submit_label = "Add"

    identifier = forms.CharField(
        label="Username or email address", max_length=254, help_text="They need an account."
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[
            ("steering", "Steering-group member: reads the reports for this diagnostic"),
            ("facilitator", "Facilitator: manages this place and all its diagnostics"),
        ],
        widget=forms.RadioSelect,
        initial="steering",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            "identifier",
            Field.radios("role", legend_size=Size.SMALL),
            Button("submit", self.submit_label),
        )
