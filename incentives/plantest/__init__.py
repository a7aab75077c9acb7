"""Plan tests: the examples and properties a plan file carries, checked with hypothesis.

Owns the outcome records and reports shared by every kind of test (`outcome`), running examples
and one-payee properties (`runner`), properties over generated sales data (`over_deals`), the
sales data an example gives (`example_data`), the input and population strategies
(`strategies`, `sales_strategies`), and the pytest plugin (`pytest_plugin`).  hypothesis is
imported only here.
"""
