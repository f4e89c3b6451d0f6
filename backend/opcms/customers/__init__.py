"""Customer profiles, status machine, owners (DESIGN §3)."""
