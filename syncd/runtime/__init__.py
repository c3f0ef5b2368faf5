"""The long-running daemon: worker, scheduler, pusher, and their composition."""
