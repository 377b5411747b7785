"""Identity stitching: one profile per connected set of identities (docs/identity.md)."""
