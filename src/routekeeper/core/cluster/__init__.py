"""Failover clusters, one module a job; each imports only those listed before it.

errors      ClusterError, ClusterRefused
members     nodes, networks, groups, IP Address resources, their properties and states
operations  the operations a cluster carries out, and how a log names them
events      the cluster's history entries
model       Cluster (setup, validation, placement, applying operations) and its what-if reports
invariants  checks a node must satisfy (the hotfix invariant)
"""
