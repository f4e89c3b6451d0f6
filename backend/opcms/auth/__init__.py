"""Users, roles, sessions and tokens (DESIGN §12)."""
