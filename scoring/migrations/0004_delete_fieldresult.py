from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0003_copy_field_results"),
    ]

    operations = [
        migrations.DeleteModel(name="FieldResult"),
    ]
