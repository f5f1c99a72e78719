"""The active route table, one module a job; each imports only those listed before it.

columns      routes as columns (the store's exchange format) and the row flags
prefix_hash  the open-addressing prefix hash, scalar and vectorised
lpm          longest-prefix-match snapshots (DIR-24-8, IPv6 ranges): pure arrays
bulk         every index built at once for a bulk load
storage      RouteStorage: rows, prefix records, indexes, snapshots
forwarding   the forwarding view over a RouteStorage (per-interface costs, batch lookups)
routes       RouteTable: the public API, and the forwarding view it caches
"""
