"""Releases: results are released, not live (docs/reports.md, "Releases").

- ``release_publish`` freezes a round's figures: an interim release by the facilitator
  while the round is open, the final release when it closes (``release_on_close``, hooked
  into ``surveys.diagnostics.diagnostic_close`` from ``ReportsConfig.ready``).
- The differencing rule (``differencing_offences``): no two releases a reader can see may
  differ by fewer than k respondents in any group. An interim release that would break it
  is refused (``ReleaseRefused`` names the groups); the final release hides those groups.
- ``reader_view`` chooses what a reader sees: a release (steering members, and
  facilitators of an anonymous round), or live figures (facilitators of an attributed
  round only); ``comparison_for_reader`` and ``compare_rounds`` add the previous round
  from its final release, only for readers of both rounds.

The pure part (snapshots, fingerprints, the rule, hiding, comparing) needs no database, so
the hypothesis attack (tests/test_suppression_attack.py) runs it on generated data.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from django.db import transaction

from surveys import confidentiality
from surveys.audit import audit
from surveys.models import AuditEvent, Diagnostic, Role, Sector

from . import aggregate
from .aggregate import (
    ROLES,
    SECTORS,
    DiagnosticSummary,
    PreconditionSummary,
    ReleaseStamp,
    Stats,
    SystemSummary,
)
from .models import Release

# A contribution: (system slug, sector, role, {code: fingerprint of the answer}).
Contribution = tuple[str, str, str, dict[str, str]]


# --- snapshots: a summary as JSON and back ------------------------------------------


def summary_to_data(summary: DiagnosticSummary) -> dict:
    """The summary as JSON-ready data (no release stamp or comparison: those are added
    when it is read)."""
    data = dataclasses.asdict(summary)
    data.pop("release", None)
    data["previous_title"] = None
    for system in data["systems"]:
        for p in system["preconditions"]:
            p["previous"] = None
            p["change_in_median"] = None
    return data


def _stats(data: dict | None) -> Stats | None:
    if data is None:
        return None
    return Stats(**{**data, "counts": {int(point): n for point, n in data["counts"].items()}})


def summary_from_data(data: Mapping, *, release: ReleaseStamp | None = None) -> DiagnosticSummary:
    systems = [
        SystemSummary(
            **{
                **system,
                "preconditions": [
                    PreconditionSummary(
                        **{
                            **p,
                            "overall": _stats(p["overall"]),
                            "by_sector": {s: _stats(v) for s, v in p["by_sector"].items()},
                            "by_role": {r: _stats(v) for r, v in p["by_role"].items()},
                            "previous": _stats(p["previous"]),
                            "evidence": list(p["evidence"]),
                        }
                    )
                    for p in system["preconditions"]
                ],
                "respondents_by_sector": dict(system["respondents_by_sector"]),
            }
        )
        for system in data["systems"]
    ]
    return DiagnosticSummary(
        **{
            **data,
            "systems": systems,
            "release": release,
            "hidden_by_rule": list(data.get("hidden_by_rule", [])),
        }
    )


def stamp(release: Release) -> ReleaseStamp:
    return ReleaseStamp(
        number=release.number,
        kind=release.kind,
        published_at=release.published_at,
        respondents=release.total_respondents,
        label=release.label,
    )


def without_evidence(summary: DiagnosticSummary) -> DiagnosticSummary:
    return dataclasses.replace(
        summary,
        systems=[
            dataclasses.replace(
                system,
                preconditions=[dataclasses.replace(p, evidence=[]) for p in system.preconditions],
            )
            for system in summary.systems
        ],
    )


# --- contributions and the differencing rule (pure) -----------------------------------


def _fingerprint(score: float, dont_know: bool, evidence: str) -> str:
    """Stands for one answer, so that a changed answer is noticed; never shown."""
    text = f"{'' if pd.isna(score) else int(score)}|{int(bool(dont_know))}|{evidence}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def contributions_of_frame(
    frame: pd.DataFrame, slug_of_system: Mapping[int, str]
) -> dict[int, Contribution]:
    """Each respondent's answers, as fingerprints per pre-condition, from a
    ``ratings_frame`` (with evidence, or without: then only ratings count)."""
    evidence = frame["evidence"].tolist() if "evidence" in frame else [""] * len(frame)
    result: dict[int, Contribution] = {}
    for response_id, system_id, sector, role, code, score, dont_know, text in zip(
        frame["response_id"].tolist(),
        frame["system_id"].tolist(),
        frame["sector"].tolist(),
        frame["role"].tolist(),
        frame["code"].tolist(),
        frame["score"].tolist(),
        frame["dont_know"].tolist(),
        evidence,
        strict=True,
    ):
        if response_id not in result:
            result[response_id] = (slug_of_system[system_id], sector, role or "", {})
        result[response_id][3][code] = _fingerprint(score, dont_know, text)
    return result


@dataclass(frozen=True)
class Offence:
    """A group whose answers changed between two releases for fewer than k people."""

    system: str  # slug
    system_name: str
    dimension: str  # "system", "sector", "role" or "combination"
    group: str  # the sector or role, "sector/role" for a combination, "" for the system
    changed: int  # the fewest respondents whose answers changed, among the failing codes
    k: int
    against: int  # the earlier release's number

    @property
    def group_name(self) -> str:
        sectors, roles = dict(Sector.choices), dict(Role.choices)
        roles[""] = "No role given"
        if self.dimension == "system":
            return "all respondents"
        if self.dimension == "sector":
            return sectors.get(self.group, self.group)
        if self.dimension == "role":
            return roles.get(self.group, self.group)
        sector, role = self.group.split("/", 1)
        return f"{sectors.get(sector, sector)} and {roles.get(role, role).lower()}"

    @property
    def sentence(self) -> str:
        more = self.k - self.changed
        people = "respondent" if self.changed == 1 else "respondents"
        return (
            f"{self.system_name}, {self.group_name}: the answers of {self.changed} {people} "
            f"changed since release {self.against}; the rule needs none or at least {self.k}, "
            f"so at least {more} more response{'' if more == 1 else 's'} in this group."
        )


def _dimensions_shown(system: SystemSummary) -> set[str]:
    shown = set()
    if any(
        value is not None for p in system.preconditions for value in p.by_sector.values()
    ) or any(n not in (None, 0) for n in system.respondents_by_sector.values()):
        shown.add("sector")
    if any(value is not None for p in system.preconditions for value in p.by_role.values()):
        shown.add("role")
    return shown


def differencing_offences(
    *,
    earlier: DiagnosticSummary,
    earlier_contributions: Mapping[int, Contribution],
    new: DiagnosticSummary,
    new_contributions: Mapping[int, Contribution],
    k: int,
    against: int,
) -> list[Offence]:
    """The groups breaking the rule between an earlier release and a new one.

    For every system shown in both, and every pre-condition, the respondents whose answer
    to it changed (added, edited, withdrawn) must be none or at least ``k``: in the whole
    system; in every sector and every role, shown or hidden (the hidden ones together are
    the total minus the shown ones, so each is checked), when that breakdown is shown in
    both; and in every sector-and-role combination when both breakdowns are shown in both
    (the two breakdowns together can isolate such a combination). Then any group a
    reader can work out from either release is a union of checked groups, and its
    changed respondents are none or at least k too.
    """
    earlier_systems = {s.slug: s for s in earlier.systems}
    offences: dict[tuple[str, str, str], Offence] = {}
    ids_by_system: dict[str, set[int]] = defaultdict(set)
    for contributions in (earlier_contributions, new_contributions):
        for response_id, (slug, *_rest) in contributions.items():
            ids_by_system[slug].add(response_id)
    for system in new.systems:
        before = earlier_systems.get(system.slug)
        if system.suppressed or before is None or before.suppressed:
            continue
        dimensions = _dimensions_shown(system) & _dimensions_shown(before)
        codes = [p.code for p in system.preconditions]
        for code in codes:
            counts: dict[tuple[str, str], int] = defaultdict(int)
            for response_id in ids_by_system[system.slug]:
                old = earlier_contributions.get(response_id)
                now = new_contributions.get(response_id)
                old_answer = old[3].get(code) if old else None
                new_answer = now[3].get(code) if now else None
                contribution = now or old
                if old_answer == new_answer or contribution is None:
                    continue  # (no contribution: no answer either, so unchanged)
                _slug, sector, role, _answers = contribution
                counts[("system", "")] += 1
                if "sector" in dimensions:
                    counts[("sector", sector)] += 1
                if "role" in dimensions:
                    counts[("role", role)] += 1
                if {"sector", "role"} <= dimensions:
                    counts[("combination", f"{sector}/{role}")] += 1
            for (dimension, group), changed in counts.items():
                if 0 < changed < k:
                    key = (system.slug, dimension, group)
                    if key not in offences or offences[key].changed > changed:
                        offences[key] = Offence(
                            system=system.slug,
                            system_name=system.name,
                            dimension=dimension,
                            group=group,
                            changed=changed,
                            k=k,
                            against=against,
                        )
    order = {"system": 0, "sector": 1, "role": 2, "combination": 3}
    return sorted(offences.values(), key=lambda o: (o.system_name, order[o.dimension], o.group))


def hide_offending(
    summary: DiagnosticSummary, offences: Sequence[Offence]
) -> tuple[DiagnosticSummary, list[str]]:
    """The summary with the groups behind ``offences`` hidden, and a sentence for each
    system saying what was hidden and why (for the final release, which is never refused).

    A whole breakdown is hidden, not one group: hiding one sector would leave the total
    minus the shown sectors, which changed by the same too few people. A system whose
    total broke the rule is hidden entirely; a combination hides the by-role breakdown
    (the by-sector one alone cannot isolate a combination).
    """
    hide: dict[str, set[str]] = defaultdict(set)
    for offence in offences:
        hide[offence.system].add(
            {"system": "system", "sector": "sector", "role": "role", "combination": "role"}[
                offence.dimension
            ]
        )
    notes: list[str] = []
    systems = []
    for system in summary.systems:
        what = hide.get(system.slug, set())
        if not what:
            systems.append(system)
            continue
        if "system" in what:
            notes.append(
                f"{system.name}: hidden in this release, because the answers of fewer than "
                f"{summary.min_group_size} respondents changed since an earlier release, "
                "and comparing the two would show them."
            )
            systems.append(
                dataclasses.replace(
                    system,
                    suppressed=True,
                    preconditions=[
                        aggregate._suppressed_precondition(p.code, p.title, p.group)
                        for p in system.preconditions
                    ],
                    vision_median=None,
                    behaviours_median=None,
                    respondents_by_sector=dict.fromkeys(SECTORS),
                )
            )
            continue
        names = [n for n in ("sector", "role") if n in what]
        notes.append(
            f"{system.name}: the breakdown by {' and by '.join(names)} is hidden in this "
            f"release, because the answers of fewer than {summary.min_group_size} "
            "respondents in a group changed since an earlier release, and comparing the two "
            "would show them."
        )
        preconditions = []
        for p in system.preconditions:
            by_sector = dict.fromkeys(SECTORS) if "sector" in what else p.by_sector
            by_role = dict.fromkeys(ROLES) if "role" in what else p.by_role
            preconditions.append(
                dataclasses.replace(
                    p,
                    by_sector=by_sector,
                    by_role=by_role,
                    sector_divergence=aggregate._sector_divergence(by_sector),
                )
            )
        systems.append(
            dataclasses.replace(
                system,
                preconditions=preconditions,
                respondents_by_sector=dict.fromkeys(SECTORS)
                if "sector" in what
                else system.respondents_by_sector,
            )
        )
    return dataclasses.replace(summary, systems=systems, hidden_by_rule=notes), notes


# --- comparing rounds (pure) ----------------------------------------------------------


def compare_rounds(
    current: DiagnosticSummary, previous: DiagnosticSummary, *, previous_title: str
) -> DiagnosticSummary:
    """``current`` with the previous round's figures alongside, from that round's final
    release. Each round's own k holds: a figure is compared only where it is shown in
    both (a system or pre-condition hidden in either stays out), and only where both
    have at least the larger of the two rounds' k scores."""
    k = max(current.min_group_size, previous.min_group_size)
    earlier = {s.slug: s for s in previous.systems}
    systems = []
    compared = False
    for system in current.systems:
        before = earlier.get(system.slug)
        if system.suppressed or before is None or before.suppressed:
            systems.append(system)
            continue
        before_by_code = {p.code: p for p in before.preconditions}
        preconditions = []
        for p in system.preconditions:
            old = before_by_code.get(p.code)
            previous_stats = old.overall if old is not None else None
            if (
                p.overall is None
                or p.overall.n < k
                or previous_stats is None
                or previous_stats.n < k
            ):
                previous_stats = None
            change = None
            if (
                previous_stats is not None
                and p.overall is not None
                and p.overall.median is not None
                and previous_stats.median is not None
            ):
                change = aggregate._rounded(p.overall.median - previous_stats.median)
            compared = compared or previous_stats is not None
            preconditions.append(
                dataclasses.replace(p, previous=previous_stats, change_in_median=change)
            )
        systems.append(dataclasses.replace(system, preconditions=preconditions))
    return dataclasses.replace(
        current, systems=systems, previous_title=previous_title if compared else None
    )


# --- snapshots of a round (database) --------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    summary: DiagnosticSummary
    contributions: dict[int, Contribution]
    rows: list[list]
    respondents: dict[str, int]


def label_groups(frame: pd.DataFrame, k: int) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """The (system id, sector) and (system id, role) groups of at least ``k`` respondents:
    only these are named beside a single answer (row-by-row exports, the raw evidence)."""
    people = frame.drop_duplicates("response_id")
    sectors = people.groupby(["system_id", "sector"], observed=True).size()
    roles = people.groupby(["system_id", "role"], observed=True).size()
    return (
        {key for key, n in sectors.items() if n >= k},
        {key for key, n in roles.items() if n >= k and key[1]},
    )


def rows_of_frame(
    frame: pd.DataFrame,
    systems: Sequence[tuple[int, str, str]],
    preconditions: Sequence[tuple[str, str, str]],
    k: int,
) -> list[list]:
    """Every rating, row by row: system, code, title, sector, role, score, don't know,
    evidence. The sector or role is left empty where that group of the system has fewer
    than ``k`` respondents. Sorted by system, pre-condition and answer, not by
    respondent, so no row can be tied to the same person's other answers."""
    big_sectors, big_roles = label_groups(frame, k)
    name_of = {system_id: name for system_id, name, _slug in systems}
    order = {code: (i, title) for i, (code, title, _group) in enumerate(preconditions)}
    evidence = frame["evidence"].tolist() if "evidence" in frame else [""] * len(frame)
    rows = []
    for system_id, sector, role, code, score, dont_know, text in zip(
        frame["system_id"].tolist(),
        frame["sector"].tolist(),
        frame["role"].tolist(),
        frame["code"].tolist(),
        frame["score"].tolist(),
        frame["dont_know"].tolist(),
        evidence,
        strict=True,
    ):
        rows.append(
            [
                name_of.get(system_id, ""),
                code,
                order.get(code, (0, ""))[1],
                sector if (system_id, sector) in big_sectors else "",
                role if (system_id, role) in big_roles else "",
                None if pd.isna(score) else int(score),
                bool(dont_know),
                text,
            ]
        )
    rows.sort(
        key=lambda r: (
            r[0],
            order.get(r[1], (0, ""))[0],
            r[3],
            r[4],
            -1 if r[5] is None else r[5],
            r[6],
            r[7],
        )
    )
    return rows


def round_snapshot(diagnostic: Diagnostic) -> Snapshot:
    """The round's figures now, in full (evidence included): four queries."""
    systems, preconditions = aggregate.summary_inputs(diagnostic)
    frame = aggregate.ratings_frame([diagnostic.pk], evidence=True)
    summary = aggregate.summary_of_frame(diagnostic, frame, systems, preconditions)
    slug_of = {system_id: slug for system_id, _name, slug in systems}
    frame = frame[frame["system_id"].isin(list(slug_of))]
    return Snapshot(
        summary=summary,
        contributions=contributions_of_frame(frame, slug_of),
        rows=rows_of_frame(frame, systems, preconditions, diagnostic.min_group_size),
        respondents={s.slug: s.respondents for s in summary.systems},
    )


# --- publishing -----------------------------------------------------------------------


class ReleaseRefused(Exception):
    """An interim release that cannot be published; ``reasons`` says why, in sentences."""

    def __init__(self, reasons: list[str], offences: Sequence[Offence] = ()):
        super().__init__(" ".join(reasons))
        self.reasons = reasons
        self.offences = list(offences)


def _contributions(data: Mapping) -> dict[int, Contribution]:
    return {
        int(response_id): (slug, sector, role, dict(answers))
        for response_id, (slug, sector, role, answers) in data.items()
    }


def release_publish(*, diagnostic: Diagnostic, kind: str, actor) -> Release:
    """Freeze the round's figures as a new release, checked against every earlier one.

    An interim release needs an open round, something changed since the last release, and
    the differencing rule to hold, or ``ReleaseRefused`` is raised. A final release is
    never refused: groups breaking the rule are hidden from it (``hide_offending``).
    """
    with transaction.atomic():
        # The lock makes concurrent publishes (two facilitators, or a close and an
        # interim) take numbers one after the other and check against each other.
        locked = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
        if kind == Release.Kind.INTERIM and locked.status != Diagnostic.Status.OPEN:
            raise ReleaseRefused(
                ["An interim release can only be published while the round is open."]
            )
        snapshot = round_snapshot(diagnostic)
        k = diagnostic.min_group_size
        earlier = list(locked.releases.order_by("number"))
        offences: list[Offence] = []
        for release in earlier:
            offences += differencing_offences(
                earlier=summary_from_data(release.summary),
                earlier_contributions=_contributions(release.contributions),
                new=snapshot.summary,
                new_contributions=snapshot.contributions,
                k=k,
                against=release.number,
            )
        summary = snapshot.summary
        hidden: list[str] = []
        if kind == Release.Kind.INTERIM:
            if earlier and _contributions(earlier[-1].contributions) == snapshot.contributions:
                raise ReleaseRefused([f"Nothing has changed since release {earlier[-1].number}."])
            if offences:
                raise ReleaseRefused([o.sentence for o in offences], offences)
        elif offences:
            summary, hidden = hide_offending(summary, offences)
        release = Release.objects.create(
            diagnostic=locked,
            number=(earlier[-1].number + 1) if earlier else 1,
            kind=kind,
            published_by=actor,
            min_group_size=k,
            respondents=snapshot.respondents,
            summary=summary_to_data(summary),
            rows=snapshot.rows,
            contributions={str(key): value for key, value in snapshot.contributions.items()},
            hidden=hidden,
        )
        audit(
            AuditEvent.Action.RELEASED,
            diagnostic=locked,
            actor=actor,
            detail={
                "number": release.number,
                "kind": kind,
                "respondents": release.total_respondents,
                "hidden": len(hidden),
            },
        )
    return release


def release_on_close(*, diagnostic: Diagnostic, actor) -> None:
    """The final release, made as the round closes (registered in ReportsConfig.ready)."""
    release_publish(diagnostic=diagnostic, kind=Release.Kind.FINAL, actor=actor)


# --- what a reader sees ---------------------------------------------------------------


def may_see_live(diagnostic: Diagnostic, *, is_facilitator: bool) -> bool:
    """Live figures only for facilitators of an attributed round: in the anonymous mode
    they see who submitted and when, so live figures would tie answers to people."""
    return is_facilitator and confidentiality.facilitators_see_who_said_what(diagnostic)


@dataclass(frozen=True)
class ReaderView:
    summary: DiagnosticSummary | None  # None: nothing released yet (and not live)
    release: Release | None  # the release shown; None for live figures
    releases: list[Release]  # every release of the round, newest first (without data)
    live: bool
    may_see_live: bool
    # The previous round's final release compared against (``comparison_for_reader``):
    # None when this reader may not see a comparison. Its ``diagnostic`` is selected.
    compared_with: Release | None = None

    @property
    def param(self) -> str:
        """The ``release`` query parameter that shows the same figures again."""
        if self.live:
            return "live"
        return str(self.release.number) if self.release else ""


def reader_view(
    diagnostic: Diagnostic,
    *,
    user,
    is_facilitator: bool,
    requested: str | None,
    include_evidence: bool,
    compare: bool = True,
) -> ReaderView:
    """The figures this reader sees: ``requested`` is the ``release`` query parameter (a
    number, "live", or None for the default: live where allowed, else the latest
    release). A constant few queries: the releases, the chosen one's summary, and the
    comparison (``comparison_for_reader``)."""
    live_allowed = may_see_live(diagnostic, is_facilitator=is_facilitator)
    releases = list(
        diagnostic.releases.only(
            "id", "diagnostic_id", "number", "kind", "published_at", "respondents", "hidden"
        ).order_by("-number")
    )
    live = live_allowed and (requested == "live" or requested in (None, ""))
    chosen = None
    if not live:
        if requested and requested.isdigit():
            chosen = next((r for r in releases if r.number == int(requested)), None)
        elif releases:
            chosen = releases[0]
        if chosen is None and live_allowed and requested not in (None, ""):
            live = True
    summary = None
    if live:
        summary = aggregate.diagnostic_summary(diagnostic, include_evidence=include_evidence)
    elif chosen is not None:
        data = Release.objects.values_list("summary", flat=True).get(pk=chosen.pk)
        summary = summary_from_data(data, release=stamp(chosen))
        if not include_evidence:
            summary = without_evidence(summary)
    previous = None
    if summary is not None and compare:
        previous = comparison_for_reader(diagnostic, user=user, is_facilitator=is_facilitator)
        if previous is not None:
            summary = compare_rounds(
                summary,
                summary_from_data(previous.summary),
                previous_title=previous.diagnostic.title,
            )
    return ReaderView(
        summary=summary,
        release=chosen,
        releases=releases,
        live=live,
        may_see_live=live_allowed,
        compared_with=previous,
    )


def comparison_for_reader(diagnostic: Diagnostic, *, user, is_facilitator: bool) -> Release | None:
    """The final release of the previous round, if this reader may read that round too.

    The previous round is the latest earlier round of the place that is closed and has a
    final release (an open round is never "previous"). Facilitators of the place read
    every round; a steering member only the rounds they were added to.
    """
    release = (
        Release.objects.light()
        .select_related("diagnostic")
        .filter(
            kind=Release.Kind.FINAL,
            diagnostic__place_id=diagnostic.place_id,
            diagnostic__created_at__lt=diagnostic.created_at,
            diagnostic__status=Diagnostic.Status.CLOSED,
        )
        .order_by("-diagnostic__created_at", "-number")
        .first()
    )
    if release is None:
        return None
    if not is_facilitator and not release.diagnostic.steering_members.filter(pk=user.pk).exists():
        return None
    return release


def release_rows(release: Release) -> list[list]:
    return Release.objects.values_list("rows", flat=True).get(pk=release.pk)
