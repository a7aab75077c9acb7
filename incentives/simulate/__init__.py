"""What-if simulation for plan design: scenarios, comparisons, sweeps, Monte Carlo and reports.

Owns: scenario files (`scenario.py`: the TOML format of a "what if", its loader and checks, and
the exact data changes and pilot groups it makes).
"""
