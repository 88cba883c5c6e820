"""Settings: everything comes from the environment, with safe defaults for a laptop.

Each field below is documented in the README's configuration table; `tests/test_settings.py`
checks that the two stay in step.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or unsafe; the message is one line for the operator."""


def _env(name: str, default: str = "") -> str:
    # NAME_FILE lets a secret come from a mounted file (Docker/systemd credentials).
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool = False) -> bool:
    value = _env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc


def kept_in_data_dir(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """Generate a value once and keep it in DATA_DIR, so what depends on it survives restarts."""
    path = data_dir / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    if not data_dir.exists():  # the data directory holds keys and the database: only ours to read
        data_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(data_dir, 0o700)
    value = make()
    # O_EXCL: two processes starting at once must not each write their own.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def _secret_from_data_dir(data_dir: Path) -> str:
    return kept_in_data_dir(data_dir, "secret_key", new_secret_key)


@dataclass(frozen=True)
class Settings:
    database_url: str
    """`sqlite:///path` (default: a file in DATA_DIR) or `postgresql://user:pass@host:port/db`."""
    data_dir: Path
    """Where the SQLite file and generated keys live (default `./data`)."""
    secret_key: str
    """Signs CSRF tokens; generated once into DATA_DIR when not given."""
    base_url: str
    """Public address, e.g. `https://rinnalla.example.fi`; https turns on Secure cookies and HSTS."""
    timezone: ZoneInfo
    """Zone for every date a person sees (TZ, default Europe/Helsinki)."""
    environment: str
    """`development` (default) or `production`."""
    debug: bool
    """Tracebacks in responses; refused in production."""
    session_idle_minutes: int
    """A session ends after this long without a request (default 480 = 8 h)."""
    session_max_hours: int
    """A session ends this long after login whatever happens (default 12 h: a long shift)."""
    login_max_failures_per_account: int
    """Failed logins per account within the window before 429 (default 5)."""
    login_max_failures_per_address: int
    """Failed logins per client address within the window before 429 (default 20)."""
    org_searches_per_day: int
    """Searches of other teams' clients (break-the-glass) a user may make in 24 hours (default 10)."""
    login_window_minutes: int
    """Window for counting failed logins (default 15)."""
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    """Proxy addresses or networks (CIDR) whose X-Forwarded-For is believed (comma-separated;
    default none: the direct peer is the client)."""
    mfa_required_roles: frozenset[str] = frozenset({"lead", "admin"})
    """Roles that must use a second factor (TOTP) before anything else works (default lead,admin)."""
    release: str = ""
    """A label of the deployed release (RINNALLA_RELEASE, e.g. a git commit); a new label makes
    phones take a new app version even when no static file changed (default empty)."""
    vapid_private_key: str = ""
    """The Web Push (VAPID) private key, base64url; generated once into DATA_DIR when not given.
    Every web and worker process must share it: phones subscribe to its public key."""
    push_subject: str = ""
    """The `sub` claim of Web Push: `mailto:` or `https:` (default BASE_URL when it is https)."""
    push_endpoint_allowlist: tuple[str, ...] = ()
    """Push service host names the server may POST to; `.example.com` also allows subdomains."""
    quiet_hours: tuple[int, int] | None = (21, 8)
    """Local hours (start, end) when non-urgent reminders to workers wait; None for none."""
    metrics_token: str = ""
    """The bearer token /metrics asks for; empty = /metrics answers 404."""
    log_file: str = ""
    """Append the JSON log lines to this file instead of stderr."""
    client_retention_years: int = 10
    """Years a closed client's data is kept before `rinnalla purge` removes it (the National
    Archives' figure for substance-use services)."""
    log_retention_years: int = 12
    """Years the use and disclosure logs are kept before `rinnalla purge` removes the oldest rows."""

    @property
    def is_sqlite(self) -> bool:
        return not self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))


# Google (FCM), Mozilla, Apple and Microsoft (WNS): the push services browsers use.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    ".push.apple.com",
    ".notify.windows.com",
)


def _quiet_hours(raw: str) -> tuple[int, int] | None:
    raw = raw.strip()
    if not raw:
        return None
    start, sep, end = raw.partition("-")
    if (
        not sep
        or not start.strip().isdigit()
        or not end.strip().isdigit()
        or not (0 <= int(start) <= 23 and 0 <= int(end) <= 23)
        or int(start) == int(end)
    ):
        raise SettingsError(f"REMINDER_QUIET_HOURS must look like 21-08 (start-end, hours 0-23), got {raw!r}")
    return int(start), int(end)


def _push_subject(raw: str, base_url: str, production: bool) -> str:
    subject = raw.strip() or (base_url if base_url.startswith("https://") else "mailto:rinnalla@example.org")
    if not subject.startswith(("mailto:", "https:")):
        raise SettingsError("PUSH_SUBJECT must start with mailto: or https:")
    if production and ("localhost" in subject or subject.endswith(("example.org", ".invalid"))):
        # Apple refuses a subject it cannot resolve (403 BadJwtToken).
        raise SettingsError("PUSH_SUBJECT must be a real mailto: or https: address in production")
    return subject


def _trusted_proxies(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise SettingsError(f"TRUSTED_PROXIES takes IP addresses or networks (CIDR), got {part!r}") from exc
    return tuple(networks)


def _roles(name: str, raw: str) -> frozenset[str]:
    roles = frozenset(r.strip().lower() for r in raw.split(",") if r.strip())
    unknown = roles - {"professional", "experience_expert", "lead", "admin"}
    if unknown:
        raise SettingsError(f"{name} takes professional, experience_expert, lead and admin, got {sorted(unknown)}")
    return roles


def load_settings() -> Settings:
    data_dir = Path(_env("DATA_DIR", "./data")).resolve()
    environment = _env("RINNALLA_ENV", "development").strip().lower()
    if environment not in {"development", "production"}:
        raise SettingsError(f"RINNALLA_ENV must be development or production, got {environment!r}")
    debug = _env_bool("DEBUG", False)
    secret = _env("SECRET_KEY")
    if environment == "production":
        if debug:
            raise SettingsError("DEBUG is on: production refuses to start with debug enabled")
        if os.environ.get("RINNALLA_FAST_HASHES") == "1":
            raise SettingsError("RINNALLA_FAST_HASHES is a test setting: production refuses to start with it")
        if len(secret) < 32:
            raise SettingsError("SECRET_KEY is missing or shorter than 32 characters: production refuses to start")
        if not _env("BASE_URL").startswith("https://"):
            raise SettingsError("BASE_URL must be an https:// address in production (Secure cookies, HSTS)")
    if not secret:
        secret = _secret_from_data_dir(data_dir)
    tz_name = _env("TZ", "Europe/Helsinki") or "Europe/Helsinki"
    try:
        timezone = ZoneInfo(tz_name)
    except Exception as exc:  # ZoneInfoNotFoundError or a malformed key
        raise SettingsError(f"TZ names no known time zone: {tz_name!r}") from exc
    database_url = _env("DATABASE_URL") or f"sqlite:///{data_dir / 'rinnalla.sqlite'}"
    if not database_url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SettingsError("DATABASE_URL must start with sqlite:/// or postgresql://")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=secret,
        base_url=_env("BASE_URL", "http://localhost:8000").rstrip("/"),
        timezone=timezone,
        environment=environment,
        debug=debug,
        session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 480),
        session_max_hours=_env_int("SESSION_MAX_HOURS", 12),
        login_max_failures_per_account=_env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        login_max_failures_per_address=_env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        org_searches_per_day=_env_int("ORG_SEARCHES_PER_DAY", 10),
        login_window_minutes=_env_int("LOGIN_WINDOW_MINUTES", 15),
        trusted_proxies=_trusted_proxies(_env("TRUSTED_PROXIES")),
        mfa_required_roles=_roles("MFA_REQUIRED_ROLES", _env("MFA_REQUIRED_ROLES", "lead,admin")),
        release=_env("RINNALLA_RELEASE").strip(),
        vapid_private_key=_env("VAPID_PRIVATE_KEY").strip(),
        push_subject=_push_subject(
            _env("PUSH_SUBJECT"), _env("BASE_URL", "http://localhost:8000"), environment == "production"
        ),
        push_endpoint_allowlist=tuple(
            h.strip().lower()
            for h in _env("PUSH_ENDPOINT_ALLOWLIST", ",".join(DEFAULT_PUSH_HOSTS)).split(",")
            if h.strip()
        ),
        quiet_hours=_quiet_hours(_env("REMINDER_QUIET_HOURS", "21-08")),
        metrics_token=_env("METRICS_TOKEN").strip(),
        log_file=_env("LOG_FILE").strip(),
        client_retention_years=_env_int("CLIENT_RETENTION_YEARS", 10),
        log_retention_years=_env_int("LOG_RETENTION_YEARS", 12),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
