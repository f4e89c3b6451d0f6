"""Task executions and schedules (DESIGN §10)."""
