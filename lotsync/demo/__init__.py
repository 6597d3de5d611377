"""The bundled sample practice (`lotsync demo`) and the list of problems planted in it.

May import the core and the templates; nothing but the command line and tests import it.
"""
