"""ar_backend: camera, face swap, audio and outputs (port 5501)."""

__version__ = "0.1.0"
SERVICE_NAME = "ar-backend"
