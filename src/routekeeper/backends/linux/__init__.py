"""The real thing on Linux: a network namespace read into a core Host and changed through netlink.

Public API:
- `session(netns, state_path)`: context manager yielding a `Host` (profile linux) whose persistent
  store comes from SQLite; on clean exit the host's journal is carried out on the kernel and the
  store saved. Raises `NotPermitted` (one-line message) without CAP_NET_ADMIN.
- `observe(netns) -> Host`, `apply(events, netns, interfaces) -> failures`.
- `PROTO_ROUTEKEEPER` (199): the rtm_protocol of every route routekeeper installs.

See docs/linux.md for how it works and why.
"""

from .apply import Failure, apply
from .observe import PROTO_ROUTEKEEPER, KernelHost, observe
from .session import KernelRefused, NotPermitted, session
from .store import DEFAULT_STATE, Store

__all__ = [
    "DEFAULT_STATE",
    "PROTO_ROUTEKEEPER",
    "Failure",
    "KernelHost",
    "KernelRefused",
    "NotPermitted",
    "Store",
    "apply",
    "observe",
    "session",
]
