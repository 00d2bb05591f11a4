"""Per-field results move from FieldResult rows into one JSON document per Result.

A national publication (3,321 communes × 10 fields) then writes 3,321 rows instead of
36,531; the snapshot is only ever read whole. Existing rows are copied over first, so no
published figure is lost; the copy runs in its own migration (0003) before the table goes.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="result",
            name="field_results",
            field=models.JSONField(default=dict, verbose_name="kết quả từng lĩnh vực"),
        ),
    ]
