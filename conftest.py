# eventlet must patch the standard library before anything imports it (nameko).
import eventlet

eventlet.monkey_patch()

pytest_plugins = [
    "doudi_common.testing.fixtures",
    "doudi_common.testing.idnumbers",
]
