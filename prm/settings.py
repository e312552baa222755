"""PRM settings, read from environment variables only.

Safe by default: DEBUG is off unless ``DEBUG=true`` is set, and with DEBUG off PRM refuses to
start without ``SECRET_KEY``. ``make run`` (and the test settings) switch the development defaults
on explicitly with ``DEBUG=true``. Without ``DATABASE_URL`` and ``REDIS_URL`` the app runs on the
embedded default: SQLite under ``var/``, Celery tasks run eagerly in-process (no broker), e-mail
printed to the console. Production sets at least ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``
and ``ALLOWED_HOSTS``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off PRM refuses to start without a secret key: "
            "set the SECRET_KEY environment variable to a long random string."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "django_countries",
    "prm",
    "partners",
    "tiering",
    "pipeline",
    "jbp",
    "incentives",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "prm.middleware.TenantMiddleware",
]

# Content-Security-Policy: every script is a file the app serves (no inline script, no eval, no
# third-party origin). Inline styles stay allowed: the server-rendered SVG charts carry their own CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The product's apps in dependency order: each may use those before it, never those after.
PRM_APPS = ["partners", "tiering", "pipeline", "jbp", "incentives", "reporting"]

ROOT_URLCONF = "prm.urls"
WSGI_APPLICATION = "prm.wsgi.application"

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
                "prm.context_processors.tenancy",
            ],
        },
    },
]

if not env.str("DATABASE_URL", default=""):
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its SQLite file here
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'prm.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL with two roles: DATABASE_URL's owns nothing (row privileges only), so it cannot switch
# row-level security off; `manage.py migrate` connects as DATABASE_OWNER_URL's role, which owns the
# tables, and then grants the runtime role its row privileges. Unset: one role does both.
PRM_DATABASE_OWNER = (
    {key: env.db("DATABASE_OWNER_URL")[key] for key in ("USER", "PASSWORD")}
    if env.str("DATABASE_OWNER_URL", default="")
    else None
)
PRM_DATABASE_RUNTIME_USER = DATABASES["default"].get("USER", "")
# A PostgreSQL streaming replica (hot standby) for the reports' heavy reads; see prm.replica. It is
# read with the runtime role, so row-level security holds there as on the primary. Unset: none.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
# Longest wait for the replica to replay the primary's last commit before a report reads there;
# past it the report reads from the primary.
DATABASE_REPLICA_MAX_WAIT = env.float("DATABASE_REPLICA_MAX_WAIT", default=1.0)
DATABASE_ROUTERS = ["prm.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "prm.User"
# The partner company that partner roles, API keys, invitations and audit events point at. The core
# names it through this setting only (as Django's auth names the user model), so it imports no app.
PRM_PARTNER_MODEL = "partners.Partner"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail is the login, no usernames; codes by e-mail for people who hate passwords.
ACCOUNT_ADAPTER = "prm.accounts.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "request_login_code": "20/m/ip,3/m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PRM] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="PRM")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PRM <prm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://")
    if not env.str("REDIS_URL", default="")
    else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("REDIS_URL")}
}

# Celery: with REDIS_URL it is the broker; without one, tasks run eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 15 * 60  # hard ceiling; tasks set their own, shorter limits
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Each entry fans out one task per active tenant (see prm.tasks.fan_out).
    "expire-invitations-daily": {
        "task": "prm.tasks.fan_out",
        "schedule": timedelta(hours=24),
        "kwargs": {"task_name": "prm.tasks.expire_invitations"},
    },
    "expire-deal-registrations-hourly": {
        "task": "prm.tasks.fan_out",
        "schedule": timedelta(hours=1),
        "kwargs": {"task_name": "pipeline.tasks.expire_registrations"},
    },
    "escalate-overdue-registrations-hourly": {
        "task": "prm.tasks.fan_out",
        "schedule": timedelta(hours=1),
        "kwargs": {"task_name": "pipeline.tasks.escalate_overdue_registrations"},
    },
    "expire-unclaimed-mdf-requests-daily": {
        "task": "prm.tasks.fan_out",
        "schedule": crontab(minute=15, hour=1),
        "kwargs": {"task_name": "incentives.tasks.expire_unclaimed_requests"},
    },
    "accrue-rebates-monthly": {
        "task": "prm.tasks.fan_out",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
        "kwargs": {"task_name": "incentives.tasks.accrue_rebates"},
    },
    "recalculate-scores-nightly": {
        "task": "prm.tasks.fan_out",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"task_name": "tiering.tasks.recalculate_scores"},
    },
    "plan-review-reminders-daily": {
        "task": "prm.tasks.fan_out",
        "schedule": timedelta(hours=24),
        "kwargs": {"task_name": "jbp.tasks.send_review_reminders"},
    },
}

# Proof of performance uploads for MDF claims: largest accepted file, in bytes.
MDF_PROOF_MAX_BYTES = env.int("MDF_PROOF_MAX_BYTES", default=10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["prm.drf.TenantAccessAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["prm.drf.HasTenantPermission"],
    "DEFAULT_PAGINATION_CLASS": "prm.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "prm.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "prm.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "prm.drf.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PRM API",
    "DESCRIPTION": (
        "Partner relationship management. Every endpoint lives under /api/v1/t/{tenant_slug}/ and "
        "answers for that tenant only. Authenticate with a session or a tenant API key: "
        "`Authorization: Bearer prm_…`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get names of their own (else spectacular warns).
    "ENUM_NAME_OVERRIDES": {
        "PartnerStatusEnum": "partners.models.Partner.Status",
        "ContactRoleEnum": "partners.vocab.ContactRole",
        "RoleEnum": "prm.permissions.Role",
        # Partners' segments/verticals and accounts' segment/industry share the vocabularies.
        "SegmentEnum": "partners.vocab.Segment",
        "VerticalEnum": "partners.vocab.Vertical",
        "CriterionKindEnum": "tiering.models.Criterion.Kind",
        "RevenueKindEnum": "pipeline.models.RevenueRecord.Kind",
        # Joint business plans.
        "PlanStatusEnum": "jbp.models.Plan.Status",
        "PlanSideEnum": "jbp.models.Side",
        "TargetKindEnum": "jbp.models.Target.Kind",
        "ReportExportKindEnum": "reporting.models.ReportExport.Kind",
        "InvestmentKindEnum": "jbp.models.Investment.Kind",
        "ActivityStatusEnum": "jbp.models.Activity.Status",
        "ActionItemStatusEnum": "jbp.models.ActionItem.Status",
        "PlanExportStatusEnum": "jbp.models.PlanExport.Status",
    },
}

# Production hardening: on whenever DEBUG is off.
# Trust X-Forwarded-Proto only behind a TLS-terminating proxy that sets it (else it is spoofable).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("TRUST_X_FORWARDED_PROTO", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# The metric indexes carry INCLUDE columns for index-only scans on PostgreSQL; SQLite keeps the key
# columns and ignores the rest, which is fine for the embedded default.
SILENCED_SYSTEM_CHECKS: list[str] = ["models.W040"]
# /healthz must answer over plain HTTP to the load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Product settings with tenant-independent defaults.
PRM_INVITATION_DAYS = env.int("PRM_INVITATION_DAYS", default=7)
# Absolute address of the app, for links in e-mails sent from background tasks.
PRM_BASE_URL = env.str("PRM_BASE_URL", default="http://127.0.0.1:8000")

# Longest age of a cached dashboard; any write in the tenant drops it earlier (reporting.cache).
REPORTING_CACHE_SECONDS = env.int("REPORTING_CACHE_SECONDS", default=15 * 60)
