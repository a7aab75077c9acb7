"""Sales data and population runs: everything that reads tables or spans more than one payee.

Owns reading tables and CRM mappings (`tables`), parsing and checking payee inputs (`inputs`) and
the values of plan parameters given for a run (`params`),
people, deals and split rows (`records`), crediting with splits, overlays and roll-ups
(`crediting`), ranking and sharing out (`ranking`), and the population run that credits deals,
takes measures, decides contests and pools, and evaluates every payee in the engine's stage
order (`population`).
"""
