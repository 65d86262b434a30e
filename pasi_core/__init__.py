"""PASI Core mirror: what every published operation shares.

Importing this package makes spyne importable on every supported Python
(see :mod:`pasi_core.spyne_compat`), so import it before spyne.
"""
from pasi_core import spyne_compat

spyne_compat.install()

__version__ = "0.1.0"
