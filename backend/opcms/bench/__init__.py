"""Benchmarks run by ``opcms bench …`` (DESIGN §15): one module per figure, each on a throw-away
database (``common``); outside the domains, which never import them."""
