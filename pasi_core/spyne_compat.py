"""Lets spyne 2.14.0 import on Python 3.12 and later.

spyne 2.14.0 (its last release) bundles a copy of ``six`` whose meta-path
importer only implements the legacy ``find_module``/``load_module`` protocol,
which Python 3.12 stopped consulting.  Importing spyne then fails with
``No module named 'spyne.util.six.moves'``.

Rather than patching site-packages, :func:`install` puts a small PEP 451
finder on ``sys.meta_path`` that answers for ``spyne.util.six.moves…`` by
delegating to the ``_importer`` object of the already imported bundled six.
On Python 3.13 the removed ``cgi`` module comes from the ``legacy-cgi``
distribution (a pinned dependency).

Call :func:`install` before the first ``import spyne``; importing
:mod:`pasi_core` does it.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import warnings

SIX_MODULE = "spyne.util.six"


class _BundledSixMovesFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finder and loader for the lazy ``six.moves`` modules of spyne's six."""

    def _legacy_importer(self):
        six = sys.modules.get(SIX_MODULE)
        return getattr(six, "_importer", None)

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(SIX_MODULE + ".moves"):
            return None
        importer = self._legacy_importer()
        if importer is None or fullname not in importer.known_modules:
            return None
        is_package = importer.is_package(fullname)
        return importlib.util.spec_from_loader(fullname, self, is_package=is_package)

    def create_module(self, spec):
        # The legacy importer builds (or resolves) the module object itself.
        return self._legacy_importer().load_module(spec.name)

    def exec_module(self, module):
        # Nothing to execute: six's lazy modules resolve attributes on access.
        return None


_FINDER = _BundledSixMovesFinder()


def install() -> None:
    """Install the finder once and silence spyne's import-time noise on 3.11."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    # Python 3.11 warns about six's missing find_spec and about ``cgi``;
    # neither is actionable for us and both would fail ``-W error`` runs.
    warnings.filterwarnings("ignore", message=r".*find_spec\(\) not found", category=ImportWarning)
    warnings.filterwarnings("ignore", message=r"'cgi' is deprecated", category=DeprecationWarning)
