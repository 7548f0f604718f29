"""SEN Portal settings: one module, read from the environment.

With ``DEBUG=1`` and no other configuration it runs on an embedded default (a SQLite file and
Celery's filesystem broker under ``var/``) so that ``make run`` works on a fresh machine
(docs/decisions/0002-embedded-default-sqlite-and-filesystem-broker.md). Production sets ``DATABASE_URL``,
``CELERY_BROKER_URL``, ``SECRET_KEY`` and ``ALLOWED_HOSTS``; with ``DEBUG`` off a missing one stops
start-up with a one-line message, so production never falls back to the embedded default.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from core.config import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")) or "")


def _fail(message: str) -> None:
    # One line, no traceback: the operator reads it in a container log.
    sys.stderr.write(f"SEN Portal configuration error: {message}\n")
    raise SystemExit(2)


try:
    DEBUG = env_bool("DEBUG", False)

    SECRET_KEY = env_str("SECRET_KEY") or ""
    if not SECRET_KEY:
        if not DEBUG:
            _fail("SECRET_KEY is not set. Set SECRET_KEY to a long random string (or DEBUG=1 for development).")
        # Development only: a fixed, obviously-unsafe key so sessions survive restarts.
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        if not DEBUG:
            _fail("ALLOWED_HOSTS is not set. Set ALLOWED_HOSTS to the site's host names, comma-separated.")
        ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = env_str("DATABASE_URL") or ""
    if not DATABASE_URL:
        if not DEBUG:
            _fail("DATABASE_URL is not set. Set DATABASE_URL to the PostgreSQL database (or DEBUG=1 for development).")
        # Development only: the embedded SQLite file. VAR_DIR is absolute: sqlite:////abs/path.
        DATABASE_URL = f"sqlite:///{VAR_DIR / 'senportal.sqlite3'}"
    DATABASES: dict[str, dict[str, Any]] = {"default": parse_database_url(DATABASE_URL, base_dir=BASE_DIR)}
    REPORTING_DATABASE_URL = env_str("REPORTING_DATABASE_URL")
    if REPORTING_DATABASE_URL:
        DATABASES["reporting"] = parse_database_url(REPORTING_DATABASE_URL, base_dir=BASE_DIR)
        DATABASES["reporting"]["TEST"] = {"MIRROR": "default"}

    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or ""
    if not CELERY_BROKER_URL:
        if not DEBUG:
            _fail(
                "CELERY_BROKER_URL is not set. Set CELERY_BROKER_URL to the Redis broker (or DEBUG=1 for development)."
            )
        # Development only: the embedded folder broker under VAR_DIR (one host).
        CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
    BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
except ConfigError as exc:
    _fail(str(exc))
DATABASE_ROUTERS = ["core.db_router.ReportingRouter"]  # report reads to REPORTING_DATABASE_URL, if set

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    "core.apps.SenAdminConfig",  # Django admin, for the admin role only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "core.apps.CoreConfig",
    "demo",
    "requests_app",
    "panels",
    "placements",
    "reporting",
]

MIDDLEWARE = [
    # Request id (X-Request-ID, logs, access log) and refusals logged as security events: first.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SignInRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "senportal.urls"
WSGI_APPLICATION = "senportal.wsgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Children's special-category data: short idle sessions (30 minutes), refreshed on activity.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
PASSWORD_RESET_TIMEOUT = 60 * 60

# --- Internationalisation: an English council -----------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
USE_THOUSAND_SEPARATOR = False

# --- Static files -------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": ("django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG else "core.storage.StaticStorage")
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Email --------------------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SEN Portal <sen-portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production values when DEBUG is off; `check --deploy` is tested clean) --------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check is called over plain HTTP by the load balancer or container runtime.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- REST API -----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated request gets 401 with WWW-Authenticate. Expiring,
        # hashed, revocable tokens (django-rest-knox, ``Authorization: Bearer``); a session
        # counts only once its second factor is verified (core.mfa).
        "knox.auth.TokenAuthentication",
        "core.mfa.MfaSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.StrictFilterBackend",  # django-filter, strict about empty and yes/no values
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": (
        ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]
        if DEBUG
        else ["rest_framework.renderers.JSONRenderer"]
    ),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SEN Portal API",
    "DESCRIPTION": (
        "Case management for a council's Special Educational Needs service: EHC needs-assessment "
        "requests and their statutory clocks, the placement panel, independent placements and "
        "the managers' figures. Session or token authentication; every change of state is an "
        "action endpoint."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Administrators (and any role given Capability.API_INTEGRATE) only; anyone else gets 404.
    "SERVE_PERMISSIONS": ["core.api.CanReadApiSchema"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, wherever it appears (status and from_status share statuses).
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "requests_app.models.RequestStatus",
        "Sen2OutcomeEnum": "requests_app.models.Sen2Outcome",
        "NeedTypeEnum": "core.models.NeedType",
        "MediationOutcomeEnum": "requests_app.models.MEDIATION_OUTCOME_CHOICES",
        "AppealOutcomeEnum": "requests_app.models.APPEAL_OUTCOME_CHOICES",
        # --- Case notes and corrections (issue 13, notes): "kind" names two choice sets ---
        "ExceptionKindEnum": "requests_app.models.ExceptionKind",
        "CaseNoteKindEnum": "requests_app.models.NOTE_KIND_CHOICES",
        # The SEN2 return (docs/sen2.md)
        "Sen2ReturnStatusEnum": "reporting.models.Sen2ReturnStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_error_responses",
        "core.api.close_request_bodies",
    ],
}

# --- Celery -------------------------------------------------------------------------------

# The longest any task may run (the report range job); no task declares more (tested). With
# acks_late a message taken by a worker that dies is redelivered after the broker's visibility
# timeout, so the timeout is this limit plus a margin: long enough that a job still running is
# never handed to a second worker, short enough that a killed job is retried within minutes of
# its limit rather than after Redis's default hour.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT + 5 * 60

if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded default: a folder queue, no broker server (one host only; Redis in production).
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # remote control (ping) works too
        "store_processed": False,
    }
    if not CELERY_RESULT_BACKEND:
        (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
        CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery-results'}"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
    if not CELERY_RESULT_BACKEND:
        CELERY_RESULT_BACKEND = CELERY_BROKER_URL

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "interactive"
# Long report jobs get their own queue so a backfill never delays interactive work.
CELERY_TASK_ROUTES = {"*.reports.*": {"queue": "reports"}, "reports.*": {"queue": "reports"}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs; django-celery-beat's DatabaseScheduler copies these into its tables on start,
# where an administrator can see, pause or re-time them.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "core.heartbeat", "schedule": 300.0},
    # Dashboard snapshots (Europe/London, CELERY_TIMEZONE): the month just ended, on the 1st.
    "monthly-metrics": {"task": "reports.monthly_metrics", "schedule": crontab(minute=0, hour=2, day_of_month=1)},
    "backlog-snapshot": {"task": "reports.backlog_snapshot", "schedule": crontab(minute=30, hour=1)},
}
# --- Case file: letters and reminders (issue 13) ---
CELERY_BEAT_SCHEDULE["officer-digests"] = {
    "task": "requests_app.officer_digests",
    "schedule": crontab(minute=0, hour=7),
}
CELERY_BEAT_SCHEDULE["sweep-messages"] = {"task": "requests_app.sweep_messages", "schedule": 300.0}

# --- Caching and logging ------------------------------------------------------------------

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Request ids in every log line (core.requestid, issue 14) ----------------------------------------
LOGGING["filters"] = {"request_id": {"()": "core.requestid.RequestIdLogFilter"}}
LOGGING["handlers"]["console"]["filters"] = ["request_id"]
LOGGING["formatters"]["plain"]["format"] = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# --- Service settings ---------------------------------------------------------------------

# The council this deployment serves (shown in the header and on letters).
COUNCIL_NAME = env_str("COUNCIL_NAME", "Kent County Council (demo)")
# Figures each role sees first on its home page: role -> dotted paths of functions
# (user, today) -> [{"label", "count", "url"}]. Set here, at the roof, so core imports no app.
HOME_SUMMARIES: dict[str, list[str]] = {
    "sen_officer": ["requests_app.summary.officer_summary"],
    "provision_evaluator": ["requests_app.summary.evaluator_summary"],
    "educational_psychologist": ["requests_app.summary.ep_summary"],
    "manager": ["requests_app.summary.officer_summary"],
}
# Panel quorum: at least this many members present and not recused (besides SEN, EP, finance).
PANEL_MINIMUM_HEADCOUNT = env_int("PANEL_MINIMUM_HEADCOUNT", 4)
# The council's average annual cost of a place in its own maintained special schools, in pence,
# shown beside every referral's costs (docs/domain.md, cost intelligence). Kent's was £24,252
# in 2024-25; set the council's own figure each year.
MAINTAINED_SPECIAL_COST_PER_PLACE_PENCE = env_int("MAINTAINED_SPECIAL_COST_PER_PLACE_PENCE", 2_425_200)

FORM_RENDERER = "core.forms.GovukRenderer"

# The service navigation, in order: (label, URL name, capability or None for everyone signed in).
# Named here, at the roof, because core may name no app's URL (docs/decisions/0004-layering.md).
NAVIGATION: list[tuple[str, str, str | None]] = [
    ("Home", "home", None),
    ("Requests", "requests:queue", "request.view"),
    ("Advice", "requests:advice-queue", "advice.view"),
    ("Appeals", "requests:appeal-list", "request.view"),
    ("Panel", "panels:meeting-list", "panel.view"),
    # Officers who refer (and find a referral sent back for more information) start here.
    ("Panel referrals", "panels:referral-list", "panel.refer"),
    ("Placements", "placements:contract-list", "placement.view"),
    # SEN officers record the placement reviews of their own cases (finance reach them from the queue).
    ("Placement reviews", "placements:case-reviews", "placement.review_record"),
    ("Dashboard", "dashboard:home", "reports.view"),
    # The SEN2 statutory return (docs/sen2.md): managers only.
    ("SEN2 return", "dashboard:sen2", "reports.sen2"),
    ("Access log", "requests:access-log", "data_protection"),
    ("Administration", "admin:index", "admin"),
]
# Links from a lower layer's page to a higher layer's page (core.links.cross_layer_url).
CROSS_LAYER_LINKS: dict[str, str] = {
    "refer-to-panel": "panels:referral-create",
    "draft-contract": "placements:contract-create",
}

# --- Security: MFA, API tokens, session lifetime, sudo mode (issue 14; docs/security.md) -----

INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "knox",
]
# After AuthenticationMiddleware: the session's verified device (django-otp), the 12-hour
# absolute session limit, then "a password-only session gets nothing" (core.mfa).
_after_auth = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
MIDDLEWARE[_after_auth:_after_auth] = [
    "django_otp.middleware.OTPMiddleware",
    "core.session.SessionLifetimeMiddleware",
    "core.mfa.MfaRequiredMiddleware",
]

# Development and the demo only: no second factor at sign-in. Refused with DEBUG off.
SENPORTAL_DEV_SKIP_MFA = env_bool("SENPORTAL_DEV_SKIP_MFA", False)
if SENPORTAL_DEV_SKIP_MFA and not DEBUG:
    raise ImproperlyConfigured(
        "SENPORTAL_DEV_SKIP_MFA is for development only: unset it (production needs DEBUG off and MFA on)."
    )
OTP_TOTP_ISSUER = "SEN Portal"
OTP_TOTP_THROTTLE_FACTOR = 1  # django-otp's own back-off per device, besides core.signin.MFA

# API tokens: expire after API_TOKEN_TTL_HOURS (8), at most 10 live per person.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 8)),
    "AUTH_HEADER_PREFIX": "Bearer",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 10,
}

# Sessions: 30 minutes idle (SESSION_COOKIE_AGE above), 12 hours at most from sign-in.
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
# Sudo mode: bulk exports, SEN2 and subject access downloads, role changes and MFA resets need a
# sign-in (password and code) within this many seconds (core.sudo).
SUDO_MODE_SECONDS = env_int("SUDO_MODE_SECONDS", 15 * 60)
if not DEBUG:
    # __Host- cookies: Secure, Path=/, no Domain (browsers enforce it). Development over plain
    # http keeps the usual names, as browsers refuse __Host- cookies without Secure.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_PATH = "/"
    CSRF_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    CSRF_COOKIE_DOMAIN = None
# --- Data protection: subject access and retention (issue 14; docs/retention.md) -----------------

# Everything held about a child, app by app (core/subject_data.py): each path is a function
# (child_id) -> list[Section]. An app that stores data about a child adds its own line here.
SUBJECT_DATA_SECTIONS: list[str] = [
    "requests_app.subject_data.sections",
    "panels.subject_data.sections",
    "placements.subject_data.sections",
    "core.access.subject_sections",
    "core.documents.subject_sections",
]
# The retention schedule (requests_app/retention.py). Defaults: IRMS Toolkit for Schools, SEN
# files kept to date of birth + 31 years; the access log six years from each row. Council
# decisions: set them from the council's own schedule.
RETENTION_SCHEDULE: dict[str, dict[str, object]] = {
    "sen_case_file": {
        "basis": "date_of_birth",
        "years": env_int("RETENTION_SEN_CASE_FILE_YEARS", 31),
        "action": "anonymise",
    },
    "access_log": {"basis": "written", "years": env_int("RETENTION_ACCESS_LOG_YEARS", 6), "action": "delete"},
}
# The nightly list of what the schedule says is due; nothing is removed until an administrator
# approves the list (requests_app/services/retention.py).
CELERY_BEAT_SCHEDULE["retention-review"] = {
    "task": "data_protection.retention_review",
    "schedule": crontab(minute=15, hour=3),
}
NAVIGATION += [
    ("Subject access", "requests:subject-access", "data_protection"),
    ("Retention", "requests:retention", "admin"),
]
# --- Case file: outbound messages (issue 13) ----------------------------------------------
# "outbox" keeps messages in the database (the Outbox page); "notify" sends through GOV.UK
# Notify. Notify needs an API key ("<key name>-<service id>-<secret>") and one email template
# whose subject is ((subject)) and body ((body)) (docs/domain.md, "Letters and notices").
MESSAGE_BACKEND = env_str("MESSAGE_BACKEND", "outbox") or "outbox"
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY", "") or ""
NOTIFY_EMAIL_TEMPLATE_ID = env_str("NOTIFY_EMAIL_TEMPLATE_ID", "") or ""
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "") or ""
if MESSAGE_BACKEND == "notify" and not (NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID):
    _fail("MESSAGE_BACKEND=notify needs NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID to be set.")
# WeasyPrint logs every rendering step at INFO; letters are rendered often.
LOGGING["loggers"].update({"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}})  # type: ignore[index, union-attr]
# The case file's pages in the navigation (issue 13), after "Appeals".
_AFTER_APPEALS = [label for label, _url, _cap in NAVIGATION].index("Appeals") + 1
NAVIGATION[_AFTER_APPEALS:_AFTER_APPEALS] = [
    ("Your deadlines", "requests:digest", "request.decide"),
    ("Outbox", "requests:outbox", "request.view"),
]
# OpenAPI enum names for the case file's choice sets (issue 13).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[index]
    {
        "ContactKindEnum": "requests_app.people_models.CONTACT_KIND_CHOICES",
        "LetterKindEnum": "requests_app.people_models.LETTER_KIND_CHOICES",
        "ProfessionalRoleEnum": "requests_app.people_models.PROFESSIONAL_ROLE_CHOICES",
        # The clock exception kind is named ExceptionKindEnum above (one name per choice set).
    }
)
# --- Documents on a case (issue 13; docs/decisions/0008-documents.md, docs/deployment.md) --------

# Largest file accepted, in MB (checked before the content is read).
DOCUMENTS_MAX_UPLOAD_BYTES = env_int("DOCUMENTS_MAX_UPLOAD_MB", 20) * 1024 * 1024
# Where files are kept: "filesystem" (VAR_DIR/documents, outside any served folder) or "s3"
# (an S3-compatible bucket through django-storages: private objects, never a public URL).
DOCUMENTS_STORAGE = env_str("DOCUMENTS_STORAGE", "filesystem")
if DOCUMENTS_STORAGE == "s3":
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("DOCUMENTS_S3_BUCKET", ""),
            "region_name": env_str("DOCUMENTS_S3_REGION", "") or None,
            "endpoint_url": env_str("DOCUMENTS_S3_ENDPOINT_URL", "") or None,
            "location": env_str("DOCUMENTS_S3_PREFIX", "documents"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "object_parameters": {"ServerSideEncryption": env_str("DOCUMENTS_S3_SSE", "AES256")},
        },
    }
    if not STORAGES["documents"]["OPTIONS"]["bucket_name"]:
        _fail("DOCUMENTS_STORAGE is s3 but DOCUMENTS_S3_BUCKET is not set. Set the bucket's name.")
elif DOCUMENTS_STORAGE == "filesystem":
    STORAGES["documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "documents"), "file_permissions_mode": 0o600},
    }
else:
    _fail(f"DOCUMENTS_STORAGE must be filesystem or s3, not {DOCUMENTS_STORAGE!r}.")
# The virus scanner (clamd): a unix socket, or a host and port. Neither: documents are stored
# as "not scanned".
CLAMAV_SOCKET = env_str("CLAMAV_SOCKET", "")
CLAMAV_HOST = env_str("CLAMAV_HOST", "")
CLAMAV_PORT = env_int("CLAMAV_PORT", 3310)
CLAMAV_TIMEOUT = env_int("CLAMAV_TIMEOUT", 30)
# On (the production default): only a document the scanner passed can be downloaded, and with no
# scanner configured uploads are refused (`check --deploy` reports it). Off (development): a
# "not scanned" document can be downloaded, marked as such.
DOCUMENTS_REQUIRE_SCAN = env_bool("DOCUMENTS_REQUIRE_SCAN", not DEBUG)
CELERY_BEAT_SCHEDULE["scan-pending-documents"] = {"task": "core.scan_pending_documents", "schedule": 600.0}
# --- Figures that stay true (issue 16, reporting) -------------------------------------------
# Every night, after the backlog: recompute the months marked stale and the trailing 13 months.
CELERY_BEAT_SCHEDULE["nightly-figures-refresh"] = {
    "task": "reports.nightly_refresh",
    "schedule": crontab(minute=45, hour=2),
}
# Published statistics compared on the dashboard (load_published_ehcp_stats): the council's
# statistical neighbours as DfE 3-digit LA numbers. The default is a list for Kent (886), not yet
# checked against DfE's statistical neighbour benchmarking tool (docs/published-statistics.md
# says where the list comes from): set your own from the tool (comma-separated).
PUBLISHED_STATS_NEIGHBOURS: list[str] = env_list(
    "PUBLISHED_STATS_NEIGHBOURS", ["881", "850", "938", "888", "860", "891", "885", "935", "926", "830"]
)
# The council's LA number in the published files when no Council row is set.
PUBLISHED_STATS_COUNCIL_DEFAULT = "886"
# The committee report: the protective marking printed at its top and foot, and the
# small-number suppression threshold (counts from 1 to one below it are shown as "c").
REPORT_PROTECTIVE_MARKING = env_str("REPORT_PROTECTIVE_MARKING", "OFFICIAL-SENSITIVE") or "OFFICIAL-SENSITIVE"
SUPPRESSION_THRESHOLD = env_int("SUPPRESSION_THRESHOLD", 5)

# --- Security: the administrators' sign-in security page in the navigation (issue 14) ---------
# Every account's two-step sign-in (and resets), every live API token.
NAVIGATION.insert(
    [url_name for _label, url_name, _capability in NAVIGATION].index("admin:index"),
    ("Sign-in security", "security-admin", "admin"),
)

# --- Retention: each app's anonymiser (issue 14) ---------------------------------------------------
# Called by requests_app.services.retention.anonymise_child, with the child still identifiable,
# for the free text each later app holds about the child (docs/retention.md).
RETENTION_ANONYMISERS: list[str] = [
    "panels.retention.anonymise_child",
    "placements.retention.anonymise_child",
]
# Annual fee reviews (issue 17): a panel decision on a fee review's referral reaches the
# placements app through this hook, in the decision's transaction (panels may not import it).
PANEL_DECISION_HOOKS: list[str] = ["placements.services.fee_reviews.fee_review_panel_decided"]
CROSS_LAYER_LINKS["fee-review-contract"] = "placements:contract-by-reference"
