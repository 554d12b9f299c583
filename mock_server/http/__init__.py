"""The HTTP side of the mock: the ASGI app, routing, and the request pipeline.

A request enters `app.MockApp`, is routed by Connexion to an operation, and runs through the
operation's pipeline (`pipeline.py`): credentials, rate limit, validation, scenario, the action
for the operation's kind (`actions/`), response shaping, events.
"""
