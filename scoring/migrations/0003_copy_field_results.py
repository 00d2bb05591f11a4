"""Copy every FieldResult row into its Result's `field_results` document (see 0002)."""

from collections import defaultdict

from django.db import migrations


def to_documents(apps, schema_editor):
    FieldResult = apps.get_model("scoring", "FieldResult")
    Result = apps.get_model("scoring", "Result")
    documents = defaultdict(dict)
    rows = FieldResult.objects.values_list(
        "result_id", "field__code", "score", "max_points", "rank", "rank_of"
    )
    for result, code, score, max_points, rank, rank_of in rows.iterator():
        documents[result][code] = {
            "score": str(score),
            "max": str(max_points),
            "rank": rank,
            "rank_of": rank_of,
        }
    for result, document in documents.items():
        Result.objects.filter(pk=result).update(field_results=document)


def to_rows(apps, schema_editor):
    FieldResult = apps.get_model("scoring", "FieldResult")
    Result = apps.get_model("scoring", "Result")
    Criterion = apps.get_model("scoring", "Criterion")
    rows = []
    for result in Result.objects.select_related("publication__period"):
        fields = dict(
            Criterion.objects.filter(
                criteria_set_id=result.publication.period.criteria_set_id,
                code__in=result.field_results,
            ).values_list("code", "pk")
        )
        rows.extend(
            FieldResult(
                result=result,
                field_id=fields[code],
                score=values["score"],
                max_points=values["max"],
                rank=values["rank"],
                rank_of=values["rank_of"],
            )
            for code, values in result.field_results.items()
        )
    FieldResult.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_field_results_in_result"),
    ]

    operations = [
        migrations.RunPython(to_documents, to_rows),
    ]
