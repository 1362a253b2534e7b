"""Pure services_log domain logic: no nameko, no SQLAlchemy session, no I/O."""
