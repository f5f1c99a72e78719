"""The one error every store module raises when the state file cannot be used."""


class StoreError(Exception):
    """The state file cannot be used; the message is one line for the user."""
