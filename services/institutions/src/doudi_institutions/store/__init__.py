"""Storage for institutions, one module per aggregate: ``registry``,
``licences``, ``catalogue``, ``beds``, ``placements``, ``admissions``,
``inspections``. Functions take the session (``uow.session``) and commit
nothing; rows come back as dicts (or rows where the caller reads attributes)."""
