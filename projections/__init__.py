"""Read views built from the event store."""
