"""The background behind the person: off, blurred, a colour or a picture, cut out by person
segmentation. ``live.py``: the live setting (checked, kept across a restart); ``render.py``:
one stream of frames painted (the live path's, a file job's); ``compose.py``: the pixel
work."""
