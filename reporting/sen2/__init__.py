"""The SEN2 person-level return (docs/sen2.md): scope, builders, validator, published figures.

Pure modules (no database): ``codes``, ``build``, ``validate``, ``published``, ``parse``.
Database readers and writers: ``selectors`` (the case record as it stood on the census date),
``services`` (a stored return), ``importer`` (a return loaded as history).
"""
