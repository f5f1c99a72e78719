"""Failover clusters, one module a job; each imports only those listed before it.

errors      ClusterError, ClusterRefused
members     nodes, networks, groups, IP Address resources, their properties and states
operations  the operations a cluster carries out, and how a log names them
events      the cluster's history entries
journal     the history bookkeeping: steps, sequence numbers, all-or-nothing recording
validation  checks on names, adapters and IP Address resource properties
state       ClusterState: the members, case-insensitive lookups, queries, recorded state changes
placement   where groups may go: who can host a group, failover order, an operation's target
plumbing    resource addresses on the nodes' hosts: plans, their all-or-nothing check, carrying out
handlers    one handler per cluster operation (HANDLERS, the dispatch table)
configure   building a cluster: adding nodes, networks, adapters, groups, resources
whatif      WhatIf: what an operation would do, tried on a copy
model       Cluster, the public face (also exports WhatIf)
invariants  checks a node must satisfy (the hotfix invariant)
"""
