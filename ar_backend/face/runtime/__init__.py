"""Where models run: onnxruntime's providers and their options (onnx_providers.py), LiteRT for
MediaPipe's ``.tflite`` files (litert.py), and where model files are found (modelfiles.py)."""
