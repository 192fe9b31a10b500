"""HTTP and WebSocket routes. Thin: authenticate, call a service, render."""
