"""Fan-out between nodes: `local` (in-process) and, for clusters, `redis`."""
