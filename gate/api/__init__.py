"""The calculators API and commands: ``/api/v1`` and ``sop-portal prorate`` and friends.

- :mod:`gate.api.routes`: the blueprint (thin views) and ``init_app``;
- :mod:`gate.api.services`: the calculator settings from the app's configuration, the JSON text;
- :mod:`gate.api.openapi`: the OpenAPI document;
- :mod:`gate.api.cli`: the calculator commands.

This file imports nothing, so the console script can load :mod:`gate.api.cli` without Flask:
the blueprint lives in :mod:`gate.api.routes`, which ``create_app`` registers.
"""
