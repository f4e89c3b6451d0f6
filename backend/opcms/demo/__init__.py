"""Demo data for the embedded default (``opcms seed-demo``): one module per domain it fills, each
through the domains' own services; outside the domains, which never import it."""
