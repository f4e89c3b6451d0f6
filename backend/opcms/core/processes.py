"""What every process OP-CMS starts as a child shares (the API supervisor's processes, the scale
check's)."""

from __future__ import annotations

import ctypes
import signal

# prctl(2): the signal a process gets when its parent dies
PR_SET_PDEATHSIG = 1


def stop_with_parent() -> None:
    """In a child process, before it runs (``preexec_fn``): SIGTERM when its parent dies (Linux's
    parent-death signal). Killed outright, a parent could not stop its children, and they would
    go on running as orphans: an API supervisor's would serve the port (SO_REUSEPORT) beside the
    processes of the next ``opcms api``."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the supervisor's own stop is all there is
        pass
