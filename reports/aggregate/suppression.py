"""Anonymity suppression: which cells of a report to hide. Privacy-critical: every
change here needs the fixed cases (tests/test_suppression.py) and the attack test
(tests/test_suppression_attack.py) to pass.

The rule (documented in docs/reports.md): within one system and one breakdown dimension
(sector or role) and one pre-condition, a cell with people in it but fewer than the
diagnostic's ``min_group_size`` (k) scored ratings is suppressed (None). If the suppressed
cells of that dimension together hold fewer than k scores or fewer than k people (but more
than zero), the next smallest cells are suppressed too, until they hold at least k of each
or every cell is suppressed — so no group below k can be recovered by subtracting the
shown cells from the total (``suppressed_cells``). Then, since the by-sector and by-role
breakdowns are published together, more cells are hidden while the two together (with the
total) give away the sums of any group of fewer than k, for someone who knows each
respondent's sector and role (``_breakdowns``). A system whose total is below k is
suppressed entirely (``summary._system_summary``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .contract import ROLES, SECTORS, Stats
from .statistics import _RoundTables, _Row, _stats


def suppressed_cells(
    ns: Mapping[str, int],
    k: int,
    *,
    never_shown: Iterable[str] = (),
    sizes: Mapping[str, int] | None = None,
) -> set[str]:
    """The cells of one breakdown to hide so that no group smaller than ``k`` shows.

    ``ns`` maps each cell (a sector, say) to its number of scored ratings; ``sizes`` (by
    default the same) to its number of people, "don't know" included. A cell with nobody
    is "no data": nothing to hide, so it is never returned. A cell with people but fewer
    than ``k`` scores is hidden (its scores, or who said "don't know", would show). If the
    hidden cells together hold fewer than ``k`` scores or people (but more than 0), the
    smallest shown cells are hidden too (ties in the order of ``ns``) until they hold at
    least ``k`` or nothing is left — otherwise the total minus the shown cells would give
    the small group away.

    ``never_shown`` names cells that are hidden whatever their size (respondents who gave
    no role): they count toward the hidden total for the same reason.
    """
    sizes = ns if sizes is None else sizes
    hidden = {cell for cell in ns if sizes[cell] > 0 and ns[cell] < k}
    hidden |= {cell for cell in never_shown if sizes.get(cell, 0) > 0}

    def too_small(cells: set[str]) -> bool:
        scores = sum(ns[cell] for cell in cells)
        people = sum(sizes[cell] for cell in cells)
        return 0 < scores < k or 0 < people < k

    smallest_first = sorted(
        (cell for cell in ns if sizes[cell] > 0 and cell not in hidden),
        key=lambda cell: ns[cell],  # sorted() is stable: ties keep the order of ``ns``
    )
    for cell in smallest_first:
        if too_small(hidden):
            hidden.add(cell)
    return hidden


def _hidden(
    cells: dict[str, _Row], shown_keys: Sequence[str], k: int, also: Iterable[str] = ()
) -> set[str]:
    """The cells of one breakdown (by sector or by role) to hide: ``suppressed_cells``.

    Cells outside ``shown_keys`` (a blank role), and those in ``also``, are hidden
    whatever their size and count toward the hidden total, so they cannot be recovered by
    subtraction either.
    """

    # Shown cells first, in their usual order, so ties are broken the same way every time.
    def count(cell: str, key: str) -> int:
        return getattr(cells[cell], key) if cell in cells else 0

    ordered = [*shown_keys, *(cell for cell in cells if cell not in shown_keys)]
    ns = {cell: count(cell, "n") for cell in ordered}
    sizes = {cell: count(cell, "n") + count(cell, "dont_know") for cell in ordered}
    never_shown = [cell for cell in cells if cell not in shown_keys or cell in set(also)]
    return suppressed_cells(ns, k, never_shown=never_shown, sizes=sizes)


def _shown(
    cells: dict[str, _Row], shown_keys: Sequence[str], hidden: set[str]
) -> dict[str, Stats | None]:
    return {
        cell: _stats(cells[cell]) if cell in cells and cell not in hidden else None
        for cell in shown_keys
    }


def _breakdowns(
    tables: _RoundTables, system_id: int, code: str, k: int
) -> tuple[dict[str, Stats | None], dict[str, Stats | None]]:
    """The by-sector and by-role breakdowns of one pre-condition, with small groups hidden.

    Each breakdown is first suppressed by itself (``suppressed_cells``). But the two are
    published side by side, and someone who knows each respondent's sector and role can
    combine them: a sector minus a role that lies inside it, or a sector plus a role
    minus the total, can be a group of fewer than k. So while the shown cells of both
    together give away such a group (``_linked_disclosure``), one more shown cell is
    hidden — the smallest whose hiding stops that group being worked out, or else the
    smallest — and the per-breakdown rule is applied again.
    """
    sector_cells = tables.cells("sector", system_id, code)
    role_cells = tables.cells("role", system_id, code)
    combined = tables.sector_and_role_cells(system_id, code)
    also: dict[str, set[str]] = {"sector": set(), "role": set()}

    def hide(extra: dict[str, set[str]]) -> tuple[set[str], set[str]]:
        return (
            _hidden(sector_cells, SECTORS, k, extra["sector"]),
            _hidden(role_cells, ROLES, k, extra["role"]),
        )

    hidden_sectors, hidden_roles = hide(also)
    while (group := _linked_disclosure(combined, hidden_sectors, hidden_roles, k)) is not None:
        # Shown cells, smallest first; ties: sectors first, then the usual order.
        candidates = sorted(
            [
                *(
                    (sector_cells[c].n, 0, SECTORS.index(c), "sector", c)
                    for c in sector_cells
                    if c in SECTORS and c not in hidden_sectors
                ),
                *(
                    (role_cells[c].n, 1, ROLES.index(c), "role", c)
                    for c in role_cells
                    if c in ROLES and c not in hidden_roles
                ),
            ]
        )
        if not candidates:  # cannot happen: a disclosure needs shown cells of both
            break
        chosen = candidates[0]
        for candidate in candidates:
            *_order, dimension, cell = candidate
            trial = {**also, dimension: also[dimension] | {cell}}
            if not _derivable(combined, *hide(trial), group):
                chosen = candidate
                break
        *_order, dimension, cell = chosen
        also[dimension].add(cell)
        hidden_sectors, hidden_roles = hide(also)
    return _shown(sector_cells, SECTORS, hidden_sectors), _shown(role_cells, ROLES, hidden_roles)


def _published_sums(
    combined: Mapping[tuple[str, str], tuple], hidden_sectors: set[str], hidden_roles: set[str]
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The non-empty (sector, role) cells, and one row per published group over them: the
    total, each shown sector, each shown role (1 where the cell belongs to the group)."""
    cells = sorted(combined)
    rows = [np.ones(len(cells))]
    for position, name in ((0, s) for s in SECTORS if s not in hidden_sectors):
        rows.append(np.asarray([cell[position] == name for cell in cells], dtype=float))
    for position, name in ((1, r) for r in ROLES if r not in hidden_roles):
        rows.append(np.asarray([cell[position] == name for cell in cells], dtype=float))
    return cells, np.vstack(rows)


def _derivable(
    combined: Mapping[tuple[str, str], tuple],
    hidden_sectors: set[str],
    hidden_roles: set[str],
    group: frozenset[tuple[str, str]],
) -> bool:
    """Whether the sums over ``group`` follow from the published sums (a linear
    combination of them)."""
    cells, rows = _published_sums(combined, hidden_sectors, hidden_roles)
    target = np.asarray([cell in group for cell in cells], dtype=float)
    rank = np.linalg.matrix_rank(rows)
    return bool(np.linalg.matrix_rank(np.vstack([rows, target])) == rank)


def _linked_disclosure(
    combined: Mapping[tuple[str, str], tuple],
    hidden_sectors: set[str],
    hidden_roles: set[str],
    k: int,
) -> frozenset[tuple[str, str]] | None:
    """A group of (sector, role) cells, other than everyone, with fewer than ``k`` scores
    or people (but some), whose sums follow from the total and the shown cells of both
    breakdowns; None if there is none.

    A group follows when t + a_s + b_r is 1 on its cells and 0 on the other non-empty
    cells, for some t (the total's coefficient), a_s (0 for a hidden sector) and b_r (0
    for a hidden role). Writing u_s = t + a_s and w_r = b_r, each cell is u_s + w_r; in
    each connected part of the graph whose edges are the non-empty cells, fixing the
    first vertex and choosing 0 or 1 along a spanning tree fixes every vertex, so the
    0/1 patterns of a part can be listed (at most 2^9 for 4 sectors and 6 roles). The
    parts are then combined, keeping the total's coefficient t the same in all.
    """
    shown_sectors = {s for s, _r in combined if s in SECTORS and s not in hidden_sectors}
    shown_roles = {r for _s, r in combined if r in ROLES and r not in hidden_roles}
    if not shown_sectors or not shown_roles:
        return None  # one breakdown alone: rules 2-4 already protect it
    if len(combined) == len({s for s, _r in combined}) * len({r for _s, r in combined}):
        # Everyone sector meets everyone role: the sums then give only unions of whole
        # sectors or of whole roles (hidden ones all together), each at least k.
        return None
    parts = []
    for part in _connected_parts(set(combined)):
        patterns = _patterns(part, hidden_sectors, hidden_roles, combined, k)
        parts.append((part, patterns))
    everyone = frozenset(combined)
    forced = {t for _part, patterns in parts for _ones, t in patterns if t is not None}
    for t in [*sorted(forced), None]:
        # For each reachable (scores, people) so far, capped at k, one group reaching it.
        reach: dict[tuple[int, int], frozenset] = {(0, 0): frozenset()}
        for _part, patterns in parts:
            step: dict[tuple[int, int], frozenset] = {}
            for (scores, people), group in reach.items():
                for ones, needs in patterns:
                    if needs is not None and needs != t:
                        continue
                    union = group | ones
                    key = (
                        min(k, scores + sum(combined[c][0] for c in ones)),
                        min(k, people + sum(combined[c][1] for c in ones)),
                    )
                    # Keep a group other than everyone when there is one.
                    if key not in step or step[key] == everyone:
                        step[key] = union
            reach = step
        for (scores, people), group in reach.items():
            if group and group != everyone and (0 < scores < k or 0 < people < k):
                return group
    return None


def _connected_parts(cells: set[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    parts, remaining = [], set(cells)
    while remaining:
        part = {min(remaining)}
        grew = True
        while grew:
            grew = False
            for cell in list(remaining - part):
                if any(cell[0] == other[0] or cell[1] == other[1] for other in part):
                    part.add(cell)
                    grew = True
        remaining -= part
        parts.append(sorted(part))
    return parts


def _patterns(
    part: list[tuple[str, str]],
    hidden_sectors: set[str],
    hidden_roles: set[str],
    sizes: Mapping[tuple[str, str], tuple],
    k: int,
) -> set[tuple[frozenset, int | None]]:
    """The 0/1 patterns the published sums can make on one connected part that could be
    part of a small group: (cells at 1, the total's coefficient t it needs, or None if
    any will do). Patterns holding at least ``k`` scores and ``k`` people are not listed
    (nor followed: cells only add), so the search stays small."""
    adjacent: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for sector, role in part:
        adjacent.setdefault(("s", sector), []).append(("r", role))
        adjacent.setdefault(("r", role), []).append(("s", sector))
    first = ("s", part[0][0])
    order, parent = [first], {}
    for vertex in order:  # breadth first: ``order`` grows as it is read
        for other in adjacent[vertex]:
            if other != first and other not in parent:
                parent[other] = vertex
                order.append(other)
    found: set[tuple[frozenset, int | None]] = set()
    value = {first: 0}

    def cell(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
        return (a[1], b[1]) if a[0] == "s" else (b[1], a[1])

    def assign(index: int, scores: int, people: int) -> None:
        if scores >= k and people >= k:
            return
        if index < len(order):
            vertex = order[index]
            for x in (0, 1):
                value[vertex] = x - value[parent[vertex]]
                edges = [(o, value[vertex] + value[o]) for o in adjacent[vertex] if o in value]
                if all(x_e in (0, 1) for _o, x_e in edges):
                    added = [sizes[cell(vertex, o)] for o, x_e in edges if x_e == 1]
                    assign(
                        index + 1,
                        scores + sum(size[0] for size in added),
                        people + sum(size[1] for size in added),
                    )
                del value[vertex]
            return
        # u = value + c for sectors, w = value - c for roles, for one real c.
        roles_fixed = {value[("r", r)] for r in hidden_roles if ("r", r) in value}
        sectors_fixed = {value[("s", s)] for s in hidden_sectors if ("s", s) in value}
        if len(roles_fixed) > 1:
            return  # every hidden role has w = 0
        if roles_fixed:
            c = next(iter(roles_fixed))
            ts = {u + c for u in sectors_fixed}  # every hidden sector has u = t
            if len(ts) > 1:
                return
            t = next(iter(ts), None)
        else:
            if len(sectors_fixed) > 1:
                return
            t = None  # c is free, so t can be anything
        ones = frozenset(c for c in part if value[("s", c[0])] + value[("r", c[1])] == 1)
        found.add((ones, t))

    assign(1, 0, 0)
    return found


def _respondents_by_sector(tables: _RoundTables, system_id: int, k: int) -> dict[str, int | None]:
    counts = tables.respondents_by_sector.get(system_id, {})
    ns = {sector: counts.get(sector, 0) for sector in SECTORS}
    never_shown = [sector for sector in counts if sector not in ns]
    ns |= {sector: counts[sector] for sector in never_shown}
    hidden = suppressed_cells(ns, k, never_shown=never_shown)
    # A sector with nobody is shown as 0: an empty group reveals nobody.
    return {sector: None if sector in hidden else ns[sector] for sector in SECTORS}
