#!/usr/bin/env bash
# Create the virtual camera AR Live Studio writes to (Linux: v4l2loopback).
#   sudo scripts/setup_virtual_camera.sh [--device-number 10] [--label "AR Live Studio"]
# The script itself ships inside the app (shared/setup_virtual_camera.sh), so an installed
# copy (pipx install .) has it too; this is its place in a checkout.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../shared/setup_virtual_camera.sh" "$@"
