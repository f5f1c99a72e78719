"""The keeper daemon: holds persistent routes in a real kernel through every address and link change."""
