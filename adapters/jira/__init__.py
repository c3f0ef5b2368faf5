"""`kind: jira`: Jira Cloud and Data Center issues as tasks, labels as KR links, one progress comment per issue."""
