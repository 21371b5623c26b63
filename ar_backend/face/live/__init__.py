"""The live session: :class:`~ar_backend.face.live.session.FaceSwap` (the snapshot the
process thread reads, and ``process()``), the tracker and its detector thread, the privacy
guard and the per-frame check that a tracked face is still a face."""
