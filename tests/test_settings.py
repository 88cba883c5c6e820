"""Settings from the environment; every setting is documented in the README."""

import dataclasses
import ipaddress
import re
from pathlib import Path

import pytest

from server.settings import Settings, SettingsError, load_settings

README = Path(__file__).resolve().parent.parent / "README.md"

# Environment names of the Settings fields (one name per field, as read in load_settings).
ENVIRONMENT_NAMES = [
    "DATABASE_URL",
    "DATA_DIR",
    "SECRET_KEY",
    "BASE_URL",
    "TZ",
    "RINNALLA_ENV",
    "DEBUG",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "ORG_SEARCHES_PER_DAY",
    "LOGIN_WINDOW_MINUTES",
    "TRUSTED_PROXIES",
    "MFA_REQUIRED_ROLES",
    "RINNALLA_RELEASE",
    "VAPID_PRIVATE_KEY",
    "PUSH_SUBJECT",
    "PUSH_ENDPOINT_ALLOWLIST",
    "REMINDER_QUIET_HOURS",
    "METRICS_TOKEN",
    "LOG_FILE",
    "CLIENT_RETENTION_YEARS",
    "LOG_RETENTION_YEARS",
]


# One non-default value per environment name, and the field that must take it.
READ_BACK = [
    ("DATABASE_URL", "postgresql://u:p@db.example:5433/r", "database_url", "postgresql://u:p@db.example:5433/r"),
    ("DATA_DIR", "/tmp/rinnalla-settings-probe", "data_dir", Path("/tmp/rinnalla-settings-probe")),
    ("SECRET_KEY", "k" * 40, "secret_key", "k" * 40),
    ("BASE_URL", "https://r.example.fi/", "base_url", "https://r.example.fi"),
    ("TZ", "Europe/Stockholm", "timezone", "Europe/Stockholm"),
    ("RINNALLA_ENV", "development", "environment", "development"),
    ("DEBUG", "1", "debug", True),
    ("SESSION_IDLE_MINUTES", "45", "session_idle_minutes", 45),
    ("SESSION_MAX_HOURS", "10", "session_max_hours", 10),
    ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "7", "login_max_failures_per_account", 7),
    ("LOGIN_MAX_FAILURES_PER_ADDRESS", "30", "login_max_failures_per_address", 30),
    ("ORG_SEARCHES_PER_DAY", "3", "org_searches_per_day", 3),
    ("LOGIN_WINDOW_MINUTES", "20", "login_window_minutes", 20),
    (
        "TRUSTED_PROXIES",
        "10.0.0.1, 10.0.0.0/24, fd00::/8",
        "trusted_proxies",
        (ipaddress.ip_network("10.0.0.1"), ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/8")),
    ),
    ("MFA_REQUIRED_ROLES", " Lead, professional ", "mfa_required_roles", frozenset({"lead", "professional"})),
    ("RINNALLA_RELEASE", " 4f2a9c1 ", "release", "4f2a9c1"),
    ("VAPID_PRIVATE_KEY", "abc", "vapid_private_key", "abc"),
    ("PUSH_SUBJECT", "mailto:ops@r.example.fi", "push_subject", "mailto:ops@r.example.fi"),
    (
        "PUSH_ENDPOINT_ALLOWLIST",
        "Push.Example.org, .push.test",
        "push_endpoint_allowlist",
        ("push.example.org", ".push.test"),
    ),
    ("REMINDER_QUIET_HOURS", "22-07", "quiet_hours", (22, 7)),
    ("METRICS_TOKEN", " s3cret ", "metrics_token", "s3cret"),
    ("LOG_FILE", "/tmp/rinnalla.log", "log_file", "/tmp/rinnalla.log"),
    ("CLIENT_RETENTION_YEARS", "11", "client_retention_years", 11),
    ("LOG_RETENTION_YEARS", "15", "log_retention_years", 15),
]


def test_every_setting_has_an_environment_name():
    assert sorted(field.name for field in dataclasses.fields(Settings)) == sorted(r[2] for r in READ_BACK)
    assert [r[0] for r in READ_BACK] == ENVIRONMENT_NAMES


@pytest.mark.parametrize("name, value, attribute, expected", READ_BACK)
def test_each_setting_is_read_from_its_environment_name(monkeypatch, tmp_path, name, value, attribute, expected):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    got = getattr(load_settings(), attribute)
    assert (str(got) if attribute == "timezone" else got) == expected


def test_every_setting_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [name for name in ENVIRONMENT_NAMES if not re.search(rf"`{name}`", text)]
    assert missing == []


def test_the_secret_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_settings().secret_key
    assert len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings().secret_key == first


def test_defaults_suit_a_laptop(tmp_path, monkeypatch):
    for name in ENVIRONMENT_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.is_sqlite and settings.sqlite_path == tmp_path / "rinnalla.sqlite"
    assert str(settings.timezone) == "Europe/Helsinki"
    assert settings.base_url == "http://localhost:8000" and not settings.is_https
    assert settings.mfa_required_roles == {"lead", "admin"} and settings.trusted_proxies == ()


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("TZ", "Mars/Olympus", "TZ"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("SESSION_IDLE_MINUTES", "eight hours", "SESSION_IDLE_MINUTES"),
        ("RINNALLA_ENV", "staging", "RINNALLA_ENV"),
        ("TRUSTED_PROXIES", "proxy.example", "TRUSTED_PROXIES"),
        ("MFA_REQUIRED_ROLES", "lead,boss", "MFA_REQUIRED_ROLES"),
    ],
)
def test_bad_values_are_named(tmp_path, monkeypatch, name, value, words):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=words):
        load_settings()


def test_production_refuses_fast_test_hashes(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RINNALLA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("RINNALLA_FAST_HASHES", "1")
    with pytest.raises(SettingsError, match="RINNALLA_FAST_HASHES"):
        load_settings()
