"""The GUI's plain-Python services (no Qt): clients, discovery, reporter, local server."""
