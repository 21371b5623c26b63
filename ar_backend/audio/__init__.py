"""Voice effects: numpy effects on blocks, a chain of them, and WAV files in and out.

Importing this package registers every effect type (the pitch and formant effects and the
noise suppression live in modules of their own).
"""

from ar_backend.audio import denoise, voice  # noqa: F401  (registration)
