"""Single-line fields refuse control characters: a CR/LF in a round's title made every
invitation e-mail fail with BadHeaderError. The rule lives in config.forms.GDSFormMixin,
so it holds for every form; tests/test_hypothesis_forms.py checks it over all of them."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.urls import reverse

from config.forms import GDSForm
from surveys.forms import DiagnosticForm
from surveys.models import Place

from .factories import make_place, make_user

MESSAGE = "Enter this on one line, without tabs, line breaks or other control characters"


class _Everything(GDSForm):
    name = forms.CharField()
    password = forms.CharField(widget=forms.PasswordInput)
    hidden = forms.CharField(widget=forms.HiddenInput)
    email = forms.EmailField()
    notes = forms.CharField(widget=forms.Textarea)


@pytest.mark.parametrize(
    "character",
    [
        "\r",
        "\n",
        "\t",
        "\x1b",
        "\x7f",
        "\x85",  # C1 "next line"
        "\u2028",
    ],
)
def test_every_single_line_field_refuses_control_characters(character):
    value = f"Round{character}one"
    form = _Everything(
        data={"name": value, "password": value, "hidden": value, "email": "a@example.org"}
        | {"notes": value}
    )
    assert not form.is_valid()
    assert form.errors["name"] == [MESSAGE]
    assert form.errors["password"] == [MESSAGE]
    assert "hidden" in form.errors
    assert "notes" not in form.errors  # several lines are the point of a textarea


def test_right_to_left_text_and_bidi_controls_are_accepted():
    # Pages isolate user text, so an override reorders nothing around it (see
    # tests/test_output_encoding.py); names in right-to-left scripts need the marks.
    value = "مجلس المدينة\u200f (Council) \u202eעברית"
    form = _Everything(
        data={"name": value, "password": "p", "hidden": "h", "email": "a@example.org"}
        | {"notes": "line one\r\nline two\tindented"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == value


def test_a_round_title_with_a_line_break_is_refused(framework):
    place = make_place("Northbridge")
    form = DiagnosticForm(data={"title": "Round one\r\nBcc: everyone@example.org"}, place=place)
    assert not form.is_valid()
    assert form.errors["title"] == [MESSAGE]


def test_a_crafted_post_shows_the_error_on_a_gov_uk_page_and_creates_nothing(client, db):
    user = make_user("fran")
    user.user_permissions.add(Permission.objects.get(codename="add_place"))
    client.force_login(user)
    response = client.post(reverse("surveys:place_create"), {"name": "North\r\nbridge"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert page.count(MESSAGE) == 2  # in the summary and beside the field
    assert 'href="#id_name"' in page
    assert not Place.objects.exists()
