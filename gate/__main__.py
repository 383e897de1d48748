"""``python -m gate ARGS`` runs the ``sop-portal`` console script (``serve`` starts the mail
worker this way, whatever the script's path)."""

from gate.console import main

if __name__ == "__main__":
    main()
