"""The window's Face group (``panel.FacePanel``), made of one panel per concern: the source
face and the swap toggle (``source``), the engine, its options and the GPU it runs on
(``engine``), the face enhancer (``enhancer``); ``calls`` runs their changes on the pool and
``picker`` offers the faces of a group photo."""
