"""The one marker for errors a user can act on.

Their message (in Chinese) says what is wrong and what to set or run; the CLI prints it
without a traceback and the UI shows it in place.
"""


class ActionableError(Exception):
    """An error whose message tells the user what to do."""
