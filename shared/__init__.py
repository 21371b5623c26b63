"""Code that more than one AR Live Studio process needs: config, API helpers, HTTP, metrics.

Nothing here imports yl_monitor, ar_backend or user_gui (checked by import-linter).
"""

__version__ = "0.1.0"
