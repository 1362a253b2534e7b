"""doudi-departments: SDK, CLI (``doudi-dept``) and simulators for the department
systems (CDPF, health, medical insurance) that publish to and subscribe from
the suite over plain AMQP. See ``departments/README.md``."""

from doudi_departments.client import SUBSCRIPTIONS, DepartmentClient, default_uri

__all__ = ["SUBSCRIPTIONS", "DepartmentClient", "default_uri"]
