"""The deleted records page: every soft-deleted kind of record listed, and restored by admins.

The kinds are described in ``opcms.core.deletions`` and registered in ``opcms.wiring``; no
domain imports this room, and it imports none.
"""
