"""The simulated device's ``/system/bin/sh``: a small POSIX-ish shell and toybox-like commands."""
