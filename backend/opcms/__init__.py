"""OP-CMS: customer operations and settlement platform."""

__version__ = "0.1.0"
