"""Reports, cases, actions, statements of reasons, appeals and the audit chain (DSA arts. 16–23)."""
