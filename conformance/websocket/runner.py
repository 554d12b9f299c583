"""WebSocket runner."""
from conformance.results import Report


def run_websocket(target, settings, enabled, session, progress=None) -> Report:
    return Report(api=target.contract.name, base_url=target.ws_url or "")
