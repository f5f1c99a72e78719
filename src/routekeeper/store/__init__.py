"""The SQLite state file: schema and migrations, simulated hosts, clusters, a real host's kept routes."""
