"""Outbound Standard Webhooks as an OKR store: a signed JSON event per KR or objective change, to any tool."""
