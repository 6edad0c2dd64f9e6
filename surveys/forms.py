"""Forms for facilitators and partners. They validate and normalise; saving happens in
the views through the service modules."""

from __future__ import annotations

import re
from datetime import date

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.layout import Button, Field, Layout, Size
from crispy_forms_gds.widgets import DateInputWidget
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from config.forms import (
    AutoDirSelect,
    GDSForm,
    GDSFormMixin,
    GDSModelForm,
    ModelMultipleChoiceField,
    prohibit_surrogates,
    typed_field,
)
from preconditions.models import Precondition

from . import confidentiality, place_setup
from .answers import Answer, Submission
from .bulk_invitations import BulkInputError, decode_upload, parse_rows
from .invitations import INVITATION_STATUS_FILTERS, email_address_problem
from .models import (
    DEFAULT_MIN_GROUP_SIZE,
    EVIDENCE_MAX_LENGTH,
    MIN_GROUP_SIZE_FLOOR,
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
        typed_field(self, "parent", forms.ModelChoiceField).queryset = parents

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
        typed_field(self, "sector", forms.ChoiceField).choices = Sector.choices
        self.helper.layout = Layout(
            "name", Field.radios("sector", legend_size=Size.SMALL), Button("submit", "Save")
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = self.place.organisations.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("This place already has an organisation with that name")
        return name


class DayMonthYearWidget(DateInputWidget):
    """The GOV.UK date input (day, month, year). A request that sends one ISO value
    (YYYY-MM-DD) under the field's own name, as scripts and the old form did, is read
    as that date."""

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if name in data and not any(parts):
            text = (data.get(name) or "").strip()
            iso = re.fullmatch(r"(\d{1,4})-(\d{1,2})-(\d{1,2})", text)
            return [iso[3], iso[2], iso[1]] if iso else [text, "", ""]
        return parts


class DayMonthYearField(DateInputField):
    """An optional date as the GOV.UK date input, with errors a person can act on."""

    widget = DayMonthYearWidget

    def __init__(self, *, name: str, **kwargs):
        super().__init__(required=False, require_all_fields=False, **kwargs)
        self.name = name
        self.help_text = "For example, 27 3 2026"
        for part, sub in zip(("day", "month", "year"), self.fields, strict=True):
            sub.error_messages["incomplete"] = f"{name} must include a {part}"
            sub.validators = [
                RegexValidator(r"^[0-9]{1,4}$", f"Enter the {part} of {name.lower()} as a number")
            ]

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        day, month, year = data_list
        if len(str(year)) != 4:
            self._refuse(2, f"Enter the year of {self.name.lower()} as 4 digits, like 2026")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            self._refuse(0, f"{self.name} must be a real date")

    def _refuse(self, part: int, message: str):
        """Raise ``message``, tied to one input (the error summary links to it)."""
        self.fields[part].widget.errors = [message]
        raise ValidationError(message)

    def refuse_in_form(self, form: forms.Form, name: str, message: str) -> None:
        """Add a form-level check's error to this field, linked to its day input."""
        self.fields[0].widget.errors = [message]
        form.add_error(name, message)


class SystemsBulkForm(GDSForm):
    submit_label = "Add systems"

    names = forms.CharField(
        label="Systems to add",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="One system per line, for example Homelessness. You can paste a column "
        "from a spreadsheet. Systems the place has already are not added twice.",
        error_messages={"required": "Enter at least one system, one per line"},
    )

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.place = place

    def clean(self):
        cleaned = super().clean()
        if "names" in cleaned:
            cleaned["plan"] = place_setup.systems_plan(place=self.place, text=cleaned["names"])
            for problem in cleaned["plan"].problems:
                self.add_error("names", problem)
        return cleaned


class OrganisationsBulkForm(GDSForm):
    submit_label = "Add organisations"

    rows = forms.CharField(
        label="Organisations to add",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="One organisation per line: its name, then its sector (public, private, "
        "voluntary or citizen), separated by a comma, a semicolon or a tab, as pasted from "
        "a spreadsheet. For example: Northbridge Council, public",
        error_messages={"required": "Enter at least one organisation, one per line"},
    )

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.place = place

    def clean(self):
        cleaned = super().clean()
        if "rows" in cleaned:
            cleaned["plan"] = place_setup.organisations_plan(place=self.place, text=cleaned["rows"])
            for problem in cleaned["plan"].problems:
                self.add_error("rows", problem)
        return cleaned


# What each confidentiality option means, in plain words (the form's hints).
ATTRIBUTION_HINTS = {
    Diagnostic.Attribution.ANONYMOUS: "Nobody, facilitators included, can see which answers "
    "are whose, or which organisation gave them. Facilitators see only who has submitted "
    "and when, so they can send reminders. Usual for a diagnostic.",
    Diagnostic.Attribution.ATTRIBUTED: "Facilitators can see each person's answers with their "
    "name, to follow up as agreed with partners. Partners are told this before they answer. "
    "The steering group still sees only combined results.",
}
EVIDENCE_HINTS = {
    Diagnostic.Confidentiality.UNATTRIBUTED: "Examples partners give may be quoted in the "
    "report, never with a name or organisation.",
    Diagnostic.Confidentiality.RATINGS_ONLY: "The steering group sees ratings only. Examples "
    "are read by facilitators and never shown in the report.",
}
ATTRIBUTION_LABELS = {
    Diagnostic.Attribution.ANONYMOUS: "Anonymous",
    Diagnostic.Attribution.ATTRIBUTED: "Attributed, for agreed follow-up",
}
EVIDENCE_LABELS = {
    Diagnostic.Confidentiality.UNATTRIBUTED: "Ratings and evidence, never who said what",
    Diagnostic.Confidentiality.RATINGS_ONLY: "Ratings only",
}


class DiagnosticForm(GDSModelForm):
    """A round's settings. The confidentiality settings (attribution, who sees the
    evidence, the smallest group) follow ``surveys.confidentiality``: once partners have
    been told the terms, a change may only make the round stricter."""

    submit_label = "Save diagnostic"

    class Meta:
        model = Diagnostic
        fields = [
            "title",
            "systems",
            "opens_on",
            "closes_on",
            "attribution",
            "confidentiality",
            "min_group_size",
        ]
        labels = {
            "title": "Title",
            "systems": "Systems in scope",
            "attribution": "Can anyone see who gave which answers?",
            "confidentiality": "What does the steering group see?",
        }
        help_texts = {
            "title": "For example, Northbridge systems diagnostic 2026.",
        }
        field_classes = {"systems": ModelMultipleChoiceField}
        widgets = {
            "systems": forms.CheckboxSelectMultiple,
            "attribution": forms.RadioSelect,
            "confidentiality": forms.RadioSelect,
        }

    new_systems = forms.CharField(
        label="Add systems (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line, for example Homelessness. They are added to the place and "
        "to this round.",
    )
    copy_invitations = forms.BooleanField(required=False)
    copy_from = forms.CharField(required=False, widget=forms.HiddenInput)
    opens_on = DayMonthYearField(name="The opening date", label="Opens on (optional)")
    closes_on = DayMonthYearField(name="The closing date", label="Closes on (optional)")
    min_group_size = forms.IntegerField(
        label="Smallest group shown in any breakdown",
        help_text="Results for a group of fewer people than this are hidden, so no one can "
        "be identified. At least 3; 5 is usual.",
        min_value=MIN_GROUP_SIZE_FLOOR,
        max_value=50,
        initial=DEFAULT_MIN_GROUP_SIZE,
        # GOV.UK asks for a text input for numbers: type=number mangles what is typed.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input"}),
        error_messages={
            "required": "Enter the smallest group shown, for example 5",
            "invalid": "Enter the smallest group as a whole number, for example 5",
            "min_value": "The smallest group must be at least 3 people, so no one can be "
            "identified",
            "max_value": "The smallest group can be at most 50 people",
        },
    )

    def __init__(self, *args, place: Place, copy_source: Diagnostic | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.place = place
        self.copy_source = copy_source
        self.terms_given = confidentiality.terms_given(self.instance)
        typed_field(self, "systems", forms.ModelChoiceField).queryset = place.systems.all()
        self.fields["systems"].required = False  # or new ones below: see clean()
        self.has_systems = has_systems = place.systems.exists()
        if not has_systems:
            # A place with no systems yet: add them here rather than meet a dead end.
            self.fields["new_systems"].label = "Systems in scope"
            self.fields["new_systems"].help_text = (
                "This place has no systems yet. Add the systems partners will assess, one "
                "per line, for example Homelessness."
            )
        typed_field(self, "attribution", forms.ChoiceField).choices = [
            Choice(value, ATTRIBUTION_LABELS[value], hint=ATTRIBUTION_HINTS[value])
            for value in Diagnostic.Attribution
        ]
        typed_field(self, "confidentiality", forms.ChoiceField).choices = [
            Choice(value, EVIDENCE_LABELS[value], hint=EVIDENCE_HINTS[value])
            for value in Diagnostic.Confidentiality
        ]
        # A browser always sends the checked option; a request without one keeps the
        # current setting (anonymous, the safe default, for a new round).
        for name in ("attribution", "confidentiality"):
            self.fields[name].required = False
        if self.terms_given:
            self.fields["attribution"].help_text = self.fields["confidentiality"].help_text = (
                "Partners have been told this round\u2019s terms: you can make them stricter, "
                "not looser."
            )
        copying = []
        if copy_source is not None:
            count = place_setup.invitations_to_copy(copy_source).count()
            self.fields["copy_from"].initial = copy_source.slug
            self.fields[
                "copy_invitations"
            ].label = f"Invite the same {count} partner{'s' if count != 1 else ''} again"
            self.fields["copy_invitations"].help_text = (
                "New invitations with new links, for the systems of this round. Nothing is "
                "sent until you send them."
            )
            copying = ["copy_from", "copy_invitations"] if count else ["copy_from"]
        self.helper.layout = Layout(
            "title",
            *([Field.checkboxes("systems", legend_size=Size.SMALL)] if has_systems else []),
            "new_systems",
            *copying,
            "opens_on",
            "closes_on",
            Field.radios("attribution", legend_size=Size.SMALL),
            Field.radios("confidentiality", legend_size=Size.SMALL),
            Field.text("min_group_size", field_width=2),
            Button("submit", self.submit_label),
        )

    def _clean_setting(self, name: str) -> str:
        value = self.cleaned_data.get(name)
        return value or getattr(self.instance, name) or self.fields[name].initial

    def clean_attribution(self) -> str:
        return self._clean_setting("attribution")

    def clean_confidentiality(self) -> str:
        return self._clean_setting("confidentiality")

    def clean_new_systems(self) -> list[str]:
        plan = place_setup.systems_plan(place=self.place, text=self.cleaned_data["new_systems"])
        if self.cleaned_data["new_systems"].strip():
            for problem in plan.problems:
                self.add_error("new_systems", problem)
        # A name the place has already means that system: it is selected, not added.
        self.named_existing = list(self.place.systems.filter(name__in=plan.existing))
        return plan.new

    def clean_copy_from(self) -> Diagnostic | None:
        slug = self.cleaned_data["copy_from"]
        if not slug:
            return None
        source = self.place.diagnostics.filter(slug=slug).first()
        if source is None:
            # A hidden field: its error goes to the top of the form.
            self.add_error(None, "Choose a round of this place to copy")
        return source

    def clean(self):
        cleaned = super().clean()
        if "systems" in cleaned:
            named = getattr(self, "named_existing", [])
            chosen = list(cleaned["systems"])
            cleaned["systems"] = [*chosen, *(s for s in named if s not in chosen)]
        chosen = cleaned.get("systems") or cleaned.get("new_systems")
        if not chosen and "new_systems" not in self.errors:
            if self.has_systems:
                self.add_error("systems", "Select at least one system, or add one")
            else:
                self.add_error("new_systems", "Add at least one system, one per line")
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.fields["closes_on"].refuse_in_form(
                self, "closes_on", "The closing date must be on or after the opening date"
            )
        if self.instance.pk and all(
            cleaned.get(name) is not None for name, _ in confidentiality.SETTINGS
        ):
            problems = confidentiality.confidentiality_change_problems(
                old=confidentiality.settings_of(self.instance),
                new={name: cleaned[name] for name, _ in confidentiality.SETTINGS},
                terms_given=self.terms_given,
            )
            for name, problem in problems.items():
                self.add_error(name, problem)
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
    language = forms.ChoiceField(
        label="Language of their e-mails",
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,  # English when not given
        widget=forms.RadioSelect,
        help_text="It changes to the language they read the service in, once they use it.",
    )

    def __init__(self, *args, diagnostic: Diagnostic, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = typed_field(self, "organisation", forms.ModelChoiceField)
        organisation.queryset = diagnostic.place.organisations.all()
        typed_field(self, "systems", forms.ModelChoiceField).queryset = diagnostic.systems.all()
        self.fields["organisation"].error_messages["required"] = "Choose an organisation"
        self.fields["role"].error_messages["required"] = "Select a role"
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.helper.layout = Layout(
            "name",
            "email",
            Field.select("organisation"),
            Field.radios("role", legend_size=Size.SMALL),
            Field.checkboxes("systems", legend_size=Size.SMALL),
            Field.radios("language", legend_size=Size.SMALL, inline=True),
            Button("submit", self.submit_label),
        )

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or settings.LANGUAGE_CODE

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


# Indexes an answer may name before the pre-condition is known (a background save checks
# them against its indicators in the same statement that stores them): generous, since
# StepForm, with the pre-condition's own indicators, is the real judge.
INDICATOR_INDEXES_MAX = 50


# Choices as callables: every form deep-copies its fields' choices, and this form is
# bound on every background save. (StepForm sets the labels a person reads.)
def score_label(score: Score) -> str:
    """A point of the scale as partners read it: "1 Absent" … "5 Embedded"."""
    return f"{score.value} {score.label}"


def answer_labels() -> list[tuple[str, str]]:
    """Every answer a partner can give, as shown: the scale, then "I don't know"."""
    return [(str(score.value), score_label(score)) for score in Score] + [
        (DONT_KNOW, gettext("I don't know"))
    ]


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
        label=gettext_lazy("Evidence and examples (optional)"),
        required=False,
        max_length=EVIDENCE_MAX_LENGTH,
        validators=[prohibit_surrogates],
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        help_text=gettext_lazy(
            "What have you seen that makes you say this? Please do not name people."
        ),
        error_messages={
            "max_length": gettext_lazy(
                "Evidence must be %(limit_value)s characters or fewer (it has %(show_value)s)"
            )
        },
    )
    indicators_seen = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Which of these have you seen in this system? (optional)"),
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


def step_question(precondition: Precondition, system: System) -> str:
    """The question of a step: the pre-condition's plain-English question, with the
    system's name where it says "{system}" (or, without one, the framework's title).
    crispy-forms-gds renders labels with |safe: every part is escaped here, and the
    system's name (user text) isolated so right-to-left text cannot reorder it."""
    name = format_html('<bdi class="app-user-text" dir="auto">{}</bdi>', system.name)
    if precondition.question:
        question = gettext(precondition.question)  # the framework's words: the catalogue
        before, placeholder, after = question.partition("{system}")
        return format_html("{}{}{}", before, name if placeholder else "", after)
    return format_html(
        gettext("How far is “{}” in place in {}?"), gettext(precondition.title), name
    )


class StepForm(GDSFormMixin, AnswerForm):
    """One pre-condition's step: the scale with its anchors, "don't know", evidence and
    the pre-condition's own indicators."""

    def __init__(self, *args, precondition: Precondition, system: System, **kwargs):
        super().__init__(*args, **kwargs)
        # crispy-forms-gds renders labels with |safe: escape the names here, and isolate
        # the system's name (user text) so right-to-left text cannot reorder the question.
        self.fields["answer"].label = step_question(precondition, system)
        *scale, dont_know = answer_labels()
        typed_field(self, "answer", forms.ChoiceField).choices = [
            Choice(
                value,
                label,
                hint=SCORE_ANCHORS[Score(int(value))],
                divider=gettext("or") if int(value) == Score.EMBEDDED else None,
            )
            for value, label in scale
        ] + [Choice(*dont_know)]
        indicators = typed_field(self, "indicators_seen", forms.ChoiceField)
        indicators.choices = [
            (i, gettext(text)) for i, text in enumerate(precondition.partner_indicators)
        ]
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
