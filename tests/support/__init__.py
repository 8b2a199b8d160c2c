"""Test helpers shipped as real code: a server process, a WebSocket client, and a scenario harness."""
