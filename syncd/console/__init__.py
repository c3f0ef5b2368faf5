"""Terminal renderings shared by the CLI and the sandbox (rich), above the store they read."""
