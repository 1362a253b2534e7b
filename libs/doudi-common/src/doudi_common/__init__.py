"""What every doudi service shares: config, database unit of work, outbox and
inbox, event subscriptions with dead letters, typed errors, ids, money, logging.

Importing the package does nothing else: pure modules (``errors``, ``dates``,
``ids``, ``money``, ``paging``) can be used by domain code without pulling in
nameko, SQLAlchemy or kombu.
"""

import warnings

# nameko 2.14 and eventlet announce their own deprecation on import; we know.
# (Only the standard library's warnings filter: nothing is imported.)
warnings.filterwarnings("ignore", message=".*pkg_resources is deprecated.*")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
