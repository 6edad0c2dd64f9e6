"""Form conventions shared by every app: GOV.UK patterns via crispy-forms-gds."""

from __future__ import annotations

import re

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Layout, Size
from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError

_SURROGATES = re.compile("[\ud800-\udfff]")


def prohibit_surrogates(value) -> None:
    """Lone surrogate code points cannot be encoded (UTF-8, the database): refuse them,
    as Django refuses NUL. Form bodies cannot carry them (Django decodes with
    replacement), but forms are also bound from other sources."""
    if isinstance(value, str) and _SURROGATES.search(value):
        raise ValidationError("Enter text without invalid characters", code="surrogates")


class GDSFormMixin:
    """No `required` attribute (the browser's own bubble would pre-empt the GOV.UK error
    summary), `novalidate` on the form, and a crispy helper that renders a submit button."""

    use_required_attribute = False
    submit_label = "Continue"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(*self.fields, Button("submit", self.submit_label))
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(prohibit_surrogates)
            if isinstance(field.widget, forms.Textarea | forms.TextInput | forms.EmailInput):
                field.widget.attrs.setdefault("dir", "auto")

    def set_label_size(self, size: str = Size.MEDIUM) -> None:
        self.helper.label_size = size


class GDSForm(GDSFormMixin, forms.Form):
    pass


class GDSModelForm(GDSFormMixin, forms.ModelForm):
    pass


class LoginForm(GDSFormMixin, auth_forms.AuthenticationForm):
    submit_label = "Sign in"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_tag = False
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class PasswordResetForm(GDSFormMixin, auth_forms.PasswordResetForm):
    submit_label = "Send me a reset link"


class SetPasswordForm(GDSFormMixin, auth_forms.SetPasswordForm):
    submit_label = "Change password"


class PasswordChangeForm(GDSFormMixin, auth_forms.PasswordChangeForm):
    submit_label = "Change password"
