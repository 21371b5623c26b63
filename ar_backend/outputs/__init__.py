"""Outputs of the live stream: MJPEG/snapshot JPEGs, the virtual camera, the recorder."""
