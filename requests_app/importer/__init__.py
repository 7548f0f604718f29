"""Loading a council's request history from its previous system, in three steps a person can
find: ``parse`` (the file on its own, pure), ``check`` (the file against the database) and
``write`` (the inserts); ``run`` puts them together in one transaction (``import_file``).
"""
