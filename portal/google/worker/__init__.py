"""Background work: the RQ jobs, their enqueueing and coalescing, and the clock."""
