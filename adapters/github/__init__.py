"""GitHub.com and GitHub Enterprise Server: config, client (PyGithub + httpx GraphQL), normalize, webhook, adapter."""
