"""The Linear tracker: GraphQL polling and signed webhooks, one comment and one attachment per linked issue."""
