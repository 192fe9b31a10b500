"""CRDT documents: their schema, rooms, the y-websocket protocol, stores and pub/sub."""
