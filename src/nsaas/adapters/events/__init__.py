"""Event fan-out: tells every API replica that new status events were stored.

Events themselves are durable rows (``status_events``); the bus only carries a wake-up with the
newest event id, so a subscriber that misses a notification loses nothing: it reads every row
after the last id it sent. PostgreSQL uses LISTEN/NOTIFY (works across replicas and processes);
SQLite, being single-node, uses an in-process bus plus a periodic catch-up read.
"""
