"""Accounts: who a reader is and how they prove it.

Everything under ``/auth`` and the commands about people live in this package:

- ``routes.py``: sign-in, sign-out, sign-in links, invitations, resets, password change
  (blueprint ``auth``); ``routes_reader.py``: status, account page, access requests
  (blueprint ``reader``); ``twofactor.py``: two-factor sign-in (blueprint ``twofactor``);
- ``forms.py``: the forms of those pages;
- ``services.py``: the rules (emails, users, grants, who may sign in by link, the password
  check, issuing link and reset mail); ``sessions.py``: sign-in sessions and the user loader;
  ``tokens.py``: signed single-use tokens; ``passwords.py``: password rules and hashing;
  ``requests.py``: access requests; ``redirects.py``: safe ``next`` targets;
- ``cli.py``: ``sop-portal requests``.

The package imports nothing on its own: :func:`gate.create_app` imports and registers each
blueprint and command group by name.
"""
