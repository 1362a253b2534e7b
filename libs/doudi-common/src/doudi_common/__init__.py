"""What every doudi service shares: config, database unit of work, outbox and
inbox, event subscriptions with dead letters, typed errors, ids, money, logging."""

import warnings

# nameko 2.14 and eventlet announce their own deprecation on import; we know.
warnings.filterwarnings("ignore", message=".*pkg_resources is deprecated.*")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
