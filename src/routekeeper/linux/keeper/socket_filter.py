"""A classic BPF socket filter for the event socket: routes being added are none of the daemon's business."""

from __future__ import annotations

import ctypes
import socket
import struct

from routekeeper.linux import codec

SO_ATTACH_FILTER = 26


def drop_newroute_filter(sock: socket.socket) -> None:
    """Attach a classic BPF filter dropping RTM_NEWROUTE notifications before they are queued.

    Our own installs would otherwise send us one notification per route (a million for a full
    table) and overflow the socket; nothing in the keeper needs to see routes being added."""
    # nlmsg_type is host-endian; BPF absolute loads read big-endian.
    want = struct.unpack(">H", struct.pack("=H", codec.RTM_NEWROUTE))[0]
    prog = [
        (0x28, 0, 0, 4),  # ldh [4]
        (0x15, 0, 1, want),  # jeq #RTM_NEWROUTE, drop, accept
        (0x06, 0, 0, 0),  # ret #0
        (0x06, 0, 0, 0xFFFFFFFF),  # ret #-1
    ]
    raw = b"".join(struct.pack("=HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)  # the kernel copies the program
