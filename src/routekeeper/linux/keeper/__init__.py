"""The keeper daemon: holds persistent routes in a real kernel through every address and link change.

One job a module, in the order an event goes through them:
- `events`: netlink notifications decoded into small values;
- `decide`: the pure decision (`Decider.on(event) -> actions`), over `mirror` (what the kernel holds),
  `index` (persistent routes grouped, and found by next hop), `fastpath` (where an added address's
  routes go) and `view` (the core Host the slow path asks `keeper.reconcile` on);
- `send`: the actions' RTM_NEWROUTE messages, packed and batched;
- `restore`: the hot path, an address's return decided and encoded while idle, sent on its event;
- `loop`: the thin I/O around it all (`Daemon`), with `socket_filter`, `systemd`, `latency` (a short
  scheduler slice) and `metrics`;
- `start`: before any of the above is imported, the stored routes whose place is certain go in.
Opening the store and parsing `routekeeper keep`'s options are the app layer's (`app.keep`).
"""
