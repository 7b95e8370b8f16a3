"""The initiative file's `[roles]` table: FAS groups and names whose members are leads.

    [roles]
    lead_groups = ["bootc-sig"]     # FAS groups whose members are leads
    lead_users = ["nimbinatus"]     # FAS names who are leads

They add to FEDORA_LEAD_GROUPS and FEDORA_LEAD_USERS and, like them, are applied at each sign-in
with Fedora. A file without the table grants nothing (it clears what an earlier file granted).
Registered in AccountsConfig.ready().
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fedimage.accounts.models import FileRoles
from fedimage.accounts.services import FAS_NAME_RE
from fedimage.core.initiative_file import LoadReport, Locator, Reader, Section

KIND = "roles"


def _names(r: Reader, key: str) -> list[str]:
    values = r.get(key, list, default=[])
    if not all(isinstance(v, str) and FAS_NAME_RE.match(v.strip()) for v in values):
        r.fail(key, "expected a list of FAS names (a letter, then letters, digits, . _ -)")
    return sorted({v.strip() for v in values})


def parse_roles(loc: Locator, data: dict[str, Any], parsed: Mapping[str, Any]) -> dict[str, Any]:
    r = Reader(loc, KIND, None, data.get(KIND, {}))
    r.only({"lead_groups", "lead_users"})
    return {"lead_groups": _names(r, "lead_groups"), "lead_users": _names(r, "lead_users")}


def apply_roles(value: dict[str, Any], report: LoadReport) -> None:
    row = FileRoles.objects.select_for_update().first()
    if row is None:
        if value["lead_groups"] or value["lead_users"]:
            FileRoles.objects.create(**value)
            report.count("created", KIND)
        return
    if [row.lead_groups, row.lead_users] == [value["lead_groups"], value["lead_users"]]:
        report.count("unchanged", KIND)
        return
    row.lead_groups, row.lead_users = value["lead_groups"], value["lead_users"]
    row.save(update_fields=["lead_groups", "lead_users"])
    report.count("updated", KIND)


ROLES = Section(name=KIND, tables=(KIND,), reports=(KIND,), parse=parse_roles, apply=apply_roles)
