"""Settings read from the environment, as the README's table lists them."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
MIN_SECRET_BYTES = 32  # signs sessions and CSRF tokens: a short one can be guessed offline


class ConfigError(RuntimeError):
    """The environment does not describe a runnable deployment."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _whole(env, name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting within bounds, or ConfigError naming it."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


# What webapp/jobs/queue.py can open (memory:// too, for tests that set it directly).
JOBS_QUEUE_SCHEMES = ("sqlite:///", "redis://", "rediss://", "unix://")


# The push services of the browsers Rounds runs in (Chrome, Edge, Firefox, Safari and the
# Home Screen apps of iOS): a subscription naming any other host is refused, so the server
# never posts to an address a user made up. A host matches itself and its subdomains.
PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)


def _choice(env, name: str, default: str, allowed: tuple[str, ...]) -> str:
    """A setting that is one of a few words (case-insensitive), or ConfigError naming it."""
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


FLAG_WORDS = frozenset({"", "1", "true", "yes", "on", "0", "false", "no", "off"})


def _smtp(env) -> dict:
    """The email channel's SMTP settings (webapp/alerts/mail.py); no SMTP_HOST: no email."""
    host = (env.get("SMTP_HOST") or "").strip()
    starttls = env.get("SMTP_STARTTLS")
    if starttls is not None and starttls.strip().lower() not in FLAG_WORDS:
        raise ConfigError(f"SMTP_STARTTLS must be true or false, not {starttls!r}")
    settings = {
        "SMTP_HOST": host or None,
        "SMTP_PORT": _whole(env, "SMTP_PORT", 587, 1, 65535),
        "SMTP_USER": (env.get("SMTP_USER") or "").strip() or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_FROM": (env.get("SMTP_FROM") or "").strip() or None,
        "SMTP_STARTTLS": _flag(starttls, True),
    }
    if not host:
        return settings
    sender = settings["SMTP_FROM"]
    if not sender or "@" not in sender or any(c in sender for c in "\r\n"):
        raise ConfigError(
            f"SMTP_HOST is set, so SMTP_FROM must be the address alerts come from, not {sender!r}"
        )
    if bool(settings["SMTP_USER"]) != bool(settings["SMTP_PASSWORD"]):
        raise ConfigError("SMTP_USER and SMTP_PASSWORD go together: set both or neither")
    return settings


# A bucket name as S3 allows it (3–63 lowercase letters, digits, dots, hyphens).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_SETTINGS = ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_PREFIX")


def _blob_store(env) -> dict:
    """Where blobs go: the folder (default) or an S3-compatible bucket, checked as a whole."""
    store = _choice(env, "BLOB_STORE", "folder", ("folder", "s3"))
    given = {name: (env.get(name) or "").strip() or None for name in S3_SETTINGS}
    if store == "folder":
        stray = [name for name, value in given.items() if value]
        if stray:
            # Someone meant the bucket: refuse rather than quietly keep photos on one disk.
            raise ConfigError(
                f"{', '.join(stray)} set but BLOB_STORE is not s3 (set BLOB_STORE=s3)"
            )
        return {"BLOB_STORE": "folder"}
    bucket, endpoint, region, prefix = (given[name] for name in S3_SETTINGS)
    if not bucket:
        raise ConfigError("BLOB_STORE=s3 needs S3_BUCKET (the bucket's name)")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ConfigError(f"S3_BUCKET is not a bucket name: {bucket!r}")
    if endpoint is not None and not re.match(r"^https?://[^/\s]+/?$", endpoint):
        raise ConfigError(
            f"S3_ENDPOINT_URL must be http(s)://host[:port] (no path), not {endpoint!r}"
        )
    if prefix is not None and not re.match(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$", prefix):
        raise ConfigError(
            f"S3_PREFIX must be one plain word (letters, digits, ._-), not {prefix!r}"
        )
    if endpoint is None and region is None:
        raise ConfigError("BLOB_STORE=s3 needs S3_REGION (AWS) or S3_ENDPOINT_URL (another server)")
    return {
        "BLOB_STORE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint.rstrip("/") if endpoint else None,
        "S3_REGION": region,
        "S3_PREFIX": prefix or "",
    }


def _retention(env) -> dict:
    """How long the operational rows are kept before the daily purge deletes them
    (webapp/retention, docs/retention.md); what was recorded is never purged."""
    alerts = _whole(env, "ALERT_RETENTION_DAYS", 180, 30, 3650)
    unread = _whole(env, "UNREAD_ALERT_RETENTION_DAYS", max(365, alerts), 30, 3650)
    if unread < alerts:
        raise ConfigError(
            f"UNREAD_ALERT_RETENTION_DAYS ({unread}) must be at least ALERT_RETENTION_DAYS "
            f"({alerts}): an unread alert is never deleted before a read one"
        )
    return {
        "ALERT_RETENTION_DAYS": alerts,
        "UNREAD_ALERT_RETENTION_DAYS": unread,
        # At least the 35 days a digest's files are kept with their job.
        "DIGEST_RETENTION_DAYS": _whole(env, "DIGEST_RETENTION_DAYS", 365, 35, 3650),
        "SESSION_RETENTION_DAYS": _whole(env, "SESSION_RETENTION_DAYS", 30, 1, 3650),
    }


def _dev_secret_key(instance: Path) -> str:
    """Return the development secret, generating it once into instance/."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with 0600 so a shared machine does not leak session signing.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def from_env(env: os._Environ | dict | None = None, instance: Path | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    instance = Path(env.get("ROUNDS_INSTANCE") or instance or DEFAULT_INSTANCE)
    rounds_env = (env.get("ROUNDS_ENV") or "development").strip().lower()
    if rounds_env not in {"development", "production", "testing"}:
        raise ConfigError(
            f"ROUNDS_ENV must be development, production or testing, not {rounds_env!r}"
        )
    production = rounds_env == "production"

    secret = env.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError(
                "ROUNDS_ENV=production needs SECRET_KEY: set it to a long random string "
                '(python -c "import secrets; print(secrets.token_hex(32))")'
            )
        secret = _dev_secret_key(instance)
    if production and len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"SECRET_KEY is too short for production: at least {MIN_SECRET_BYTES} bytes "
            '(python -c "import secrets; print(secrets.token_hex(32))")'
        )

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'rounds.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    public_base_url = (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    secure_cookies = _flag(env.get("SECURE_COOKIES"), public_base_url.startswith("https://"))
    if production and not secure_cookies:
        secure_cookies = True

    redis_url = env.get("REDIS_URL") or None
    jobs_queue_url = env.get("JOBS_QUEUE_URL") or redis_url
    # Checked here, so the app and the worker refuse to start (webapp/jobs/queue.py would only
    # find out at the first job, and the web app's jobs would then wait for ever).
    if jobs_queue_url is not None and not jobs_queue_url.startswith(JOBS_QUEUE_SCHEMES):
        raise ConfigError(
            f"JOBS_QUEUE_URL (or REDIS_URL) must be sqlite:///FILE, redis://… or rediss://…, "
            f"not {jobs_queue_url!r}"
        )
    metrics_token = (env.get("METRICS_TOKEN") or "").strip() or None
    if metrics_token is not None and len(metrics_token) < 16:
        raise ConfigError("METRICS_TOKEN must be at least 16 characters (or unset: no /metrics)")
    session_hours = _whole(env, "SESSION_LIFETIME_HOURS", 12, 1, 24 * 7)
    # Web Push (webapp/alerts/push.py): who the push services may write to about our
    # messages (the VAPID "sub"), and the hosts of the push services a browser may name.
    vapid_subject = (env.get("VAPID_SUBJECT") or "").strip() or public_base_url
    if env.get("VAPID_SUBJECT") and not vapid_subject.startswith(("mailto:", "https://")):
        raise ConfigError(f"VAPID_SUBJECT must be a mailto: or https:// URL, not {vapid_subject!r}")
    push_hosts = tuple(
        host.strip().lower()
        for host in (env.get("PUSH_SERVICE_HOSTS") or ",".join(PUSH_SERVICE_HOSTS)).split(",")
        if host.strip()
    )
    return {
        "ROUNDS_ENV": rounds_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": public_base_url,
        "REDIS_URL": redis_url,
        "DEMO_MODE": False if production else _flag(env.get("DEMO_MODE"), True),
        "INSTANCE_PATH": str(instance),
        # Photos, signatures and job output: this folder, or a bucket (BLOB_STORE=s3, below);
        # with a bucket the folder is where `flask blobs migrate` copies from.
        "BLOB_DIR": env.get("BLOB_DIR") or str(instance / "blobs"),
        **_blob_store(env),
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "rounds_session",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A signed-in browser keeps its session across restarts for this long after login
        # (the cookie is persistent and re-sent on every response; the server ends it then).
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * session_hours,
        # A device token nobody used for this many days is refused (and revoked).
        "DEVICE_TOKEN_IDLE_DAYS": _whole(env, "DEVICE_TOKEN_IDLE_DAYS", 30, 1, 3650),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted
        # (0: none; the socket's address is the client's).
        "TRUSTED_PROXY_HOPS": _whole(env, "TRUSTED_PROXY_HOPS", 0, 0, 5),
        # Set on every app: Flask-Limiter keeps "enabled" on its one shared instance, so an
        # app that turned it off would otherwise leave it off for the next app made.
        "RATELIMIT_ENABLED": _flag(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Off: a 429's Retry-After is the app's own (webapp/errors.py), the number its message
        # says; Flask-Limiter's header injection recomputed it a second later (one less).
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT") or "5 per minute",
        # Password checks one address may have in flight at once while it has few recent
        # failures: an office's phones behind one NAT at the start of a shift
        # (webapp/auth/passwords.py).
        "LOGIN_IN_FLIGHT": _whole(env, "LOGIN_IN_FLIGHT", 40, 1, 1000),
        # Background jobs' queue: Redis when the app runs on several machines, else a SQLite
        # file in the instance folder (None: instance/jobs.sqlite3, read by webapp/jobs).
        "JOBS_QUEUE_URL": jobs_queue_url,
        "JOBS_QUEUE_NAME": env.get("JOBS_QUEUE_NAME") or "rounds",
        "JOBS_THREADS": _whole(env, "JOBS_THREADS", 2, 1, 32),
        # Deletions the sync feed keeps before the weekly purge forgets them (a phone offline
        # longer takes a fresh snapshot).
        "TOMBSTONE_RETENTION_DAYS": _whole(env, "TOMBSTONE_RETENTION_DAYS", 90, 7, 3650),
        # Alerts, digests and ended sessions kept before the daily purge deletes them.
        **_retention(env),
        "BABEL_DEFAULT_LOCALE": "zh_Hant_TW",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Taipei",
        "WTF_CSRF_TIME_LIMIT": 3600,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "JSON_SORT_KEYS": False,
        # Logs: JSON lines for a collector in production, readable text while developing.
        "LOG_FORMAT": _choice(
            env, "LOG_FORMAT", "json" if production else "text", ("json", "text")
        ),
        "LOG_LEVEL": _choice(
            env, "LOG_LEVEL", "info", ("debug", "info", "warning", "error")
        ).upper(),
        # /metrics answers only this bearer token; unset, it is not served at all (404).
        "METRICS_TOKEN": metrics_token,
        # Alerts: a device holding unsynced records this many hours is worth an alert (each
        # person may choose their own on their alerts page); email through SMTP_*.
        "ALERTS_UNSYNCED_HOURS": _whole(env, "ALERTS_UNSYNCED_HOURS", 4, 1, 168),
        **_smtp(env),
        # Web Push: the VAPID private key (PEM, or the base64url 32-byte key); unset, one is
        # generated once into instance/vapid_private_key.pem. Several app machines must share it.
        "VAPID_PRIVATE_KEY": (env.get("VAPID_PRIVATE_KEY") or "").strip() or None,
        "VAPID_SUBJECT": vapid_subject,
        "PUSH_SERVICE_HOSTS": push_hosts,
    }
