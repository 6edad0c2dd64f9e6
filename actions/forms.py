"""Forms of the action plan (GOV.UK patterns: error summary, date input)."""

from __future__ import annotations

import datetime

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.utils import timezone

from config.forms import AutoDirSelect, GDSForm, typed_field
from preconditions.models import Precondition
from surveys.models import Diagnostic, Organisation, System

from .models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, FindingKind, Status
from .rules import names_in_text

# Due dates are for a plan of work: not before the round began, not decades away.
MAX_YEARS_AHEAD = 10


class DueDateField(DateInputField):
    """The GOV.UK date input with messages that say what to do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["required"] = "Enter the date the action is due"
        self.error_messages["incomplete"] = "Enter the date the action is due"
        day, month, year = self.fields
        day.error_messages["incomplete"] = "The due date must include a day"
        month.error_messages["incomplete"] = "The due date must include a month"
        year.error_messages["incomplete"] = "The due date must include a year"
        for field in self.fields:
            field.validators[0].message = "The due date must be a real date, in numbers"

    def compress(self, data_list):
        try:
            return super().compress(data_list)
        except forms.ValidationError:
            raise forms.ValidationError(
                "The due date must be a real date", code="invalid"
            ) from None


class ActionForm(GDSForm):
    submit_label = "Save action"

    system = forms.ModelChoiceField(
        label="System", queryset=System.objects.none(), empty_label="Choose", widget=AutoDirSelect
    )
    precondition = forms.ModelChoiceField(
        label="Pre-condition", queryset=Precondition.objects.none(), empty_label="Choose"
    )
    finding = forms.ChoiceField(
        label="Finding that prompted it (optional)",
        choices=[("", "None in particular"), *FindingKind.choices],
        required=False,
    )
    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label="What will be done",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Say what will change, not what anyone said: never quote evidence with a name.",
    )
    lead_organisation = forms.ModelChoiceField(
        label="Lead organisation",
        queryset=Organisation.objects.none(),
        empty_label="Choose",
        widget=AutoDirSelect,
    )
    lead_name = forms.CharField(label="Named lead (optional)", max_length=200, required=False)
    lead_email = forms.EmailField(
        label="Named lead's email address (optional)",
        max_length=254,
        required=False,
        help_text="Needed only for a reminder a week before the action is due.",
    )
    remind_lead = forms.BooleanField(
        label="Email the named lead a week before the action is due", required=False
    )
    due_on = DueDateField(
        label="Due date", help_text="For example, 27 3 2027", require_all_fields=False
    )

    def __init__(self, *args, diagnostic: Diagnostic, submit_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.diagnostic = diagnostic
        self.submit_label = submit_label or self.submit_label
        typed_field(self, "system", forms.ModelChoiceField).queryset = diagnostic.systems.all()
        precondition = typed_field(self, "precondition", forms.ModelChoiceField)
        precondition.queryset = diagnostic.framework.preconditions.all()
        lead = typed_field(self, "lead_organisation", forms.ModelChoiceField)
        lead.queryset = diagnostic.place.organisations.all()
        self.fields["system"].error_messages["required"] = "Choose a system"
        self.fields["precondition"].error_messages["required"] = "Choose a pre-condition"
        self.fields["lead_organisation"].error_messages["required"] = "Choose a lead organisation"
        self.fields["title"].error_messages["required"] = "Enter a title"
        self.fields["description"].error_messages["required"] = "Enter what will be done"
        self.fields["lead_email"].widget.attrs["autocomplete"] = "off"
        self.helper.layout = Layout(
            Field.select("system"),
            Field.select("precondition"),
            Field.select("finding"),
            "title",
            Field.textarea("description", max_characters=TEXT_MAX_LENGTH),
            Field.select("lead_organisation"),
            "lead_name",
            "lead_email",
            Field.checkbox("remind_lead", small=True),
            Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Button("submit", self.submit_label),
        )

    def _refuse_names(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        found = names_in_text(self.diagnostic, value)
        if found:
            raise forms.ValidationError(
                f"Remove the name {found[0]}: an action must not name anyone who answered "
                "(use the named lead field for the person leading it)"
            )
        return value

    def clean_title(self) -> str:
        return self._refuse_names("title")

    def clean_description(self) -> str:
        return self._refuse_names("description")

    def clean_due_on(self) -> datetime.date:
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate(self.diagnostic.created_at):
            raise forms.ValidationError("The due date must be on or after the day the round began")
        if due_on.year > timezone.localdate().year + MAX_YEARS_AHEAD:
            raise forms.ValidationError(
                f"The due date must be within {MAX_YEARS_AHEAD} years from now"
            )
        return due_on

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("remind_lead") and not cleaned.get("lead_email"):
            self.add_error("lead_email", "Enter the named lead's email address for a reminder")
        return cleaned


class StatusForm(GDSForm):
    submit_label = "Save status"

    status = forms.ChoiceField(label="New status", widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What has happened. The note is dated and kept in the action's history.",
    )

    def __init__(self, *args, statuses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Status.choices)
        typed_field(self, "status", forms.ChoiceField).choices = [(s, labels[s]) for s in statuses]
        self.fields["status"].error_messages["required"] = "Select the new status"
        self.fields["note"].error_messages["required"] = "Enter a note about the change"
        self.helper.layout = Layout(
            Field.radios("status", legend_size=Size.SMALL),
            Field.textarea("note", max_characters=NOTE_MAX_LENGTH),
            Button("submit", self.submit_label),
        )


class AcceptForm(GDSForm):
    submit_label = "Accept onto the plan"

    note = forms.CharField(
        label="Note (optional)",
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(GDSForm):
    submit_label = "Save settings"

    steering_may_propose = forms.BooleanField(
        label="Steering members may propose actions", required=False
    )
    steering_may_update_status = forms.BooleanField(
        label="Steering members may update the status of actions (planned, in progress, done)",
        required=False,
    )
    partner_summary = forms.BooleanField(
        label="Publish a summary of the action plan to partners (titles, lead organisations, "
        "due dates and status; never named leads)",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Field.checkbox("steering_may_propose", small=True),
            Field.checkbox("steering_may_update_status", small=True),
            Field.checkbox("partner_summary", small=True),
            Button("submit", self.submit_label),
        )


OVERDUE = "overdue"


class PlanFilterForm(forms.Form):
    """The action plan's filters (GET): never an error, an unknown value is ignored."""

    status = forms.ChoiceField(required=False)
    organisation = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    overdue = forms.BooleanField(required=False)

    def __init__(self, *args, organisations: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        typed_field(self, "status", forms.ChoiceField).choices = [
            ("", "Any status"),
            *Status.choices,
        ]
        typed_field(self, "organisation", forms.ChoiceField).choices = [
            ("", "Any organisation"),
            *organisations,
        ]

    def filters(self) -> dict:
        """The valid filters; a field with an unknown value filters nothing."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status", ""),
            "organisation": data.get("organisation"),
            "overdue": data.get("overdue", False),
        }
