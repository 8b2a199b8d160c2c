"""Governance: legal holds and export packages for authorities (DSA art. 18), retention and
transparency reports (art. 15, 24). Imports only `domain` and `store` (DESIGN.md, "Layers")."""
