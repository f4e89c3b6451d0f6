"""The one Celery app. Broker from settings: Redis in production, kombu's filesystem
transport (no server) for the embedded default.

Tasks are async services run by :func:`opcms.core.tasks.async_task`. Core names no task module:
:func:`opcms.wiring.wire` imports them (a visible list), and the processes that run tasks call it
before they start (``opcms worker``, ``opcms beat``, the API's app factory).
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import setup_logging

from opcms.core.settings import Settings, get_settings

celery_app = Celery("opcms")

# Beat reads the job schedules from the database (job_schedule, editable by admins) and fires
# only while it holds the "beat" lease: see opcms.jobs.beat and docs/jobs.md.
BEAT_SCHEDULER = "opcms.jobs.beat:DatabaseScheduler"


def celery_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "result_backend": settings.celery_result_backend,
        "timezone": settings.timezone,
        "enable_utc": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # a task interrupted by a dying worker is redelivered; jobs are idempotent (DESIGN §2)
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "result_expires": 24 * 3600,
        "broker_connection_retry_on_startup": True,
        "beat_scheduler": BEAT_SCHEDULER,
        "worker_hijack_root_logger": False,
        # a request that queues a job must not hang for long when Redis is down: give up on the
        # result backend after a few quick tries (Celery's default is 20 tries, one a second),
        # and the API answers 503
        "result_backend_transport_options": {
            "retry_policy": {
                "max_retries": 3,
                "interval_start": 0,
                "interval_step": 0.2,
                "interval_max": 0.5,
            },
        },
    }
    if settings.broker_url.startswith(("redis://", "rediss://")):
        # a dead worker's unacknowledged task comes back after the visibility timeout; the sweep
        # that returns it runs every tenth of that (at most every 10 s) on every live worker
        visibility = settings.broker_visibility_timeout_seconds
        config["broker_transport_options"] = {
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1, min(10, visibility // 10)),
            "unacked_restore_throttle": 1,
        }
    if settings.broker_url.startswith("filesystem"):
        folder = (settings.var_dir / "celery" / "broker").resolve()
        processed = (settings.var_dir / "celery" / "processed").resolve()
        # kombu's default control folder is ./control of whatever directory a process started in
        control = (settings.var_dir / "celery" / "control").resolve()
        for path in (folder, processed, control, settings.var_dir / "celery" / "results"):
            path.mkdir(parents=True, exist_ok=True)
        config["broker_transport_options"] = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(processed),
            "control_folder": str(control),
            "store_processed": False,
        }
    return config


def configure_celery(settings: Settings | None = None) -> Celery:
    """(Re)configure the app from settings; called lazily on first use and by tests."""
    celery_app.conf.update(celery_config(settings or get_settings()))
    return celery_app


@setup_logging.connect  # type: ignore[untyped-decorator]  # celery ships no type hints
def _use_our_logging(**_: object) -> None:
    # workers log like the API: JSON lines (or text), one format for every process
    from opcms.core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


@celery_app.on_configure.connect  # type: ignore[untyped-decorator]  # celery ships no type hints
def _on_configure(sender: Celery, **_: object) -> None:
    sender.conf.update(celery_config(get_settings()))
