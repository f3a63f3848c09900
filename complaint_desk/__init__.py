"""投诉工作台 · complaint desk: triage, similar cases and guarded reply drafts for Chinese complaints."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("complaint-desk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
