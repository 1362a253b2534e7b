"""What every doudi service shares: config, database unit of work, outbox and
inbox, event subscriptions with dead letters, typed errors, ids, money, logging."""

import warnings

# nameko 2.14 and eventlet announce their own deprecation on import; we know.
warnings.filterwarnings("ignore", message=".*pkg_resources is deprecated.*")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

# py-amqp reads each frame in three exact socket reads; read ahead instead
# (doudi_common.rabbit._read_ahead). Here, so that services, the gateway, the
# tools and the tests all run the same reads.
from doudi_common.rabbit import install_read_ahead  # noqa: E402

install_read_ahead()
