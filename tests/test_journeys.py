"""Pages and clicks for each journey, walked as a person walks it: every link followed
must be on the page before, every form is the page's own. The figures are the ones in
docs/journeys.md; a change that adds a page or a click to a journey fails here and is
written down there.

Counting: a *page* is an HTML page the person sees (a redirect and the page it leads to
are one page); a *click* is one deliberate action: following a link (in the service or in
an e-mail), pressing a button, ticking a box or choosing a radio. Typing is not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from outbox.delivery import deliver_due
from reports.releases import release_publish
from surveys.invitations import invitation_link
from surveys.models import Diagnostic, Invitation

from .factories import make_diagnostic, make_place, make_response, make_system, make_user

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a long and unusual passphrase 42"

# (pages, clicks): the "after" figures of docs/journeys.md.
FACILITATOR_SET_UP_TO_FIRST_INVITATIONS_SENT = (17, 20)
LINKS_FOR_PEOPLE_WITHOUT_EMAIL = (2, 2)  # from the round's page, for any number of people
PARTNER_LINK_TO_SUBMITTED = (12, 21)
STEERING_INVITATION_TO_PDF = (2, 3)
STEERING_SIGN_IN_TO_PDF = (3, 4)


@dataclass
class Walk:
    client: Client
    pages: int = 0
    clicks: int = 0
    html: str = ""
    url: str = ""

    def _see(self, response) -> None:
        assert response.status_code == 200, (self.url, response.status_code)
        self.pages += 1
        self.url = response.request["PATH_INFO"]
        self.html = response.content.decode() if "html" in response["Content-Type"] else ""

    def open(self, url: str) -> None:
        """Follow a link from outside the service (an e-mail, a bookmark, a QR code)."""
        self.clicks += 1
        self._see(self.client.get(url, follow=True))

    def follow(self, href: str) -> None:
        assert f'href="{href}' in self.html, f"no link to {href} on {self.url}"
        self.clicks += 1
        self._see(self.client.get(href, follow=True))

    def tick(self, count: int = 1) -> None:
        self.clicks += count

    def press(self, data: dict, *, action: str | None = None) -> None:
        """Press the page's submit button (with what was typed and ticked)."""
        if action is not None:
            assert f'action="{action}"' in self.html, f"no form to {action} on {self.url}"
        self.clicks += 1
        self._see(self.client.post(action or self.url, data, follow=True))

    def download(self, href: str) -> bytes:
        """A link to a file: a click, and no page."""
        assert f'href="{href}' in self.html, f"no link to {href} on {self.url}"
        self.clicks += 1
        response = self.client.get(href)
        assert response.status_code == 200
        return response.getvalue()  # streamed (the links CSV) or not

    @property
    def figures(self) -> tuple[int, int]:
        return self.pages, self.clicks


def test_facilitator_from_signing_in_to_the_first_invitations_sent(db, framework):
    fran = make_user("fran", email="fran@example.org")
    fran.user_permissions.add(Permission.objects.get(codename="add_place"))
    walk = Walk(Client())
    walk.open(reverse("login"))
    walk.press({"username": "fran", "password": PASSWORD})
    walk.follow(reverse("surveys:place_create"))
    walk.press({"name": "Northbridge", "description": ""})
    place = fran.facilitated_places.get()
    walk.follow(reverse("surveys:system_bulk", args=[place.slug]))
    walk.press({"names": "Homelessness\nFamilies"})
    walk.follow(reverse("surveys:organisation_bulk", args=[place.slug]))
    walk.press({"rows": "Northbridge Council, public\nMarigold Trust, voluntary"})
    walk.follow(reverse("surveys:diagnostic_create", args=[place.slug]))
    walk.tick(2)  # the two systems in scope
    walk.press(
        {
            "title": "Round one",
            "min_group_size": "5",
            "systems": list(place.systems.values_list("pk", flat=True)),
            "attribution": "anonymous",
            "confidentiality": Diagnostic._meta.get_field("confidentiality").default,
        }
    )
    diagnostic = place.diagnostics.get()
    walk.follow(reverse("surveys:invitation_bulk", args=[diagnostic.slug]))
    walk.press(
        {
            "rows": "name,email,organisation,sector,role,systems\n"
            "Ann Lee,ann@example.org,Northbridge Council,public,manager,Homelessness\n"
            "Bo Ray,bo@example.org,Marigold Trust,voluntary,frontline,Families\n"
        }
    )
    pending = re.search(r'name="pending" value="([^"]+)"', walk.html).group(1)
    walk.tick()  # "e-mail their links now"
    walk.press({"pending": pending, "send": "yes"})
    walk.press({})  # the send page: "Queue the e-mails"
    walk.follow(diagnostic.get_absolute_url())
    walk.follow(reverse("surveys:diagnostic_open", args=[diagnostic.slug]))
    walk.press({})
    assert Invitation.objects.filter(diagnostic=diagnostic).count() == 2
    assert deliver_due().sent == 2
    diagnostic.refresh_from_db()
    assert diagnostic.status == "open"
    assert walk.figures == FACILITATOR_SET_UP_TO_FIRST_INVITATIONS_SENT


def test_links_for_people_without_email_from_the_rounds_page(db, framework):
    fran = make_user("fran")
    place = make_place(facilitators=[fran])
    diagnostic = make_diagnostic(place, framework, systems=[make_system(place)])
    from .factories import make_invitation

    invitations = [make_invitation(diagnostic, name=f"P{n}", email="") for n in range(30)]
    client = Client()
    client.force_login(fran)
    walk = Walk(client)
    walk._see(client.get(diagnostic.get_absolute_url()))
    walk.pages = 0
    walk.follow(reverse("surveys:invitation_list", args=[diagnostic.slug]))
    walk.follow(reverse("surveys:invitation_links_sheet", args=[diagnostic.slug]))
    assert all(invitation_link(i) in walk.html for i in invitations)
    assert walk.figures == LINKS_FOR_PEOPLE_WITHOUT_EMAIL


def test_partner_from_their_link_to_submitted(db, framework):
    place = make_place()
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], status="open")
    from .factories import make_invitation

    invitation = make_invitation(diagnostic)
    walk = Walk(Client())
    walk.open(invitation_link(invitation).removeprefix("http://127.0.0.1:8000"))
    start = re.search(r'<a href="([^"]+)" role="button"[^>]*govuk-button--start', walk.html)
    walk.follow(start.group(1))
    for _ in "ABCDEFGHI":
        walk.tick()  # a point on the scale
        walk.press({"answer": "3", "evidence": "", "version": 0, "save_and_continue": ""})
    assert "/review/" in walk.url
    walk.press({"submit": ""})
    assert invitation.responses.get().is_submitted
    assert walk.figures == PARTNER_LINK_TO_SUBMITTED


@pytest.fixture
def released_round(framework):
    fran = make_user("fran", email="fran@example.org")
    place = make_place(facilitators=[fran])
    system = make_system(place)
    diagnostic = make_diagnostic(place, framework, systems=[system], min_group_size=3)
    for _ in range(3):
        make_response(diagnostic, system, dict.fromkeys("ABCDEFGHI", 3))
    diagnostic.status = "closed"
    diagnostic.save()
    release_publish(diagnostic=diagnostic, kind="final", actor=fran)
    return fran, diagnostic


def test_steering_member_from_the_invitation_email_to_the_pdf(released_round):
    fran, diagnostic = released_round
    facilitator = Client()
    facilitator.force_login(fran)
    facilitator.post(
        reverse("outbox:steering_invite", args=[diagnostic.slug]), {"email": "sam@example.org"}
    )
    deliver_due()
    link = re.search(r"http://\S+/accounts/set-password/\S+/", mail.outbox[-1].body).group()
    walk = Walk(Client())
    walk.open(link.removeprefix("http://127.0.0.1:8000"))
    walk.press({"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert walk.download(reverse("reports:pdf", args=[diagnostic.slug])).startswith(b"%PDF")
    assert walk.figures == STEERING_INVITATION_TO_PDF


def test_steering_member_from_signing_in_to_the_pdf(released_round):
    _fran, diagnostic = released_round
    sam = make_user("sam")
    diagnostic.steering_members.add(sam)
    walk = Walk(Client())
    walk.open(reverse("login"))
    walk.press({"username": "sam", "password": PASSWORD})
    walk.follow(reverse("reports:index"))
    assert walk.download(reverse("reports:pdf", args=[diagnostic.slug])).startswith(b"%PDF")
    assert walk.figures == STEERING_SIGN_IN_TO_PDF
