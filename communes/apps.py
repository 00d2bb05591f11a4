from django.apps import AppConfig


class CommunesConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'communes'
    verbose_name = "Đơn vị hành chính"

    def ready(self):
        # A job working for a unit is seen by the unit's staff (any role on it or above): jobs
        # is told so here, as it imports no app (communes starts import jobs).
        from jobs.services import let_unit_staff_see

        from .access import is_unit_staff

        let_unit_staff_see(is_unit_staff)
