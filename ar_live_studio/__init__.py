"""``ar-live-studio``: starts, stops and shows the studio's three processes for a desktop
user (what ``./start_all.sh`` does in a checkout, which runs this after its set-up). It
imports none of the processes: it runs each as ``python -m NAME`` and watches its health."""
