"""WebSocket prediction feed: server in its own asyncio thread, JSON protocol."""
