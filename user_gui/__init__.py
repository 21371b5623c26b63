"""user_gui: the studio window, its status reporter and its local server (port 5502)."""

__version__ = "0.1.0"
SERVICE_NAME = "user-gui"
