"""Create the `lead` group with what leads need in the admin (they also need is_staff)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEAD_PERMISSIONS = {
    "initiative": {
        "milestone": ("view", "change"),
        "migration": ("view", "change"),
        "blocker": ("view", "change"),
        "release": ("view", "change"),
        "subproject": ("view", "change"),
        "initiative": ("view",),
        "snapshot": ("view",),
    },
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="lead")
    for app_label, models in LEAD_PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("initiative", "0002_tracker_links"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
