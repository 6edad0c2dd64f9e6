"""Demo data: a fictional English city, Northbridge, with two rounds of a diagnostic.

Built by ``manage.py seed_demo``. Everything here is invented: the place, the
organisations (no real council or charity is named), the people (``@example.org``) and
what they say.

The scores are designed, not random noise: in the current round each system has one clear
strength, one clear gap, one contested pre-condition and (homelessness) one that few people
can see, so the report has something to find. ``DEMO_EXPECTATIONS`` says what, under the
narrative report's thresholds (imported from ``reports.narrative``, never copied), and the
builder checks its own numbers against it before writing anything. Scores are dealt from
fixed quotas per (system, pre-condition, sector), then shuffled among that sector's
respondents with ``random.Random(2015)``; if a shuffle happens to push a small role group's
median across a threshold it is dealt again, so the result is the same on every run. What
people say is assembled from phrases kept as data in ``demo/data/phrases.json``.
"""

from __future__ import annotations

import json
import math
import random
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from demo.actions import seed_demo_actions
from preconditions.models import Framework, Precondition
from reports import aggregate, narrative
from reports.models import Release
from reports.releases import release_publish
from surveys.invitations import invitation_create
from surveys.models import (
    AuditEvent,
    Diagnostic,
    Invitation,
    Organisation,
    Place,
    Rating,
    Response,
    Role,
    Sector,
    System,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


SEED = 2015
FRAMEWORK_SLUG = "place-based-systems-change"
SITE_URL = "http://127.0.0.1:8000/"

PLACE_NAME = "Northbridge"
PLACE_SLUG = "northbridge"
PLACE_DESCRIPTION = (
    "A fictional English city, used to show how the tool works. The organisations, people "
    "and answers are invented; any resemblance to a real place is coincidence."
)
CURRENT_TITLE = "Northbridge systems diagnostic 2026"
PREVIOUS_TITLE = "Northbridge systems diagnostic 2025"
MIN_GROUP_SIZE = 5

HOMELESSNESS = "Homelessness and housing"
FAMILIES = "Families with multiple needs"
CRISIS = "Mental health crisis care"
HOUSING_AND_GROWTH = "Housing and growth"
HH, FMN, MH = slugify(HOMELESSNESS), slugify(FAMILIES), slugify(CRISIS)

SYSTEM_DESCRIPTIONS = {
    HOUSING_AND_GROWTH: (
        "The wider housing system: supply, planning, landlords and the city's growth plans. "
        "Not assessed in this diagnostic; homelessness sits inside it."
    ),
    HOMELESSNESS: (
        "Preventing homelessness and helping people who are homeless or sleeping rough into "
        "a home that lasts: housing options, hostels, outreach and tenancy support."
    ),
    FAMILIES: (
        "Support for families facing several problems at once: early help, children's "
        "services, schools, police, work and money."
    ),
    CRISIS: (
        "What happens when someone is in a mental health crisis, from the first call for "
        "help to recovery: police, ambulance, A&E, the crisis team, the crisis café."
    ),
}

# What the narrative report's thresholds find in the current round, per system (keyed by
# slug). The lists are complete: no other pre-condition crosses a threshold.
DEMO_EXPECTATIONS: dict[str, dict] = {
    HH: {
        "strongest": "E",
        "weakest": "H",
        "contested": ["I"],
        "low_visibility": ["C"],
        "strengths": ["E"],
        "gaps": ["H"],
    },
    FMN: {
        "strongest": "A",
        "weakest": "I",
        "contested": ["G"],
        "low_visibility": [],
        "strengths": ["A"],
        "gaps": ["I"],
    },
    MH: {
        "strongest": "F",
        "weakest": "H",
        "contested": ["D"],
        "low_visibility": [],
        "strengths": ["F"],
        "gaps": ["H"],
    },
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    what: str
    superuser: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("facilitator", "demo-facilitator-pass", "facilitator of Northbridge"),
    DemoAccount("steering", "demo-steering-pass", "steering group member, both rounds"),
    DemoAccount("admin", "demo-admin-pass", "superuser, for /admin/", superuser=True),
)


class DemoFrameworkMissingError(Exception):
    """The framework fixture has not been loaded."""


@dataclass(frozen=True)
class DemoResult:
    created: bool  # False: the demo place was already there, only the accounts were reset
    counts: dict[str, int]


# --- Organisations --------------------------------------------------------------------
# Housing associations (registered providers) are not-for-profit social landlords, so
# Harbour Homes sits in the voluntary and community sector here; private landlords and
# letting agents are private sector.

_ALL = (HH, FMN, MH)
ORGANISATIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # Public sector
    ("Northbridge City Council: Housing Options", Sector.PUBLIC, (HH,)),
    ("Northbridge City Council: Adult Social Care", Sector.PUBLIC, (HH, MH)),
    ("Northbridge City Council: Children's Services", Sector.PUBLIC, (FMN,)),
    ("Northbridge City Council: Early Help", Sector.PUBLIC, (FMN,)),
    ("Northbridge City Council: Public Health", Sector.PUBLIC, _ALL),
    ("Northbridge City Council: Commissioning", Sector.PUBLIC, _ALL),
    ("Northbridge Mental Health NHS Foundation Trust", Sector.PUBLIC, (MH, HH)),
    ("Northbridge Hospitals NHS Trust", Sector.PUBLIC, (MH,)),
    ("Wyvernshire Integrated Care Board", Sector.PUBLIC, (MH, FMN)),
    ("Wyvernshire Police", Sector.PUBLIC, _ALL),
    ("West Wyvern Ambulance Service NHS Trust", Sector.PUBLIC, (MH,)),
    ("Probation Service, Northbridge office", Sector.PUBLIC, (HH, FMN)),
    ("Jobcentre Plus, Northbridge Central", Sector.PUBLIC, (HH, FMN)),
    ("Eastgate Primary School", Sector.PUBLIC, (FMN,)),
    ("Northbridge Academy", Sector.PUBLIC, (FMN,)),
    ("Riverside Medical Practice", Sector.PUBLIC, (MH, FMN)),
    # Voluntary and community sector
    ("Northbridge Night Shelter", Sector.VOLUNTARY, (HH,)),
    ("St Aidan's Food Bank", Sector.VOLUNTARY, (HH, FMN)),
    ("Northbridge Law Centre", Sector.VOLUNTARY, (HH, FMN)),
    ("Harbour Homes (housing association)", Sector.VOLUNTARY, (HH, MH)),
    ("Kestrel Supported Housing", Sector.VOLUNTARY, (HH, MH)),
    ("Northbridge Faiths Together", Sector.VOLUNTARY, (HH, FMN)),
    ("The Lighthouse Crisis Café", Sector.VOLUNTARY, (MH,)),
    ("Northbridge Mental Health Network", Sector.VOLUNTARY, (MH,)),
    ("Recovery Works Northbridge", Sector.VOLUNTARY, (HH, MH)),
    ("Bridges Family Support", Sector.VOLUNTARY, (FMN,)),
    ("Safe Haven Domestic Abuse Service", Sector.VOLUNTARY, (FMN, HH)),
    ("Youth Northbridge", Sector.VOLUNTARY, (FMN,)),
    ("Northbridge Council for Voluntary Service", Sector.VOLUNTARY, _ALL),
    # Private sector
    ("Northbridge Landlords' Association", Sector.PRIVATE, (HH,)),
    ("Keystone Lettings", Sector.PRIVATE, (HH,)),
    ("Wyvern Water", Sector.PRIVATE, (HH, FMN)),
    ("Hollins Logistics", Sector.PRIVATE, (FMN, HH)),
    ("Castlegate Shopping Centre", Sector.PRIVATE, (HH, MH)),
    ("Meadowbank Care Ltd", Sector.PRIVATE, (MH, FMN)),
    ("Northbridge Chamber of Commerce", Sector.PRIVATE, _ALL),
    ("Marsh & Pell Construction", Sector.PRIVATE, (HH,)),
    # Citizens and service users
    ("Northbridge Service Users' Forum", Sector.CITIZEN, (HH, MH)),
    ("Northbridge Residents' Panel", Sector.CITIZEN, (HH, FMN)),
    ("Parents' Voice Northbridge", Sector.CITIZEN, (FMN,)),
    ("Lived Experience Advisory Group", Sector.CITIZEN, (MH,)),
    ("Service users (individual)", Sector.CITIZEN, _ALL),
)

# --- Who is invited -----------------------------------------------------------------
# One row per group of like invitations: sector, the systems each invitation covers with
# the state of its response there ("submitted", "draft", or None: not started), and how
# many such invitations.

S, D = Response.Status.SUBMITTED.value, Response.Status.DRAFT.value
InvitationGroup = tuple[str, dict[str, str | None], int]

CURRENT_INVITATIONS: tuple[InvitationGroup, ...] = (
    # Submitted: homelessness 34, families 33, crisis care 33 (private sector only 3).
    (Sector.PUBLIC, {HH: S, FMN: S}, 2),
    (Sector.PUBLIC, {FMN: S, MH: S}, 2),
    (Sector.PUBLIC, {HH: S, MH: S}, 1),
    (Sector.PUBLIC, {HH: S}, 6),
    (Sector.PUBLIC, {FMN: S}, 6),
    (Sector.PUBLIC, {MH: S}, 8),
    (Sector.VOLUNTARY, {HH: S, MH: S}, 2),
    (Sector.VOLUNTARY, {HH: S, FMN: S}, 1),
    (Sector.VOLUNTARY, {HH: S, MH: D}, 1),
    (Sector.VOLUNTARY, {HH: S}, 6),
    (Sector.VOLUNTARY, {FMN: S}, 8),
    (Sector.VOLUNTARY, {MH: S}, 7),
    (Sector.PRIVATE, {HH: S}, 7),
    (Sector.PRIVATE, {FMN: S}, 6),
    (Sector.PRIVATE, {MH: S}, 3),
    (Sector.CITIZEN, {HH: S, MH: S}, 1),
    (Sector.CITIZEN, {HH: S}, 7),
    (Sector.CITIZEN, {FMN: S}, 8),
    (Sector.CITIZEN, {MH: S}, 9),
    # Still working on it.
    (Sector.PUBLIC, {FMN: D}, 1),
    (Sector.PUBLIC, {HH: D, FMN: D}, 1),
    (Sector.VOLUNTARY, {HH: D}, 1),
    (Sector.PRIVATE, {HH: D}, 1),
    (Sector.CITIZEN, {MH: D}, 1),
    # Invited, not started.
    (Sector.PUBLIC, {MH: None}, 2),
    (Sector.VOLUNTARY, {FMN: None}, 1),
    (Sector.PRIVATE, {HH: None, FMN: None}, 1),
    (Sector.PRIVATE, {MH: None}, 1),
    (Sector.CITIZEN, {HH: None}, 1),
)

PREVIOUS_INVITATIONS: tuple[InvitationGroup, ...] = (
    (Sector.PUBLIC, {HH: S, FMN: S}, 2),
    (Sector.PUBLIC, {HH: S}, 5),
    (Sector.PUBLIC, {FMN: S}, 6),
    (Sector.PUBLIC, {MH: S}, 7),
    (Sector.VOLUNTARY, {HH: S, MH: S}, 2),
    (Sector.VOLUNTARY, {HH: S}, 6),
    (Sector.VOLUNTARY, {FMN: S}, 6),
    (Sector.VOLUNTARY, {MH: S}, 5),
    (Sector.PRIVATE, {HH: S}, 5),
    (Sector.PRIVATE, {FMN: S}, 5),
    (Sector.PRIVATE, {MH: S}, 2),
    (Sector.CITIZEN, {HH: S}, 6),
    (Sector.CITIZEN, {FMN: S}, 5),
    (Sector.CITIZEN, {MH: S}, 6),
    (Sector.VOLUNTARY, {FMN: D}, 1),
    (Sector.PUBLIC, {MH: D}, 1),
    (Sector.PRIVATE, {HH: None}, 1),
    (Sector.CITIZEN, {MH: None}, 1),
)

# Roles are dealt in turn within each sector, so every system has some of each.
ROLE_CYCLES: dict[str, tuple[str, ...]] = {
    Sector.PUBLIC: ("frontline", "manager", "senior", "frontline", "manager", "board"),
    Sector.VOLUNTARY: ("frontline", "manager", "senior", "board", "frontline", "manager"),
    Sector.PRIVATE: ("manager", "senior", "frontline", "board", "manager", "frontline"),
    Sector.CITIZEN: ("service_user",),
}

FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Dan", "Eilidh", "Farhan", "Grace", "Harry", "Imran", "Jess",
    "Kwame", "Laura", "Mohammed", "Niamh", "Owen", "Priya", "Qasim", "Rachel", "Sam", "Tariq",
    "Una", "Vikram", "Wendy", "Yusuf", "Zara", "Amir", "Bethan", "Callum", "Deborah", "Ewan",
    "Fiona", "Gareth", "Hannah", "Ifeoma", "Jamal", "Kirsty", "Liam", "Marta", "Nathan",
    "Olu", "Paul", "Ruth", "Sunita", "Tom", "Victoria", "Wiktor", "Yasmin", "Adele", "Bilal",
    "Carys",
)  # fmt: skip
SURNAMES = (
    "Ahmed", "Baker", "Clarke", "Doherty", "Evans", "Fletcher", "Green", "Hussain", "Iqbal",
    "Jones", "Kowalski", "Lewis", "Mensah", "Nowak", "Okafor", "Patel", "Quinn", "Roberts",
    "Singh", "Taylor", "Upton", "Varga", "Walsh", "Young", "Brennan", "Campbell", "Dixon",
    "Ellis", "Foster", "Gill", "Hughes", "Khan", "Lloyd", "Morgan", "Osei", "Price", "Reid",
    "Shah", "Thompson", "Ward",
)  # fmt: skip


# --- Score design -------------------------------------------------------------------

Outcome = int | None  # a score 1-5, or None for "don't know"
SCALE = (1, 2, 3, 4, 5)
SECTORS = tuple(Sector.values)
CODES = "ABCDEFGHI"


@dataclass(frozen=True)
class Design:
    """How one pre-condition is scored in one system: a mean per sector (or one for all),
    how tightly around it, the share of "don't know", or an explicit distribution."""

    centre: float | Mapping[str, float] = 3.0
    sigma: float = 0.7
    dont_know: float | Mapping[str, float] = 0.05
    shape: Mapping[int, float] | None = None
    # Checks on the current round (beyond the thresholds in DEMO_EXPECTATIONS).
    target_mean: float | None = None
    sector_medians: Mapping[str, float] = field(default_factory=dict)
    min_sd: float | None = None

    def for_sector(self, sector: str, shift: float = 0.0) -> dict[Outcome, float]:
        share = self.dont_know[sector] if isinstance(self.dont_know, Mapping) else self.dont_know
        if self.shape is not None:
            scores = dict(self.shape)
        else:
            centre = self.centre[sector] if isinstance(self.centre, Mapping) else self.centre
            scores = _scale_around(centre + shift, self.sigma)
        probabilities: dict[Outcome, float] = {None: share}
        probabilities.update({score: p * (1 - share) for score, p in scores.items()})
        return probabilities


def _scale_around(mean: float, sigma: float) -> dict[int, float]:
    """Probabilities over 1-5 from a discretised normal curve whose mean is `mean`."""
    mean = min(max(mean, 1.2), 4.8)

    def curve(mu: float) -> dict[int, float]:
        weights = {k: math.exp(-((k - mu) ** 2) / (2 * sigma**2)) for k in SCALE}
        total = sum(weights.values())
        return {k: w / total for k, w in weights.items()}

    low, high = -5.0, 11.0
    for _ in range(60):
        mu = (low + high) / 2
        if sum(k * p for k, p in curve(mu).items()) < mean:
            low = mu
        else:
            high = mu
    return curve((low + high) / 2)


# Middling pre-conditions, with a little variety between systems.
_CENTRES = {
    HH: {"A": 3.1, "B": 2.9, "C": 2.9, "D": 3.0, "F": 3.2, "G": 2.9},
    FMN: {"B": 2.8, "C": 3.1, "D": 3.0, "E": 2.9, "F": 3.2, "H": 2.8},
    MH: {"A": 2.9, "B": 2.8, "C": 3.0, "E": 3.1, "G": 2.9, "I": 2.8},
}
# Service users see less of how leadership and commissioning work; the private sector is
# less sure whether the system has been mapped at all.
_DONT_KNOW: dict[str, dict[str, float]] = {
    "G": {Sector.PUBLIC: 0.03, Sector.VOLUNTARY: 0.05, Sector.PRIVATE: 0.08, Sector.CITIZEN: 0.12},
    "I": {Sector.PUBLIC: 0.03, Sector.VOLUNTARY: 0.05, Sector.PRIVATE: 0.08, Sector.CITIZEN: 0.12},
}

CURRENT_DESIGN: dict[tuple[str, str], Design] = {
    **{
        (system, code): Design(centre=centre, dont_know=_DONT_KNOW.get(code, 0.05))
        for system, centres in _CENTRES.items()
        for code, centre in centres.items()
    },
    # Homelessness: the single contract rebuilt trust (E), but the failed consortium bid
    # still makes people wary of risk (H). Commissioners and providers disagree on how far
    # the council lets go (I). Few people can see whether the wider system was mapped (C).
    (HH, "E"): Design(centre=4.2, target_mean=4.2),
    (HH, "H"): Design(centre=1.8, target_mean=1.8),
    (HH, "I"): Design(
        centre={
            Sector.PUBLIC: 2.0,
            Sector.VOLUNTARY: 4.0,
            Sector.PRIVATE: 3.0,
            Sector.CITIZEN: 3.0,
        },
        sigma=0.6,
        dont_know=0.0,
        sector_medians={Sector.PUBLIC: 2, Sector.VOLUNTARY: 4},
    ),
    (HH, "C"): Design(
        centre=2.9,
        dont_know={
            Sector.PUBLIC: 0.3,
            Sector.VOLUNTARY: 0.3,
            Sector.PRIVATE: 0.6,
            Sector.CITIZEN: 0.5,
        },
    ),
    # Families: frontline staff go the extra mile (A), but nobody lets go of cases (I), and
    # leadership is either working well or absent depending on where you stand (G).
    (FMN, "A"): Design(centre=4.0, target_mean=4.0),
    (FMN, "I"): Design(centre=1.9, target_mean=1.9, dont_know=_DONT_KNOW["I"]),
    (FMN, "G"): Design(
        shape={1: 0.25, 2: 0.2, 3: 0.1, 4: 0.2, 5: 0.25}, dont_know=0.03, min_sd=1.4
    ),
    # Crisis care: peer workers at the crisis café (F); risk is passed back to A&E (H);
    # services say new models fit the city, people who use them say they were not asked (D).
    (MH, "F"): Design(centre=3.9, target_mean=3.9),
    (MH, "H"): Design(centre=2.0, target_mean=2.0),
    (MH, "D"): Design(
        centre={
            Sector.PUBLIC: 3.9,
            Sector.VOLUNTARY: 3.0,
            Sector.PRIVATE: 3.0,
            Sector.CITIZEN: 2.1,
        },
        sigma=0.6,
        dont_know={
            Sector.PUBLIC: 0.0,
            Sector.VOLUNTARY: 0.05,
            Sector.PRIVATE: 0.0,
            Sector.CITIZEN: 0.0,
        },
        sector_medians={Sector.PUBLIC: 4, Sector.CITIZEN: 2},
    ),
}

# A year earlier things were generally a little weaker; trust (E) and strengths-based
# working (F) in homelessness have risen clearly since the single contract began.
PREVIOUS_SHIFT = -0.15
PREVIOUS_DESIGN: dict[tuple[str, str], Design] = {
    (HH, "E"): Design(centre=3.0),
    (HH, "F"): Design(centre=2.2),
}


def _design(designs: Mapping[tuple[str, str], Design], system: str, code: str) -> Design:
    return designs.get((system, code)) or CURRENT_DESIGN[(system, code)]


# --- Statistics used to check the design --------------------------------------------


@dataclass(frozen=True)
class CodeSignals:
    """One pre-condition in one system, as the report's thresholds see it."""

    code: str
    mean: float
    sd: float
    median: float
    middle_half: float  # q3 - q1, quartiles as reports/aggregate.py computes them
    dont_know_share: float
    sector_medians: dict[str, float]
    role_medians: dict[str, float]
    contested: bool  # over every group
    contested_when_shown: bool  # over the groups the report shows (suppression applied)

    @property
    def sector_spread(self) -> float:
        return _spread(self.sector_medians.values())

    @property
    def role_spread(self) -> float:
        return _spread(self.role_medians.values())


def _spread(values: Iterable[float]) -> float:
    values = list(values)
    return max(values) - min(values) if len(values) >= 2 else 0.0


def _shown_groups(
    scores: Mapping[str, int], people: Mapping[str, int], order: Sequence[str], k: int
) -> set[str]:
    """The groups of one breakdown a report shows, by reports' own rule
    (``aggregate.suppressed_cells``): ``scores`` and ``people`` ("don't know"
    included) by group, ``order`` the breakdown's usual order (``SECTORS`` or ``ROLES``),
    which breaks ties. Groups outside ``order`` (no role given) are never shown."""
    cells = [*(c for c in order if c in people), *(c for c in people if c not in order)]
    hidden = aggregate.suppressed_cells(
        {c: scores.get(c, 0) for c in cells},
        k,
        never_shown=[c for c in cells if c not in order],
        sizes={c: people[c] for c in cells},
    )
    return {c for c in cells if scores.get(c, 0) > 0} - hidden


def code_signals(code: str, rows: Sequence[tuple[str, str, Outcome]], k: int) -> CodeSignals:
    """Signals of one pre-condition from (sector, role, outcome) rows of submitted responses."""
    scores = [o for _, _, o in rows if o is not None]
    by_sector: dict[str, list[int]] = {}
    by_role: dict[str, list[int]] = {}
    for sector, role, outcome in rows:
        if outcome is not None:
            by_sector.setdefault(sector, []).append(outcome)
            by_role.setdefault(role, []).append(outcome)
    sector_medians = {s: statistics.median(v) for s, v in by_sector.items()}
    role_medians = {r: statistics.median(v) for r, v in by_role.items()}
    sd = statistics.stdev(scores) if len(scores) >= 2 else 0.0
    q1, _, q3 = (
        statistics.quantiles(scores, n=4, method="inclusive")
        if len(scores) >= 2
        else (scores[0],) * 3
    )

    def contested(sectors: Iterable[str], roles: Iterable[str]) -> bool:
        return (
            q3 - q1 >= narrative.CONTESTED_MIN_MIDDLE_HALF
            or _spread(sector_medians[s] for s in sectors)
            >= narrative.CONTESTED_MIN_SECTOR_DIVERGENCE
            or _spread(role_medians[r] for r in roles) >= narrative.CONTESTED_MIN_ROLE_SPREAD
        )

    sector_people = Counter(sector for sector, _role, _outcome in rows)
    role_people = Counter(role for _sector, role, _outcome in rows)
    shown_sectors = _shown_groups(
        {s: len(v) for s, v in by_sector.items()}, sector_people, aggregate.SECTORS, k
    )
    shown_roles = _shown_groups(
        {r: len(v) for r, v in by_role.items()}, role_people, aggregate.ROLES, k
    )
    return CodeSignals(
        code=code,
        mean=statistics.fmean(scores),
        sd=sd,
        median=statistics.median(scores),
        middle_half=q3 - q1,
        dont_know_share=(len(rows) - len(scores)) / len(rows),
        sector_medians=sector_medians,
        role_medians=role_medians,
        contested=contested(sector_medians, role_medians),
        contested_when_shown=contested(shown_sectors, shown_roles),
    )


def system_findings(signals: Mapping[str, CodeSignals]) -> dict:
    """What the thresholds find, in the shape of DEMO_EXPECTATIONS (every pre-condition of
    the demo is rated by more than k people, so all of them are compared)."""
    by_median = sorted(signals.values(), key=lambda s: (s.median, s.code))
    high, low = by_median[-1].median, by_median[0].median
    highest = [s.code for s in by_median if s.median == high]
    lowest = [s.code for s in by_median if s.median == low]
    return {
        "strongest": highest[0] if len(highest) == 1 else None,
        "weakest": lowest[0] if len(lowest) == 1 else None,
        "contested": sorted(s.code for s in by_median if s.contested),
        "low_visibility": sorted(
            s.code for s in by_median if s.dont_know_share >= narrative.LOW_VISIBILITY_MIN_SHARE
        ),
        "strengths": [
            s.code for s in reversed(by_median) if s.median >= narrative.STRENGTH_MIN_MEDIAN
        ],
        "gaps": [s.code for s in by_median if s.median <= narrative.GAP_MAX_MEDIAN],
    }


def _design_problems(system: str, signals: CodeSignals, design: Design) -> list[str]:
    """Why these dealt scores miss the design, if they do."""
    expected = DEMO_EXPECTATIONS[system]
    code = signals.code
    problems = []
    contested = code in expected["contested"]
    if signals.contested != contested or signals.contested_when_shown != contested:
        problems.append("contested")
    if (signals.dont_know_share >= narrative.LOW_VISIBILITY_MIN_SHARE) != (
        code in expected["low_visibility"]
    ):
        problems.append("low visibility")
    if (signals.median >= narrative.STRENGTH_MIN_MEDIAN) != (code in expected["strengths"]):
        problems.append("strength")
    if (signals.median <= narrative.GAP_MAX_MEDIAN) != (code in expected["gaps"]):
        problems.append("gap")
    if design.target_mean is not None and abs(signals.mean - design.target_mean) > 0.2:
        problems.append(f"mean {signals.mean:.2f}")
    if design.min_sd is not None and signals.sd < design.min_sd:
        problems.append(f"sd {signals.sd:.2f}")
    for sector, median in design.sector_medians.items():
        if signals.sector_medians.get(sector) != median:
            problems.append(f"{sector} median")
    designated = {expected["strongest"], expected["weakest"], *expected["contested"]}
    if code not in designated:
        # Middling and quiet: nowhere near any threshold.
        if not 2.7 <= signals.mean <= 3.3:
            problems.append(f"mean {signals.mean:.2f}")
        if signals.sd > 1.0:
            problems.append(f"sd {signals.sd:.2f}")
        if signals.middle_half >= narrative.CONTESTED_MIN_MIDDLE_HALF:
            problems.append(f"middle half {signals.middle_half:.2f}")
        if signals.median != 3:
            problems.append(f"median {signals.median}")
        if signals.sector_spread > 1 or signals.role_spread > 1:
            problems.append("spread")
        if code not in expected["low_visibility"] and signals.dont_know_share > 0.15:
            problems.append("don't know")
    return problems


# --- The plan: who answers what -----------------------------------------------------


@dataclass
class Invitee:
    organisation: str
    sector: str
    role: str
    statuses: dict[str, str | None]  # system slug -> response status, None: not started
    name: str
    email: str
    # (system, code) -> outcome, for submitted responses and the answered part of drafts
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)


def _plan_invitees(
    rng: random.Random, groups: Sequence[InvitationGroup], names: Iterable[tuple[str, str]]
) -> list[Invitee]:
    names = iter(names)
    role_turn: Counter[str] = Counter()
    org_turn: Counter[tuple[str, tuple[str, ...]]] = Counter()
    invitees = []
    for sector, statuses, count in groups:
        systems = set(statuses)
        eligible = [o for o, s, covers in ORGANISATIONS if s == sector and systems <= set(covers)]
        for _ in range(count):
            cycle = ROLE_CYCLES[sector]
            role = cycle[role_turn[sector] % len(cycle)]
            role_turn[sector] += 1
            key = (sector, tuple(sorted(systems)))
            organisation = eligible[(org_turn[key] + rng.randrange(2)) % len(eligible)]
            org_turn[key] += 1
            first, last = next(names)
            invitees.append(
                Invitee(
                    organisation=organisation,
                    sector=sector,
                    role=role,
                    statuses=dict(statuses),
                    name=f"{first} {last}",
                    email=f"{first}.{last}@example.org".lower(),
                )
            )
    return invitees


def _names(rng: random.Random) -> list[tuple[str, str]]:
    pairs = [(first, last) for first in FIRST_NAMES for last in SURNAMES]
    rng.shuffle(pairs)
    return pairs


def _deal(rng: random.Random, n: int, probabilities: Mapping[Outcome, float]) -> list[Outcome]:
    """Exactly n outcomes in proportion to `probabilities` (largest remainders), shuffled."""
    wanted = {o: n * p for o, p in probabilities.items()}
    counts = {o: int(v) for o, v in wanted.items()}
    by_remainder = sorted(wanted, key=lambda o: (wanted[o] - counts[o], rng.random()))
    for outcome in by_remainder[len(by_remainder) - (n - sum(counts.values())) :]:
        counts[outcome] += 1
    dealt = [o for o, c in counts.items() for _ in range(c)]
    rng.shuffle(dealt)
    return dealt


def _respondents(invitees: Sequence[Invitee], system: str, status: str) -> list[Invitee]:
    return [i for i in invitees if i.statuses.get(system) == status]


def _deal_scores(
    rng: random.Random,
    invitees: Sequence[Invitee],
    designs: Mapping[tuple[str, str], Design],
    *,
    shift: float = 0.0,
    check: bool,
) -> None:
    """Give every submitted respondent an outcome for every code; when `check`, deal again
    until the result matches DEMO_EXPECTATIONS (a small role group can tip a median)."""
    for system in (HH, FMN, MH):
        respondents = _respondents(invitees, system, S)
        for code in CODES:
            design = _design(designs, system, code)
            sector_shift = 0.0 if (system, code) in designs else shift
            for _attempt in range(200):
                for sector in SECTORS:
                    group = [i for i in respondents if i.sector == sector]
                    dealt = _deal(rng, len(group), design.for_sector(sector, sector_shift))
                    for invitee, outcome in zip(group, dealt, strict=True):
                        invitee.outcomes[(system, code)] = outcome
                if not check:
                    break
                rows = [(i.sector, i.role, i.outcomes[(system, code)]) for i in respondents]
                problems = _design_problems(
                    system, code_signals(code, rows, MIN_GROUP_SIZE), design
                )
                if not problems:
                    break
            else:
                raise RuntimeError(f"Demo design for {system} {code} cannot be met: {problems}")
        # Drafts: the first few pre-conditions answered, the rest not yet.
        for invitee in _respondents(invitees, system, D):
            for code in CODES[: rng.randint(2, 6)]:
                sector_shift = 0.0 if (system, code) in designs else shift
                design = _design(designs, system, code)
                probabilities = design.for_sector(invitee.sector, sector_shift)
                outcomes, weights = zip(*probabilities.items(), strict=True)
                invitee.outcomes[(system, code)] = rng.choices(outcomes, weights)[0]


def _check_expectations(invitees: Sequence[Invitee]) -> None:
    """The whole current round, system by system, against DEMO_EXPECTATIONS."""
    for system, expected in DEMO_EXPECTATIONS.items():
        respondents = _respondents(invitees, system, S)
        signals = {
            code: code_signals(
                code,
                [(i.sector, i.role, i.outcomes[(system, code)]) for i in respondents],
                MIN_GROUP_SIZE,
            )
            for code in CODES
        }
        found = system_findings(signals)
        if found != expected:
            raise RuntimeError(f"Demo data for {system} gives {found}, expected {expected}")


# --- Evidence -----------------------------------------------------------------------

# The phrases evidence is assembled from (demo/data/phrases.json):
# - words: per system, the names the templates fill in ({people}, {service}, {forum},
#   {programme}) and pairs of organisations ({a} and {b});
# - statements: per pre-condition and tone (positive, mixed, negative), what people say;
# - specific: per system, pre-condition and tone, sentences about the designed signals, so
#   the evidence tells the same story as the scores;
# - examples: per system and tone, an example that may follow a statement;
# - unsure and unsure_closers: what people who answer "don't know" say;
# - openers (per role) and closers (per tone) around a statement;
# - proper_starts: words that keep their capital when an opener comes before them.
# A template may start with a voice tag: "staff|", "user|" or a sector ("public|").
PHRASES_PATH = Path(__file__).resolve().parent / "data" / "phrases.json"
PHRASES: dict = json.loads(PHRASES_PATH.read_text(encoding="utf-8"))
_PROPER_STARTS = tuple(PHRASES["proper_starts"])

# People with something strong to say write it down more often.
_EVIDENCE_CHANCE: dict[Outcome, float] = {1: 0.7, 2: 0.6, 3: 0.45, 4: 0.55, 5: 0.7, None: 0.45}


def _voiced(templates: Sequence[str], sector: str, role: str) -> list[str]:
    """The templates this respondent could say. A template may start with a voice tag:
    "staff|" (not service users), "user|" (service users only) or a sector ("public|")."""
    fitting = []
    for template in templates:
        voice, _, text = template.rpartition("|")
        if (
            not voice
            or (voice == "staff" and role != Role.SERVICE_USER)
            or (voice == "user" and role == Role.SERVICE_USER)
            or voice == sector
        ):
            fitting.append(text)
    return fitting


def _tone(outcome: Outcome) -> str:
    if outcome is None:
        return "unsure"
    return "positive" if outcome >= 4 else "mixed" if outcome == 3 else "negative"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def evidence_text(
    rng: random.Random, system: str, code: str, outcome: Outcome, *, sector: str, role: str
) -> str:
    """A plain-English piece of evidence, assembled from fragments to suit the score and
    the voice of the person giving it."""
    words = PHRASES["words"][system]
    a, b = rng.choice(words["pairs"])
    fill = {**words, "a": a, "b": b}
    tone = _tone(outcome)
    specific = _voiced(
        PHRASES["specific"].get(system, {}).get(code, {}).get(tone, ()), sector, role
    )
    if tone == "unsure":
        statement = rng.choice(specific + _voiced(PHRASES["unsure"], sector, role))
        sentences = [_capitalise(statement.format(**fill))]
        if rng.random() < 0.4:
            sentences.append(rng.choice(PHRASES["unsure_closers"]).format(**fill))
        return " ".join(sentences)
    if specific and rng.random() < 0.5:
        statement = rng.choice(specific)
    else:
        statement = rng.choice(_voiced(PHRASES["statements"][code][tone], sector, role)).format(
            **fill
        )
    if rng.random() < 0.5:
        opener = rng.choice(PHRASES["openers"][role])
        if not statement.startswith(_PROPER_STARTS):
            statement = statement[:1].lower() + statement[1:]
        statement = opener + statement
    sentences = [_capitalise(statement)]
    if rng.random() < 0.45:
        sentences.append(rng.choice(_voiced(PHRASES["examples"][system][tone], sector, role)))
    if rng.random() < 0.35:
        sentences.append(rng.choice(PHRASES["closers"][tone]))
    return " ".join(sentences)


def _indicators_seen(rng: random.Random, outcome: Outcome, indicators: Sequence[str]) -> list:
    if outcome is None or not indicators:
        return []
    how_many = min(len(indicators), max(0, outcome - 1 - rng.randint(0, 1)))
    return sorted(rng.sample(range(len(indicators)), how_many))


# --- Accounts -----------------------------------------------------------------------


def demo_accounts_ensure() -> dict[str, User]:
    """Create the demo accounts, or reset them to their documented passwords."""
    user_model = get_user_model()
    users = {}
    for account in DEMO_ACCOUNTS:
        user, _ = user_model.objects.get_or_create(
            username=account.username,
            defaults={"email": f"{account.username}@example.org"},
        )
        user.is_active = True
        user.is_staff = account.superuser
        user.is_superuser = account.superuser
        user.set_password(account.password)
        user.save()
        users[account.username] = user
    return users


# --- Writing ------------------------------------------------------------------------


def demo_framework() -> Framework:
    framework = Framework.objects.filter(slug=FRAMEWORK_SLUG).first()
    if framework is None or framework.preconditions.count() != len(CODES):
        raise DemoFrameworkMissingError
    return framework


def demo_counts(place: Place) -> dict[str, int]:
    diagnostics = Diagnostic.objects.filter(place=place)
    responses = Response.objects.filter(diagnostic__place=place)
    return {
        "systems": place.systems.count(),
        "organisations": place.organisations.count(),
        "diagnostics": diagnostics.count(),
        "invitations": Invitation.objects.filter(diagnostic__place=place).count(),
        "responses": responses.count(),
        "submitted": responses.filter(status=Response.Status.SUBMITTED).count(),
        "ratings": Rating.objects.filter(response__diagnostic__place=place).count(),
    }


def demo_seed(*, now: datetime | None = None) -> DemoResult:
    """Build the Northbridge demo unless it is there already; always reset the accounts."""
    framework = demo_framework()
    with transaction.atomic():
        users = demo_accounts_ensure()
        existing = Place.objects.filter(slug=PLACE_SLUG).first()
        created = existing is None
        place = existing or _build(framework, users, now or timezone.now())
        place.facilitators.add(users["facilitator"])
        for diagnostic in place.diagnostics.filter(title__in=[CURRENT_TITLE, PREVIOUS_TITLE]):
            diagnostic.steering_members.add(users["steering"])
    return DemoResult(created=created, counts=demo_counts(place))


def _build(framework: Framework, users: Mapping[str, User], now: datetime) -> Place:
    rng = random.Random(SEED)
    names = _names(rng)
    previous_plan = _plan_invitees(rng, PREVIOUS_INVITATIONS, names[:200])
    current_plan = _plan_invitees(rng, CURRENT_INVITATIONS, names[200:])
    _deal_scores(rng, previous_plan, PREVIOUS_DESIGN, shift=PREVIOUS_SHIFT, check=False)
    _deal_scores(rng, current_plan, CURRENT_DESIGN, check=True)
    _check_expectations(current_plan)

    facilitator = users["facilitator"]
    place = Place.objects.create(
        name=PLACE_NAME,
        slug=PLACE_SLUG,
        description=PLACE_DESCRIPTION,
        created_at=now - timedelta(days=400),
    )
    wider = System.objects.create(
        place=place,
        name=HOUSING_AND_GROWTH,
        slug=slugify(HOUSING_AND_GROWTH),
        description=SYSTEM_DESCRIPTIONS[HOUSING_AND_GROWTH],
    )
    systems = {
        slugify(name): System.objects.create(
            place=place,
            name=name,
            slug=slugify(name),
            description=SYSTEM_DESCRIPTIONS[name],
            parent=wider if name == HOMELESSNESS else None,
        )
        for name in (HOMELESSNESS, FAMILIES, CRISIS)
    }
    organisations = {
        o.name: o
        for o in Organisation.objects.bulk_create(
            Organisation(place=place, name=name, sector=sector) for name, sector, _ in ORGANISATIONS
        )
    }
    preconditions = {p.code: p for p in framework.preconditions.all()}

    current_created = now - timedelta(days=30)
    previous_created = current_created - timedelta(days=365)
    previous = _write_round(
        rng,
        place=place,
        framework=framework,
        title=PREVIOUS_TITLE,
        status=Diagnostic.Status.CLOSED,
        created_at=previous_created,
        open_days=42,
        plan=previous_plan,
        systems=systems,
        organisations=organisations,
        preconditions=preconditions,
        now=now,
    )
    current = _write_round(
        rng,
        place=place,
        framework=framework,
        title=CURRENT_TITLE,
        status=Diagnostic.Status.OPEN,
        created_at=current_created,
        open_days=49,
        plan=current_plan,
        systems=systems,
        organisations=organisations,
        preconditions=preconditions,
        now=now,
    )
    events = [
        AuditEvent(
            place=place,
            actor=facilitator,
            action=AuditEvent.Action.PLACE_CREATED,
            created_at=place.created_at,
        )
    ]
    for diagnostic, plan in ((previous, previous_plan), (current, current_plan)):
        opened = diagnostic.opened_at
        assert opened is not None  # _write_round opens every round
        events += [
            AuditEvent(
                diagnostic=diagnostic,
                place=place,
                actor=facilitator,
                action=AuditEvent.Action.DIAGNOSTIC_CREATED,
                detail={"min_group_size": diagnostic.min_group_size},
                created_at=diagnostic.created_at,
            ),
            AuditEvent(
                diagnostic=diagnostic,
                actor=facilitator,
                action=AuditEvent.Action.INVITED,
                detail={"count": len(plan)},
                created_at=opened - timedelta(hours=2),
            ),
            AuditEvent(
                diagnostic=diagnostic,
                actor=facilitator,
                action=AuditEvent.Action.OPENED,
                created_at=opened,
            ),
            AuditEvent(
                diagnostic=diagnostic,
                actor=facilitator,
                action=AuditEvent.Action.LINK_SENT,
                detail={"count": len(plan)},
                created_at=opened + timedelta(minutes=5),
            ),
        ]
        if diagnostic.closed_at:
            events.append(
                AuditEvent(
                    diagnostic=diagnostic,
                    actor=facilitator,
                    action=AuditEvent.Action.CLOSED,
                    created_at=diagnostic.closed_at,
                )
            )
    AuditEvent.objects.bulk_create(events)
    # What readers see is released, never live (docs/reports.md): the closed round has its
    # final release, the open one an interim release, as a facilitator would publish.
    release_publish(diagnostic=previous, kind=Release.Kind.FINAL, actor=facilitator)
    release_publish(diagnostic=current, kind=Release.Kind.INTERIM, actor=facilitator)
    seed_demo_actions(previous, current)
    return place


def _write_round(
    rng: random.Random,
    *,
    place: Place,
    framework: Framework,
    title: str,
    status: str,
    created_at: datetime,
    open_days: int,
    plan: Sequence[Invitee],
    systems: Mapping[str, System],
    organisations: Mapping[str, Organisation],
    preconditions: Mapping[str, Precondition],
    now: datetime,
) -> Diagnostic:
    opened = created_at + timedelta(days=3)
    closes = opened + timedelta(days=open_days)
    closed = status == Diagnostic.Status.CLOSED
    # Answers arrive up to the close, or up to now while the round is still open.
    last_answer = closes if closed else now
    diagnostic = Diagnostic.objects.create(
        place=place,
        slug=slugify(title),
        title=title,
        framework=framework,
        status=status,
        confidentiality=Diagnostic.Confidentiality.UNATTRIBUTED,
        min_group_size=MIN_GROUP_SIZE,
        created_at=created_at,
        opens_on=opened.date(),
        closes_on=closes.date(),
        opened_at=opened,
        closed_at=closes if closed else None,
    )
    diagnostic.systems.set(systems.values())

    invitations = []
    for invitee in plan:
        invitation = invitation_create(
            diagnostic=diagnostic,
            organisation=organisations[invitee.organisation],
            role=invitee.role,
            systems=[systems[s] for s in invitee.statuses],
            name=invitee.name,
            email=invitee.email,
        )
        started = any(invitee.statuses.values())
        finished = all(s == S for s in invitee.statuses.values())
        invitation.created_at = opened - timedelta(hours=2)
        invitation.sent_at = opened + timedelta(minutes=5)
        if started:
            invitation.opened_at = _moment(rng, opened, last_answer, share=0.6)
        if not finished:
            invitation.reminded_at = opened + timedelta(days=14)
            invitation.reminder_count = 1
        invitations.append(invitation)
    Invitation.objects.bulk_update(
        invitations, ["created_at", "sent_at", "opened_at", "reminded_at", "reminder_count"]
    )

    responses = []
    for invitee, invitation in zip(plan, invitations, strict=True):
        for system, response_status in invitee.statuses.items():
            if response_status is None:
                continue
            assert invitation.opened_at is not None  # set above for everyone who started
            started_at = max(invitation.opened_at, opened) + timedelta(minutes=rng.randint(1, 60))
            submitted_at = None
            updated_at = started_at + timedelta(minutes=rng.randint(15, 90))
            if response_status == S:
                submitted_at = updated_at = min(
                    started_at + timedelta(hours=rng.randint(1, 72)), last_answer
                )
            responses.append(
                Response(
                    diagnostic=diagnostic,
                    system=systems[system],
                    invitation=invitation,
                    organisation=organisations[invitee.organisation],
                    sector=invitee.sector,
                    role=invitee.role,
                    status=response_status,
                    source=Response.Source.ONLINE,
                    created_at=started_at,
                    updated_at=updated_at,
                    submitted_at=submitted_at,
                )
            )
    Response.objects.bulk_create(responses)

    by_invitation = {(r.invitation_id, r.system.slug): r for r in responses}
    ratings = []
    for invitee, invitation in zip(plan, invitations, strict=True):
        for (system, code), outcome in invitee.outcomes.items():
            response = by_invitation[(invitation.pk, system)]
            precondition = preconditions[code]
            chance = _EVIDENCE_CHANCE[outcome]
            evidence = ""
            if rng.random() < chance:
                evidence = evidence_text(
                    rng, system, code, outcome, sector=invitee.sector, role=invitee.role
                )
            ratings.append(
                Rating(
                    response=response,
                    precondition=precondition,
                    score=outcome,
                    dont_know=outcome is None,
                    evidence=evidence,
                    indicators_seen=_indicators_seen(rng, outcome, precondition.indicators),
                    updated_at=response.updated_at,
                )
            )
    Rating.objects.bulk_create(ratings, batch_size=500)
    return diagnostic


def _moment(rng: random.Random, start: datetime, end: datetime, *, share: float) -> datetime:
    """A time in the first `share` of the period from start to end."""
    seconds = int((end - start).total_seconds() * share)
    return start + timedelta(seconds=rng.randint(3600, max(3601, seconds)))
