"""Forms for facilitators and partners. They validate and normalise; saving happens in
the views through the service modules."""

from __future__ import annotations

import csv
import io
import re

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

from .answers import Answer, Submission
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


# C0 controls except tab, line feed and carriage return, and DEL.
_BULK_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

BULK_COLUMNS = ["name", "email", "organisation", "sector", "role", "systems"]


class BulkInvitationForm(GDSForm):
    submit_label = "Check invitations"

    rows = forms.CharField(
        label="Paste invitations",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="One person per line, with a header line: name, email, organisation, "
        "sector, role, systems. Separate several systems with a semicolon.",
    )
    file = forms.FileField(
        label="Or upload a CSV file",
        required=False,
        help_text="The same columns, with a header row.",
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
        text = cleaned.get("rows", "").strip()
        upload = cleaned.get("file")
        if upload:
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", "The file must be a CSV file saved as UTF-8")
                return cleaned
        if not text and not self.has_error("file"):
            self.add_error("rows", "Paste some invitations or upload a CSV file")
            return cleaned
        # Control characters (NUL above all, which PostgreSQL refuses) have no place in
        # names or addresses; line breaks and tabs are the CSV's own.
        text = _BULK_CONTROL_CHARACTERS.sub("", text)
        field = "file" if upload else "rows"
        try:
            # newline="": a quoted cell may hold a line break, and a lone \r ends a line.
            reader = csv.DictReader(io.StringIO(text, newline=""))
            header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
            missing = [c for c in ("organisation", "sector", "role", "systems") if c not in header]
            if missing:
                self.add_error(field, "The header line is missing: " + ", ".join(missing))
                return cleaned
            reader.fieldnames = header
            parsed_rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
        except csv.Error as error:  # e.g. a cell longer than the csv module allows
            self.add_error(
                field, f"The invitations could not be read after line {reader.line_num}: {error}"
            )
            return cleaned
        cleaned["source_text"] = text
        cleaned["parsed_rows"] = parsed_rows
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


class EvidenceField(forms.CharField):
    """Free text counted as the browser counts it: a browser sends each line break as
    CR LF but counts it as one character (``textarea.value`` holds LF only), so line
    breaks are made LF before the length is checked, and stored so."""

    def to_python(self, value):
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n")


class AnswerForm(forms.Form):
    """What a partner sends for one pre-condition, validated without the pre-condition
    (the usual save reads nothing before it writes: ``surveys.answers``); the save checks
    the indicators against the pre-condition's own. ``StepForm`` adds the page around it."""

    answer = forms.ChoiceField(
        widget=forms.RadioSelect,
        required=False,
        choices=_answer_values,
    )
    evidence = EvidenceField(
        label="Evidence and examples (optional)",
        required=False,
        max_length=EVIDENCE_MAX_LENGTH,
        validators=[prohibit_surrogates],
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        help_text="What have you seen that makes you say this? Please do not name people.",
        error_messages={
            "max_length": "Evidence must be %(limit_value)s characters or fewer "
            "(it has %(show_value)s)"
        },
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

    def submission(self) -> Submission:
        """What can be stored of what was sent. Only a refused text still lets the rest
        be stored (the stored evidence is kept): an over-long text never loses the score."""
        valid = self.is_valid()
        errors = {name: [str(e) for e in errors] for name, errors in self.errors.items()}
        version = self.cleaned_data.get("version")
        if not valid and set(errors) != {"evidence"}:
            return Submission(answer=None, expected_version=version, errors=errors)
        score, dont_know = self.answer_value()
        return Submission(
            answer=Answer(
                score=score,
                dont_know=dont_know,
                evidence=self.cleaned_data["evidence"] if valid else None,
                indicators_seen=sorted(set(self.cleaned_data["indicators_seen"])),
            ),
            expected_version=version,
            errors=errors,
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
