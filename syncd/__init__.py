"""syncd: keeps OKR progress in step with the task trackers teams already use."""

__version__ = "0.1.0"
