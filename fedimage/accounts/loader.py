"""The initiative file's `[roles]` table: FAS groups and names whose members are leads.

    [roles]
    lead_groups = ["bootc-sig"]     # FAS groups whose members are leads
    lead_users = ["nimbinatus"]     # FAS names who are leads

They add to FEDORA_LEAD_GROUPS and FEDORA_LEAD_USERS and, like them, are applied at each sign-in
with Fedora. A file without the table grants nothing (it clears what an earlier file granted).
Registered in AccountsConfig.ready().
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from fedimage.accounts.models import FileRoles
from fedimage.accounts.services import FAS_NAME_RE
from fedimage.core.file_schema import FileSchema, Table, problem, strings
from fedimage.core.initiative_file import LoadReport, Section

KIND = "roles"
FAS_NAMES = "FAS names (a letter, then letters, digits, . _ -)"


def _fas_name(name: str) -> None:
    if not FAS_NAME_RE.match(name):
        raise problem(f"expected a list of {FAS_NAMES}, got {name!r}")


def _sorted_once(names: list[str]) -> list[str]:
    return sorted(set(names))


Names = Annotated[list[str], strings(FAS_NAMES, each=_fas_name), AfterValidator(_sorted_once)]


class RolesTable(Table):
    """`[roles]`: who the file makes a lead, besides the settings' groups and names."""

    lead_groups: Names = []
    lead_users: Names = []


class RolesSchema(FileSchema):
    roles: RolesTable


def apply_roles(parsed: RolesSchema, report: LoadReport) -> None:
    value = parsed.roles.model_dump()
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


ROLES = Section(name=KIND, schema=RolesSchema, reports=(KIND,), apply=apply_roles)
