"""Excel import and export of customer lists (DESIGN §4)."""
