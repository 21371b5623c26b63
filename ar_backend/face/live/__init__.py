"""The live session: :class:`~ar_backend.face.live.session.FaceSwap` (it owns the snapshot the
process thread reads, snapshot.py, and ``process()``), the tracker and its detector thread
(tracker.py), the privacy guard (guard.py), the per-frame check that a tracked face is still a
face (confirm.py); who is swapped on it (people.py), the engines it opened (engines.py), its
options checked (options.py); the change events it tells its listeners (events.py) and a
saved state applied at start (restore.py)."""
