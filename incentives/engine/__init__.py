"""The engine: a checked plan lowered to IR, compiled to closures over `Decimal`, evaluated per payee.

Owns the IR (`ir`, plain data) and its lowering from the checked AST (`lower`), the expression
compiler (`compile`), the per-payee evaluator and its fixed decimal context (`evaluate`), tier
arithmetic (`tiers`), number formatting in the engine's context (`numbers`), the result records
(`result`), the stage schedule a population run follows (`schedule`), and the compiled plan
(`compiled`).  It reads no files and knows nothing of people or deals beyond the typed
`PayeeContext` a population run hands it.
"""
