"""The HTML report: figure builders (``figures``) and the page that holds them (``page``).

Nothing here runs the model: the page is built from result tables and target tables.
"""
