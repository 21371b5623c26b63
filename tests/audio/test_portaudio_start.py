"""Starting PortAudio can hang for good (a stale JACK lock in /dev/shm): the API must not
hang with it. The backend waits a bounded time and says why audio is unavailable."""

from __future__ import annotations

import threading

import pytest

from ar_backend.audio.engine import AudioUnavailable, _Loader


def test_a_hung_portaudio_start_is_reported_not_waited_for():
    release = threading.Event()
    loader = _Loader()

    def hung_import() -> None:  # as Pa_Initialize stuck on a lock
        release.wait(10)
        loader.module = "sounddevice"
        loader._done.set()

    loader._load = hung_import  # type: ignore[method-assign]
    with pytest.raises(AudioUnavailable, match=r"did not start within 0\.2 s.*jack_db"):
        loader.get(timeout=0.2)
    with pytest.raises(AudioUnavailable):  # asked again: still bounded, no second import
        loader.get(timeout=0.1)
    release.set()
    assert loader.get(timeout=5) == "sounddevice"  # once it answers, audio works again


def test_the_real_import_answers():
    loader = _Loader()
    try:
        module = loader.get()
    except AudioUnavailable as exc:  # no PortAudio library here: said clearly
        assert "PortAudio" in str(exc) or "sounddevice" in str(exc)
    else:
        assert hasattr(module, "query_devices")
