"""The only layer that opens a store: one unit of work per command, what-if, clusters, transcripts, demo."""
