"""The wire protocol: frames, codes and versions. Pure: no I/O, no transport."""
