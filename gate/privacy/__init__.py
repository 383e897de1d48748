"""Personal data (POPIA): how long each kind is kept, and its removal.

- :mod:`~gate.privacy.retention`: the periods (``RETENTION_*_DAYS``) and the cut-offs they give
  for a ``now`` (pure).
- :mod:`~gate.privacy.prune`: removes or anonymises what is past its cut-off, per category.
- :mod:`~gate.privacy.erasure`: erases a deleted user's personal data, keeping their id.
- :mod:`~gate.privacy.cli`: ``sop-portal prune``, which production runs daily.
"""
