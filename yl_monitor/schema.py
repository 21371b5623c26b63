"""Tables of the monitor's store (SQLAlchemy Core). Times are epoch seconds (float)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

ID_MAX = 2**63 - 1  # ids are signed 64-bit; a larger one names no row

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
Id = Integer().with_variant(BigInteger(), "postgresql")

nodes = Table(
    "nodes",
    metadata,
    Column("node_id", String(64), primary_key=True),
    Column("node_name", String(128), nullable=False),
    Column("node_type", String(64), nullable=False),
    Column("registered_at", Float, nullable=False),
    Column("register_time", Float),  # what the node said when it registered
    Column("last_seen", Float),  # last sign of life: a beat or a passing health check
    Column("last_beat_at", Float),
    Column("last_payload", Text),
    Column("beats_received", BigInteger, nullable=False, default=0),
    Column("status", String(32)),  # the node's own word: running / error / ...
    Column("version", String(64)),
    Column("declared_interval", Float),
    Column("observed_interval", Float),
    Column("cpu_percent", Float),
    Column("memory_percent", Float),
    Column("memory_mb", Float),
    Column("cpu_streak", Integer, nullable=False, default=0),
    Column("mem_streak", Integer, nullable=False, default=0),
    Column("paused", Boolean, nullable=False, default=False),
    Column("paused_reason", Text),
    Column("state", String(16), nullable=False, default="new"),
    Column("state_since", Float, nullable=False),
    Column("probe_url", Text),
    Column("probe_interval", Float),
    Column("probe_ok", Boolean),
    Column("probe_error", Text),
    Column("probe_at", Float),
    Column("probe_failures", Integer, nullable=False, default=0),
)

beats = Table(
    "beats",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("node_id", String(64), nullable=False),
    Column("received_at", Float, nullable=False),
    Column("sent_at", Float),
    Column("status", String(32)),
    Column("cpu_percent", Float),
    Column("memory_percent", Float),
    Column("memory_mb", Float),
    Column("payload", Text, nullable=False),
    Column("beat_id", String(64)),  # the node's name for the beat: a retry is stored once
    Index("ix_beats_node_id_id", "node_id", "id"),
    Index("ix_beats_received_at", "received_at"),
)

# A beat the node sent twice (a retry after a lost answer) is stored once. Beats without an id
# never collide (NULLs are distinct in a unique index, on SQLite and PostgreSQL alike).
beat_id_unique = Index("ux_beats_node_beat", beats.c.node_id, beats.c.beat_id, unique=True)

state_events = Table(
    "state_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("node_id", String(64), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("at", Float, nullable=False),
    Column("reason", Text),
    Index("ix_state_events_node_id_id", "node_id", "id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("node_id", String(64), nullable=False),
    Column("cause", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),  # the English (shared/messages.py renders it)
    Column("message_key", String(64)),  # its catalogue key (null: an alert from before keys)
    Column("message_args", Text),  # its parameters, JSON
    Column("opened_at", Float, nullable=False),
    Column("clear_since", Float),  # cause cleared at; resolves after the hold
    Column("resolved_at", Float),
    Column("ack_by", String(128)),
    Column("ack_reason", Text),
    Column("ack_at", Float),
    Column("ack_until", Float),
    Index("ix_alerts_resolved_at", "resolved_at"),
)

# At most one open alert per node and cause: the database enforces it, so two monitors on one
# PostgreSQL (or two threads) that open the same alert at once open it once.
open_alert_unique = Index(
    "ux_alerts_open_node_cause",
    alerts.c.node_id,
    alerts.c.cause,
    unique=True,
    sqlite_where=alerts.c.resolved_at.is_(None),
    postgresql_where=alerts.c.resolved_at.is_(None),
)

# Added after the first release: ``Store.create_schema`` adds them to an older database.
MIGRATIONS = (
    ("beats", "beat_id", "VARCHAR(64)"),
    ("alerts", "message_key", "VARCHAR(64)"),
    ("alerts", "message_args", "TEXT"),
)
MIGRATED_INDEXES = (beat_id_unique,)
