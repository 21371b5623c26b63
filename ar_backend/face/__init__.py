"""Face swap: engines (classic dlib, inswapper), the live tracker, and the swap session.

Nothing here imports Flask; the Studio owns a :class:`FaceSwap` and the API calls it.
"""
