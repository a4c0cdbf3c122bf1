"""Settings from the environment, as the README's table lists them."""

import pytest

from webapp.config import ConfigError, from_env


def test_defaults_to_sqlite_under_instance_with_a_generated_secret(tmp_path):
    """With nothing set: SQLite under instance/, a secret generated once and kept?"""
    config = from_env({}, instance=tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'rounds.db'}"
    secret = (tmp_path / "secret_key").read_text()
    assert config["SECRET_KEY"] == secret and len(secret) >= 32
    assert from_env({}, instance=tmp_path)["SECRET_KEY"] == secret
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config["DEMO_MODE"] is True
    assert config["SESSION_COOKIE_SECURE"] is False  # plain-http development only


def test_production_refuses_to_start_without_a_secret(tmp_path):
    """Does ROUNDS_ENV=production without SECRET_KEY refuse, naming the fix?"""
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_env({"ROUNDS_ENV": "production"}, instance=tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_production_turns_demo_off_and_cookies_secure(tmp_path):
    """In production: demo mode off whatever is asked, cookies Secure?"""
    config = from_env(
        {"ROUNDS_ENV": "production", "SECRET_KEY": "x" * 40, "DEMO_MODE": "1"}, instance=tmp_path
    )
    assert config["DEMO_MODE"] is False
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_postgres_urls_use_psycopg3(tmp_path):
    """Is a plain postgresql:// or postgres:// URL run on psycopg 3?"""
    for given in ("postgres://u@h/db", "postgresql://u@h/db"):
        config = from_env({"DATABASE_URL": given, "SECRET_KEY": "k"}, instance=tmp_path)
        assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_https_base_url_makes_cookies_secure(tmp_path):
    """Behind TLS, are cookies Secure without another setting?"""
    config = from_env(
        {"PUBLIC_BASE_URL": "https://rounds.example/", "SECRET_KEY": "k"}, instance=tmp_path
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["PUBLIC_BASE_URL"] == "https://rounds.example"


def test_redis_url_backs_the_rate_limiter(tmp_path):
    """With REDIS_URL set, does the limiter keep its counts in Redis?"""
    config = from_env(
        {"REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "k"}, instance=tmp_path
    )
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert from_env({"SECRET_KEY": "k"}, instance=tmp_path)["RATELIMIT_STORAGE_URI"] == "memory://"


def test_unknown_environment_name_is_refused(tmp_path):
    """Is a typo in ROUNDS_ENV caught rather than silently treated as development?"""
    with pytest.raises(ConfigError, match="ROUNDS_ENV"):
        from_env({"ROUNDS_ENV": "prod"}, instance=tmp_path)


def test_a_job_queue_url_no_queue_can_open_is_refused_at_start(tmp_path):
    """Is a JOBS_QUEUE_URL of an unknown kind (a database URL pasted in) refused when the
    settings are read, naming the setting, rather than at the first job?"""
    with pytest.raises(ConfigError, match="JOBS_QUEUE_URL"):
        from_env({"JOBS_QUEUE_URL": "postgresql://rounds@/rounds"}, instance=tmp_path)
    fine = from_env({"JOBS_QUEUE_URL": "sqlite:////srv/q.sqlite3"}, instance=tmp_path)
    assert fine["JOBS_QUEUE_URL"] == "sqlite:////srv/q.sqlite3"
    shared = from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"}, instance=tmp_path)
    assert shared["JOBS_QUEUE_URL"] == "redis://127.0.0.1:6379/0"


S3 = {"BLOB_STORE": "s3", "S3_BUCKET": "rounds-photos", "S3_REGION": "ap-northeast-1"}


def test_blobs_go_to_a_bucket_only_when_told_and_told_completely(tmp_path):
    """Is the folder the default, a bucket chosen by BLOB_STORE=s3 with its name and a region
    or endpoint, and every half-said combination refused, naming what is wrong?"""
    assert from_env({}, instance=tmp_path)["BLOB_STORE"] == "folder"
    config = from_env(S3, instance=tmp_path)
    assert (config["BLOB_STORE"], config["S3_BUCKET"], config["S3_PREFIX"]) == (
        "s3",
        "rounds-photos",
        "",
    )
    local = from_env(
        {**S3, "S3_ENDPOINT_URL": "http://127.0.0.1:9000/", "S3_REGION": ""}, instance=tmp_path
    )
    assert local["S3_ENDPOINT_URL"] == "http://127.0.0.1:9000" and local["S3_REGION"] is None
    refused = {
        "BLOB_STORE=s3 needs S3_BUCKET": {"BLOB_STORE": "s3", "S3_REGION": "x"},
        "S3_BUCKET set but BLOB_STORE is not s3": {"S3_BUCKET": "rounds-photos"},
        "S3_BUCKET is not a bucket name": {**S3, "S3_BUCKET": "Rounds_Photos"},
        "S3_ENDPOINT_URL must be": {**S3, "S3_ENDPOINT_URL": "minio:9000"},
        "S3_PREFIX must be one plain word": {**S3, "S3_PREFIX": "a/../b"},
        "needs S3_REGION": {"BLOB_STORE": "s3", "S3_BUCKET": "rounds-photos"},
        "BLOB_STORE must be one of": {"BLOB_STORE": "gcs"},
    }
    for message, env in refused.items():
        with pytest.raises(ConfigError, match=message):
            from_env(env, instance=tmp_path)


def test_retention_periods_default_sensibly_and_refuse_an_unread_alert_dropped_first(tmp_path):
    """Alerts 180 days (unread on the bell 365), digests 365, ended sessions 30; an unread
    period shorter than the read one, or an alert period under 30 days, is refused by name?"""
    config = from_env({"SECRET_KEY": "k"}, instance=tmp_path)
    assert (
        config["ALERT_RETENTION_DAYS"],
        config["UNREAD_ALERT_RETENTION_DAYS"],
        config["DIGEST_RETENTION_DAYS"],
        config["SESSION_RETENTION_DAYS"],
    ) == (180, 365, 365, 30)
    given = from_env(
        {"SECRET_KEY": "k", "ALERT_RETENTION_DAYS": "90", "UNREAD_ALERT_RETENTION_DAYS": "90"},
        instance=tmp_path,
    )
    assert given["ALERT_RETENTION_DAYS"] == given["UNREAD_ALERT_RETENTION_DAYS"] == 90
    # Alerts kept longer than a year and the unread period left unset: it follows, not refused.
    longer = from_env({"SECRET_KEY": "k", "ALERT_RETENTION_DAYS": "400"}, instance=tmp_path)
    assert longer["UNREAD_ALERT_RETENTION_DAYS"] == 400
    with pytest.raises(ConfigError, match="UNREAD_ALERT_RETENTION_DAYS.*ALERT_RETENTION_DAYS"):
        from_env(
            {
                "SECRET_KEY": "k",
                "ALERT_RETENTION_DAYS": "200",
                "UNREAD_ALERT_RETENTION_DAYS": "100",
            },
            instance=tmp_path,
        )
    for name, value in (
        ("ALERT_RETENTION_DAYS", "7"),
        ("DIGEST_RETENTION_DAYS", "10"),
        ("SESSION_RETENTION_DAYS", "0"),
        ("SESSION_RETENTION_DAYS", "soon"),
    ):
        with pytest.raises(ConfigError, match=name):
            from_env({"SECRET_KEY": "k", name: value}, instance=tmp_path)
