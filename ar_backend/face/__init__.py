"""Face swap: engines (classic dlib, inswapper), the live tracker, and ``FaceSwap`` (the live
swap: engine, source face, options).

Nothing here imports Flask; the Studio owns a :class:`FaceSwap` and the API calls it.
"""
