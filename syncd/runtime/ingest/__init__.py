"""Ingest: verified webhook deliveries made durable in the inbox before they are acknowledged.

`delivery_writer` commits the deliveries of one event-loop turn together (one transaction, one fsync) and
answers each request only once its row is committed; `handshakes` accepts a tracker's webhook handshake
only from the webhook this install is creating, and keeps the secret it proves. Inputs: webhook requests
the web app verified (source, headers, body). Outputs: `deliveries` rows in the inbox for the apply stage,
and handshake windows and webhook secrets in the store.
"""
