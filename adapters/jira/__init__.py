"""`kind: jira`: Jira Cloud issues as tasks, labels as KR links, one ADF progress comment per issue."""
