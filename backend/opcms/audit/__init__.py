"""Reading the audit log (the log itself is written by opcms.core.audit)."""
