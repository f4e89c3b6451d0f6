"""Logging: one JSON object per line (or plain text for a terminal), each with the request id."""

from __future__ import annotations

import logging
from typing import Any

from opcms.core.context import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def logging_config(level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {
            # Sanic's own loggers go through the same handler, in the same shape
            "sanic.root": {"level": level, "handlers": ["default"], "propagate": False},
            "sanic.error": {"level": level, "handlers": ["default"], "propagate": False},
            "sanic.access": {"level": level, "handlers": ["default"], "propagate": False},
            "sanic.server": {"level": level, "handlers": ["default"], "propagate": False},
            "tortoise": {"level": "WARNING"},
            # MySQL notes ("table already exists" on IF NOT EXISTS) are not worth a warning
            "asyncmy": {"level": "ERROR"},
        },
    }


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    import logging.config

    logging.config.dictConfig(logging_config(level, fmt))
