"""Let leads manage subscriptions and see deliveries in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEAD_PERMISSIONS = {
    "subscription": ("view", "add", "change", "delete"),
    "event": ("view",),
    "notification": ("view", "change"),
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("notifications")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="lead")
    codenames = [f"{a}_{m}" for m, actions in LEAD_PERMISSIONS.items() for a in actions]
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notifications", codename__in=codenames
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("initiative", "0003_lead_group"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
