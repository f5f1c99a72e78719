"""The three behaviours a host can have when its addresses and links change, by name.

`hotfix` (default) and `prehotfix` are Windows with and without the tcpip.sys fix (windows.py);
`linux` is the kernel (linux.py). Each profile's rule lives in its own module; base.py holds what
they share and `HostView`, the only view of a host a profile gets.
"""

from __future__ import annotations

from routekeeper.core.profiles.base import HostView, Profile
from routekeeper.core.profiles.linux import LinuxProfile
from routekeeper.core.profiles.windows import HotfixProfile, PrehotfixProfile

__all__ = [
    "PROFILES",
    "HostView",
    "HotfixProfile",
    "LinuxProfile",
    "PrehotfixProfile",
    "Profile",
    "get_profile",
]

PROFILES: dict[str, type[Profile]] = {
    "hotfix": HotfixProfile,
    "prehotfix": PrehotfixProfile,
    "linux": LinuxProfile,
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]()
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (choose hotfix, prehotfix or linux)") from None
