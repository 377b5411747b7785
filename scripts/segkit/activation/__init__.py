"""Activation: each evaluation's entries and exits delivered to destinations, exactly once.

``definitions`` validates ``destinations/*.yml``; ``outbox`` plans each evaluation's changes
into batches stored in the warehouse (so that a retry sends the same bytes with the same key);
``webhook``, ``files`` and ``postgres`` deliver a batch; ``sync`` runs it all (``seg sync``).
"""
