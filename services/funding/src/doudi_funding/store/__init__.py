"""Storage for funding, one module per part: ``cases`` (cases, care levels,
hospital stays, subsidies, self-pay ratios, prices, closed months),
``ledger`` (accounts, transactions, balances, donations, payouts),
``settlement`` (a month's facts, the set-based settlement, payouts, late
facts) and ``reports`` (statements, summaries, reconciliation).

Persistence only: functions take the unit of work's session and commit
nothing; the arithmetic and the rules are in ``doudi_funding.domain``."""
