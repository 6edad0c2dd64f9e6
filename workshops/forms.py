"""The workshop's forms, in the project's GOV.UK conventions (config/forms.py)."""

from __future__ import annotations

from typing import cast

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.layout import Field, Layout, Size
from django import forms
from django.utils.html import format_html

from config.forms import AutoDirSelect, GDSForm, GDSFormMixin
from preconditions.models import Precondition
from surveys.forms import DONT_KNOW
from surveys.models import SCORE_ANCHORS, Diagnostic, Role, Score, Sector, System

from .rules import COMMENT_MAX_LENGTH, JOIN_CODE_LENGTH, join_code_normalise

PREFER_NOT_TO_SAY = "prefer_not"


class WorkshopStartForm(GDSForm):
    submit_label = "Start the workshop"

    system = forms.ModelChoiceField(
        label="System",
        queryset=System.objects.none(),
        empty_label=None,
        widget=AutoDirSelect,
        help_text="The room answers about this system.",
    )
    title = forms.CharField(
        label="Name of the session (optional)",
        max_length=200,
        required=False,
        help_text="For example: Partnership board, 12 March. Shown on the projector.",
    )

    def __init__(self, *args, diagnostic: Diagnostic, **kwargs):
        super().__init__(*args, **kwargs)
        system = cast(forms.ModelChoiceField, self.fields["system"])
        system.queryset = diagnostic.systems.order_by("name")


class JoinForm(GDSForm):
    """Join by code, and say (only) which sector and role you answer from."""

    submit_label = "Join"

    code = forms.CharField(
        label="Code shown on the screen",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "govuk-input govuk-input--width-10",
            }
        ),
        error_messages={"required": "Enter the code shown on the screen"},
    )
    sector = forms.ChoiceField(
        label="Which sector do you work in, or come from?",
        widget=forms.RadioSelect,
        choices=Sector.choices,
        error_messages={"required": "Select the sector you answer from"},
    )
    role = forms.ChoiceField(
        label="What is your role?",
        widget=forms.RadioSelect,
        choices=[*Role.choices, (PREFER_NOT_TO_SAY, "Prefer not to say")],
        error_messages={"required": "Select your role, or prefer not to say"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Field.text("code"),
            Field.radios("sector", legend_size=Size.SMALL),
            Field.radios("role", legend_size=Size.SMALL),
            *self.helper.layout[-1:],
        )

    def clean_code(self) -> str:
        code = join_code_normalise(self.cleaned_data["code"])
        if len(code) != JOIN_CODE_LENGTH:
            raise forms.ValidationError(f"Enter the {JOIN_CODE_LENGTH} characters of the code")
        return code

    def role_value(self) -> str:
        role = self.cleaned_data["role"]
        return "" if role == PREFER_NOT_TO_SAY else role


class WorkshopAnswerForm(GDSFormMixin, forms.Form):
    """One pre-condition: the same anchored scale and "don't know" as a partner's step,
    and a short comment."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=1)
    answer = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={"required": "Select a rating, or I don't know"},
    )
    comment = forms.CharField(
        label="A short comment (optional)",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="It appears on the screen only if the facilitator approves it, without "
        "your sector or role. Please do not name people.",
        error_messages={
            "max_length": "Your comment must be %(limit_value)s characters or fewer "
            "(it has %(show_value)s)"
        },
    )

    def __init__(self, *args, precondition: Precondition, system: System, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].label = format_html(
            "How far is “{}” in place in {}?",
            precondition.title,
            format_html('<bdi class="app-user-text" dir="auto">{}</bdi>', system.name),
        )
        cast(forms.ChoiceField, self.fields["answer"]).choices = [
            Choice(
                str(score.value),
                f"{score.value} {score.label}",
                hint=SCORE_ANCHORS[score],
                divider="or" if score == Score.EMBEDDED else None,
            )
            for score in Score
        ] + [Choice(DONT_KNOW, "I don't know")]
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "code",
            Field.radios("answer", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("comment", max_characters=COMMENT_MAX_LENGTH),
        )

    def clean_comment(self) -> str:
        text = self.cleaned_data["comment"].replace("\r\n", "\n")
        return "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32).strip()

    def answer_value(self) -> tuple[int | None, bool]:
        raw = self.cleaned_data["answer"]
        if raw == DONT_KNOW:
            return None, True
        return int(raw), False
