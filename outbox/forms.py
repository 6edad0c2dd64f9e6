"""Forms of the e-mail pages: they validate and normalise; queuing is outbox.queueing."""

from __future__ import annotations

import re

from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from config.forms import GDSForm

from .messages import _HEADER_UNSAFE


def _clean_message(value: str) -> str:
    # Line breaks are the message's own; other control characters have no place in it.
    return _HEADER_UNSAFE.sub(lambda m: "\n" if "\n" in m.group() else " ", value).strip()


class SendForm(GDSForm):
    submit_label = "Queue the e-mails"

    personal_message = forms.CharField(
        label="Personal message (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Added to every e-mail above the link, as you write it.",
    )

    def __init__(self, *args, submit_label: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if submit_label:
            self.submit_label = submit_label
        self.helper.form_tag = False  # the page's form also carries the invitation
        self.helper.layout = Layout("personal_message", Button("submit", self.submit_label))

    def clean_personal_message(self) -> str:
        return _clean_message(self.cleaned_data["personal_message"])


class RemindForm(SendForm):
    submit_label = "Queue the reminders"

    insist = forms.BooleanField(
        label="Remind them too, although they were reminded in the last 24 hours",
        required=False,
    )

    def __init__(self, *args, recent: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        fields = ["personal_message"]
        if recent:
            fields.append(Field.checkbox("insist", small=True))
        else:
            del self.fields["insist"]
        self.helper.layout = Layout(*fields, Button("submit", self.submit_label))


class ScheduleForm(GDSForm):
    submit_label = "Save the schedule"

    days = forms.CharField(
        label="Days before the closing date",
        required=False,
        max_length=50,
        help_text="For example 7, 2. Leave empty for no scheduled reminders.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Field.text("days", field_width=10), Button("submit", self.submit_label)
        )
        self.set_label_size(Size.SMALL)

    def clean_days(self) -> list[int]:
        text = self.cleaned_data["days"].strip()
        if not text:
            return []
        parts = [p for p in re.split(r"[\s,;]+", text) if p]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Enter whole numbers of days, for example 7, 2")
        days = sorted({int(p) for p in parts}, reverse=True)
        if any(d < 1 or d > 90 for d in days):
            raise forms.ValidationError("Each number of days must be between 1 and 90")
        if len(days) > 5:
            raise forms.ValidationError("Enter at most 5 reminders")
        return days


class SteeringInviteForm(GDSForm):
    submit_label = "Send the invitation"

    email = forms.EmailField(
        label="Their e-mail address",
        max_length=254,
        help_text="They get an e-mail with a link to set a password, then read this "
        "diagnostic's reports.",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
