"""Explanations: a payee's result turned into a breakdown and rendered.

Owns the breakdown model with its versioned JSON schema (`model`) and the builder that fills it
from a traced result (`build`, with what every breakdown of a plan shares worked out once per plan
in `lines`), and the text, JSON, Markdown and HTML renderers with their templates (`render`,
`templates/`).
"""
