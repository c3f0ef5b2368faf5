"""The goals dashboard: server-rendered pages of progress, status and burn-up charts, served by the web role."""
