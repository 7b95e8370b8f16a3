"""Leads subscribe rooms on the notifications page (the service): the admin no longer adds or
edits subscriptions, so their group loses those permissions (removing stays, via the service)."""

from django.db import migrations

REVOKED = ("add_subscription", "change_subscription")


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="lead").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="notifications", codename__in=REVOKED
            )
        )


def restore(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="lead").first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="notifications", codename__in=REVOKED
            )
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_lead_permissions")]

    operations = [migrations.RunPython(revoke, restore)]
