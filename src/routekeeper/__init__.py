"""routekeeper: keep manually added routes alive through address changes."""
