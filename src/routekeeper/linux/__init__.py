"""The real thing on Linux: a network namespace read into a core Host and changed through netlink.

- `observe`: dump links, addresses and routes into a `Host` (profile linux); `PROTO_ROUTEKEEPER` (199)
  is the rtm_protocol of every route routekeeper installs.
- `apply`: carry a host's journal out on the kernel.
- `codec`, `nlsock`, `netns`: the netlink wire format, sockets, and network namespaces.
- `keeper/`: the daemon that holds persistent routes through address and link changes.

Opening the state file and running one command against the kernel is the app layer's
(`routekeeper.app.linux_session`). See docs/linux.md for how it works and why.
"""
