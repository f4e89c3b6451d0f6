"""Overdue reminders: stages relative to the due date, each sent once per invoice (DESIGN §9)."""
