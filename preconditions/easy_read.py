"""The easy-read version of the framework: each pre-condition, its question, the signs of
it and every point of the scale in plain words (short sentences, common words), each with
a picture drawn for this project (static/images/easy-read/, with a text alternative).

Easy-read answers are the same items on the same scale as the standard version, so they
combine with it in every report; only the words differ. tests/test_easy_read.py keeps
every text at Flesch reading ease 70 or more. The texts are marked for translation, so
the Welsh catalogue carries an easy-read Welsh too (docs/i18n.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.templatetags.static import static
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EasyReadPrecondition:
    code: str
    title: str | Promise
    explanation: str | Promise
    question: str | Promise
    signs: tuple[str | Promise, ...]
    picture_alt: str | Promise

    @property
    def picture(self) -> str:
        return static(f"images/easy-read/precondition-{self.code.lower()}.svg")


@dataclass(frozen=True)
class EasyReadScalePoint:
    score: int | None  # None: "I don't know"
    label: str | Promise
    meaning: str | Promise
    picture_alt: str | Promise

    @property
    def picture(self) -> str:
        name = "dont-know" if self.score is None else f"score-{self.score}"
        return static(f"images/easy-read/{name}.svg")


PRECONDITIONS: dict[str, EasyReadPrecondition] = {
    p.code: p
    for p in (
        EasyReadPrecondition(
            "A",
            _("People come first"),
            _(
                "Services work for the people who use them. They do not put their own "
                "group first. They work together to help people."
            ),
            _("Do services here put people first, before their own group?"),
            (
                _("Services share what they know to help people."),
                _("Services plan help together."),
                _("People get help without being sent from place to place."),
            ),
            _("A person in the middle, held up by services."),
        ),
        EasyReadPrecondition(
            "B",
            _("People have a say"),
            _(
                "People who use services help to plan them. Staff listen to them. "
                "What they say changes what happens."
            ),
            _("Do the people who use services have a real say in them?"),
            (
                _("People who use services help to plan them."),
                _("Staff ask people what they need."),
                _("Services change when people speak up."),
            ),
            _("A person speaking up."),
        ),
        EasyReadPrecondition(
            "C",
            _("Big problems are joined up"),
            _(
                "Big problems have lots of causes. One service cannot fix them on its own. "
                "Services look at the whole problem together."
            ),
            _("Do services here see that big problems need everyone to help?"),
            (
                _("Services look at the whole problem, not just their part."),
                _("Services bring in others who can help."),
                _("They start small but think big."),
            ),
            _("Lots of parts joined to one problem."),
        ),
        EasyReadPrecondition(
            "D",
            _("Proud of our place and open to new ideas"),
            _(
                "Services know this place and its people well. They are proud of it. "
                "They also try good ideas from other places."
            ),
            _("Do services here know this place well, and try new ideas?"),
            (
                _("Services know the people and the history of this place."),
                _("Services try ideas that worked in other places."),
                _("People here are not stuck in old ways."),
            ),
            _("A home in our place, and an arrow to new ideas."),
        ),
        EasyReadPrecondition(
            "E",
            _("Services trust each other"),
            _(
                "Services are honest with each other. They keep their word. They keep "
                "working together when things get hard."
            ),
            _("Do services here trust each other?"),
            (
                _("Services are honest with each other."),
                _("Services share their plans and their money."),
                _("Services keep working together after a problem."),
            ),
            _("Two people with a heart between them."),
        ),
        EasyReadPrecondition(
            "F",
            _("We build on what is good"),
            _(
                "Services look at what people and places can do, not just at what is "
                "wrong. They use what is good to make things better."
            ),
            _("Do services here start from what people are good at?"),
            (
                _("Staff ask what is going well, not just what is wrong."),
                _("Services use the skills of local people and groups."),
                _("People are seen as more than their problems."),
            ),
            _("A star with a tick."),
        ),
        EasyReadPrecondition(
            "G",
            _("Everyone can lead"),
            _(
                "Leaders are not just the people at the top. Anyone can lead, in any job. "
                "Leaders share the praise when things go well."
            ),
            _("Can people lead here, whatever their job?"),
            (
                _("Staff on the front line can make choices."),
                _("Bosses let others lead."),
                _("Leaders share the praise."),
            ),
            _("Three people, each able to lead."),
        ),
        EasyReadPrecondition(
            "H",
            _("Safe to try, safe to fail"),
            _(
                "Services are willing to try new things. It is OK if something does not "
                "work. They learn from it and keep going. This helps all the other parts."
            ),
            _("Is it safe here to try new things, even if they might not work?"),
            (
                _("Staff are not blamed when a new idea does not work."),
                _("Services learn from what went wrong."),
                _("Services keep going when times are hard."),
            ),
            _("A plant growing again after a fall."),
        ),
        EasyReadPrecondition(
            "I",
            _("Letting others do it"),
            _(
                "Big services do not have to do it all. They let others, like local "
                "groups, take the lead. They help them to do it."
            ),
            _("Do big services here let others take the lead?"),
            (
                _("Big services let local groups run things."),
                _("Big services give help and then step back."),
                _("Staff are free to try new ways of working."),
            ),
            _("An open hand letting a balloon go."),
        ),
    )
}

SCALE: tuple[EasyReadScalePoint, ...] = (
    EasyReadScalePoint(
        1, _("Not at all"), _("I do not see this here."), _("1 of 5 circles filled.")
    ),
    EasyReadScalePoint(
        2, _("A little"), _("I see this now and then."), _("2 of 5 circles filled.")
    ),
    EasyReadScalePoint(3, _("Some"), _("I see this in some places."), _("3 of 5 circles filled.")),
    EasyReadScalePoint(
        4, _("A lot"), _("This is the usual way here."), _("4 of 5 circles filled.")
    ),
    EasyReadScalePoint(
        5,
        _("All the time"),
        _("This happens all the time, everywhere."),
        _("All 5 circles filled."),
    ),
    EasyReadScalePoint(None, _("I don't know"), _("I am not sure."), _("A question mark.")),
)
