"""The gateway's request and reply schemas, one module per resource area."""
