"""Face swap. One room per responsibility:

- ``live/``: the live session (``FaceSwap``: the snapshot the process thread reads and
  ``process()``), the tracker and its detector thread, the privacy guard, the per-frame check;
- ``people/``: who is swapped with whom: the reference person, the face map, the face set,
  the source face prepared from a picture;
- ``imaging/``: pure functions on pixels and points (warp, blend, geometry, outline, skin,
  pose, tensors, image decoding, quality measures);
- ``detect/``: face detectors and landmarkers, one file each;
- ``engines/``: the swap engines (classic, inswapper, hyperswap), registered by name;
- ``enhancers/``: the face restorers run on swapped faces, registered by name;
- ``runtime/``: onnxruntime providers, LiteRT, and where model files are found;
- ``faces.py``: the faces passed around (``TargetFace``, ``SourceFace``) and finding them;
- ``store.py``: what survives a restart; ``errors.py``: why a face request failed;
- ``samples/``: face pictures from installed packages, and a generated live clip with its
  ground truth (tests, benchmarks, demos).

Nothing here imports Flask; the Studio owns a ``FaceSwap`` and the API calls it.
"""
