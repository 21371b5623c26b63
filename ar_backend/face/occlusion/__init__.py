"""What is in front of a face stays in front: hands (``hands.py``: MediaPipe's palm detector
and hand landmarks, tracked between frames) and objects (face/imaging/occluders.py, with
person segmentation), put back over the swap (``live.py``: ``Occlusion``)."""
