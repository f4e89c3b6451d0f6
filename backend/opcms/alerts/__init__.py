"""Alert rules kept in the database, evaluated by Beat's housekeeping, each firing recorded and
sent once per quiet period (DESIGN §9 "What to watch", docs/alerts.md)."""

from opcms.alerts.messages import MESSAGES
from opcms.core.i18n import register

register(MESSAGES)
