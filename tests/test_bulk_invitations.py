"""Bulk invitations: spreadsheet paste and CSV encodings, the row cap, duplicates
reported and not created, addresses relays refuse, and the invite command."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from surveys.bulk_invitations import MAX_ROWS, BulkInputError, parse_rows, plan_from_text
from surveys.forms import BulkInvitationForm, InvitationForm
from surveys.models import Invitation

from .factories import make_diagnostic, make_invitation, make_place, make_system, make_user

HEADER = "name,email,organisation,sector,role,systems\n"


@pytest.fixture
def facilitator(db):
    return make_user("fran")


@pytest.fixture
def diagnostic(framework, facilitator):
    place = make_place("Northbridge", facilitators=[facilitator])
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    return make_diagnostic(place, framework, systems=systems)


def test_a_paste_from_a_spreadsheet_is_tab_separated(diagnostic):
    text = (
        "name\temail\torganisation\tsector\trole\tsystems\n"
        "Ann\tann@example.org\tCouncil, Housing\tpublic\tsenior\tHomelessness; Families\n"
    )
    plan = plan_from_text(diagnostic=diagnostic, text=text)
    assert plan.errors == []
    (row,) = plan.to_create
    assert row.organisation == "Council, Housing"
    assert [s.name for s in row.systems] == ["Homelessness", "Families"]


def test_semicolon_columns_take_commas_between_systems(diagnostic):
    text = (
        "name;email;organisation;sector;role;systems\n"
        "Ann;ann@example.org;Council;public;senior;Homelessness, Families\n"
    )
    (row,) = plan_from_text(diagnostic=diagnostic, text=text).to_create
    assert len(row.systems) == 2


@pytest.mark.parametrize(
    "encoded",
    [
        (HEADER + "Zoë,,Café Bar,private,manager,Families\n").encode("utf-8"),
        b"\xef\xbb\xbf" + (HEADER + "Zoë,,Café Bar,private,manager,Families\n").encode(),
        (HEADER + "Zoë,,Café Bar,private,manager,Families\n").encode("cp1252"),
        (HEADER + "Zoë,,Café Bar,private,manager,Families\n").encode("utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "windows-1252", "utf-16"],
)
def test_uploads_in_the_encodings_of_the_import(diagnostic, encoded):
    form = BulkInvitationForm(data={}, files={"file": SimpleUploadedFile("p.csv", encoded)})
    assert form.is_valid(), form.errors
    (row,) = plan_from_text(diagnostic=diagnostic, text=form.cleaned_data["source_text"]).rows
    assert (row.name, row.organisation) == ("Zoë", "Café Bar")


def test_more_rows_than_the_cap_are_refused_as_a_whole():
    line = "A,,Council,public,manager,Families\n"
    parse_rows(HEADER + line * MAX_ROWS)
    with pytest.raises(BulkInputError, match="more than 5,000 people"):
        parse_rows(HEADER + line * (MAX_ROWS + 1))


def test_the_page_states_the_cap(client, facilitator, diagnostic):
    client.force_login(facilitator)
    page = client.get(reverse("surveys:invitation_bulk", args=[diagnostic.slug]))
    assert "At most 5,000 people in one list" in page.content.decode()


def test_duplicates_in_the_list_and_against_invitations_are_reported_not_created(diagnostic):
    homelessness = diagnostic.systems.get(name="Homelessness")
    make_invitation(diagnostic, email="old@example.org", systems=[homelessness])
    text = HEADER + (
        "Old,OLD@example.org,Council,public,senior,Homelessness\n"
        "Old,old@example.org,Council,public,senior,Families\n"
        "Ann,ann@example.org,Council,public,senior,Families\n"
        "Ann again,ann@example.org,Council,public,senior,Families\n"
    )
    plan = plan_from_text(diagnostic=diagnostic, text=text)
    assert plan.errors == []
    by_line = {row.line: row for row in plan.rows}
    assert by_line[2].is_duplicate and by_line[2].duplicates == ["already invited for Homelessness"]
    assert by_line[3].will_be_created  # a new system for an invited address
    assert by_line[4].will_be_created
    assert by_line[5].duplicates == ["listed for Families on line 4"]
    assert [r.line for r in plan.to_create] == [3, 4]


def test_the_check_page_shows_every_row_with_its_problem_or_duplicate(
    client, facilitator, diagnostic
):
    make_invitation(diagnostic, email="old@example.org")
    client.force_login(facilitator)
    text = HEADER + (
        "Old,old@example.org,Council,public,senior,Homelessness\n"
        "New,new@example.org,Council,public,senior,Families\n"
    )
    content = client.post(
        reverse("surveys:invitation_bulk", args=[diagnostic.slug]), {"rows": text}
    ).content.decode()
    assert "Ready to create 1 invitation" in content
    assert "Duplicate</strong> Not created: already invited for Homelessness" in content
    assert "Will be created" in content and "new@example.org" in content


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("a@localhost", "not an address on the internet"),
        ("a@[127.0.0.1]", "not an address on the internet"),
        ('"ab"@example.org', "quoted name"),
        ('"a@b"@example.org', "quoted name"),
    ],
)
def test_addresses_relays_refuse_are_problems(diagnostic, email, reason):
    quoted = email.replace('"', '""')
    text = HEADER + f'A,"{quoted}",Council,public,senior,Families\n'
    plan = plan_from_text(diagnostic=diagnostic, text=text)
    assert reason in plan.errors[0]
    form = InvitationForm(
        data={
            "email": email,
            "organisation": "",
            "role": "manager",
            "systems": [diagnostic.systems.first().pk],
        },
        diagnostic=diagnostic,
    )
    form.is_valid()
    assert "email" in form.errors


def test_line_breaks_inside_cells_become_spaces(diagnostic):
    text = HEADER + 'A,,"Council\r\nHousing",public,senior,Families\n'
    (row,) = plan_from_text(diagnostic=diagnostic, text=text).rows
    assert row.organisation == "Council Housing"


def test_the_invite_command_is_idempotent(diagnostic, tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "Ann,ann@example.org,Council,public,senior,Families\n")
    call_command("invite", diagnostic.slug, str(path))
    assert "Created 1 invitation(s)" in capsys.readouterr().out
    call_command("invite", diagnostic.slug, str(path))
    out = capsys.readouterr().out
    assert "Created 0 invitation(s); 1 line(s) already invited" in out
    assert Invitation.objects.count() == 1


def test_the_invite_command_stops_at_a_problem(diagnostic, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "Ann,a@localhost,Council,public,senior,Families\n")
    with pytest.raises(CommandError, match="nothing was created"):
        call_command("invite", diagnostic.slug, str(path))
    assert not Invitation.objects.exists()


def test_send_invitations_queues_and_prints_counts(diagnostic, capsys):
    make_invitation(diagnostic, email="a@example.org")
    make_invitation(diagnostic, email="")
    call_command("send_invitations", diagnostic.slug)
    assert "Queued 1 e-mail; skipped 1: 1 because there is no e-mail address" in (
        capsys.readouterr().out
    )
    call_command("send_invitations", diagnostic.slug, "--reminder")
    assert "Nothing was queued" in capsys.readouterr().out
