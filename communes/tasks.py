"""The admin's "Nhập từ tệp" pages as jobs (communes.admin.ImportFromFileMixin, for a file over
IMPORT_JOB_KB): the task finds the page's ModelAdmin by its model and runs its `run_import`,
the same call the page makes for a small file, through jobs.imports.run_import."""

from celery import shared_task
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model

from jobs.imports import run_import
from tabular import ImportFailed, RowError


@shared_task(name="communes.import_admin_file")
def import_admin_file(
    job_id: int, stored: str, filename: str, model_label: str, fields: dict, user_id: int
) -> None:
    """Import the stored file as the admin page of `model_label` would, with the page's other
    fields `fields` (as posted: the page's form reads them again) for the user `user_id`."""
    model_admin = admin.site.get_model_admin(apps.get_model(model_label))
    by = get_user_model().objects.filter(pk=user_id).first()
    form = model_admin.import_form(fields, file_held=True)

    def do_import(table, on_checked):
        if not form.is_valid():  # checked on the page already: only if the rules changed since
            raise ImportFailed(
                RowError(None, None, f"{name}: {' '.join(errors)}")
                for name, errors in form.errors.items()
            )
        data = {name: value for name, value in form.cleaned_data.items() if name != "file"}
        return model_admin.run_import(table, data, by=by, on_checked=on_checked)

    required, optional = model_admin.import_columns
    run_import(
        job_id, stored, filename, required=required, optional=optional, do_import=do_import
    )
