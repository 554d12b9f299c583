"""GraphQL phase."""
from conformance.results import Report


def run_graphql(target, settings, enabled, session, progress=None) -> Report:
    return Report(api=target.contract.name, base_url=target.base_url)
