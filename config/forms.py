"""Form conventions shared by every app: GOV.UK patterns via crispy-forms-gds."""

from __future__ import annotations

import re
from typing import TypeVar

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Layout, Size
from django import forms
from django.contrib.auth import forms as auth_forms
from django.core import validators
from django.core.exceptions import ValidationError

_SURROGATES = re.compile("[\ud800-\udfff]")


def prohibit_surrogates(value) -> None:
    """Lone surrogate code points cannot be encoded (UTF-8, the database): refuse them,
    as Django refuses NUL. Form bodies cannot carry them (Django decodes with
    replacement), but forms are also bound from other sources."""
    if isinstance(value, str) and _SURROGATES.search(value):
        raise ValidationError("Enter text without invalid characters", code="surrogates")


# What has no place in one line of text (a name, a title, an address): C0 controls (tab,
# line feed, carriage return...), DEL, C1 controls and the Unicode line and paragraph
# separators. A CR/LF in a round's title made every invitation e-mail fail
# (BadHeaderError). NUL is left to Django's own validator of every CharField, so it is
# not reported twice. Bidi controls are not refused: right-to-left names need the marks,
# and every page shows user text isolated (<bdi>, dir="auto"), so an override cannot
# reorder anything around it (tests/test_output_encoding.py).
_SINGLE_LINE_FORBIDDEN = re.compile("[\x01-\x1f\x7f-\x9f\u2028\u2029]")


def prohibit_control_characters(value) -> None:
    if isinstance(value, str) and _SINGLE_LINE_FORBIDDEN.search(value):
        raise ValidationError(
            "Enter this on one line, without tabs, line breaks or other control characters",
            code="control_characters",
        )


_FieldT = TypeVar("_FieldT", bound=forms.Field)


def typed_field(form: forms.BaseForm, name: str, kind: type[_FieldT]) -> _FieldT:
    """``form.fields[name]`` as the class of field it is, to set its ``queryset`` or
    ``choices`` (``fields`` holds plain ``Field`` for the type checker). Checked, not
    cast: on a field of another class, setting them would silently do nothing."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name!r} is a {type(field).__name__}, not a {kind.__name__}")
    return field


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing ids beyond 64 bits before they reach the database: SQLite cannot
    bind them, and Django guards ``pk=`` lookups against that but not ``pk__in=``, so
    ``systems=99999999999999999999`` was a server error instead of "not a valid choice"."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django's own checks refuse it
            if not -(2**63) <= number < 2**63:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class AutoDirSelect(forms.Select):
    """A select whose options are user text (names of systems, organisations): each
    option gets dir="auto", so right-to-left text in one cannot reorder the others."""

    def __init__(self, attrs=None, choices=()):
        # crispy-forms-gds names a widget's CSS class after its Python class
        # ("autodirselect"): keep GOV.UK's, which fits the select to narrow screens.
        super().__init__({"class": "govuk-select", **(attrs or {})}, choices)

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["dir"] = "auto"
        return option


class GDSFormMixin:
    """No `required` attribute (the browser's own bubble would pre-empt the GOV.UK error
    summary), `novalidate` on the form, and a crispy helper that renders a submit button.
    Every text field refuses lone surrogates, and every single-line one (any widget but a
    textarea) control characters."""

    use_required_attribute = False
    submit_label = "Continue"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(*self.fields, Button("submit", self.submit_label))
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and prohibit_surrogates not in field.validators:
                field.validators.append(prohibit_surrogates)
                if not isinstance(field.widget, forms.Textarea):
                    field.validators.append(prohibit_control_characters)
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
        # Django sets max_length after the field is made, so it is not checked: a longer
        # name would reach django-axes, whose log of failed logins holds 255 characters
        # (a server error on PostgreSQL).
        username = self.fields["username"]
        username.validators.append(validators.MaxLengthValidator(username.max_length))
        username.widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class PasswordResetForm(GDSFormMixin, auth_forms.PasswordResetForm):
    submit_label = "Send me a reset link"


class SetPasswordForm(GDSFormMixin, auth_forms.SetPasswordForm):
    submit_label = "Change password"


class SteeringSetPasswordForm(SetPasswordForm):
    """A steering member invited by e-mail sets their first password (the validators in
    AUTH_PASSWORD_VALIDATORS apply, as to every password)."""

    submit_label = "Set password"


class PasswordChangeForm(GDSFormMixin, auth_forms.PasswordChangeForm):
    submit_label = "Change password"
