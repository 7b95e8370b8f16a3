"""Mark every blocker with the review state its meeting review already holds."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_states(apps, schema_editor):
    Blocker = apps.get_model("initiative", "Blocker")
    BlockerReview = apps.get_model("meetings", "BlockerReview")
    state = BlockerReview.objects.filter(blocker=OuterRef("pk")).values("state")[:1]
    Blocker.objects.filter(review__isnull=False).update(review_state=Subquery(state))


class Migration(migrations.Migration):
    dependencies = [
        ("initiative", "0007_blocker_review_state"),
        ("meetings", "0002_action_item_due_announced"),
    ]

    operations = [
        migrations.AlterField(
            model_name="blockerreview",
            name="state",
            field=models.CharField(
                choices=[
                    ("proposed", "Not yet reviewed"),
                    ("accepted", "Accepted"),
                    ("rejected", "Rejected"),
                    ("needs_info", "Needs more information"),
                ],
                default="proposed",
                max_length=12,
            ),
        ),
        migrations.RunPython(copy_states, migrations.RunPython.noop),
    ]
