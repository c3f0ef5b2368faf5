"""Stories on tasks: comments (created, edited, deleted through the API) and system stories.

Comment `html_text` must be well-formed XML wrapped in `<body>` using Asana's rich-text tags, or the
write is refused with 400, as Asana does; `text` is the plain text of it.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from syncd.simulators.asana.records import SimStory, SimTask
from syncd.simulators.asana.store import ApiError, SimStore

RICH_TEXT_TAGS = frozenset(
    {"body", "strong", "em", "u", "s", "code", "ol", "ul", "li", "a", "blockquote", "pre", "h1", "h2", "hr"}
)
EmitStory = Callable[[SimTask, dict[str, Any], str], None]


class StoryBook:
    """Creates and edits stories, emitting a story event each time."""

    def __init__(self, store: SimStore) -> None:
        self._store = store
        self._emit_story: EmitStory | None = None

    def bind(self, emit_story: EmitStory) -> None:
        """Where story events go (set by the state once built)."""
        self._emit_story = emit_story

    def comment(
        self, task_gid: str, *, html_text: str | None = None, text: str | None = None, by: str | None = None
    ) -> SimStory:
        """Add a comment given as rich text (`<body>...</body>`) or plain text."""
        task = self._store.task(task_gid)
        rich, plain = _comment_texts(html_text, text)
        story = SimStory(self._store.new_gid(), task.gid, plain, rich, self._store.now(), by or self._store.me)
        self._store.stories[story.gid] = story
        self._notify(task, story, "added")
        return story

    def edit(self, story_gid: str, *, html_text: str | None = None, text: str | None = None) -> SimStory:
        """Replace a comment's text (system stories cannot be edited)."""
        story = self._store.story(story_gid)
        if not story.is_comment:
            raise ApiError(403, f"story: {story_gid} is a system story and cannot be edited")
        story.html_text, story.text = _comment_texts(html_text, text)
        self._notify(self._store.task(story.task), story, "changed")
        return story

    def delete(self, story_gid: str) -> None:
        """Delete a comment."""
        story = self._store.story(story_gid)
        del self._store.stories[story_gid]
        task = self._store.tasks.get(story.task)
        if task is not None and not task.deleted:
            self._notify(task, story, "removed")

    def system(self, task: SimTask, subtype: str, text: str) -> SimStory:
        """Record what happened to a task the way Asana's activity feed does."""
        story = SimStory(self._store.new_gid(), task.gid, text, "", self._store.now(), self._store.me, subtype)
        self._store.stories[story.gid] = story
        self._notify(task, story, "added")
        return story

    def of_task(self, task_gid: str) -> list[SimStory]:
        """A task's stories, oldest first."""
        self._store.task(task_gid)
        return [story for story in self._store.stories.values() if story.task == task_gid]

    def _notify(self, task: SimTask, story: SimStory, action: str) -> None:
        if self._emit_story is not None:
            resource = {"gid": story.gid, "resource_type": "story", "resource_subtype": story.subtype}
            self._emit_story(task, resource, action)


def _comment_texts(html_text: str | None, text: str | None) -> tuple[str, str]:
    if html_text is not None:
        return html_text, plain_text(html_text)
    if text is not None:
        return f"<body>{html.escape(text, quote=False)}</body>", text
    raise ApiError(400, "text: Missing input: a comment needs text or html_text")


def plain_text(rich: str) -> str:
    """The plain text of Asana rich text, or 400 naming what is wrong with it."""
    try:
        # Local test clients send this text; expat >= 2.4.1 bounds entity expansion (no billion laughs).
        root = ET.fromstring(rich)  # noqa: S314
    except ET.ParseError as error:
        raise ApiError(400, f"html_text: XML is invalid ({error}); wrap the text in <body>...</body>") from error
    if root.tag != "body":
        raise ApiError(400, "html_text: the rich text must be wrapped in <body>...</body>")
    unknown = sorted({element.tag for element in root.iter()} - RICH_TEXT_TAGS)
    if unknown:
        raise ApiError(400, f"html_text: unsupported tags {unknown}; Asana rich text allows {sorted(RICH_TEXT_TAGS)}")
    return "".join(root.itertext())
