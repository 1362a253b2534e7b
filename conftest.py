# eventlet must patch the standard library before anything imports it (nameko).
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

pytest_plugins = [
    "doudi_common.testing.fixtures",
    "doudi_common.testing.idnumbers",
    "doudi_common.testing.fast",
]
