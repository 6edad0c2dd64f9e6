"""The outbox: queuing is idempotent and says what it skipped; delivery marks what the
relay accepted; messages carry the round's promise and are safe in their headers.

Delivery here goes to Django's in-memory mail backend; tests/test_outbox_smtp.py runs
the real worker against a real SMTP server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from outbox.delivery import deliver_due
from outbox.messages import header_safe
from outbox.models import EmailBatch, Kind, OutboxEmail, ReminderSchedule, Status
from outbox.queueing import batch_progress, emails_queue, scheduled_reminders_queue
from surveys.confidentiality import partner_promise
from surveys.invitations import invitation_renew_link, invitation_revoke, invitation_token
from surveys.models import Invitation

from .factories import (
    make_diagnostic,
    make_invitation,
    make_place,
    make_response,
    make_system,
    make_user,
)


@pytest.fixture
def facilitator(db):
    return make_user("fran", email="fran@example.org")


@pytest.fixture
def diagnostic(framework, facilitator):
    place = make_place("Northbridge", facilitators=[facilitator])
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    return make_diagnostic(place, framework, systems=systems, closes_on=date(2027, 3, 31))


def _queue(diagnostic, kind=Kind.INVITATION, **kwargs):
    return emails_queue(diagnostic=diagnostic, kind=kind, actor=None, **kwargs)


def test_queuing_twice_queues_each_link_once(diagnostic):
    make_invitation(diagnostic, email="a@example.org")
    make_invitation(diagnostic, email="b@example.org")
    first = _queue(diagnostic)
    second = _queue(diagnostic)
    assert first.queued == 2
    assert second.queued == 0
    assert second.skipped == {"waiting": 2}
    assert OutboxEmail.objects.count() == 2
    assert set(Invitation.objects.values_list("email_status", flat=True)) == {"queued"}


def test_queuing_says_who_was_skipped_and_why(diagnostic):
    make_invitation(diagnostic, email="a@example.org")
    make_invitation(diagnostic, email="")
    invitation_revoke(invitation=make_invitation(diagnostic, email="r@example.org"), actor=None)
    result = _queue(diagnostic)
    assert result.queued == 1
    assert result.skipped == {"no_email": 1, "revoked": 1}
    assert "skipped 2" in result.summary() and "no e-mail address" in result.summary()


def test_a_new_link_may_be_emailed_again(diagnostic):
    invitation = make_invitation(diagnostic, email="a@example.org")
    _queue(diagnostic)
    deliver_due()
    assert _queue(diagnostic).skipped == {"already_sent": 1}
    invitation_renew_link(invitation=invitation, actor=None)
    assert _queue(diagnostic).queued == 1
    deliver_due()
    assert len(mail.outbox) == 2
    assert invitation_token(invitation) in mail.outbox[1].body


def test_delivery_marks_sent_and_the_message_keeps_its_promise(diagnostic, facilitator):
    invitation = make_invitation(diagnostic, email="a@example.org", name="Ann")
    _queue(diagnostic, personal_message="See you at the workshop.", reply_to=facilitator.email)
    report = deliver_due()
    assert report.sent == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.org"]
    assert message.reply_to == ["fran@example.org"]
    assert invitation_token(invitation) in message.body
    assert "See you at the workshop." in message.body
    for sentence in partner_promise(diagnostic):
        assert sentence in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<img" not in html and 'lang="en-GB"' in html
    assert invitation_token(invitation) in html
    invitation.refresh_from_db()
    assert invitation.sent_at is not None and invitation.email_status == "sent"
    email = OutboxEmail.objects.get()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")


def test_the_body_is_not_stored_so_the_database_holds_no_link(diagnostic):
    invitation = make_invitation(diagnostic, email="a@example.org")
    _queue(diagnostic)
    assert invitation_token(invitation) not in str(list(OutboxEmail.objects.values()))


@pytest.mark.parametrize("title", ["Round 1\r\nBcc: everyone@example.org", "A\u2028B\x00C"])
def test_a_title_with_line_breaks_never_stops_sending(diagnostic, title):
    diagnostic.title = title
    diagnostic.save()
    make_invitation(diagnostic, email="a@example.org")
    _queue(diagnostic)
    assert deliver_due().sent == 1
    subject = mail.outbox[0].subject
    assert "\n" not in subject and "\r" not in subject and "\x00" not in subject
    assert "Bcc" not in mail.outbox[0].message().get("Bcc", "")


def test_header_safe_collapses_and_shortens():
    assert header_safe("a\r\n\tb  c") == "a b c"
    assert len(header_safe("x" * 500)) == 150


def test_reminders_go_only_to_those_sent_their_link_and_not_submitted(diagnostic):
    systems = list(diagnostic.systems.all())
    make_invitation(diagnostic, email="never@example.org")  # not sent
    sent = make_invitation(diagnostic, email="todo@example.org")
    done = make_invitation(diagnostic, email="done@example.org", systems=systems[:1])
    Invitation.objects.filter(pk__in=[sent.pk, done.pk]).update(sent_at=timezone.now())
    make_response(diagnostic, systems[0], {"A": 3}, invitation=done)
    result = _queue(diagnostic, Kind.REMINDER)
    assert result.queued == 1
    assert result.skipped == {"not_sent": 1, "submitted": 1}
    deliver_due()
    assert [m.to for m in mail.outbox] == [["todo@example.org"]]
    assert mail.outbox[0].subject.startswith("Reminder")
    sent.refresh_from_db()
    assert sent.reminder_count == 1 and sent.reminded_at is not None


def test_a_reminder_is_not_repeated_within_24_hours_unless_insisted(diagnostic):
    invitation = make_invitation(diagnostic, email="todo@example.org")
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    assert _queue(diagnostic, Kind.REMINDER).queued == 1
    assert _queue(diagnostic, Kind.REMINDER).skipped == {"waiting": 1}
    deliver_due()
    assert _queue(diagnostic, Kind.REMINDER).skipped == {"recent": 1}
    assert _queue(diagnostic, Kind.REMINDER, insist=True).queued == 1
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(hours=25))
    deliver_due()
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert _queue(diagnostic, Kind.REMINDER).queued == 1
    keys = sorted(OutboxEmail.objects.values_list("idempotency_key", flat=True))
    assert keys == [f"reminder:{invitation.pk}:{n}" for n in (1, 2, 3)]


def test_scheduled_reminders_are_queued_once_for_the_latest_due_day(diagnostic):
    invitation = make_invitation(diagnostic, email="todo@example.org")
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=9))
    ReminderSchedule.objects.create(diagnostic=diagnostic, days_before=7)
    ReminderSchedule.objects.create(diagnostic=diagnostic, days_before=2)
    assert scheduled_reminders_queue(today=date(2027, 3, 20)) == {}
    assert scheduled_reminders_queue(today=date(2027, 3, 25)) == {diagnostic.slug: 1}
    deliver_due()
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert scheduled_reminders_queue(today=date(2027, 3, 26)) == {diagnostic.slug: 0}
    assert scheduled_reminders_queue(today=date(2027, 3, 29)) == {diagnostic.slug: 1}
    keys = sorted(OutboxEmail.objects.values_list("idempotency_key", flat=True))
    assert keys == [
        f"scheduled-reminder:{invitation.pk}:2:2027-03-31",
        f"scheduled-reminder:{invitation.pk}:7:2027-03-31",
    ]


def test_a_revoked_invitation_queued_before_is_not_sent(diagnostic):
    invitation = make_invitation(diagnostic, email="a@example.org")
    _queue(diagnostic)
    invitation_revoke(invitation=invitation, actor=None)
    assert deliver_due().failed == 1
    assert mail.outbox == []
    assert OutboxEmail.objects.get().status == Status.FAILED


def test_batch_progress_counts_by_status(diagnostic):
    for n in range(3):
        make_invitation(diagnostic, email=f"p{n}@example.org")
    batch = _queue(diagnostic).batch
    assert batch_progress(batch).as_dict()["waiting"] == 3
    deliver_due(limit=2)
    progress = batch_progress(batch)
    assert (progress.sent, progress.waiting, progress.done) == (2, 1, False)


# --- Pages ------------------------------------------------------------------------------


def test_the_send_page_previews_exactly_what_is_sent_then_queues(client, diagnostic, facilitator):
    invitation = make_invitation(diagnostic, email="a@example.org", name="Ann")
    make_invitation(diagnostic, email="")
    client.force_login(facilitator)
    url = reverse("outbox:send", args=[diagnostic.slug])
    page = client.get(url)
    content = page.content.decode()
    assert "queued for <strong>1 person</strong>" in content
    assert "1 because there is no e-mail address" in content
    preview_text = page.context["sample"].text
    assert OutboxEmail.objects.count() == 0
    response = client.post(url, {"personal_message": ""})
    batch = EmailBatch.objects.get()
    assert response["Location"] == reverse("outbox:batch", args=[diagnostic.slug, batch.public_id])
    again = client.post(url, {"personal_message": ""})  # a reload of the POST
    assert again["Location"] == reverse("surveys:invitation_list", args=[diagnostic.slug])
    assert OutboxEmail.objects.count() == 1
    deliver_due()
    assert mail.outbox[0].body == preview_text
    assert invitation_token(invitation) in preview_text


def test_the_send_page_for_one_invitation_queues_only_it(client, diagnostic, facilitator):
    one = make_invitation(diagnostic, email="a@example.org")
    make_invitation(diagnostic, email="b@example.org")
    client.force_login(facilitator)
    url = reverse("outbox:send", args=[diagnostic.slug])
    client.post(url, {"invitation": one.public_id})
    assert list(OutboxEmail.objects.values_list("invitation", flat=True)) == [one.pk]


def test_the_reminder_page_says_what_will_happen(client, diagnostic, facilitator):
    invitation = make_invitation(diagnostic, email="todo@example.org")
    make_invitation(diagnostic, email="new@example.org")
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    client.force_login(facilitator)
    url = reverse("outbox:remind", args=[diagnostic.slug])
    content = client.get(url).content.decode()
    assert "A reminder will be queued for <strong>1 person</strong>" in content
    assert "1 because they were never sent their link" in content
    client.post(url, {})
    content = client.get(url).content.decode()
    assert "1 because an e-mail to them is already waiting" in content


def test_the_batch_page_and_its_json_show_progress(client, diagnostic, facilitator):
    for n in range(3):
        make_invitation(diagnostic, email=f"p{n}@example.org")
    batch = _queue(diagnostic).batch
    deliver_due(limit=2)
    client.force_login(facilitator)
    page = client.get(reverse("outbox:batch", args=[diagnostic.slug, batch.public_id]))
    assert "2 of 3 sent" in page.content.decode()
    assert "outbox/progress.js" in page.content.decode()
    data = client.get(reverse("outbox:batch_status", args=[diagnostic.slug, batch.public_id]))
    assert data.json() == {
        "total": 3,
        "sent": 2,
        "failed": 0,
        "waiting": 1,
        "retrying": 0,
        "done": False,
        "worker_missing": False,
    }


def test_the_pages_say_when_no_worker_is_running(client, diagnostic, facilitator):
    from django_tasks_db.models import DBTaskResult

    make_invitation(diagnostic, email="a@example.org")
    batch = _queue(diagnostic).batch
    from outbox.tasks import deliver_outbox

    deliver_outbox.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=5))
    client.force_login(facilitator)
    data = client.get(reverse("outbox:batch_status", args=[diagnostic.slug, batch.public_id]))
    assert data.json()["worker_missing"] is True
    page = client.get(reverse("outbox:batch", args=[diagnostic.slug, batch.public_id]))
    assert "waiting for the background worker" in page.content.decode()


def test_the_schedule_page_saves_the_days(client, diagnostic, facilitator):
    client.force_login(facilitator)
    url = reverse("outbox:schedule", args=[diagnostic.slug])
    client.post(url, {"days": "2, 7"})
    assert list(diagnostic.reminder_schedules.values_list("days_before", flat=True)) == [7, 2]
    response = client.post(url, {"days": "soon"})
    assert "whole numbers" in response.content.decode()
    client.post(url, {"days": ""})
    assert not diagnostic.reminder_schedules.exists()


def test_a_batch_of_another_round_is_not_found(client, diagnostic, facilitator, framework):
    other = make_diagnostic(make_place(facilitators=[make_user()]), framework)
    batch = EmailBatch.objects.create(diagnostic=other, kind=Kind.INVITATION)
    client.force_login(facilitator)
    url = reverse("outbox:batch", args=[diagnostic.slug, batch.public_id])
    assert client.get(url).status_code == 404
    assert client.get(url.replace(batch.public_id, "ab%00c")).status_code == 404
