"""Issue comments of the simulated GitHub: create, edit, list, delete (ids are global, as on GitHub)."""

from __future__ import annotations

from syncd.simulators.github.entities import SimComment
from syncd.simulators.github.state import DEFAULT_ACTOR, GitHubState, SimError


class Comments:
    """Comment operations over the shared state (creating one moves its issue's `updated_at`)."""

    def __init__(self, state: GitHubState) -> None:
        self.state = state

    def create(self, full_name: str, number: int, body: str, author: str = DEFAULT_ACTOR) -> SimComment:
        """Add a comment to an issue or pull request."""
        state = self.state
        with state.lock:
            issue, repo = state.issue(full_name, number), state.repo(full_name)
            now = state.clock()
            comment = SimComment(state.next_id(), repo.full_name, number, body, author, now, now)
            state.comments[comment.id] = comment
            issue.comment_count += 1
            state.touch(issue)
            state.emit(
                "issue_comment",
                repo.full_name,
                lambda: state.payloads.comment_change("created", comment, issue, repo, author),
            )
            return comment

    def get(self, full_name: str, comment_id: int) -> SimComment:
        """A comment of that repository, or 404."""
        comment = self.state.comments.get(comment_id)
        if comment is None or comment.repo.lower() != full_name.lower():
            raise SimError(404, "Not Found")
        return comment

    def edit(self, full_name: str, comment_id: int, body: str, actor: str = DEFAULT_ACTOR) -> SimComment:
        """Replace a comment's body (`issue_comment.edited` with `changes.body.from`)."""
        state = self.state
        with state.lock:
            comment = self.get(full_name, comment_id)
            old, comment.body, comment.updated_at = comment.body, body, state.clock()
            issue, repo = state.repo(full_name).issues[comment.issue_number], state.repo(full_name)
            changes = {"body": {"from": old}}
            state.emit(
                "issue_comment",
                repo.full_name,
                lambda: state.payloads.comment_change("edited", comment, issue, repo, actor, changes=changes),
            )
            return comment

    def delete(self, full_name: str, comment_id: int, actor: str = DEFAULT_ACTOR) -> None:
        """Delete a comment (`issue_comment.deleted`)."""
        state = self.state
        with state.lock:
            comment = self.get(full_name, comment_id)
            del state.comments[comment_id]
            repo = state.repo(full_name)
            issue = repo.issues[comment.issue_number]
            issue.comment_count -= 1
            state.emit(
                "issue_comment",
                repo.full_name,
                lambda: state.payloads.comment_change("deleted", comment, issue, repo, actor),
            )

    def of_issue(self, full_name: str, number: int) -> list[SimComment]:
        """An issue's comments, oldest first."""
        with self.state.lock:
            issue = self.state.issue(full_name, number)
            found = [c for c in self.state.comments.values() if c.repo == issue.repo and c.issue_number == issue.number]
            return sorted(found, key=lambda c: c.id)
