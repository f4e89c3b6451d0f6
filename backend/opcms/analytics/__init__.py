"""Dashboard and customer analytics (DESIGN §11)."""
