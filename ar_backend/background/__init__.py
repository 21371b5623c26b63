"""The background behind the person: off, blurred, a colour or a picture (``live.py``), cut
out by person segmentation, with the pixel work in ``compose.py``."""
