"""Settings: validated at start-up; a bad value stops the process naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from opcms.core.celery_app import celery_config
from opcms.core.settings import Settings, SettingsError, get_settings, reset_settings


@pytest.fixture
def environment(monkeypatch):
    yield monkeypatch
    reset_settings()


def test_defaults_are_the_embedded_shape(monkeypatch):
    for name in list(os.environ):
        if name.startswith("OPCMS_"):
            monkeypatch.delenv(name)
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite://var/opcms.sqlite3"
    assert settings.broker_url == "filesystem://"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.celery_result_backend.startswith("file://")


def test_a_redis_broker_returns_a_dead_workers_task_after_the_visibility_timeout():
    # given a Redis broker with a 20 s visibility timeout (Celery's own default is an hour)
    settings = Settings(
        _env_file=None, broker_url="redis://127.0.0.1:6379/9", broker_visibility_timeout_seconds=20
    )
    # then the broker is told, and each live worker's sweep looks every 2 s, on every call
    assert celery_config(settings)["broker_transport_options"] == {
        "visibility_timeout": 20,
        "unacked_restore_interval": 2,
        "unacked_restore_throttle": 1,
    }
    # and by default the hour stays, swept every 10 s
    options = celery_config(Settings(_env_file=None, broker_url="redis://127.0.0.1:6379/9"))
    assert options["broker_transport_options"]["visibility_timeout"] == 3600
    assert options["broker_transport_options"]["unacked_restore_interval"] == 10


@pytest.mark.parametrize(
    "variable, value",
    [
        ("OPCMS_DATABASE_URL", "postgres://localhost/opcms"),
        ("OPCMS_DATABASE_URL", "mysql://root@127.0.0.1:3306"),
        ("OPCMS_TIMEZONE", "Mars/Olympus_Mons"),
        ("OPCMS_PORT", "not-a-port"),
        ("OPCMS_BROKER_URL", "amqp://guest@localhost//"),
    ],
)
def test_a_bad_value_names_the_variable(environment, variable, value):
    environment.setenv(variable, value)
    reset_settings()
    with pytest.raises(SettingsError) as raised:
        get_settings()
    assert variable in str(raised.value)


def test_production_requires_a_secret_key_and_mysql(environment):
    environment.setenv("OPCMS_ENV", "production")
    environment.setenv("OPCMS_SECRET_KEY", "")
    reset_settings()
    with pytest.raises(SettingsError) as raised:
        get_settings()
    assert "OPCMS_SECRET_KEY" in str(raised.value)


def test_an_embedded_install_generates_and_keeps_its_signing_key(tmp_path):
    settings = Settings(_env_file=None, secret_key="", var_dir=tmp_path)
    first = settings.signing_key
    assert len(first) >= 32 and settings.signing_key == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("command", ["api", "migrate", "worker"])
def test_start_up_with_a_bad_database_url_stops_with_a_clear_message(command):
    env = {**os.environ, "OPCMS_DATABASE_URL": "oracle://db/opcms"}
    result = subprocess.run(
        [sys.executable, "-m", "opcms", command], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "OPCMS_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
