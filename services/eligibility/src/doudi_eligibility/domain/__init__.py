"""Pure eligibility domain logic: no nameko, no SQLAlchemy session, no I/O."""
