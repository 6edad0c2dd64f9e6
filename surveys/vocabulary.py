"""Reading sectors and roles as people write them in spreadsheets ("VCSE", "Service user")."""

from __future__ import annotations

import re

from .models import Role, Sector

_SECTOR_SPELLINGS: dict[str, list[str]] = {
    Sector.PUBLIC: ["public", "public sector", "statutory", "government"],
    Sector.PRIVATE: ["private", "private sector", "business", "businesses", "commercial"],
    Sector.VOLUNTARY: [
        "voluntary",
        "vcse",
        "vcs",
        "voluntary sector",
        "voluntary & community",
        "voluntary and community",
        "voluntary and community sector",
        "voluntary & community sector",
        "voluntary and community sector (vcse)",
        "third sector",
        "charity",
        "community",
    ],
    Sector.CITIZEN: [
        "citizen",
        "citizens",
        "service user",
        "service users",
        "citizen or service user",
        "resident",
        "residents",
    ],
}
_ROLE_SPELLINGS: dict[str, list[str]] = {
    Role.FRONTLINE: ["frontline", "front line", "front-line", "frontline worker", "practitioner"],
    Role.MANAGER: ["manager", "management", "middle manager"],
    Role.SENIOR: ["senior", "senior leader", "senior manager", "director", "executive"],
    Role.BOARD: [
        "board",
        "board member",
        "elected member",
        "councillor",
        "board or elected member",
        "trustee",
    ],
    Role.SERVICE_USER: ["service user", "service_user", "service users", "citizen"],
}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


_SECTORS = {_key(s): code for code, spellings in _SECTOR_SPELLINGS.items() for s in spellings}
_SECTORS.update({_key(label): code for code, label in Sector.choices})
_ROLES = {_key(s): code for code, spellings in _ROLE_SPELLINGS.items() for s in spellings}
_ROLES.update({_key(label): code for code, label in Role.choices})


def sector_from_text(text: str) -> str | None:
    """The sector code for a code or label in any case, or None if not recognised."""
    return _SECTORS.get(_key(text))


def role_from_text(text: str) -> str | None:
    """The role code, "" for an empty cell, or None if not recognised."""
    if not text.strip():
        return ""
    return _ROLES.get(_key(text))
