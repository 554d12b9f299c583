"""apitwin's mock server: serves any OpenAPI/AsyncAPI/GraphQL contract as a living API."""
