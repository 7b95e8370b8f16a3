"""Leads change milestones, migrations and blockers through the dashboard and the API (the
services), not the admin: their group keeps only the admin's view permissions for those."""

from django.db import migrations

REVOKED = ("change_milestone", "change_migration", "change_blocker")


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="lead").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="initiative", codename__in=REVOKED)
        )


def restore(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="lead").first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="initiative", codename__in=REVOKED)
        )


class Migration(migrations.Migration):
    dependencies = [("initiative", "0005_delete_snapshot")]

    operations = [migrations.RunPython(revoke, restore)]
