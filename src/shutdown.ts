/**
 * How long the server waits for in-flight requests after SIGTERM or SIGINT before it cuts the
 * remaining connections. fly.toml's kill_timeout (10 s) must stay above it, so the server
 * always exits by itself before the platform sends SIGKILL (test/deploy checks this).
 */
export const SHUTDOWN_GRACE_MS = 8000;
