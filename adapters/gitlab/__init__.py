"""The GitLab tracker (gitlab.com and self-managed): issues and merge requests, notes edited in place."""
