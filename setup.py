"""The wheel's packages: the four of the product and the launcher, found as they grow, plus
``config/`` shipped as ``shared.defaults`` (the default config files and the model manifest
that the installed commands start from: shared/places.py). Everything else is in
pyproject.toml."""

from setuptools import find_packages, setup

PRODUCT = ["ar_live_studio", "shared", "yl_monitor", "ar_backend", "user_gui"]

setup(
    packages=[
        *find_packages(include=[p for name in PRODUCT for p in (name, f"{name}.*")]),
        "shared.defaults",
        "shared.defaults.systemd",
        "shared.defaults.nginx",
    ],
    package_dir={"shared.defaults": "config"},
)
