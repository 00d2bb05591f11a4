"""Settings for cchc, read from environment variables (docs/design.md §9).

DATABASE_URL   sqlite:////abs/path/db.sqlite3 (default: db.sqlite3 beside manage.py)
               or postgres://user@host:5432/name
MEDIA_ROOT     where evidence files are stored (default: media/ beside manage.py)
STORAGE_BACKEND  "filesystem" (default: files under MEDIA_ROOT) or "s3" (S3-compatible object
               storage through django-storages and boto3: AWS_STORAGE_BUCKET_NAME, required;
               AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID,
               AWS_SECRET_ACCESS_KEY, AWS_LOCATION (prefix), AWS_S3_ADDRESSING_STYLE)
SECRET_KEY     required when DEBUG is off
DEBUG          1/0, true/false (default: on, for a newcomer's first run)
ALLOWED_HOSTS  comma-separated host names
AXES_FAILURE_LIMIT, AXES_COOLOFF_MINUTES   login lockout: wrong passwords allowed (5), minutes (15)
TRUSTED_PROXY_COUNT  reverse proxies appending to X-Forwarded-For in front of gunicorn (0)
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL,
EMAIL_TIMEOUT, DEFAULT_FROM_EMAIL   notification e-mail over SMTP; without EMAIL_HOST the
               console backend prints every e-mail instead
EMAIL_RESEND_DAYS  the daily run sends again e-mails left unsent for up to this many days (3)
SITE_URL       the address users open the app at, for links in e-mails (http://127.0.0.1:8000)
CELERY_BROKER_URL  redis://127.0.0.1:6379/0 sends long work (reports, ZIPs) to Celery workers;
               without it the same tasks run in-process (cchc/celery.py)
CELERY_QUEUE   the queue tasks are sent to and workers read ("celery")
CELERY_VISIBILITY_TIMEOUT  seconds after which Redis delivers again a message whose worker died
               before acknowledging it (1200)
JOB_STALE_MINUTES  a job that reported no progress for this long is marked failed (30)
IMPORT_JOB_KB  a file imported from a web page that is larger than this (KB) is imported by
               a job, with a progress page; a smaller one in the request (512)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from error


def env_database(name: str, default: str) -> dict:
    url = os.environ.get(name) or default
    if not url.startswith(("sqlite:", "postgres:", "postgresql:")):
        raise ImproperlyConfigured(f"{name} must be a sqlite:/// or postgres:// URL, not {url!r}")
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"].endswith("sqlite3"):
        # Several officers save at once: wait for the write lock instead of failing at once.
        config["OPTIONS"] = {"timeout": 20}
        config["CONN_MAX_AGE"] = 0
    else:
        # The test database in UTF-8 even on a cluster created without LANG (SQL_ASCII), whose
        # template1 would pass that encoding on; template0 accepts any encoding.
        config["TEST"] = {"CHARSET": "UTF8", "TEMPLATE": "template0"}
    return config


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "csp",
    "communes.login_lockout.LoginLockoutConfig",  # django-axes, its admin in Vietnamese
    "django_htmx",
    "communes",
    "scoring",
    "evidence",
    "reports",
    "notifications",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which parses the body: oversized and anonymous uploads refused unread.
    "evidence.middleware.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After CSRF: NUL or over-long query and form values get a 400, never a database error.
    "cchc.middleware.RequestParametersMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a refused login into the lockout page
]

ROOT_URLCONF = "cchc.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "evidence.context_processors.upload_limits",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "cchc.wsgi.application"

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "communes.validators.MinimumLengthValidator"},  # its message in Vietnamese
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Stateless app servers (docs/design.md §10): any gunicorn process on any machine can answer
# any request. Sessions live in the database (the one every server shares); login lockouts
# too (django-axes' database handler, below). The per-process cache (locmem) holds nothing
# that must be shared: no app code uses Django's cache framework (tests/test_stateless.py).
# Django's database sessions, their read compiled once per process (cchc/sessions.py).
SESSION_ENGINE = "cchc.sessions"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused for AXES_COOLOFF_MINUTES, even with the right
# password; an admin unlocks it early ("Khóa đăng nhập" in the admin, or `axes_reset`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked pair before any check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a typo now and then never adds up to a lockout
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every wrong password kept for the admin to read
AXES_LOCKOUT_CALLABLE = "communes.login_lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# How many reverse proxies stand in front of gunicorn, each appending to X-Forwarded-For:
# the client's address is then the N-th from the right; with 0 the header is ignored (any
# client can send it) and REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "communes.login_lockout.client_ip"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]  # Vietnamese for django-axes' admin, which ships none
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]


def env_file_storage() -> dict:
    """STORAGES["default"]: files under MEDIA_ROOT, or an S3-compatible bucket (MinIO, Ceph,
    AWS) shared by every app server and worker (docs/design.md §10). Every file goes through
    this storage's API (open/save/exists/delete), never through a path."""
    backend = os.environ.get("STORAGE_BACKEND", "filesystem").strip().lower() or "filesystem"
    if backend == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        raise ImproperlyConfigured(
            f"STORAGE_BACKEND must be 'filesystem' or 's3', not {backend!r}"
        )
    try:
        import boto3  # noqa: F401 - only needed for S3
    except ImportError as error:
        raise ImproperlyConfigured(
            "STORAGE_BACKEND=s3 needs boto3: pip install 'boto3' (see README, Chạy thật)"
        ) from error
    bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME")
    options = {
        "bucket_name": bucket,
        # Evidence is private: only the permission-checked views read it, never a bucket URL.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "location": os.environ.get("AWS_LOCATION", ""),
    }
    for name, option in [
        ("AWS_S3_ENDPOINT_URL", "endpoint_url"),
        ("AWS_S3_REGION_NAME", "region_name"),
        ("AWS_ACCESS_KEY_ID", "access_key"),
        ("AWS_SECRET_ACCESS_KEY", "secret_key"),
        ("AWS_S3_ADDRESSING_STYLE", "addressing_style"),
    ]:
        if os.environ.get(name):
            options[option] = os.environ[name]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": env_file_storage(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Evidence lives in STORAGES["default"] (under MEDIA_ROOT on the filesystem) and is only ever
# served by the permission-checked view.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = None

# Evidence uploads (issue: self-assessment).
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The first handler stops any multipart body at EVIDENCE_MAX_BYTES + 64 KB of form.
FILE_UPLOAD_HANDLERS = [
    "evidence.middleware.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Imported tables (tabular.read_table: every import command and page). A file over a cap is
# refused with a Vietnamese message as soon as the cap is passed; XLSX parts may inflate to
# 10 × IMPORT_MAX_MB. The defaults hold a national file (265,680 rows, ~15 MB as CSV).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 30) * 1024 * 1024
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 500_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 100)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 10_000)
# A file imported from a web page (the survey page, the admin's import pages) larger than this
# is imported by a job (jobs/imports.py: kept in the file storage, a progress page, the row
# errors on it); a smaller one in the request, as the page always did.
IMPORT_JOB_MIN_BYTES = env_int("IMPORT_JOB_KB", 512) * 1024
# A field below this share of its maximum is "weak" (docs/design.md §5: 75%).
WEAK_FIELD_THRESHOLD = os.environ.get("WEAK_FIELD_THRESHOLD", "0.75")

# Notification e-mail (docs/design.md §9): SMTP from the environment; without EMAIL_HOST the console
# backend prints each e-mail, so a newcomer's run needs no mail server. Links in e-mails are
# absolute, on SITE_URL.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
# A mail server that does not answer must not hold a request or the daily run for long.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# E-mails a server refused or never took are sent again by the daily run (send_reminders /
# celery beat) for this many days after their notification; 0 turns that off.
EMAIL_RESEND_DAYS = env_int("EMAIL_RESEND_DAYS", 3)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Chỉ số CCHC <no-reply@localhost>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, not {SITE_URL!r}")

# Long work off the request (docs/design.md §9 ◆ CELERY_BROKER_URL, cchc/celery.py, which says
# what happens when a worker dies). Outcomes are kept in the database (jobs.Job), so the
# broker holds nothing but messages.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
# Acknowledged once done, not when received: a message whose worker died is delivered again.
CELERY_TASK_ACKS_LATE = True
# A pool process killed mid-task (SIGKILL, out of memory): its message goes back to the queue
# at once instead of being acknowledged as failed.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message reserved per process: a long render does not sit on messages another process
# could take (the rendering's parts, reports.tasks.PARTS).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The queue the app sends to and its workers read (`celery -A cchc worker -Q …`); one Redis may
# serve several installations, or tests, each on its own queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery") or "celery"
# Redis: a message not acknowledged CELERY_VISIBILITY_TIMEOUT seconds after delivery (its
# whole worker died, machine included) is delivered again to a live worker, which looks for
# such messages when it starts and then every `unacked_restore_interval` ×
# `unacked_restore_throttle` seconds. It must be longer than the longest task (a rendering
# part of a national publication: minutes), or a running task is delivered a second time
# (harmless: parts claim what nobody renders, a finished job is not run again). Below
# JOB_STALE_MINUTES, so the job is taken up again before it would be marked failed.
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 1200)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1 if _VISIBILITY_TIMEOUT < 600 else 10,
}
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
from celery.schedules import crontab  # noqa: E402

# `celery -A cchc beat`: the daily reminders at 07:00 (the cron line's job, README).
CELERY_BEAT_SCHEDULE = {
    "daily-reminders": {"task": "scoring.send_reminders", "schedule": crontab(hour=7, minute=0)},
    "import-files": {"task": "jobs.sweep_import_files", "schedule": crontab(hour=3, minute=0)},
}
JOB_STALE_MINUTES = env_int("JOB_STALE_MINUTES", 30)

# Content-Security-Policy on every page (django-csp): scripts and styles only from the app's
# own static files, so injected markup can run nothing. Evidence downloads set their own
# stricter `sandbox` policy, which the middleware leaves in place.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
