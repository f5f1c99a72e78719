"""Host-level scale measurements: loading a full-table host from the state store, and what-if."""
