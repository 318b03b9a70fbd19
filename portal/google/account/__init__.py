"""The coordinator's Google account: connecting, tokens, disconnecting, diagnostics."""
