"""GraphQL over HTTP from an SDL file, resolved against the runtime's store (see `endpoint`)."""
