"""Auth use cases: sessions (login, refresh, logout) and user administration."""
