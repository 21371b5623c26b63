"""Where models run: LiteRT for MediaPipe's ``.tflite`` files (``litert.py``)."""
