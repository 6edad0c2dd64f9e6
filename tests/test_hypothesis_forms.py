"""Property-based robustness: no input, however hostile, makes a form raise or the server
answer with an error of its own (status 500).

Three layers:

1. Every form class of the project, bound by ``hypothesis.extra.django.from_form`` (with
   the constructor keyword arguments it needs) and with hostile text mixed into every
   field: ``is_valid()`` never raises, and whatever it accepts is sane (no NUL, fits the
   database column, stays within the field's rules).
2. Every POST endpoint (facilitator pages logged in as the facilitator, partner pages
   after following the invitation link, the account pages) through Django's test client:
   generated dictionaries with missing keys, repeated keys, wrong types, NUL, bidi
   controls, 4-byte emoji at the length limits and very long strings; and raw bodies of
   bytes (invalid UTF-8, ``%00``, ``%ED%A0%80`` — an encoded lone surrogate, which a
   Python ``str`` cannot carry through the test client) with a form content type.
   The actions that cannot be undone (erasing personal data, withdrawing answers) happen
   only when ``confirm`` is exactly "yes".
3. Oversized requests: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or with too many
   fields is a friendly 400 page, not a 500; an upload over ``MAX_UPLOAD_SIZE`` is a
   field error. The error pages (400, 403, 404, 500) are GOV.UK pages.

Every request runs inside a savepoint that is rolled back, so each example starts from
the same data. A database wrapper refuses any query parameter holding NUL: PostgreSQL
rejects such strings, so a NUL that reaches the database would be a 500 there even though
SQLite stores it.

Settings: ``database=None`` (nothing written to .hypothesis/) and ``derandomize=True``,
so a run is reproducible. Run with ``--hypothesis-show-statistics`` to see the number of
examples per test.
"""

from __future__ import annotations

import contextlib
import copy
import re
from urllib.parse import quote_from_bytes

import pytest
from django import forms
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_field, from_form

from config.forms import GDSFormMixin, LoginForm, PasswordResetForm, SetPasswordForm
from preconditions.models import Precondition
from surveys.forms import (
    DONT_KNOW,
    BulkInvitationForm,
    DiagnosticForm,
    InvitationForm,
    MembershipForm,
    OrganisationForm,
    OrganisationsBulkForm,
    PlaceForm,
    StepForm,
    SystemForm,
    SystemsBulkForm,
)
from surveys.importing import parse_import_file
from surveys.invitations import invitation_token
from surveys.models import EVIDENCE_MAX_LENGTH, Diagnostic, PendingImport, Rating
from surveys.views.importing import ImportUploadForm

from .factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_response,
    make_system,
    make_user,
)
from .hypothesis_profiles import examples

HEALTH = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.filter_too_much,
]


def fuzz(max_examples: int):
    """The settings of every test here: reproducible, and nothing written to disk."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=HEALTH,
    )


# Under the ci profile (HYPOTHESIS_PROFILE=ci); the dev profile runs a share of them.
FORM_EXAMPLES = examples(150)
ENDPOINT_EXAMPLES = examples(40)
RAW_EXAMPLES = examples(20)


# --- hostile text --------------------------------------------------------------------

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
PIECES = [
    "\x00",
    "\x01",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\r\n",
    "\r",
    "\t",
    "\u2028",
    " ",
    "😀",
    "👩🏽‍💻",
    "\U0010ffff",
    "e\u0301",
    "ﷺ",
    "مرحبا",
    "שלום",
    *BIDI_CONTROLS,
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% debug %}",
    "' OR 1=1 --",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(A1)",
    "%00",
    "%ED%A0%80",
    "\\",
    ";",
    ",",
    '"',
    "dont_know",
    "0",
    "-0",
    "1e9",
    "99999999999999999999",
    "NaN",
    "public",
    "manager",
]
SURROGATES = ["\ud800", "\udfff", "\ud83d"]  # lone halves: not valid in UTF-8
# What no single-line field of a GOV.UK form may accept: controls and line separators
# (written out here, not imported from config.forms).
SINGLE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _repeat(unit: str, length: int) -> str:
    return unit * length


def hostile_text(*, surrogates: bool = True, max_size: int = 300) -> st.SearchStrategy[str]:
    """Text meant to break things. With ``surrogates=False`` it can be encoded as UTF-8
    (the test client must encode its bodies; raw byte bodies cover the rest)."""
    pieces = PIECES + (SURROGATES if surrogates else [])
    alphabet = st.characters() if surrogates else st.characters(exclude_categories=["Cs"])
    return st.one_of(
        st.text(alphabet=alphabet, max_size=max_size),
        st.lists(st.sampled_from(pieces), max_size=8).map("".join),
        # At and around the length limits, in characters that take 1 to 4 bytes.
        st.builds(
            _repeat,
            st.sampled_from(["a", "é", "ب", "😀", "\u202e"]),
            st.sampled_from([199, 200, 201, 254, 255, 1000, 4999, 5000, 5001]),
        ),
        # Very long.
        st.builds(_repeat, st.sampled_from(["x", "😀 "]), st.just(60_000)),
    )


def may_be_hostile(field_strategy: st.SearchStrategy, *, multi: bool = False) -> st.SearchStrategy:
    """A value the field would accept, hostile text, or text of the wrong shape (a form
    bound from a request only ever sees strings, or lists of them for a multiple
    choice)."""
    wrong_shape = st.one_of(
        hostile_text(),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(["", " ", "None", "[]", "{}", "1.5", "true", "0x10", "١٢"]),
    )
    values = [field_strategy, wrong_shape, st.none()]
    if multi:
        values.append(st.lists(wrong_shape, max_size=3))
    return st.one_of(*values)


def _model_field(form: forms.BaseForm, name: str) -> models.Field | None:
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def assert_sane(form: forms.BaseForm) -> None:
    """What a valid form hands on can be stored and shown: no NUL, within length."""
    for name, value in form.cleaned_data.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if not isinstance(item, str):
                continue
            assert "\x00" not in item, f"{name}: NUL accepted"
            field = form.fields.get(name)
            if (
                isinstance(form, GDSFormMixin)
                and isinstance(field, forms.CharField)
                and not isinstance(field.widget, forms.Textarea)
            ):
                assert not SINGLE_LINE_FORBIDDEN.search(item), f"{name}: control accepted"
            limit = getattr(field, "max_length", None)
            if limit is not None:
                assert len(item) <= limit, f"{name}: {len(item)} > {limit}"
            column = _model_field(form, name)
            column_limit = getattr(column, "max_length", None)
            if column_limit:
                assert len(item) <= column_limit, f"{name}: too long for the column"


def check(form: forms.BaseForm, extra=None) -> None:
    valid = form.is_valid()  # must not raise
    event("valid" if valid else "invalid")
    assert isinstance(form.errors, dict)
    if valid:
        assert_sane(form)
        if extra is not None:
            extra(form)


# --- data ----------------------------------------------------------------------------


@pytest.fixture
def world(framework):
    """A facilitator's place with two systems and an organisation, an open diagnostic,
    an invitation to it, and an upload waiting for confirmation."""
    fran = make_user("fran", email="fran@example.org")
    make_user("sam", email="sam@example.org")
    place = make_place("Northbridge", facilitators=[fran])
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    organisation = make_organisation(place, "public", "City Council")
    diagnostic = make_diagnostic(place, framework, systems=systems, min_group_size=3)
    invitation = make_invitation(diagnostic, organisation=organisation)
    pending = PendingImport.objects.create(
        diagnostic=diagnostic,
        uploaded_by=fran,
        filename="responses.csv",
        rows=parse_import_file(
            "responses.csv",
            b"respondent,organisation,sector,role,system,precondition,rating,evidence\n"
            b"P1,City Council,public,manager,Homelessness,A,3,Shared outcomes\n",
        ),
    )
    return {
        "fran": fran,
        "place": place,
        "systems": systems,
        "system": systems[0],
        "organisation": organisation,
        "diagnostic": diagnostic,
        "invitation": invitation,
        "pending": pending,
        "precondition": Precondition.objects.get(framework=framework, code="A"),
    }


# --- 1. every form, bound by from_form -------------------------------------------------


def plausible_text(field: forms.Field) -> st.SearchStrategy[str]:
    """Hostile text a form could well accept: markup, bidi controls, emoji, at the
    length limit; only what no form accepts (NUL) is left out, to reach the form's own
    cleaning and the checks on what it accepts."""
    limit = getattr(field, "max_length", None)
    return hostile_text(surrogates=False).map(lambda s: s.replace("\x00", "")[:limit])


def valid_strategy(field: forms.Field) -> st.SearchStrategy:
    if isinstance(field, forms.ModelChoiceField):
        # Hypothesis infers these only for Django's own classes (looked up by exact type).
        queryset = field.queryset
        pks = [] if queryset is None else [str(pk) for pk in queryset.values_list("pk", flat=True)]
        if isinstance(field, forms.ModelMultipleChoiceField):
            return st.lists(st.sampled_from(pks), min_size=1, unique=True) if pks else st.just([])
        return st.sampled_from(pks) if pks else st.just("")
    try:
        inferred = from_field(field)
    except Exception:  # nothing hypothesis can infer: text will do
        inferred = st.just("")
    if isinstance(field, forms.CharField) and not isinstance(field, forms.EmailField):
        return st.one_of(inferred, plausible_text(field))
    return inferred


def draw_form(data, form_class, form_kwargs=None, *, valid=None, hostile=None, files=None):
    """A bound form from ``from_form``. Each example picks some fields to attack (often
    none or one, so that many examples get past field validation to the form's own
    cleaning); the others get values the field accepts, text ones plausible but hostile.
    ``valid`` and ``hostile`` override the strategies per field; ``files`` gives the
    file fields'."""
    form_kwargs = form_kwargs or {}
    valid, hostile, files = valid or {}, hostile or {}, files or {}
    fields = dict(form_class(**form_kwargs).fields)
    for name, field in list(fields.items()):
        if isinstance(field, forms.MultiValueField):  # sent as name_0, name_1... (a date)
            del fields[name]
            fields.update({f"{name}_{i}": sub for i, sub in enumerate(field.fields)})
    names = sorted(n for n, f in fields.items() if not isinstance(f, forms.FileField))
    attacked = data.draw(st.sets(st.sampled_from(names)), label="attacked") if names else set()
    strategies = {}
    for name in names:
        field = fields[name]
        good = valid[name] if name in valid else valid_strategy(field)
        if name in attacked:
            multi = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
            strategies[name] = (
                hostile[name] if name in hostile else may_be_hostile(good, multi=multi)
            )
        else:
            strategies[name] = good
    strategies.update(files)
    return data.draw(from_form(form_class, form_kwargs=form_kwargs, **strategies), label="form")


def uploads(*, names=None) -> st.SearchStrategy:
    contents = st.one_of(
        st.binary(max_size=2000),
        hostile_text(surrogates=False).map(lambda s: s.encode("utf-8")),
        st.sampled_from(
            [
                b"name,email,organisation,sector,role,systems\n"
                b"Pat,pat@example.org,City Council,public,manager,Homelessness\n",
                b"\xef\xbb\xbfname,email,organisation,sector,role,systems\nP,,\x00Org,public,"
                b"manager,Homelessness\n",
                b"organisation,sector,role,systems\n" + b"x" * 140_000 + b",public,manager,A\n",
                b'organisation,sector,role,systems\n"unclosed,public\n',
                b"PK\x03\x04not really a zip",
                "respondent;organisation;sector;role;system;precondition;rating\n".encode("utf-16"),
            ]
        ),
    )
    names = names or st.one_of(
        st.sampled_from(["a.csv", "A.XLSX", "b.xls", "c.txt", "noext", ".csv", "x" * 300 + ".csv"]),
        hostile_text(surrogates=False, max_size=50).map(lambda s: (s or "f") + ".csv"),
    )
    return st.builds(lambda c, n: SimpleUploadedFile(n, c), contents, names)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_place_form(world, data):
    kwargs = {"instance": world["place"]} if data.draw(st.booleans()) else {}
    form = draw_form(data, PlaceForm, kwargs)

    def extra(form):
        assert form.cleaned_data["name"] == form.cleaned_data["name"].strip()
        assert form.cleaned_data["name"]

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_system_form(world, data):
    kwargs = {"place": world["place"]}
    if data.draw(st.booleans()):
        kwargs["instance"] = world["system"]
    form = draw_form(data, SystemForm, kwargs)

    def extra(form):
        parent = form.cleaned_data.get("parent")
        assert parent is None or parent.place_id == world["place"].pk
        if form.instance.pk:
            assert parent is None or parent.pk != form.instance.pk
        assert form.cleaned_data["name"].strip() == form.cleaned_data["name"]

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_organisation_form(world, data):
    kwargs = {"place": world["place"]}
    if data.draw(st.booleans()):
        kwargs["instance"] = world["organisation"]
    form = draw_form(data, OrganisationForm, kwargs)

    def extra(form):
        assert form.cleaned_data["sector"] in {"public", "private", "voluntary", "citizen"}

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_systems_bulk_form(world, data):
    form = draw_form(data, SystemsBulkForm, {"place": world["place"]})

    def extra(form):
        names = form.cleaned_data["plan"].new
        assert all(n and len(n) <= 200 and n == " ".join(n.split()) for n in names)
        assert len({n.casefold() for n in names}) == len(names)

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_organisations_bulk_form(world, data):
    form = draw_form(data, OrganisationsBulkForm, {"place": world["place"]})

    def extra(form):
        for line in form.cleaned_data["plan"].new:
            assert line.sector in {"public", "private", "voluntary", "citizen"}
            assert line.name and len(line.name) <= 200

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_diagnostic_form(world, data):
    kwargs = {"place": world["place"]}
    if data.draw(st.booleans()):
        kwargs["instance"] = world["diagnostic"]
    # Dates are three inputs (day, month, year); a blank date is three blanks.
    days, months = st.integers(1, 31).map(str), st.integers(1, 12).map(str)
    years = st.integers(1900, 2100).map(str)
    bad_parts = st.sampled_from(["0", "00", "32", "13", "99999", "2026-02-30", "x", " 1"])
    date_parts = {
        f"{name}_{i}": strategy
        for name in ("opens_on", "closes_on")
        for i, strategy in enumerate((days, months, years))
    }
    big_ids = st.lists(
        st.sampled_from(["99999999999999999999", str(2**63), str(-(2**63) - 1), "1e3", " 1"]),
        min_size=1,
        max_size=3,
    )
    form = draw_form(
        data,
        DiagnosticForm,
        kwargs,
        valid={
            **{name: st.one_of(st.just(""), part) for name, part in date_parts.items()},
            "min_group_size": st.integers(3, 50).map(str),
        },
        hostile={
            **{name: may_be_hostile(bad_parts) for name in date_parts},
            "systems": may_be_hostile(big_ids, multi=True),
        },
    )

    def extra(form):
        cleaned = form.cleaned_data
        assert 3 <= cleaned["min_group_size"] <= 50
        assert cleaned["confidentiality"] in {"unattributed", "ratings_only"}
        assert cleaned["attribution"] in {"anonymous", "attributed"}
        assert {s.place_id for s in cleaned["systems"]} <= {world["place"].pk}
        if cleaned["opens_on"] and cleaned["closes_on"]:
            assert cleaned["opens_on"] <= cleaned["closes_on"]

    check(form, extra)


LONG_EMAILS = [
    "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 60 + ".org",  # 258
    "x" * 64 + "@" + ("d" * 60 + ".") * 4 + "org",  # 312
]


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_invitation_form(world, data):
    kwargs = {"diagnostic": world["diagnostic"]}
    emails = st.one_of(
        st.emails(),
        st.sampled_from(
            [*LONG_EMAILS, "pat@exämple.org", "pat@[127.0.0.1]", "pat@example.org\x00"]
        ),
    )
    form = draw_form(
        data,
        InvitationForm,
        kwargs,
        valid={"email": st.one_of(st.just(""), emails)},
        hostile={"systems": may_be_hostile(st.just(["99999999999999999999"]), multi=True)},
    )

    def extra(form):
        cleaned = form.cleaned_data
        assert cleaned["organisation"].place_id == world["place"].pk
        assert cleaned["role"] in {"frontline", "manager", "senior", "board", "service_user"}
        assert set(cleaned["systems"]) <= set(world["systems"])

    check(form, extra)


@pytest.mark.parametrize("email", LONG_EMAILS)
def test_an_email_address_longer_than_its_column_is_refused(world, email):
    form = InvitationForm(
        data={
            "email": email,
            "organisation": world["organisation"].pk,
            "role": "manager",
            "systems": [world["system"].pk],
        },
        diagnostic=world["diagnostic"],
    )
    assert not form.is_valid()
    assert "email" in form.errors


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_bulk_invitation_form(world, data):
    rows = st.one_of(
        hostile_text(),
        st.lists(hostile_text(max_size=40), max_size=6).map(
            lambda cells: "name,email,organisation,sector,role,systems\n" + ",".join(cells)
        ),
    )
    form = draw_form(
        data,
        BulkInvitationForm,
        valid={"rows": rows},
        files={"file": st.one_of(st.none(), uploads())},
    )

    def extra(form):
        for row in form.cleaned_data["parsed_rows"]:
            for key, value in row.items():
                assert isinstance(key, str) and isinstance(value, str)
                assert "\x00" not in value, "NUL in a bulk invitation cell"

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_step_form(world, data):
    precondition = world["precondition"]
    kwargs = {"precondition": precondition, "system": world["system"]}
    evidence = st.one_of(
        plausible_text(StepForm(**kwargs).fields["evidence"]),
        st.just("😀" * EVIDENCE_MAX_LENGTH),
        st.just("\u202e" * EVIDENCE_MAX_LENGTH),
    )
    form = draw_form(
        data,
        StepForm,
        kwargs,
        valid={
            "answer": st.sampled_from(["1", "2", "3", "4", "5", DONT_KNOW, ""]),
            "evidence": evidence,
            "indicators_seen": st.lists(st.integers(0, 20).map(str), max_size=5),
            "version": st.one_of(st.none(), st.integers(0, 2**70).map(str)),
        },
        hostile={
            "answer": may_be_hostile(st.sampled_from(["0", "6", "3.0", " 3", "dont know"])),
            "evidence": may_be_hostile(
                st.sampled_from(["😀" * (EVIDENCE_MAX_LENGTH + 1), "a\x00b"])
            ),
            "indicators_seen": st.lists(
                st.one_of(st.integers(-5, 20).map(str), hostile_text(max_size=5)), max_size=5
            ),
        },
    )

    def extra(form):
        cleaned = form.cleaned_data
        evidence = cleaned["evidence"]
        assert len(evidence) <= EVIDENCE_MAX_LENGTH
        assert all(ch in "\t\n" or ord(ch) >= 32 for ch in evidence)
        score, dont_know = form.answer_value()
        assert score is None or 1 <= score <= 5
        assert not (score is not None and dont_know)
        assert all(0 <= i < len(precondition.indicators) for i in cleaned["indicators_seen"])
        assert cleaned["version"] is None or cleaned["version"] >= 0

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_membership_form(world, data):
    form = draw_form(data, MembershipForm)

    def extra(form):
        assert form.cleaned_data["role"] in {"steering", "facilitator"}

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_import_upload_form(world, data):
    form = draw_form(data, ImportUploadForm, files={"file": st.one_of(st.none(), uploads())})

    def extra(form):
        assert form.cleaned_data["file"].name.lower().endswith((".csv", ".xlsx"))

    check(form, extra)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_login_form(world, rf, data):
    kwargs = {"request": rf.post("/accounts/login/")}
    form = draw_form(
        data,
        LoginForm,
        kwargs,
        valid={
            "username": st.sampled_from(["fran", "FRAN", "sam", "nobody"]),
            "password": st.sampled_from(["correct horse battery staple", "wrong"]),
        },
    )
    with transaction.atomic():  # django-axes records failed attempts
        check(form)
        transaction.set_rollback(True)


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_password_reset_form(world, data):
    check(draw_form(data, PasswordResetForm))


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_set_password_form(world, data):
    check(draw_form(data, SetPasswordForm, {"user": world["fran"]}))


# --- 2. every POST endpoint through the test client ------------------------------------


@contextlib.contextmanager
def no_nul_reaches_the_database():
    """Fail any query with a NUL in a text parameter: PostgreSQL refuses those."""

    def flat(params, many):
        if not params:
            return []
        rows = params if many else [params]
        out = []
        for row in rows:
            out.extend(row.values() if isinstance(row, dict) else row)
        return out

    def wrapper(execute, sql, params, many, context):
        for value in flat(params, many):
            if isinstance(value, str):
                assert "\x00" not in value, f"NUL sent to the database in: {sql[:120]}"
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


@contextlib.contextmanager
def isolated(client):
    """One example: its database changes are rolled back and its cookies restored."""
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic(), no_nul_reaches_the_database():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


def assert_no_server_error(response):
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.status_code


# Valid-looking values per field name, mixed with hostile text by the strategies below.
def field_values(world) -> dict[str, list[str]]:
    systems = [str(s.pk) for s in world["systems"]]
    return {
        "name": ["Pat", "Homelessness", "City Council", "New place"],
        "description": ["", "A description"],
        "parent": ["", *systems, "999999", "-1"],
        "sector": ["public", "private", "voluntary", "citizen", "PUBLIC", ""],
        "title": ["Round two"],
        "systems": [*systems, "0", "999999999999999999999"],
        "opens_on": ["2026-01-01", "", "2026-13-01"],
        "closes_on": ["2026-12-31", "", "2025-01-01"],
        "confidentiality": ["unattributed", "ratings_only", "everyone"],
        "attribution": ["anonymous", "attributed", "everyone"],
        "new_systems": ["", "Health\nhealth", "Homelessness"],
        "names": ["Homelessness\nFamilies", ";;", "Health\tx"],
        **{
            f"{d}_{i}": v
            for d in ("opens_on", "closes_on")
            for i, v in enumerate((["1", "31", "x"], ["2", "13", ""], ["2026", "99999", "26"]))
        },
        "min_group_size": ["3", "5", "2", "51", "-1", "1e3", "99999999999999999999"],
        "add": ["1"],
        "identifier": ["sam", "SAM@example.org", "nobody", "fran"],
        "role": ["steering", "facilitator", "manager", "board", "service_user", ""],
        "remove": ["steering:sam", "facilitator:fran", "facilitator:sam", ":", "x"],
        "confirm": ["yes", "no", ""],
        "email": ["pat@example.org", "", "not an email"],
        "organisation": [str(world["organisation"].pk), "0", "x"],
        "rows": [
            "name,email,organisation,sector,role,systems\n"
            "Pat,pat@example.org,City Council,public,manager,Homelessness\n",
            "organisation,sector,role,systems\n\x00,public,manager,Families",
        ],
        "send": ["yes"],
        "answer": ["1", "3", "5", DONT_KNOW, "", "0", "6"],
        "evidence": ["", "Shared outcomes", "😀" * EVIDENCE_MAX_LENGTH],
        "indicators_seen": ["0", "1", "-1", "99"],
        "version": ["0", "1", "-1", "99999999999999999999"],
        "save_and_exit": [""],
        "save_and_continue": [""],
        "submit": [""],
        "withdraw": [""],
        "username": ["fran", "sam"],
        "password": ["correct horse battery staple", "wrong"],
        "new_password1": ["a much longer passphrase 42"],
        "new_password2": ["a much longer passphrase 42", "different"],
    }


JUNK_KEYS = ["csrfmiddlewaretoken", "is_staff", "is_superuser", "pk", "id", "\u202ekey", "", "a[]"]


DIAGNOSTIC_FIELDS = [
    "title",
    "systems",
    "new_systems",
    "opens_on",
    "closes_on",
    *(f"{d}_{i}" for d in ("opens_on", "closes_on") for i in range(3)),
    "attribution",
    "confidentiality",
    "min_group_size",
]


def endpoints(world) -> dict[str, tuple[str, list[str]]]:
    """name -> (url, the fields its form reads). Partner ones are marked by the prefix."""
    place, diagnostic = world["place"], world["diagnostic"]
    d, p = diagnostic.slug, place.slug
    invitation, system = world["invitation"], world["system"]
    public_id = invitation.public_id
    step_fields = [
        "answer",
        "evidence",
        "indicators_seen",
        "version",
        "save_and_exit",
        "save_and_continue",
    ]
    return {
        "place_create": (reverse("surveys:place_create"), ["name", "description"]),
        "place_edit": (reverse("surveys:place_edit", args=[p]), ["name", "description"]),
        "system_create": (
            reverse("surveys:system_create", args=[p]),
            ["name", "description", "parent"],
        ),
        "system_edit": (
            reverse("surveys:system_edit", args=[p, system.slug]),
            ["name", "description", "parent"],
        ),
        "system_bulk": (reverse("surveys:system_bulk", args=[p]), ["names"]),
        "organisation_bulk": (reverse("surveys:organisation_bulk", args=[p]), ["rows"]),
        "organisation_create": (
            reverse("surveys:organisation_create", args=[p]),
            ["name", "sector"],
        ),
        "organisation_edit": (
            reverse("surveys:organisation_edit", args=[p, world["organisation"].pk]),
            ["name", "sector"],
        ),
        "diagnostic_create": (
            reverse("surveys:diagnostic_create", args=[p]),
            DIAGNOSTIC_FIELDS,
        ),
        "diagnostic_edit": (
            reverse("surveys:diagnostic_edit", args=[d]),
            DIAGNOSTIC_FIELDS,
        ),
        "diagnostic_open": (reverse("surveys:diagnostic_open", args=[d]), []),
        "diagnostic_close": (reverse("surveys:diagnostic_close", args=[d]), []),
        "diagnostic_access": (
            reverse("surveys:diagnostic_access", args=[d]),
            ["add", "identifier", "role", "remove"],
        ),
        "diagnostic_erase": (reverse("surveys:diagnostic_erase", args=[d]), ["confirm"]),
        "invitation_create": (
            reverse("surveys:invitation_create", args=[d]),
            ["name", "email", "organisation", "role", "systems"],
        ),
        "invitation_bulk": (
            reverse("surveys:invitation_bulk", args=[d]),
            ["rows", "pending", "send"],
        ),
        "email_send": (reverse("outbox:send", args=[d]), ["personal_message", "invitation"]),
        "email_remind": (reverse("outbox:remind", args=[d]), ["personal_message", "insist"]),
        "email_schedule": (reverse("outbox:schedule", args=[d]), ["days"]),
        "invitation_renew": (reverse("surveys:invitation_renew", args=[d, public_id]), []),
        "invitation_revoke": (reverse("surveys:invitation_revoke", args=[d, public_id]), []),
        "import_upload": (reverse("surveys:import_upload", args=[d]), []),
        "import_preview": (
            reverse("surveys:import_preview", args=[d, world["pending"].public_id]),
            [],
        ),
        "partner:step": (
            reverse("surveys:partner_step", args=[public_id, system.slug, "A"]),
            step_fields,
        ),
        "partner:autosave": (
            reverse("surveys:partner_autosave", args=[public_id, system.slug, "I"]),
            step_fields,
        ),
        "partner:review": (
            reverse("surveys:partner_review", args=[public_id, system.slug]),
            ["submit", "withdraw"],
        ),
        "partner:withdraw": (reverse("surveys:partner_withdraw", args=[public_id]), ["confirm"]),
        "anonymous:login": (reverse("login"), ["username", "password"]),
        "anonymous:password_reset": (reverse("password_reset"), ["email"]),
        "anonymous:password_reset_confirm": (
            "set-password",  # built in the test: it needs a fresh token
            ["new_password1", "new_password2"],
        ),
        "facilitator:logout": (reverse("logout"), []),
    }


ENDPOINT_NAMES = [
    "place_create",
    "place_edit",
    "system_create",
    "system_edit",
    "organisation_create",
    "organisation_edit",
    "system_bulk",
    "organisation_bulk",
    "diagnostic_create",
    "diagnostic_edit",
    "diagnostic_open",
    "diagnostic_close",
    "diagnostic_access",
    "diagnostic_erase",
    "invitation_create",
    "invitation_bulk",
    "email_send",
    "email_remind",
    "email_schedule",
    "invitation_renew",
    "invitation_revoke",
    "import_upload",
    "import_preview",
    "partner:step",
    "partner:autosave",
    "partner:review",
    "partner:withdraw",
    "anonymous:login",
    "anonymous:password_reset",
    "anonymous:password_reset_confirm",
    "facilitator:logout",
]
FILE_ENDPOINTS = {"import_upload": "file", "invitation_bulk": "file"}


def prepare_client(client, world, name: str) -> str:
    """Log in (or follow the invitation link) as the endpoint needs; returns its URL."""
    url, _fields = endpoints(world)[name]
    if name.startswith("partner:"):
        client.get(f"/i/{invitation_token(world['invitation'])}/")
    elif name == "anonymous:password_reset_confirm":
        fran = world["fran"]
        uid = urlsafe_base64_encode(force_bytes(fran.pk))
        token = default_token_generator.make_token(fran)
        response = client.get(reverse("password_reset_confirm", args=[uid, token]))
        url = response["Location"]  # .../set-password/, with the token in the session
    elif not name.startswith("anonymous:"):
        client.force_login(world["fran"])
    return url


def form_data(world, fields: list[str]) -> st.SearchStrategy[dict]:
    """A POST dictionary: each field missing, once or repeated; valid-looking or hostile;
    plus junk keys."""
    known = field_values(world)

    def value_for(field):
        return st.one_of(
            st.sampled_from(known.get(field, [""])),
            hostile_text(surrogates=False),
        )

    entries = {
        field: st.one_of(st.none(), st.lists(value_for(field), min_size=1, max_size=3))
        for field in fields
    }
    junk = st.dictionaries(
        st.sampled_from(JUNK_KEYS) | hostile_text(surrogates=False, max_size=10),
        st.lists(hostile_text(surrogates=False, max_size=50), min_size=1, max_size=2),
        max_size=3,
    )

    def combine(values, extra):
        data = dict(extra)
        data.update({k: v for k, v in values.items() if v is not None})
        return data

    return st.builds(combine, st.fixed_dictionaries(entries), junk)


def prepared(client, world, name: str) -> str:
    """``prepare_client`` once per test (the client and world are the test's own)."""
    if getattr(client, "fuzz_url", None) is None:
        client.fuzz_url = prepare_client(client, world, name)
    return client.fuzz_url


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@fuzz(ENDPOINT_EXAMPLES)
@given(data=st.data())
def test_no_posted_dictionary_causes_a_server_error(client, world, name, data):
    url = prepared(client, world, name)
    payload = data.draw(form_data(world, endpoints(world)[name][1]), label="data")
    file_field = FILE_ENDPOINTS.get(name)
    if file_field:
        upload = data.draw(st.one_of(st.none(), uploads()), label="upload")
        if upload is not None:
            payload[file_field] = upload
    with isolated(client):
        assert_no_server_error(client.post(url, payload))


# Answers to "are you sure?" that are not "yes", however close, and hostile ones.
NOT_QUITE_YES = ["Yes", "YES", " yes", "yes ", "yes\x00", "y", "true", "1", "on", "no", ""]
CONFIRMED_ACTIONS = {
    "diagnostic_erase": lambda world: (
        Diagnostic.objects.get(pk=world["diagnostic"].pk).personal_data_erased_at is not None
    ),
    "partner:withdraw": lambda world: not world["invitation"].responses.exists(),
}


@pytest.mark.parametrize("name", sorted(CONFIRMED_ACTIONS))
@fuzz(ENDPOINT_EXAMPLES)
@given(data=st.data())
def test_a_destructive_action_happens_only_when_confirm_is_exactly_yes(client, world, name, data):
    """Erasing a round's personal data and withdrawing a partner's answers cannot be
    undone: they happen only when ``confirm`` is "yes" (its last value when repeated, as
    Django reads a form); any other value shows the question again and changes nothing."""
    url = prepared(client, world, name)
    answers = st.one_of(
        st.just("yes"), st.sampled_from(NOT_QUITE_YES), hostile_text(surrogates=False, max_size=20)
    )
    # Half the examples end in "yes" (after another answer, sometimes), half not.
    values = data.draw(st.lists(answers, max_size=2), label="confirm")
    if data.draw(st.booleans(), label="then yes"):
        values = [*values[:1], "yes"]
    payload = {"confirm": values} if values else {}
    confirmed = bool(values) and values[-1] == "yes"
    event("confirmed" if confirmed else "not confirmed")
    with isolated(client):
        make_response(
            world["diagnostic"],
            world["system"],
            {"A": 3},
            organisation=world["organisation"],
            invitation=world["invitation"],
            submitted=False,
        )
        response = client.post(url, payload)

        assert CONFIRMED_ACTIONS[name](world) == confirmed, values
        assert response.status_code == (302 if confirmed else 200)


def raw_bodies(fields: list[str]) -> st.SearchStrategy[bytes]:
    """application/x-www-form-urlencoded bodies built from bytes, not text."""
    raw_values = st.one_of(
        st.binary(max_size=64),
        st.sampled_from(
            [
                b"%00",
                b"%ED%A0%80",  # a lone surrogate, UTF-8 encoded: not valid UTF-8
                b"\xed\xa0\x80",
                b"%FF%FE",
                b"\xff\xfe\x00",
                b"%C0%80",  # overlong NUL
                b"%F0%9F%98%80" * 5000,  # 5000 emoji, percent-encoded
                b"%E2%80%AE%E2%81%A6",  # U+202E U+2066
                b"%",
                b"%G1",
                b"a=b=c",
                b"&&&",
                b"+",
            ]
        ),
    )
    keys = st.one_of(st.sampled_from([f.encode() for f in fields] or [b"x"]), st.binary(max_size=8))
    pair = st.builds(
        lambda k, v, encode: k + b"=" + (quote_from_bytes(v).encode() if encode else v),
        keys,
        raw_values,
        st.booleans(),
    )
    return st.one_of(
        st.lists(pair, max_size=6).map(b"&".join),
        st.binary(max_size=300),
    )


CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "multipart/form-data",  # no boundary
    "multipart/form-data; boundary=xyz",
]


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@fuzz(RAW_EXAMPLES)
@given(data=st.data())
def test_no_raw_body_causes_a_server_error(client, world, name, data):
    url = prepared(client, world, name)
    body = data.draw(raw_bodies(endpoints(world)[name][1]), label="body")
    content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content type")
    with isolated(client):
        response = client.generic("POST", url, body, content_type=content_type)
        assert_no_server_error(response)
        # Whatever was stored is valid text: no NUL, no lone surrogate.
        for evidence in Rating.objects.values_list("evidence", flat=True):
            assert "\x00" not in evidence
            evidence.encode("utf-8")


def test_an_encoded_lone_surrogate_is_stored_as_a_replacement_character(client, world):
    """Django decodes form bodies with errors="replace": %ED%A0%80 never becomes a lone
    surrogate in Python, so it cannot break the database or the page."""
    url = prepare_client(client, world, "partner:autosave")
    body = b"answer=3&version=0&evidence=before%ED%A0%80after\xed\xa0\x80end\xff"
    response = client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    evidence = Rating.objects.get().evidence
    # Percent-encoded bytes are decoded as UTF-8 with replacement; a body with raw bytes
    # that are not UTF-8 is read as Latin-1. Either way: valid text, no surrogate.
    assert evidence.startswith("before\ufffd") and "after" in evidence
    evidence.encode("utf-8")
    with_nul = b"answer=3&version=1&evidence=a%00b"
    refused = client.generic(
        "POST", url, with_nul, content_type="application/x-www-form-urlencoded"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"]["evidence"] == ["Null characters are not allowed."]


def test_evidence_of_5000_emoji_is_saved_and_5001_refused(client, world):
    url = prepare_client(client, world, "partner:autosave")
    saved = client.post(url, {"answer": "3", "version": "0", "evidence": "😀" * 5000})
    assert saved.status_code == 200
    assert Rating.objects.get().evidence == "😀" * 5000
    refused = client.post(url, {"answer": "3", "version": "1", "evidence": "😀" * 5001})
    assert refused.status_code == 400
    assert refused.json()["status"] == "invalid"


@pytest.mark.parametrize(
    "value", ["\x00", "steering:\x00sam", "facilitator:sa\x00m"], ids=["nul", "nul2", "nul3"]
)
def test_removing_a_member_with_nul_in_the_name_is_not_a_server_error(client, world, value):
    client.force_login(world["fran"])
    url = reverse("surveys:diagnostic_access", args=[world["diagnostic"].slug])
    with no_nul_reaches_the_database():
        response = client.post(url, {"remove": value})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "name",
    ["invitation_detail", "invitation_renew", "import_preview"],
)
def test_nul_in_a_public_id_in_the_url_is_a_404(client, world, name):
    client.force_login(world["fran"])
    slug = world["diagnostic"].slug
    url = reverse(f"surveys:{name}", args=[slug, "abc"]).replace("/abc/", "/ab%00c/")
    with no_nul_reaches_the_database():
        method = client.get if name == "invitation_detail" else client.post
        response = method(url)
    assert response.status_code == 404


# --- GET pages with hostile query strings ------------------------------------------------


@fuzz(40)
@given(
    query=st.dictionaries(
        st.sampled_from(["view", "system", "kind", "include_names", "next", "page"]),
        st.lists(hostile_text(surrogates=False, max_size=40), min_size=1, max_size=2),
        max_size=4,
    ),
    page=st.sampled_from(["diagnostic", "export-csv", "export-json", "index", "dashboard"]),
)
def test_no_query_string_causes_a_server_error(client, world, query, page):
    client.force_login(world["fran"])
    d = world["diagnostic"].slug
    url = {
        "diagnostic": reverse("reports:diagnostic", args=[d]),
        "export-csv": reverse("reports:export", args=[d, "csv"]),
        "export-json": reverse("reports:export", args=[d, "json"]),
        "index": reverse("reports:index"),
        "dashboard": reverse("surveys:dashboard"),
    }[page]
    with isolated(client):
        assert_no_server_error(client.get(url, query))


# --- 3. oversized requests and the error pages ------------------------------------------


def assert_friendly_error_page(response, status: int, words: str):
    assert response.status_code == status
    html = response.content.decode()
    assert "govuk-frontend.min.css" in html, "not a GOV.UK page"
    assert 'class="govuk-heading-l"' in html or 'class="govuk-heading-xl"' in html
    assert words in html
    assert "Traceback" not in html


def test_a_body_over_the_memory_limit_is_a_friendly_400(client, world, settings):
    url = prepare_client(client, world, "partner:step")
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(url, {"answer": "3", "version": "0", "evidence": too_big})
    assert_friendly_error_page(response, 400, "too large")
    assert not Rating.objects.exists()


def test_an_autosave_over_the_memory_limit_is_a_400_not_a_500(client, world, settings):
    url = prepare_client(client, world, "partner:autosave")
    body = b"answer=3&version=0&evidence=" + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_too_many_fields_is_a_friendly_400(client, world):
    url = prepare_client(client, world, "partner:step")
    body = "&".join(f"f{i}=1" for i in range(1200)).encode()
    response = client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")
    assert_friendly_error_page(response, 400, "too large")


def test_a_malformed_multipart_body_is_a_400(client, world):
    client.force_login(world["fran"])
    url = reverse("surveys:import_upload", args=[world["diagnostic"].slug])
    body = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
    response = client.generic("POST", url, body, content_type="multipart/form-data; boundary=")
    assert response.status_code == 400


def _big_upload(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"a" * size, content_type="text/csv")


def test_an_import_upload_over_the_limit_is_a_field_error(client, world, settings):
    client.force_login(world["fran"])
    url = reverse("surveys:import_upload", args=[world["diagnostic"].slug])
    upload = _big_upload("big.csv", settings.MAX_UPLOAD_SIZE + 1)
    response = client.post(url, {"file": upload})
    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("The selected file must be smaller than 5.0")
    assert not PendingImport.objects.exclude(pk=world["pending"].pk).exists()


def test_a_bulk_invitation_upload_over_the_limit_is_a_field_error(client, world, settings):
    client.force_login(world["fran"])
    url = reverse("surveys:invitation_bulk", args=[world["diagnostic"].slug])
    response = client.post(url, {"file": _big_upload("big.csv", settings.MAX_UPLOAD_SIZE + 1)})
    assert response.status_code == 200
    assert "smaller than 5 MB" in response.context["form"].errors["file"][0]


@override_settings(MAX_UPLOAD_SIZE=1000)
def test_the_upload_limit_follows_the_setting(client, world):
    client.force_login(world["fran"])
    url = reverse("surveys:import_upload", args=[world["diagnostic"].slug])
    response = client.post(url, {"file": _big_upload("big.csv", 1001)})
    assert "file" in response.context["form"].errors


def test_a_404_is_a_friendly_page(client, world):
    client.force_login(world["fran"])
    response = client.get(reverse("surveys:diagnostic_detail", args=["no-such-diagnostic"]))
    assert_friendly_error_page(response, 404, "Page not found")


def test_a_403_is_a_friendly_page(client, db):
    steering = make_user("steering")
    client.force_login(steering)  # may not create places
    response = client.get(reverse("surveys:place_create"))
    assert_friendly_error_page(response, 403, "do not have permission")


def test_the_500_page_needs_no_request_or_database(db, django_assert_num_queries):
    from django.template import loader

    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "govuk-frontend.min.css" in html
    assert "Sorry, there is a problem with the service" in html


def test_an_unexpected_error_shows_the_500_page(client, world, monkeypatch):
    client.raise_request_exception = False
    client.force_login(world["fran"])

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("surveys.views.facilitator.diagnostic_progress", boom)
    response = client.get(reverse("surveys:diagnostic_detail", args=[world["diagnostic"].slug]))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "boom" not in html


def test_the_bulk_invitation_form_reads_a_huge_csv_field_without_crashing(world):
    text = "organisation,sector,role,systems\n" + "x" * 200_000 + ",public,manager,A\n"
    form = BulkInvitationForm(data={"rows": text})
    assert not form.is_valid()
    assert "rows" in form.errors


def test_the_bulk_invitation_form_drops_control_characters_from_a_file(world):
    upload = SimpleUploadedFile(
        "i.csv",
        b"organisation,sector,role,systems\nCity\x00 Council\x1b,public,manager,Homelessness\n",
    )
    form = BulkInvitationForm(data={}, files={"file": upload})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["parsed_rows"][0]["organisation"] == "City Council"


def test_a_bulk_invitation_email_longer_than_its_column_is_refused(client, world):
    client.force_login(world["fran"])
    url = reverse("surveys:invitation_bulk", args=[world["diagnostic"].slug])
    rows = (
        "organisation,sector,role,systems,email\n"
        f"City Council,public,manager,Homelessness,{LONG_EMAILS[1]}\n"
    )
    response = client.post(url, {"rows": rows})
    assert response.status_code == 200
    assert "longer than 254 characters" in response.content.decode()


def test_a_login_with_a_very_long_username_is_refused_by_the_form(client, world):
    """django-axes logs failed logins with the username in 255 characters: a longer one
    must be refused before it gets there (on PostgreSQL it was a server error)."""
    with no_nul_reaches_the_database():
        response = client.post(reverse("login"), {"username": "a" * 300, "password": "x"})
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
