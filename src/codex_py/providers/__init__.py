"""Wire APIs: one module per API (``responses``, ``chat``, ``messages``) turning protocol items
into requests and SSE into protocol events. Nothing above this package knows a wire format."""
