"""Explanations: a payee's result turned into a breakdown and rendered.

Owns the breakdown model with its versioned JSON schema and the builder that fills it from a
traced result (`build`), and the text, JSON, Markdown and HTML renderers with their templates
(`render`, `templates/`).
"""
