"""The canonical event table every reader produces and every analysis consumes.

One row per customer event. Column names are fixed so analytics never has to know where the
data came from:

========== ============================ ==================================================
column     type                         meaning
========== ============================ ==================================================
customer_id string, not null           the customer (or case) the event belongs to
ts         timestamp (UTC), not null    when it happened, normalised to UTC
seq        int64, not null              ingestion order; ties on ``ts`` are broken by it
                                        (pm4py keeps file order, so do we)
event      string, not null             the event (activity) name
channel    string, nullable             web, app, email, store, phone, chat, ...
(others)   any                          further attributes, kept as given
========== ============================ ==================================================

The optional customers table has ``customer_id`` plus any attribute columns (segment, region...).
"""

from __future__ import annotations

CUSTOMER = "customer_id"
TIMESTAMP = "ts"
SEQUENCE = "seq"
EVENT = "event"
CHANNEL = "channel"

#: Columns every event table has, in this order.
CORE_COLUMNS = (CUSTOMER, TIMESTAMP, SEQUENCE, EVENT, CHANNEL)
