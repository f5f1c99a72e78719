"""Errors of the hotfix checker.

Every way a user can hand the checker something it cannot judge (a malformed version, an
inventory it cannot read, facts that contradict each other) raises a subclass of
:class:`HotfixInputError`. It derives from :class:`ValueError` because in each case the value
given is wrong, and so that callers that already catch ``ValueError`` keep working. The CLI
turns any of them into one ``routekeeper: ...`` line and exit status 2.
"""

from __future__ import annotations


class HotfixInputError(ValueError):
    """Base class: the input cannot be judged as given."""


class VersionError(HotfixInputError):
    """A file version is not four dot-separated numbers (``6.1.7601.17514``)."""


class UnclassifiableVersionError(VersionError):
    """A well-formed version outside the scheme the report defines.

    Raised for another Windows release (``5.2.3790.4000``), a build that is no service-pack
    level of Vista/2008 or 7/2008 R2 (``6.1.7602.x``), or a revision on neither the GDR
    (16000-18999) nor the LDR (20000-22999) branch. Such a version is well formed, so it is
    kept apart from :class:`VersionError` proper, yet the checker cannot place it.
    """


class InventoryError(HotfixInputError):
    """A ``systeminfo`` / file-version listing is malformed or holds nothing usable."""


class FactsError(HotfixInputError):
    """Host facts are incomplete or contradict each other (e.g. SP1 stated, RTM files)."""


class HotfixUsageError(HotfixInputError):
    """The command line itself is wrong (unknown option, missing value)."""


class DataFileError(RuntimeError):
    """The packaged file table is damaged: a packaging bug, not bad user input."""
