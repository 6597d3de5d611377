"""The bundled sample practice (`lotsync demo`) and the list of problems planted in it.
May import audit, writers, templates and the core; never nightly or cli; only cli and tests import it.
"""
