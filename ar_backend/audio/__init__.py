"""Voice effects: numpy effects on blocks, a chain of them, and WAV files in and out.

The live PortAudio stream and its API come with the rest of the audio issue; the chain here is
what both will run.
"""
