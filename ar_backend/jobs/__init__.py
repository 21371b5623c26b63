"""File jobs: swap the face in a whole video or picture file (run_job), and the command line
(``python -m ar_backend.jobs``)."""
