"""``typed_field``: a form's field as the class it is, checked (config/forms.py)."""

from __future__ import annotations

import pytest
from django import forms

from config.forms import typed_field


class _Form(forms.Form):
    colour = forms.ChoiceField(choices=[("red", "Red")])
    name = forms.CharField()


def test_it_gives_the_forms_own_field_so_setting_choices_takes_effect():
    form = _Form(data={"colour": "blue", "name": "x"})
    typed_field(form, "colour", forms.ChoiceField).choices = [("blue", "Blue")]
    assert form.is_valid(), form.errors
    assert form.cleaned_data["colour"] == "blue"


def test_a_field_of_another_class_is_refused():
    with pytest.raises(TypeError, match="'name' is a CharField, not a ChoiceField"):
        typed_field(_Form(), "name", forms.ChoiceField)
