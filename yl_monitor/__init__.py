"""yl_monitor: heartbeats, node states, alerts and the dashboard (port 5500)."""

__version__ = "0.1.0"
SERVICE_NAME = "yl-monitor"
