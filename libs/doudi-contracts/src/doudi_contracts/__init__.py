"""doudi-contracts: the event catalogue shared by the suite and the departments.

One marshmallow schema per event type (``cdpf``, ``health``,
``medical_insurance`` incoming; ``eligibility``, ``institutions``, ``funding``,
``services_log`` outgoing), the CloudEvents envelope (``envelope``), the
registry that validates a received message (``registry.validate_event``) and
the AsyncAPI export (``python -m doudi_contracts.asyncapi``).

Import the submodules directly (``from doudi_contracts.registry import
validate_event``); this package module stays import-light on purpose.
"""
