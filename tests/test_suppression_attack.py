"""An attacker tries to recover small groups from the published figures, on generated data.

Hypothesis generates ratings in memory (no database): one or two systems, each with
respondents in every sector × role combination (the four sectors × the five roles and
"no role", 0 to 60 people each, small numbers favoured), their answers to the nine
pre-conditions (scores 1–5, "don't know", sometimes no answer at all, as an imported file
may leave out), some evidence, and sometimes a previous round; k is 3 to 10. The real
suppression (``reports.aggregate.summarise_frame``, which ``diagnostic_summary`` uses) is
run on them, and then the attacker below tries to break it.

The attacker model
------------------

*What the attacker sees*: everything the app publishes about a diagnostic to anyone who
can read its reports or their exports, for every system: the number of respondents; the
respondents per sector (``respondents_by_sector``); and for every pre-condition, the
overall figures and every shown cell of the by-sector and by-role breakdowns, each with
n, "don't know", mean, median, sd, quartiles, min, max and the count at every scale
point (the summary CSV and Excel files publish all of them). From these, for any
published group, the *sums* over its members are exact: the number of scores, the number
of "don't know", the count at each scale point, the sum of scores (from the counts, or
mean × n) and the sum of their squares (from sd, mean and n).

*What the attacker knows besides*: who took part and, for each person, their sector and
role, and which pre-conditions they answered — but not their answers. (A steering group
in a small place may well know this.) So any set of people that can be described by
sector and role — a union of sector × role cells — is a group the attacker can name.

*What the attacker does*: subtracts and adds published sums. A group G (a union of
sector × role cells) is *derivable* when its sums are a linear combination of the sums
of the published groups: the whole system (per pre-condition), the shown sector cells
and the shown role cells. This covers the total minus the shown cells of one breakdown
(giving the hidden cells together), every pair of breakdowns (a sector cell minus a
role cell that lies inside it, a hidden union minus a shown cell of the other breakdown),
and any longer combination. The attacker below decides it exactly: G is derivable if
and only if some reals t, a_s (0 for a hidden sector), b_r (0 for a hidden role and
for "no role") give t + a_s + b_r = [cell (s, r) in G] on every cell with people in
it; it enumerates every such 0/1 pattern below k, component by component of the graph
whose edges are the non-empty cells, and a brute-force test (every subset, by matrix
rank) checks it on small tables. It is written separately from the app's own check
(``_linked_disclosure`` in ``reports/aggregate.py``), which it audits.

*What counts as a leak*: a derivable group G with 0 < scores(G) < k or
0 < people(G) < k, other than everyone who answered the pre-condition (the overall
figures of a shown system are published whatever their size: that is documented in
docs/reports.md and not a breakdown). For respondent counts, the sectors hidden from
``respondents_by_sector`` must together hold 0 or at least k people.

*Not in the model*: groups defined by answers ("those who said don't know"), which
the attacker cannot name; differences between pre-conditions, which are different
questions; medians of pooled pre-conditions (not linear); other systems and rounds,
whose figures are about other ratings.

Found and fixed with this test: the two breakdowns were suppressed each on its own, so a
sector and a role shown together could give away a smaller group (rule 6 in
docs/reports.md). Fixed cases of it are at the end of this file.

Also checked: the figures shown are the true ones; a system of fewer than k respondents
shows nothing; the previous round is compared only when both rounds have at least k
scores; and evidence is never attached to a breakdown — it is listed per pre-condition,
in alphabetical order, only for shown systems.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reports.aggregate import ROLES, SCALE, SECTORS, Stats, summarise_frame
from tests.hypothesis_profiles import examples

CODES = "ABCDEFGHI"
PRECONDITIONS = [
    (code, f"Pre-condition {code}", "vision" if code in "ABCD" else "behaviours") for code in CODES
]
ROLE_CELLS = (*ROLES, "")  # "" is "no role": never shown, always counted
CELLS = [(sector, role) for sector in SECTORS for role in ROLE_CELLS]
EXAMPLES = examples(500)  # under the ci profile; the dev profile runs a share


# --- generated rounds ---------------------------------------------------------------------

cell_size = st.one_of(st.just(0), st.integers(1, 12), st.integers(0, 60))


@st.composite
def a_round(draw, *, diagnostic_id: int, first_response_id: int, system_ids) -> pd.DataFrame:
    """One round's ratings, in the columns and types of ``ratings_frame``. Hypothesis
    draws the shape (sizes, shares of "don't know" and of unanswered questions, the
    spread of scores); the answers come from a generator it seeds, since drawing
    thousands of them one by one would make every example slow."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    dont_know_share = draw(st.sampled_from([0.0, 0.05, 0.3, 0.8, 1.0]), label="don't know")
    missing_share = draw(st.sampled_from([0.0, 0.0, 0.1]), label="unanswered")
    skew = draw(st.sampled_from([(1, 1, 1, 1, 1), (1, 1, 2, 4, 8), (8, 4, 2, 1, 1)]))
    p = np.asarray(skew, dtype=float) / sum(skew)
    columns: dict[str, list] = defaultdict(list)
    response_id = first_response_id
    codes = np.asarray(list(CODES), dtype=object)
    for system_id in system_ids:
        sizes = draw(st.fixed_dictionaries(dict.fromkeys(CELLS, cell_size)), label="sizes")
        for (sector, role), size in sizes.items():
            if not size:
                continue
            ids = np.arange(response_id, response_id + size)
            response_id += size
            shape = (size, len(CODES))
            answered = (rng.random(shape) >= missing_share).ravel()
            dont_know = (rng.random(shape) < dont_know_share).ravel()[answered]
            score = rng.choice(np.asarray(SCALE, dtype=float), p=p, size=shape).ravel()[answered]
            score[dont_know] = np.nan
            rows = int(answered.sum())
            response_ids = np.repeat(ids, len(CODES))[answered]
            row_codes = np.tile(codes, size)[answered]
            written = np.flatnonzero(rng.random(rows) < 0.1)
            evidence = np.full(rows, "", dtype=object)
            for n, row in enumerate(written.tolist()):
                evidence[row] = "  " if n % 3 == 0 else f" Seen by {response_ids[row]}. "
            columns["system_id"].append(np.full(rows, system_id))
            columns["response_id"].append(response_ids)
            columns["sector"].append(np.full(rows, sector, dtype=object))
            columns["role"].append(np.full(rows, role, dtype=object))
            columns["code"].append(row_codes)
            columns["score"].append(score)
            columns["dont_know"].append(dont_know)
            columns["evidence"].append(evidence)

    def joined(name, dtype):
        parts = columns.get(name)
        return np.concatenate(parts).astype(dtype) if parts else np.asarray([], dtype=dtype)

    count = len(joined("score", np.float64))
    return pd.DataFrame(
        {
            "diagnostic_id": np.full(count, diagnostic_id, dtype=np.int64),
            "system_id": joined("system_id", np.int64),
            "response_id": joined("response_id", np.int64),
            "sector": pd.Categorical(joined("sector", object)),
            "role": pd.Categorical(joined("role", object)),
            "code": pd.Categorical(joined("code", object)),
            "score": joined("score", np.float64),
            "dont_know": joined("dont_know", bool),
            "evidence": pd.array(joined("evidence", object), dtype="str"),
        }
    )


# --- the attacker ----------------------------------------------------------------------------

Cell = tuple[str, str]


@dataclass(frozen=True)
class Pattern:
    """A 0/1 pattern over one component's cells that the published sums can produce:
    ``cells`` those at 1; ``t`` the value the overall total's coefficient must take
    (None: any)."""

    cells: frozenset[Cell]
    t: int | None
    full: bool  # every cell of the component


def patterns(
    component: list[Cell], hidden_sectors: set, hidden_roles: set, measure: dict, k: int
) -> set[Pattern]:
    """Every 0/1 pattern x over the component's cells with x(s, r) = u_s + w_r, where
    u_s = t + a_s and w_r = b_r are the coefficients of the published sums: t for the
    total, a_s for a shown sector (a hidden sector has none: u_s = t) and b_r for a shown
    role (a hidden role has none: w_r = 0). Patterns whose measure reaches k are not
    followed (cells only add to it), as they cannot be part of a small group.

    Values are found relative to the first vertex (u or w = 0 there; the true values are
    u + c and w - c for some real c): along a spanning tree each cell's 0 or 1 fixes the
    next vertex, and the cells off the tree must come out 0 or 1 too."""
    vertices: list[tuple[str, str]] = []
    neighbours: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for sector, role in component:
        s, r = ("sector", sector), ("role", role)
        neighbours[s].append(r)
        neighbours[r].append(s)
    order, parent = [], {}
    start = ("sector", component[0][0])
    seen = {start}
    queue = [start]
    while queue:
        vertex = queue.pop(0)
        order.append(vertex)
        for other in neighbours[vertex]:
            if other not in seen:
                seen.add(other)
                parent[other] = vertex
                queue.append(other)
    vertices = order
    found: set[Pattern] = set()

    def cell_of(a, b) -> Cell:
        sector = a[1] if a[0] == "sector" else b[1]
        role = b[1] if b[0] == "role" else a[1]
        return (sector, role)

    def extend(index: int, value: dict, size: int) -> None:
        if size >= k:
            return
        if index == len(vertices):
            found_pattern(value)
            return
        vertex = vertices[index]
        for x in (0, 1):
            value[vertex] = x - value[parent[vertex]]
            known = [other for other in neighbours[vertex] if other in value]
            if all(value[vertex] + value[other] in (0, 1) for other in known):
                added = sum(
                    measure[cell_of(vertex, other)]
                    for other in known
                    if value[vertex] + value[other] == 1
                )
                extend(index + 1, value, size + added)
            del value[vertex]

    def found_pattern(value: dict) -> None:
        hidden_role_values = {value[("role", r)] for r in hidden_roles if ("role", r) in value}
        hidden_sector_values = {
            value[("sector", s)] for s in hidden_sectors if ("sector", s) in value
        }
        if len(hidden_role_values) > 1:
            return  # w_r - c = 0 for every hidden role: they must share a value
        if hidden_role_values:
            (c,) = hidden_role_values  # c is fixed by the hidden role
            ts = {u + c for u in hidden_sector_values}
            if len(ts) > 1:
                return
            t = next(iter(ts)) if ts else None
        else:
            if len(hidden_sector_values) > 1:
                return  # u_s + c = t for every hidden sector; c is free, t follows
            t = None
        ones = frozenset(
            cell for cell in component if value[("sector", cell[0])] + value[("role", cell[1])]
        )
        found.add(Pattern(ones, t, len(ones) == len(component)))

    extend(1, {start: 0}, 0)
    return found


def components(cells: set[Cell]) -> list[list[Cell]]:
    """The non-empty cells, grouped by the connected components of the sector-role graph."""
    remaining = set(cells)
    out = []
    while remaining:
        first = min(remaining)
        component, frontier = {first}, [first]
        while frontier:
            sector, role = frontier.pop()
            for cell in list(remaining - component):
                if cell[0] == sector or cell[1] == role:
                    component.add(cell)
                    frontier.append(cell)
        remaining -= component
        out.append(sorted(component))
    return out


FREE = object()


def smallest_derivable(
    measure: dict[Cell, int | None], hidden_sectors: set, hidden_roles: set, k: int
) -> frozenset[Cell] | None:
    """A derivable group other than everyone, with 0 < measure < k, or None.

    Per component the patterns are listed; across components they add up, and the
    overall total's coefficient t must agree. A dynamic programme over the components
    keeps, for each (measure so far capped at k, everything so far), one witness."""
    cells = {cell for cell, people in measure.items() if people is not None}
    parts = [
        list(patterns(component, hidden_sectors, hidden_roles, measure, k))
        for component in components(cells)
    ]
    candidates = {p.t for part in parts for p in part if p.t is not None} | {FREE}
    for t in candidates:
        states: dict[tuple[int, bool], frozenset[Cell]] = {(0, True): frozenset()}
        for part in parts:
            allowed = [p for p in part if p.t is None or p.t == t]
            next_states: dict[tuple[int, bool], frozenset[Cell]] = {}
            for (total, full), chosen in states.items():
                for p in allowed:
                    size = min(k, total + sum(measure[cell] or 0 for cell in p.cells))
                    key = (size, full and p.full)
                    next_states.setdefault(key, chosen | p.cells)
            states = next_states
        for (total, full), chosen in states.items():
            if 0 < total < k and not full:
                return chosen
    return None


# --- the truth, for comparing -----------------------------------------------------------------


@dataclass
class Truth:
    counts: dict[str, dict[Cell, np.ndarray]]  # code -> cell -> count at each scale point
    dont_know: dict[str, dict[Cell, int]]  # code -> cell -> "don't know"
    people: dict[str, set[int]]  # sector -> respondents
    evidence: dict[str, list[str]]  # code -> texts in alphabetical order


def truth(frame: pd.DataFrame, system_id: int) -> Truth:
    """The same figures, worked out plainly from the frame, row by row."""
    rows = frame[frame["system_id"] == system_id]
    result = Truth(
        defaultdict(lambda: defaultdict(lambda: np.zeros(len(SCALE), dtype=np.int64))),
        defaultdict(lambda: defaultdict(int)),
        defaultdict(set),
        defaultdict(list),
    )
    written = []
    for response_id, sector, role, code, score, dont_know, evidence in zip(
        rows["response_id"].tolist(),
        rows["sector"].astype(str).tolist(),
        rows["role"].astype(str).tolist(),
        rows["code"].astype(str).tolist(),
        rows["score"].tolist(),
        rows["dont_know"].tolist(),
        rows["evidence"].astype(str).tolist(),
        strict=True,
    ):
        result.people[sector].add(response_id)
        if dont_know:
            result.dont_know[code][(sector, role)] += 1
        else:
            result.counts[code][(sector, role)][int(score) - 1] += 1
        if evidence.strip():
            written.append((response_id, code, evidence.strip()))
    # Alphabetical, as the report lists them (response order would link one person's
    # excerpts across pre-conditions).
    for _response_id, code, text in sorted(written, key=lambda w: (w[2].casefold(), w[2])):
        result.evidence[code].append(text)
    return result


def figures(counts: np.ndarray, dont_know: int) -> tuple:
    n = int(counts.sum())
    total = int((counts * np.asarray(SCALE)).sum())
    mean = round(total / n, 2) if n else None
    return n, dont_know, tuple(int(c) for c in counts), mean


def published(stats: Stats) -> tuple:
    return stats.n, stats.dont_know, tuple(stats.counts[p] for p in SCALE), stats.mean


def union(cells: dict, dont_know: dict, *, sector=None, role=None) -> tuple:
    """The true figures of a sector, a role, or everyone."""
    chosen = [
        c for c in CELLS if (sector is None or c[0] == sector) and (role is None or c[1] == role)
    ]
    counts = sum((cells[c] for c in chosen if c in cells), np.zeros(len(SCALE), dtype=np.int64))
    return figures(counts, sum(dont_know.get(c, 0) for c in chosen))


# --- the property -----------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(k=st.integers(3, 10), data=st.data())
def test_no_group_below_k_can_be_recovered(k, data):
    systems = data.draw(st.sampled_from([(1,), (1, 2)]), label="systems")
    frame = data.draw(a_round(diagnostic_id=1, first_response_id=1, system_ids=systems))
    previous = None
    if data.draw(st.booleans(), label="previous round"):
        previous = data.draw(
            a_round(diagnostic_id=2, first_response_id=1_000_000, system_ids=systems)
        )
    summaries = summarise_frame(
        frame,
        [(system_id, f"System {system_id}", f"system-{system_id}") for system_id in systems],
        PRECONDITIONS,
        k,
        previous,
    )

    for system_id, summary in zip(systems, summaries, strict=True):
        known = truth(frame, system_id)
        respondents = len(set().union(*known.people.values()))
        assert summary.respondents == respondents
        if respondents < k:
            event("a system hidden entirely")
            assert summary.suppressed
            assert summary.respondents_by_sector == dict.fromkeys(SECTORS)
            assert summary.vision_median is None and summary.behaviours_median is None
            for p in summary.preconditions:
                assert p.overall is None and p.previous is None and p.evidence == []
                assert set(p.by_sector.values()) == {None} and set(p.by_role.values()) == {None}
            continue
        assert not summary.suppressed
        check_respondent_counts(summary.respondents_by_sector, known.people, respondents, k)
        for p in summary.preconditions:
            check_precondition(p, known.counts[p.code], known.dont_know[p.code], k)
            # Evidence: per pre-condition, in alphabetical order, never with a breakdown.
            assert p.evidence == known.evidence[p.code]
            if p.previous is not None:
                assert previous is not None and p.overall.n >= k and p.previous.n >= k


def check_respondent_counts(shown: dict, people: dict, respondents: int, k: int) -> None:
    hidden_people = 0
    for sector in SECTORS:
        if shown[sector] is None:
            hidden_people += len(people.get(sector, ()))
        else:
            assert shown[sector] == len(people.get(sector, ()))
            assert shown[sector] == 0 or shown[sector] >= k
    assert hidden_people == 0 or hidden_people >= k, (
        f"respondents total minus shown sectors gives {hidden_people} people"
    )
    assert sum(v for v in shown.values() if v) + hidden_people == respondents


def check_precondition(p, counts: dict, dont_know: dict, k: int) -> None:
    assert published(p.overall) == union(counts, dont_know), "the overall figures are wrong"
    hidden_sectors, hidden_roles = set(), {""}
    for sector in SECTORS:
        stats = p.by_sector[sector]
        if stats is None:
            hidden_sectors.add(sector)
        else:
            assert published(stats) == union(counts, dont_know, sector=sector), sector
            assert stats.n >= k, f"sector {sector} shown with {stats.n} scores"
    for role in ROLES:
        stats = p.by_role[role]
        if stats is None:
            hidden_roles.add(role)
        else:
            assert published(stats) == union(counts, dont_know, role=role), role
            assert stats.n >= k, f"role {role} shown with {stats.n} scores"
    # Stats carry numbers only: evidence never travels with a breakdown.
    assert "evidence" not in {f.name for f in fields(Stats)}

    shown = len(SECTORS) + len(ROLE_CELLS) - len(hidden_sectors) - len(hidden_roles)
    event(f"cells shown in the two breakdowns: {min(shown, 3)}{'+' if shown >= 3 else ''}")
    n = {cell: int(counts[cell].sum()) if cell in counts else 0 for cell in CELLS}
    people = {cell: n[cell] + dont_know.get(cell, 0) for cell in CELLS}
    for name, measure in (("scores", n), ("people", people)):
        sizes = {cell: measure[cell] if people[cell] else None for cell in CELLS}
        leak = smallest_derivable(sizes, hidden_sectors, hidden_roles, k)
        assert leak is None, (
            f"{p.code}: the group {sorted(leak)} ({sum(measure[c] for c in leak)} {name}, "
            f"k={k}) can be worked out from the shown cells; hidden sectors "
            f"{sorted(hidden_sectors)}, hidden roles {sorted(hidden_roles)}; cells "
            f"{ {c: (n[c], people[c]) for c in CELLS if people[c]} }"
        )


# --- the leak this test found, as fixed cases ------------------------------------------------


def one_precondition(cells: dict[Cell, list[int]], k: int):
    """The summary of pre-condition A in one system whose cells hold these scores, one
    respondent per score."""
    rows = [(sector, role, score) for (sector, role), scores in cells.items() for score in scores]
    frame = pd.DataFrame(
        {
            "diagnostic_id": np.ones(len(rows), dtype=np.int64),
            "system_id": np.ones(len(rows), dtype=np.int64),
            "response_id": np.arange(1, len(rows) + 1, dtype=np.int64),
            "sector": pd.Categorical([r[0] for r in rows]),
            "role": pd.Categorical([r[1] for r in rows]),
            "code": pd.Categorical(["A"] * len(rows)),
            "score": np.asarray([r[2] for r in rows], dtype=np.float64),
            "dont_know": np.zeros(len(rows), dtype=bool),
            "evidence": pd.array([""] * len(rows), dtype="str"),
        }
    )
    (system,) = summarise_frame(frame, [(1, "System", "system")], PRECONDITIONS[:1], k)
    return system.preconditions[0]


def shown(breakdown: dict) -> set[str]:
    return {cell for cell, stats in breakdown.items() if stats is not None}


def test_a_role_inside_a_sector_no_longer_gives_the_rest_of_the_sector_away():
    # Private 8 = 6 board + 2 managers; every board member is private. Each breakdown on
    # its own is safe, but private minus board would be the 2 private managers.
    a = one_precondition(
        {
            ("private", "board"): [4] * 6,
            ("private", "manager"): [1] * 2,
            ("public", "manager"): [3] * 9,
        },
        k=5,
    )
    assert shown(a.by_sector) == {"private", "public"}
    assert shown(a.by_role) == set()  # manager - public would give them away as well


def test_a_sector_minus_a_role_no_longer_gives_away_the_people_with_no_role():
    # Citizen 4 = 3 service users + 1 with no role: citizen minus service users was 1.
    a = one_precondition(
        {
            ("voluntary", "board"): [2] * 3,
            ("citizen", "service_user"): [4] * 3,
            ("citizen", ""): [5],
        },
        k=3,
    )
    assert shown(a.by_sector) == {"voluntary", "citizen"}
    # Service users are hidden instead; board (3) no longer needs hiding to protect the
    # one person with no role, as the hidden roles now hold 4.
    assert shown(a.by_role) == {"board"}


# --- the attacker is right ---------------------------------------------------------------------


def test_the_attacker_finds_a_role_nested_in_a_sector():
    """Sector "private" (8 people) and role "board" (6, all of them private) both shown:
    private minus board is 2 people."""
    measure = dict.fromkeys(CELLS)
    measure[("private", "board")] = 6
    measure[("private", "manager")] = 2
    measure[("public", "manager")] = 9
    leak = smallest_derivable(measure, hidden_sectors=set(), hidden_roles={""}, k=5)
    assert leak == frozenset({("private", "manager")})


def test_the_attacker_finds_the_total_minus_the_shown_cells():
    measure = dict.fromkeys(CELLS)
    measure[("public", "manager")] = 9
    measure[("private", "manager")] = 2
    leak = smallest_derivable(measure, hidden_sectors={"private"}, hidden_roles={""}, k=5)
    assert leak == frozenset({("private", "manager")})


def test_the_attacker_cannot_split_a_two_by_two_table_from_its_margins():
    measure = dict.fromkeys(CELLS)
    for cell in [
        ("public", "manager"),
        ("public", "board"),
        ("private", "manager"),
        ("private", "board"),
    ]:
        measure[cell] = 6
    measure[("private", "board")] = 1
    assert smallest_derivable(measure, set(), {""}, k=5) is None


def test_a_hidden_role_blocks_the_subtraction_through_it():
    measure = dict.fromkeys(CELLS)
    measure[("private", "board")] = 6
    measure[("private", "manager")] = 2
    measure[("public", "manager")] = 9
    # With "manager" hidden too, private - board = the 2 private managers is still
    # derivable (private and board are shown): hiding the small cell's role is not enough.
    leak = smallest_derivable(measure, set(), {"", "manager"}, k=5)
    assert leak == frozenset({("private", "manager")})
    # With "board" hidden as well, only the total and the sectors are left.
    assert smallest_derivable(measure, set(), {"", "manager", "board"}, k=5) is None


@settings(max_examples=examples(150), deadline=None, database=None, derandomize=True)
@given(
    measure=st.dictionaries(
        st.sampled_from([(s, r) for s in SECTORS[:3] for r in ("manager", "board", "")]),
        st.integers(0, 8),
        max_size=9,
    ),
    hidden_sectors=st.sets(st.sampled_from(SECTORS[:3])),
    hidden_roles=st.sets(st.sampled_from(["manager", "board"])),
    k=st.integers(3, 6),
)
def test_the_attacker_agrees_with_brute_force(measure, hidden_sectors, hidden_roles, k):
    """Every subset of the non-empty cells, tested for being a linear combination of the
    published groups: the attacker above finds a small one exactly when there is one."""
    hidden_roles = hidden_roles | {""}
    cells = sorted(measure)
    rows = [np.ones(len(cells))]
    rows += [
        np.asarray([c[0] == s for c in cells], dtype=float)
        for s in SECTORS
        if s not in hidden_sectors
    ]
    rows += [
        np.asarray([c[1] == r for c in cells], dtype=float) for r in ROLES if r not in hidden_roles
    ]
    published_rows = np.vstack(rows)
    rank = np.linalg.matrix_rank(published_rows)
    small = False
    for mask in range(1, 2 ** len(cells) - 1):
        group = [c for i, c in enumerate(cells) if mask >> i & 1]
        size = sum(measure[c] for c in group)
        if not 0 < size < k:
            continue
        target = np.asarray([c in group for c in cells], dtype=float)
        if np.linalg.matrix_rank(np.vstack([published_rows, target])) == rank:
            small = True
            break
    sizes = {cell: measure.get(cell) for cell in CELLS}
    found = smallest_derivable(sizes, set(hidden_sectors), hidden_roles, k)
    assert (found is not None) == small
    if found is not None:
        assert 0 < sum(measure[c] for c in found) < k
