"""Why a cluster refused an operation: every cluster module raises these."""

from __future__ import annotations

from enum import Enum


class ClusterError(Enum):
    """Why the cluster refused an operation; front ends map these to Win32 error codes."""

    EXISTS = "exists"
    NODE_NOT_FOUND = "node-not-found"
    GROUP_NOT_FOUND = "group-not-found"
    RESOURCE_NOT_FOUND = "resource-not-found"
    NETWORK_NOT_FOUND = "network-not-found"
    NODE_DOWN = "node-down"
    NODE_PAUSED = "node-paused"
    NODE_NOT_PAUSED = "node-not-paused"
    NODE_ALREADY_UP = "node-already-up"
    NODE_ALREADY_DOWN = "node-already-down"
    NOT_POSSIBLE_OWNER = "not-possible-owner"
    RESOURCE_ONLINE = "resource-online"
    CANT_HOST = "cant-host"
    NO_NODE_AVAILABLE = "no-node-available"
    ADDRESS_IN_USE = "address-in-use"
    INVALID_PARAMETER = "invalid-parameter"
    NODE_REFUSED = "node-refused"


class ClusterRefused(Exception):
    """The cluster refused an operation; its state (and every node's) is exactly as before."""

    def __init__(self, code: ClusterError, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
