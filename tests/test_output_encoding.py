"""Hostile text in every free-text field is shown as text, everywhere it is shown.

Every free-text field — place name and description, system names and description,
organisation name, diagnostic title, invitation name, a partner's evidence, and the
respondent, organisation, system and evidence cells of imported files (both through the
upload pages and through ``surveys.importing`` directly) — is given a value holding
markup (``<script>``, an ``onerror`` attribute that breaks out of a quoted attribute),
template syntax (``{{ 7*7 }}``, ``{% debug %}``), right-to-left text after an
unterminated RIGHT-TO-LEFT OVERRIDE (U+202E), and an emoji. Each value starts with a
character that spreadsheets treat as a formula (``=``, ``+``, ``-`` or ``@``) and holds a
marker naming its field, so it can be found wherever it ends up. The values go in through
the real pages (facilitator forms, the partner's steps, the import upload).

Then every page that shows them is checked:

- **Escaped**: the raw HTML never holds the markup; no element has an ``on…`` attribute;
  no ``<script>`` runs anything but the app's own files (data islands are
  ``type="application/json"``); the value appears as typed (``{{ 7*7 }}`` not ``49``).
- **Isolated**: every text node holding user text sits directly inside a ``<bdi>`` or an
  element with ``dir="auto"`` (a form input holding it has ``dir="auto"``), so its
  right-to-left override cannot reorder the page around it. The document ``<title>``
  cannot hold markup and is left out.
- **Charts**: every string in the plotly figures (``json_script`` data) that holds user
  text has its ``<`` and ``>`` escaped, as ``reports/charts.py`` promises.
- **SVG and PDF**: ``reports.svg.radar_svg`` parses as XML and holds no script; the HTML
  the PDF is made from passes the same checks as the pages, and the PDF is made.
- **Exports**: in CSV and Excel every text cell that starts with ``=``, ``+``, ``-``,
  ``@`` (or a tab or carriage return) gets a leading apostrophe, and no Excel cell is a
  formula; JSON carries the text unchanged (it is data, not HTML) as
  ``application/json``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Set as AbstractSet
from html.parser import HTMLParser

import pytest
from defusedxml import ElementTree
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from reports.aggregate import diagnostic_summary
from reports.releases import release_publish
from reports.svg import radar_svg
from surveys.importing import import_run
from surveys.invitations import invitation_token
from surveys.models import Diagnostic, Invitation, Organisation, Place, System

from .factories import make_user

CODES = "ABCDEFGHI"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RTL = "\u202eעברית مرحبا"  # an unterminated RIGHT-TO-LEFT OVERRIDE, then Hebrew and Arabic


def hostile(marker: str, lead: str) -> str:
    """A value for one field: its marker, markup, template syntax, RTL text and emoji,
    starting with a spreadsheet formula character. Under 200 characters (names)."""
    return (
        f'{lead}{marker} <script>alert(1)</script> "><img src=x onerror=alert(1)> '
        f"{{{{ 7*7 }}}} {{% debug %}} {RTL} 😀"
    )


VALUES = {
    "PLACEx": hostile("PLACEx", "="),
    "PLACEDESCx": hostile("PLACEDESCx", "+"),
    "SYSAx": hostile("SYSAx", "-"),
    "SYSBx": hostile("SYSBx", "@"),
    "SYSDESCx": hostile("SYSDESCx", "="),
    "ORGx": hostile("ORGx", "@"),
    "DIAGx": hostile("DIAGx", "="),
    "INVITEEx": hostile("INVITEEx", "+"),
    "EVIDENCEx": hostile("EVIDENCEx", "-"),
    "RESPx": hostile("RESPx", "="),
    "IMPORGx": hostile("IMPORGx", "+"),
    "IMPEVIDx": hostile("IMPEVIDx", "@"),
    "IMPSYSx": hostile("IMPSYSx", "-"),
    "IMPRESPx": hostile("IMPRESPx", "+"),
    "BULKORGx": hostile("BULKORGx", "="),
    "BULKNAMEx": hostile("BULKNAMEx", "-"),
}
MARKER = re.compile("|".join(sorted(VALUES, key=len, reverse=True)))


# --- reading HTML ----------------------------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(HTMLParser):
    """Text nodes with the elements around them, and every start tag."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, list[tuple[str, dict]]]] = []
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag not in VOID:
            self.stack.append((tag, attributes))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "script":
            self.scripts.append((self.stack[-1][1], data))
        elif data.strip():
            self.texts.append((data, list(self.stack)))


def isolated(element: tuple[str, dict]) -> bool:
    tag, attributes = element
    return tag == "bdi" or attributes.get("dir") == "auto"


def check_page(html: str, where: str, *, expect: AbstractSet[str] = frozenset()) -> Page:
    """Every check on one page of HTML; ``expect`` names markers that must be on it."""
    lowered = html.lower()
    assert "<script>alert" not in lowered, f"{where}: raw <script> from user text"
    assert "<img src=x" not in lowered, f"{where}: raw <img> from user text"
    assert "onerror=alert(1)>" not in lowered.replace("&gt;", ""), f"{where}: raw attribute"
    page = Page(html)

    for tag, attributes in page.tags:
        handlers = [name for name in attributes if name.startswith("on")]
        assert not handlers, f"{where}: <{tag}> has {handlers}"
        if tag == "script":
            assert attributes.get("src") or attributes.get("type") == "application/json", (
                f"{where}: an inline script {attributes}"
            )
        for name, value in attributes.items():
            if MARKER.search(value) and tag in {"input", "textarea", "select"}:
                visible = attributes.get("type", "text") not in {"hidden"}
                assert not visible or attributes.get("dir") == "auto", (
                    f"{where}: <{tag} {name}> holds user text without dir=auto"
                )

    found: set[str] = set()
    for text, stack in page.texts:
        markers = set(MARKER.findall(text))
        if not markers:
            continue
        found |= markers
        tags = [tag for tag, _ in stack]
        if "title" in tags:
            continue  # the document title cannot hold markup
        nearest = stack[-1]
        if nearest[0] == "option":
            ok = isolated(nearest) or any(
                tag == "select" and isolated((tag, a)) for tag, a in stack
            )
        else:
            ok = isolated(nearest)
        context = " > ".join(
            f"{tag}{'.' + a['class'].split()[0] if a.get('class') else ''}" for tag, a in stack[-4:]
        )
        assert ok, f"{where}: user text not isolated ({context}): {text.strip()[:60]!r}"
        for marker in markers:
            if VALUES[marker] in text:
                continue  # shown in full, as typed
            # Shortened, or quoted (a CSV line): still shown, not evaluated.
            assert "{{ 7*7 }}" in text or "49" not in text, f"{where}: {marker} evaluated"
    missing = set(expect) - found
    assert not missing, f"{where}: expected user text missing: {sorted(missing)}"

    for attributes, data in page.scripts:
        if attributes.get("type") == "application/json":
            check_figure(json.loads(data), where)
    return page


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def check_figure(figure, where: str) -> None:
    """Plotly draws names, labels and hover text as HTML: user text must be escaped."""
    for text in strings(figure):
        if MARKER.search(text):
            assert "<script" not in text and "<img" not in text, f"{where}: chart text {text!r}"
            assert "&lt;script&gt;" in text or "&lt;" in text, f"{where}: not escaped {text!r}"


# --- the data, entered through the pages ------------------------------------------------


def post(client, url, data, *, expect=302):
    response = client.post(url, data)
    assert response.status_code == expect, (url, response.status_code)
    return response


def import_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "respondent",
            "organisation",
            "sector",
            "role",
            "system",
            "precondition",
            "rating",
            "evidence",
        ]
    )
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def world(framework, client):
    """Everything entered through the pages, as a facilitator and a partner would."""
    fran = make_user("fran", email="fran@example.org")
    fran.user_permissions.add(Permission.objects.get(codename="add_place"))
    steering = make_user("sam", email="sam@example.org")
    client.force_login(fran)

    post(
        client,
        reverse("surveys:place_create"),
        {"name": VALUES["PLACEx"], "description": VALUES["PLACEDESCx"]},
    )
    place = Place.objects.get()
    post(
        client,
        reverse("surveys:system_create", args=[place.slug]),
        {"name": VALUES["SYSAx"], "description": VALUES["SYSDESCx"]},
    )
    system_a = place.systems.get()
    post(
        client,
        reverse("surveys:system_create", args=[place.slug]),
        {"name": VALUES["SYSBx"], "parent": system_a.pk},
    )
    system_b = place.systems.exclude(pk=system_a.pk).get()
    post(
        client,
        reverse("surveys:organisation_create", args=[place.slug]),
        {"name": VALUES["ORGx"], "sector": "public"},
    )
    organisation = Organisation.objects.get()
    post(
        client,
        reverse("surveys:diagnostic_create", args=[place.slug]),
        {
            "title": VALUES["DIAGx"],
            "systems": [system_a.pk, system_b.pk],
            # Attributed: every piece of user text (respondent labels too) is shown somewhere.
            "attribution": "attributed",
            "confidentiality": "unattributed",
            "min_group_size": "3",
        },
    )
    diagnostic = Diagnostic.objects.get()
    diagnostic.steering_members.add(steering)
    post(client, reverse("surveys:diagnostic_open", args=[diagnostic.slug]), {})
    post(
        client,
        reverse("surveys:invitation_create", args=[diagnostic.slug]),
        {
            "name": VALUES["INVITEEx"],
            "email": "pat@example.org",
            "organisation": organisation.pk,
            "role": "manager",
            "systems": [system_a.pk, system_b.pk],
        },
    )
    invitation = Invitation.objects.get()

    # The partner answers system A, with hostile evidence for A, and submits.
    partner = Client()
    partner.get(f"/i/{invitation_token(invitation)}/")
    for code in CODES:
        step = reverse("surveys:partner_step", args=[invitation.public_id, system_a.slug, code])
        evidence = VALUES["EVIDENCEx"] if code == "A" else ""
        post(partner, step, {"answer": "3", "evidence": evidence, "version": "0"})
    review = reverse("surveys:partner_review", args=[invitation.public_id, system_a.slug])
    post(partner, review, {"submit": ""})

    # Three respondents imported through the upload page, for both systems.
    rows = []
    for n in range(3):
        respondent = VALUES["RESPx"] if n == 0 else f"R{n}"
        for system in (system_a, system_b):
            for i, code in enumerate(CODES):
                evidence = VALUES["IMPEVIDx"] if code == "A" and n == 0 else ""
                rating = str((n + i) % 5 + 1)
                rows.append(
                    [
                        respondent,
                        VALUES["IMPORGx"],
                        "public",
                        "manager",
                        system.name,
                        code,
                        rating,
                        evidence,
                    ]
                )
    upload = io.BytesIO(import_csv(rows))
    upload.name = "responses.csv"
    response = post(
        client, reverse("surveys:import_upload", args=[diagnostic.slug]), {"file": upload}
    )
    preview_url = response["Location"]
    preview_html = client.get(preview_url).content.decode()
    post(client, preview_url, {})

    # And a new system with three respondents through surveys.importing directly.
    direct = [
        {
            "respondent": VALUES["IMPRESPx"] if n == 0 else f"D{n}",
            "organisation": "City Council",
            "sector": "voluntary",
            "role": "frontline",
            "system": VALUES["IMPSYSx"],
            "precondition": code,
            "rating": "4",
            "evidence": VALUES["IMPEVIDx"] if n == 0 else "",
            "_row": str(n * 9 + i + 2),
        }
        for n in range(3)
        for i, code in enumerate(CODES)
    ]
    plan, result = import_run(
        rows=direct,
        diagnostic=diagnostic,
        actor=fran,
        filename="direct.csv",
        allow_new_systems=True,
    )
    assert result is not None, plan.errors
    system_c = System.objects.get(name=VALUES["IMPSYSx"])

    # A second tab's stale save shows the stored evidence beside the partner's own.
    step_a = reverse("surveys:partner_step", args=[invitation.public_id, system_a.slug, "A"])
    conflict_html = partner.post(
        step_a, {"answer": "2", "evidence": "Mine", "version": "0"}
    ).content.decode()

    # Readers see released figures: release them as they are now.
    release_publish(diagnostic=diagnostic, kind="interim", actor=fran)

    return {
        "client": client,
        "partner": partner,
        "steering": steering,
        "fran": fran,
        "place": place,
        "systems": [system_a, system_b, system_c],
        "organisation": organisation,
        "diagnostic": diagnostic,
        "invitation": invitation,
        "preview_html": preview_html,
        "conflict_html": conflict_html,
    }


def test_the_values_were_stored_as_typed(world):
    assert Place.objects.get().name == VALUES["PLACEx"]
    assert {s.name for s in world["systems"]} == {
        VALUES["SYSAx"],
        VALUES["SYSBx"],
        VALUES["IMPSYSx"],
    }
    assert world["diagnostic"].title == VALUES["DIAGx"]
    assert world["invitation"].name == VALUES["INVITEEx"]
    summary = diagnostic_summary(world["diagnostic"])
    assert [s.suppressed for s in summary.systems] == [False, False, False]


# --- facilitator pages -----------------------------------------------------------------


def facilitator_pages(world) -> dict[str, tuple[str, set[str]]]:
    place, diagnostic = world["place"], world["diagnostic"]
    p, d = place.slug, diagnostic.slug
    a, b, c = world["systems"]
    everything_in_place = {"PLACEx", "SYSAx", "SYSBx", "IMPSYSx", "ORGx", "IMPORGx", "DIAGx"}
    return {
        "dashboard": (reverse("surveys:dashboard"), {"PLACEx", "DIAGx"}),
        "place": (
            reverse("surveys:place_detail", args=[p]),
            everything_in_place | {"SYSDESCx", "PLACEDESCx"},
        ),
        "place edit": (reverse("surveys:place_edit", args=[p]), {"PLACEx"}),
        "system new": (reverse("surveys:system_create", args=[p]), {"PLACEx", "SYSAx"}),
        "system edit": (reverse("surveys:system_edit", args=[p, b.slug]), {"SYSBx", "SYSAx"}),
        "organisation new": (reverse("surveys:organisation_create", args=[p]), {"PLACEx"}),
        "organisation edit": (
            reverse("surveys:organisation_edit", args=[p, world["organisation"].pk]),
            {"ORGx"},
        ),
        "diagnostic new": (reverse("surveys:diagnostic_create", args=[p]), {"SYSAx", "SYSBx"}),
        "diagnostic": (
            reverse("surveys:diagnostic_detail", args=[d]),
            {"DIAGx", "PLACEx", "SYSAx", "ORGx"},
        ),
        "diagnostic edit": (reverse("surveys:diagnostic_edit", args=[d]), {"DIAGx", "SYSAx"}),
        "access": (reverse("surveys:diagnostic_access", args=[d]), {"PLACEx", "DIAGx"}),
        "audit": (reverse("surveys:diagnostic_audit", args=[d]), {"DIAGx"}),
        "erase": (reverse("surveys:diagnostic_erase", args=[d]), {"DIAGx"}),
        "invitations": (
            reverse("surveys:invitation_list", args=[d]),
            {"INVITEEx", "ORGx", "SYSAx"},
        ),
        "invitation new": (reverse("surveys:invitation_create", args=[d]), {"ORGx", "SYSAx"}),
        "invitation": (
            reverse("surveys:invitation_detail", args=[d, world["invitation"].public_id]),
            {"INVITEEx", "ORGx", "SYSAx", "SYSBx"},
        ),
        "bulk": (reverse("surveys:invitation_bulk", args=[d]), {"DIAGx"}),
        "import": (reverse("surveys:import_upload", args=[d]), {"DIAGx", "SYSAx", "PLACEx"}),
        "evidence": (
            reverse("reports:evidence", args=[d]) + f"?system={a.slug}",
            {"SYSAx", "SYSBx", "EVIDENCEx", "IMPEVIDx"},
        ),
        "reports": (reverse("reports:index"), {"DIAGx", "PLACEx"}),
        "report": (
            reverse("reports:diagnostic", args=[d]),
            {"DIAGx", "PLACEx", "SYSAx", "SYSBx", "IMPSYSx", "EVIDENCEx", "IMPEVIDx"},
        ),
        "report sectors": (
            reverse("reports:diagnostic", args=[d]) + f"?view=sectors&system={a.slug}",
            {"SYSAx"},
        ),
        **{
            f"system report {n}": (
                reverse("reports:system", args=[d, system.slug]),
                {"DIAGx", marker},
            )
            for n, (system, marker) in enumerate(
                [(a, "SYSAx"), (b, "SYSBx"), (c, "IMPSYSx")], start=1
            )
        },
    }


PAGE_NAMES = [
    "dashboard",
    "place",
    "place edit",
    "system new",
    "system edit",
    "organisation new",
    "organisation edit",
    "diagnostic new",
    "diagnostic",
    "diagnostic edit",
    "access",
    "audit",
    "erase",
    "invitations",
    "invitation new",
    "invitation",
    "bulk",
    "import",
    "evidence",
    "reports",
    "report",
    "report sectors",
    "system report 1",
    "system report 2",
    "system report 3",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_facilitator_and_report_pages_show_user_text_escaped_and_isolated(world, name):
    url, expect = facilitator_pages(world)[name]
    response = world["client"].get(url)
    assert response.status_code == 200, (name, response.status_code)
    check_page(response.content.decode(), name, expect=expect)


def test_steering_members_see_the_report_escaped(world):
    client = Client()
    client.force_login(world["steering"])
    d = world["diagnostic"].slug
    for url in (
        reverse("reports:diagnostic", args=[d]),
        reverse("reports:system", args=[d, world["systems"][0].slug]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        check_page(response.content.decode(), url, expect={"SYSAx", "EVIDENCEx"})


def test_the_import_preview_is_escaped(world):
    check_page(
        world["preview_html"],
        "import preview",
        expect={"RESPx", "IMPORGx", "SYSAx", "IMPEVIDx", "DIAGx"},
    )


def test_forms_shown_again_with_errors_are_escaped(world):
    client, place = world["client"], world["place"]
    # The same name again is refused, and the page shows it back in the field.
    response = client.post(
        reverse("surveys:system_create", args=[place.slug]),
        {"name": VALUES["SYSAx"], "description": VALUES["SYSDESCx"]},
    )
    assert response.status_code == 200
    check_page(response.content.decode(), "system form with errors", expect={"SYSAx"})


def test_the_login_page_shows_a_hostile_username_back_escaped(world):
    client = Client()
    response = client.post(reverse("login"), {"username": VALUES["ORGx"], "password": "x"})
    assert response.status_code == 200
    check_page(response.content.decode(), "login with errors")
    assert 'value="@ORGx &lt;script&gt;' in response.content.decode()


def test_bulk_invitation_checks_are_escaped(world):
    d = world["diagnostic"].slug
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["name", "email", "organisation", "sector", "role", "systems"])
    writer.writerow(
        [VALUES["BULKNAMEx"], "", VALUES["BULKORGx"], "public", "manager", world["systems"][0].name]
    )
    ok = world["client"].post(
        reverse("surveys:invitation_bulk", args=[d]), {"rows": rows.getvalue()}
    )
    assert ok.status_code == 200
    check_page(ok.content.decode(), "bulk plan", expect={"BULKORGx"})
    writer.writerow(
        [
            VALUES["BULKNAMEx"],
            "",
            VALUES["BULKORGx"],
            VALUES["BULKORGx"],
            "x",
            VALUES["SYSAx"] + "nope",
        ]
    )
    errors = world["client"].post(
        reverse("surveys:invitation_bulk", args=[d]), {"rows": rows.getvalue()}
    )
    assert errors.status_code == 200
    check_page(errors.content.decode(), "bulk errors", expect={"BULKORGx", "SYSAx"})


# --- partner pages ----------------------------------------------------------------------


def test_partner_pages_show_user_text_escaped_and_isolated(world):
    partner, invitation = world["partner"], world["invitation"]
    a, b, _ = world["systems"]
    public_id = invitation.public_id
    pages = {
        "landing": (
            reverse("surveys:partner_landing", args=[public_id]),
            {"DIAGx", "PLACEx", "SYSAx", "SYSBx"},
        ),
        "step": (
            reverse("surveys:partner_step", args=[public_id, a.slug, "A"]),
            {"SYSAx", "EVIDENCEx"},
        ),
        "step B": (reverse("surveys:partner_step", args=[public_id, b.slug, "E"]), {"SYSBx"}),
        "review": (
            reverse("surveys:partner_review", args=[public_id, a.slug]),
            {"SYSAx", "EVIDENCEx"},
        ),
    }
    for name, (url, expect) in pages.items():
        response = partner.get(url)
        assert response.status_code == 200, name
        check_page(response.content.decode(), name, expect=expect)
    withdraw = partner.post(reverse("surveys:partner_withdraw", args=[public_id]))
    check_page(withdraw.content.decode(), "withdraw", expect={"DIAGx"})
    check_page(world["conflict_html"], "conflict", expect={"EVIDENCEx", "SYSAx"})


def test_a_closed_round_shows_the_partner_answers_escaped(world):
    world["client"].post(reverse("surveys:diagnostic_close", args=[world["diagnostic"].slug]))
    a = world["systems"][0]
    url = reverse("surveys:partner_step", args=[world["invitation"].public_id, a.slug, "A"])
    response = world["partner"].get(url)
    check_page(response.content.decode(), "read-only step", expect={"EVIDENCEx", "SYSAx"})


def test_the_partner_step_legend_escapes_the_system_name(world):
    """The scale's legend names the system; crispy-forms renders labels unescaped."""
    a = world["systems"][0]
    url = reverse("surveys:partner_step", args=[world["invitation"].public_id, a.slug, "B"])
    page = Page(world["partner"].get(url).content.decode())
    legends = [text for text, stack in page.texts if any(tag == "legend" for tag, _ in stack)]
    assert any("SYSAx <script>alert(1)</script>" in text for text in legends)


# --- charts, SVG, PDF ---------------------------------------------------------------------


def test_chart_figures_escape_user_text(world):
    response = world["client"].get(reverse("reports:diagnostic", args=[world["diagnostic"].slug]))
    page = Page(response.content.decode())
    figures = [
        json.loads(data)
        for attributes, data in page.scripts
        if attributes.get("type") == "application/json"
    ]
    names = [text for figure in figures for text in strings(figure) if MARKER.search(text)]
    assert names, "the charts name the systems"
    for text in names:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "&amp;lt;" not in text  # escaped once: plotly shows "<", not "&lt;"
        assert "{{ 7*7 }}" in text  # shown as typed, not evaluated


def test_the_svg_radar_is_well_formed_and_escaped(world):
    summary = diagnostic_summary(world["diagnostic"])
    for system in summary.systems:
        svg = radar_svg(system)
        assert "<script" not in svg.lower()
        root = ElementTree.fromstring(svg)
        for element in root.iter():
            assert not element.tag.lower().endswith("script")
            assert not [name for name in element.attrib if name.lower().startswith("on")]
        title = root.find("{http://www.w3.org/2000/svg}title")
        assert title.text == f"Radar chart: {system.name}"


def test_the_pdf_html_is_escaped_and_the_pdf_is_made(world, monkeypatch):
    import weasyprint

    captured = {}
    real_html = weasyprint.HTML

    def spy(**kwargs):
        captured.update(kwargs)
        return real_html(**kwargs)

    monkeypatch.setattr(weasyprint, "HTML", spy)
    response = world["client"].get(reverse("reports:pdf", args=[world["diagnostic"].slug]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    check_page(
        captured["string"],
        "pdf html",
        expect={"DIAGx", "PLACEx", "SYSAx", "SYSBx", "IMPSYSx", "EVIDENCEx"},
    )


# --- exports ------------------------------------------------------------------------------


def export(world, fmt: str, query: str = "", client=None):
    client = client or world["client"]
    url = reverse("reports:export", args=[world["diagnostic"].slug, fmt]) + query
    response = client.get(url)
    assert response.status_code == 200
    return response


def assert_no_formula(value, where: str) -> None:
    if isinstance(value, str):
        assert not value.startswith(FORMULA_PREFIXES), f"{where}: formula {value[:40]!r}"
        if MARKER.search(value):
            assert value.startswith("'") and value[1] in "=+-@", f"{where}: {value[:40]!r}"


def attribute_if_names(world, query: str) -> None:
    """Names are exported only in the attributed mode (from live figures)."""
    if "include_names" in query:
        world["diagnostic"].attribution = Diagnostic.Attribution.ATTRIBUTED
        world["diagnostic"].save()


@pytest.mark.parametrize("query", ["?include_names=1", "", "?kind=summary"])
def test_csv_exports_neutralise_formulas(world, query):
    attribute_if_names(world, query)
    response = export(world, "csv", query)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows[1:] for cell in row]
    marked = [cell for cell in cells if MARKER.search(cell)]
    assert marked, "the export holds the hostile text"
    for cell in cells:
        assert_no_formula(cell, f"csv{query}")
    if query == "?include_names=1":
        for marker in ("SYSAx", "EVIDENCEx", "RESPx", "IMPORGx", "IMPEVIDx", "INVITEEx"):
            assert "'" + VALUES[marker] in cells, marker  # the text itself, only prefixed


@pytest.mark.parametrize("query", ["?include_names=1", "", "?kind=summary"])
def test_excel_exports_neutralise_formulas(world, query):
    attribute_if_names(world, query)
    workbook = load_workbook(io.BytesIO(export(world, "xlsx", query).content))
    marked = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                assert_no_formula(cell.value, f"xlsx{query} {sheet.title}")
                marked += isinstance(cell.value, str) and bool(MARKER.search(cell.value))
    assert marked


def test_the_steering_groups_exports_neutralise_formulas(world):
    client = Client()
    client.force_login(world["steering"])
    text = b"".join(export(world, "csv", client=client).streaming_content).decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert_no_formula(cell, "steering csv")
    workbook = load_workbook(io.BytesIO(export(world, "xlsx", client=client).content))
    assert "Evidence" in workbook.sheetnames
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert_no_formula(cell.value, "steering xlsx")


def test_the_json_export_is_data_not_html(world):
    response = export(world, "json")
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert {s["name"] for s in data["systems"]} == {
        VALUES["SYSAx"],
        VALUES["SYSBx"],
        VALUES["IMPSYSx"],
    }
    text = response.content.decode()
    assert "EVIDENCEx" not in text and "IMPEVIDx" not in text  # never evidence
    assert "RESPx" not in text and "ORGx" not in text  # never names or organisations
    assert "&lt;" not in text  # data, not HTML: not escaped for a page
