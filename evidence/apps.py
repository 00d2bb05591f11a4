from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'evidence'
    verbose_name = "Tài liệu kiểm chứng"
