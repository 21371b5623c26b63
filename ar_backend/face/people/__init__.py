"""Who is swapped and with whom: the reference person, the face map (reference.py), the face
set (faceset.py) and what of them is saved across a restart (state.py)."""
