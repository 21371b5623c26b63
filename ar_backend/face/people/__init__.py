"""Who is swapped and with whom: the reference person and the face map (reference.py:
``People``, and the ``Matcher`` that tells each tracked face's person on the live path), the
face set (faceset.py), and the source face: a picture's face chosen and prepared
(source.py). What of them survives a restart is face/store.py's."""
