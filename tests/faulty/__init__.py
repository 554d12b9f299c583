"""Deliberately faulty servers: a correct upstream app plus exactly one injected fault."""
