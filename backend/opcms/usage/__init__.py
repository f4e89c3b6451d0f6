"""Usage collection through vendor adapters (DESIGN §6)."""
