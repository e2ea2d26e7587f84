"""Skills (``SKILL.md``, the Agent Skills format) and custom prompts (``prompts/NAME.md``).

Cheap to load: discovery lists folders and reads only each file's front matter; a body is read when a
skill is invoked (``$name``, ``/name``) or a prompt expanded (``/prompts:NAME``). Nothing here imports
more than the standard library.
"""

from __future__ import annotations
