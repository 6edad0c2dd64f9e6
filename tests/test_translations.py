"""Translation health: the Welsh catalogue is complete and current, the templates that
have been made translatable carry no unmarked text, and the site answers in Welsh to a
browser that asks for it or to the language toggle (docs/i18n.md)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from preconditions.models import Precondition
from preconditions.translation import MESSAGES_MODULE, messages_module_source
from surveys.invitations import invitation_token
from surveys.models import Rating

from .factories import make_diagnostic, make_invitation, make_place, make_system

ROOT = Path(__file__).resolve().parent.parent
WELSH_PO = ROOT / "locale" / "cy" / "LC_MESSAGES" / "django.po"
TEMPLATES = ROOT / "templates"

# Templates whose every word goes through the catalogue. Each template made translatable
# is added here, so it cannot slip back (the others are listed in docs/i18n.md).
MARKED_TEMPLATES = [
    "base.html",
    "home.html",
    "_language_toggle.html",
    "preconditions/list.html",
    "preconditions/detail.html",
    "preconditions/_scenario.html",
    # The error pages (500.html stands alone, rendered with no request: it stays English)
    "400.html",
    "403.html",
    "403_csrf.html",
    "404.html",
    # The partner's journey
    "surveys/partner/base_partner.html",
    "surveys/partner/link_problem.html",
    "surveys/partner/too_many_attempts.html",
    "surveys/partner/landing.html",
    "surveys/partner/_come_back.html",
    "surveys/partner/_answer.html",
    "surveys/partner/_promise.html",
    "surveys/partner/step.html",
    "surveys/partner/review.html",
    "surveys/partner/unavailable.html",
    "surveys/partner/withdraw.html",
    # The partner's e-mails (the plain-text version has the same sentences)
    "outbox/email/invitation.html",
]
# Words that are the same in every language: the service's name, and the toggle's hidden
# text, which is written in the language it offers (the GOV.UK pattern).
NOT_TRANSLATED = {
    "Preconditions",
    "English",
    "Cymraeg",
    "Newid yr iaith i’r Gymraeg",
    "Change the language to English",
}


def _msgfmt() -> str:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed (scripts/system-packages.sh installs it)"
    return msgfmt


def po_messages(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (the header excluded)."""
    entries: dict[str, str] = {}
    current: dict[str, list[str]] = {}
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            key, _, rest = line.partition(" ")
            if key == "msgid" and current.get("msgstr") is not None:
                current = {}
            current[key] = [ast.literal_eval(rest)]
        elif line.startswith('"') and key:
            current[key].append(ast.literal_eval(line))
        elif not line.strip() and "msgstr" in current:
            msgid = "".join(current["msgid"])
            if msgid:
                entries[msgid] = "".join(current["msgstr"])
            current, key = {}, ""
    return entries


def test_the_welsh_catalogue_is_complete():
    result = subprocess.run(
        [_msgfmt(), "--check", "--statistics", "-o", "/dev/null", str(WELSH_PO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr
    assert all(po_messages(WELSH_PO).values())


def test_the_welsh_catalogue_has_every_message_of_the_source_and_no_other(tmp_path, settings):
    """makemessages run afresh finds exactly the catalogue's messages: a string marked in
    the code but missing from the catalogue (or left there after its removal) fails."""
    _msgfmt()
    (tmp_path / "cy" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(WELSH_PO, tmp_path / "cy" / "LC_MESSAGES" / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    call_command(
        "makemessages",
        locale=["cy"],
        ignore_patterns=["frontend/*", "bench/*", "tests/*", "demo/*", "locale/*"],
        no_obsolete=True,
        verbosity=0,
    )
    fresh = po_messages(tmp_path / "cy" / "LC_MESSAGES" / "django.po")
    committed = po_messages(WELSH_PO)
    assert sorted(set(fresh) - set(committed)) == [], "run makemessages (docs/i18n.md)"
    assert sorted(set(committed) - set(fresh)) == [], "obsolete entries: makemessages"


def test_the_framework_messages_module_is_generated_from_the_fixture():
    assert MESSAGES_MODULE.read_text(encoding="utf-8") == messages_module_source(), (
        "run manage.py framework_messages"
    )


def unmarked_text(source: str) -> list[str]:
    """Text a person would read in a template that does not go through the catalogue."""
    text = re.sub(r"{%\s*blocktranslate.*?endblocktranslate\s*%}", " ", source, flags=re.S)
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", text, flags=re.S)
    readable = re.findall(r'\b(?:aria-label|alt|title|placeholder)="([^"]*)"', text)
    readable += re.split(r"\s*<[^>]*>\s*|\n", text)
    words = (text.strip(" \t–—-·|:") for text in readable)
    return [w for w in words if re.search(r"[^\W\d_]{2,}", w) and w not in NOT_TRANSLATED]


def test_the_unmarked_text_check_finds_text_and_readable_attributes():
    source = (
        '{% load i18n %}<p>{% translate "Fine" %}</p><p>Not marked</p>'
        '<nav aria-label="Menu"></nav><a href="{{ url }}">{{ name }}</a>'
        "{% blocktranslate %}Also fine {{ x }}{% endblocktranslate %}"
    )
    assert unmarked_text(source) == ["Menu", "Not marked"]


@pytest.mark.parametrize("name", MARKED_TEMPLATES)
def test_translatable_templates_mark_every_word(name):
    assert unmarked_text((TEMPLATES / name).read_text(encoding="utf-8")) == []


WELSH_PAGES = ["/", "/preconditions/", "/preconditions/A/"]


@pytest.mark.parametrize("path", WELSH_PAGES)
def test_a_browser_asking_for_welsh_gets_welsh(client, framework, path):
    english = client.get(path).content.decode()
    welsh = client.get(path, HTTP_ACCEPT_LANGUAGE="cy").content.decode()
    assert 'lang="en-GB"' in english.split(">", 2)[1]
    assert '<html lang="cy"' in welsh
    with translation.override("cy"):
        menu = translation.gettext("The nine pre-conditions")
    assert menu != "The nine pre-conditions" and menu in welsh
    assert "The nine pre-conditions" not in welsh


def test_the_framework_itself_reads_in_welsh(client, framework):
    precondition = Precondition.objects.get(framework=framework, code="A")
    page = client.get("/preconditions/A/", HTTP_ACCEPT_LANGUAGE="cy").content.decode()
    with translation.override("cy"):
        fields = {
            name: translation.gettext(getattr(precondition, name))
            for name in ("title", "summary", "scenario_situation")
        }
        indicator = translation.gettext(precondition.indicators[0])
    for name, welsh in fields.items():
        assert welsh != getattr(precondition, name), f"{name} has no Welsh"
    assert escape(fields["title"]) in page and escape(indicator) in page
    assert escape(fields["summary"]) in page
    assert escape(precondition.title) not in page and escape(precondition.summary) not in page


def test_the_toggle_remembers_the_language_and_returns_to_the_page(client, framework):
    response = client.get("/language/cy/", {"next": "/preconditions/B/"})
    assert response.status_code == 302 and response["Location"] == "/preconditions/B/"
    assert response.cookies["django_language"].value == "cy"
    assert '<html lang="cy"' in client.get("/preconditions/").content.decode()
    # The cookie wins over the browser's own preference, and the toggle goes back.
    assert '<html lang="cy"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.get("/language/en-gb/", {"next": "/"})
    assert 'lang="en-GB"' in client.get("/", HTTP_ACCEPT_LANGUAGE="cy").content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_toggle_never_sends_anyone_off_site(client, target):
    response = client.get("/language/cy/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_toggle_refuses_a_language_we_do_not_offer(client):
    assert client.get("/language/fr/", {"next": "/"}).status_code == 404


def test_every_page_offers_the_other_language_named_in_itself(client, framework):
    english = Client().get("/preconditions/").content.decode()
    assert 'hreflang="cy" lang="cy"' in english and ">Cymraeg</a>" in english
    welsh = Client(HTTP_ACCEPT_LANGUAGE="cy").get("/preconditions/").content.decode()
    assert ">English</a>" in welsh and '<span aria-current="true" lang="cy">Cymraeg' in welsh


def test_the_page_not_found_speaks_the_visitors_language(client, db):
    welsh = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="cy")
    assert welsh.status_code == 404
    page = welsh.content.decode()
    with translation.override("cy"):
        heading = translation.gettext("Page not found")
    assert heading != "Page not found" and f">{heading}</h1>" in page
    assert "Page not found" not in page


def test_a_partner_whose_link_does_not_work_reads_why_in_their_language(client, db):
    response = client.get(
        reverse("surveys:invitation_start", args=["not-a-token"]), HTTP_ACCEPT_LANGUAGE="cy"
    )
    assert response.status_code == 404
    page = response.content.decode()
    with translation.override("cy"):
        heading = translation.gettext("This link does not work")
    assert heading != "This link does not work" and f">{heading}</h1>" in page
    assert "This link does not work" not in page


class _ReadableText(HTMLParser):
    """The text a person reads on a page (``main`` only, and not the people's own words:
    ``app-user-text``, or what they typed in a text box), one string per text node."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[bool, bool]] = []  # (inside main, inside user text)
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.VOID:
            return
        main, user = self.stack[-1] if self.stack else (False, False)
        classes = (dict(attrs).get("class") or "").split()
        own_words = "app-user-text" in classes or tag == "textarea"  # what they typed
        self.stack.append((main or tag == "main", user or own_words))

    def handle_endtag(self, tag) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data) -> None:
        main, user = self.stack[-1] if self.stack else (False, False)
        text = " ".join(data.split())
        if main and not user and re.search(r"[A-Za-z]{3}", text):
            self.texts.append(text)


def readable_text(page: str) -> list[str]:
    parser = _ReadableText()
    parser.feed(page)
    return parser.texts


def test_a_partner_reads_their_whole_journey_in_welsh(framework):
    """Every page of the journey (landing, a step with its errors, the review with what is
    missing, the thanks), drawn in English and in Welsh: no text of the English page is
    left on the Welsh one, the framework's words, the scale and the promise included."""
    place = make_place("Northbridge")
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], status="open")
    invitation = make_invitation(diagnostic)
    step = reverse("surveys:partner_step", args=[invitation.public_id, system.slug, "A"])
    review = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])

    def pages(language: str) -> dict[str, str]:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.get(f"/i/{invitation_token(invitation)}/")
        drawn = {
            "landing": client.get(reverse("surveys:partner_landing", args=[invitation.public_id])),
            "step": client.get(step),
            "step, no answer": client.post(step, {"answer": "", "save_and_continue": ""}),
            "step, evidence too long": client.post(step, {"answer": "3", "evidence": "x" * 6000}),
            "review, answers missing": client.post(review, {"submit": ""}),
            "withdraw": client.post(
                reverse("surveys:partner_withdraw", args=[invitation.public_id])
            ),
        }
        Rating.objects.all().delete()  # the next language starts from the same state
        return {name: response.content.decode() for name, response in drawn.items()}

    english, welsh = pages("en"), pages("cy")
    for name, page in welsh.items():
        assert '<html lang="cy"' in page, name
        left = [t for t in readable_text(page) if t in set(readable_text(english[name]))]
        left = [t for t in left if t not in NOT_TRANSLATED and not re.fullmatch(r"[A-I]\.?", t)]
        assert left == [], f"{name}: English left on the Welsh page: {left}"
    assert "Absennol" in welsh["step"]  # the scale, from the model's choices


def test_a_partners_language_is_remembered_on_their_invitation(framework):
    place = make_place("Northbridge")
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], status="open")
    invitation = make_invitation(diagnostic)
    assert invitation.language == "en-gb"

    welsh_browser = Client(HTTP_ACCEPT_LANGUAGE="cy")
    welsh_browser.get(f"/i/{invitation_token(invitation)}/", follow=True)
    invitation.refresh_from_db()
    assert invitation.language == "cy"

    # The toggle, later, on the same browser: its choice wins over the browser's.
    landing = reverse("surveys:partner_landing", args=[invitation.public_id])
    welsh_browser.get(f"/language/en-gb/?next={landing}", follow=True)
    invitation.refresh_from_db()
    assert invitation.language == "en-gb"


@pytest.mark.parametrize("kind", ["invitation", "reminder"])
def test_the_partners_emails_are_written_in_their_language(framework, kind):
    from outbox.messages import compose
    from surveys.confidentiality import partner_promise

    place = make_place("Northbridge")
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], status="open")
    invitation = make_invitation(diagnostic, name="Pat")
    invitation.language = "cy"

    with translation.override("en-gb"):  # whoever queues it reads English
        email = compose(kind=kind, invitation=invitation, reply_to="fran@example.org")
        english = compose(
            kind=kind,
            invitation=make_invitation(diagnostic, email="sam@example.org"),
            reply_to="fran@example.org",
        )
    with translation.override("cy"):
        promise = partner_promise(diagnostic)
    word = "Nodyn atgoffa" if kind == "reminder" else "Gwahoddiad"
    assert email.subject == f"{word}: {diagnostic.title}"
    assert email.text.startswith("Annwyl Pat,")
    assert '<html lang="cy">' in email.html
    assert all(sentence in email.text for sentence in promise)
    # No line of the English e-mail is left in the Welsh one, but the names and the link.
    english_lines = {line for line in english.text.splitlines() if len(line.split()) > 3}
    assert not [line for line in email.text.splitlines() if line in english_lines]


def test_a_facilitator_chooses_the_language_of_a_new_partners_emails(framework, client):
    from outbox.messages import compose
    from surveys.models import Invitation, Organisation

    from .factories import make_user

    place = make_place("Northbridge")
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], status="open")
    facilitator = make_user()
    place.facilitators.add(facilitator)
    organisation = Organisation.objects.create(place=place, name="Shelter", sector="voluntary")
    client.force_login(facilitator)
    url = reverse("surveys:invitation_create", args=[diagnostic.slug])
    form = client.get(url).content.decode()
    assert re.search(r'<input[^>]*name="language"[^>]*value="cy"', form), form
    data = {"organisation": organisation.pk, "role": "frontline", "systems": [system.pk]}

    client.post(url, {**data, "email": "cymraeg@example.org", "language": "cy"})
    client.post(url, {**data, "email": "english@example.org"})  # not given: English
    assert client.post(url, {**data, "language": "fr"}).status_code == 200  # refused

    welsh = Invitation.objects.select_related("diagnostic__place").get(email="cymraeg@example.org")
    assert welsh.language == "cy"
    assert Invitation.objects.get(email="english@example.org").language == "en-gb"
    assert Invitation.objects.count() == 2
    assert compose(kind="invitation", invitation=welsh).subject.startswith("Gwahoddiad: ")
