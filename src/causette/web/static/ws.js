// The WebSocket connection: open, keep alive, reconnect with backoff. It knows nothing of chat:
// it hands JSON frames to onFrame and calls onOpen so the app can send `hello{resume}`.

export const ConnState = Object.freeze({
  IDLE: 'idle',
  CONNECTING: 'connecting',
  OPEN: 'open',
  WAITING: 'waiting', // closed, a retry is scheduled
  STOPPED: 'stopped', // logged out or session ended: no more retries
});

// Reconnect delays double from 1 s to 30 s, each spread by ±25 % so that a server restart
// (close 1001) is not followed by every client knocking at the same instant.
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const JITTER = 0.25;
// A connection that lived this long was healthy: the next drop starts the backoff again at 1 s.
const STABLE_AFTER_MS = 10000;
// Keep-alive: a ping every 25 s keeps NATs and proxies from dropping an idle socket; if nothing at
// all came back by the next ping, the socket is dead (a laptop woke up, a phone changed network).
const PING_INTERVAL_MS = 25000;
// The server ends a revoked or expired session with this close code (docs/protocol.md).
const CLOSE_SESSION_ENDED = 4001;

export function backoffDelay(attempt) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  const jittered = base * (1 - JITTER + 2 * JITTER * Math.random());
  return Math.min(BACKOFF_MAX_MS, Math.round(jittered));
}

export class Connection {
  // resolveUrl(fresh): the full WebSocket URL (token included); `fresh` asks to refetch the config.
  // checkAuth(): 'ok' | 'unauthorized' | 'unreachable', asked when an upgrade fails, because a
  // browser hides the HTTP status (401) of a refused upgrade.
  constructor({ resolveUrl, protocol, checkAuth, onOpen, onFrame, onStateChange, onSessionEnded }) {
    this.resolveUrl = resolveUrl;
    this.protocol = protocol;
    this.checkAuth = checkAuth;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onStateChange = onStateChange;
    this.onSessionEnded = onSessionEnded;
    this.state = ConnState.IDLE;
    this.ws = null;
    this.attempt = 0;
    this.retryAt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.awaitingPong = false;
    this.openedAt = 0;
    this.lastOpenFailed = false;
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange(state);
  }

  start() {
    if (this.state === ConnState.CONNECTING || this.state === ConnState.OPEN) return;
    this.connect();
  }

  stop() {
    this.clearTimers();
    const ws = this.ws;
    this.detach();
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        // Already closing.
      }
    }
    this.setState(ConnState.STOPPED);
  }

  send(frame) {
    if (this.state !== ConnState.OPEN || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // The browser says the network is gone (the `offline` event): the socket is dead even if no close
  // came yet, and a phone would otherwise wait for the keep-alive to notice. Retries follow the
  // usual backoff; the `online` event calls reconnectNow.
  networkLost() {
    if (this.state === ConnState.STOPPED || this.state === ConnState.IDLE) return;
    const ws = this.ws;
    this.detach();
    if (ws) {
      try {
        ws.close(4000);
      } catch {
        // Ignore: we are leaving it anyway.
      }
    }
    this.scheduleRetry();
  }

  reconnectNow() {
    if (this.state !== ConnState.WAITING) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  async connect() {
    this.setState(ConnState.CONNECTING);
    let url;
    try {
      url = await this.resolveUrl(this.lastOpenFailed);
    } catch (err) {
      if (this.state === ConnState.STOPPED) return;
      if (err && err.status === 401) return this.endSession();
      return this.scheduleRetry();
    }
    if (this.state === ConnState.STOPPED) return;
    let ws;
    try {
      ws = new WebSocket(url, this.protocol);
    } catch {
      this.lastOpenFailed = true;
      return this.scheduleRetry();
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      opened = true;
      this.lastOpenFailed = false;
      this.openedAt = Date.now();
      this.awaitingPong = false;
      this.setState(ConnState.OPEN);
      this.pingTimer = setInterval(() => this.keepAlive(), PING_INTERVAL_MS);
      this.onOpen();
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.awaitingPong = false;
      if (typeof ev.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object' && typeof frame.t === 'string') this.onFrame(frame);
    };
    ws.onerror = () => {
      // Always followed by a close event, which decides what to do.
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.detach();
      if (this.state === ConnState.STOPPED) return;
      if (ev.code === CLOSE_SESSION_ENDED) return this.endSession();
      if (!opened) {
        this.lastOpenFailed = true;
        return this.afterFailedUpgrade();
      }
      if (Date.now() - this.openedAt >= STABLE_AFTER_MS) this.attempt = 0;
      this.scheduleRetry();
    };
  }

  async afterFailedUpgrade() {
    this.setState(ConnState.WAITING);
    let verdict = 'unreachable';
    try {
      verdict = await this.checkAuth();
    } catch {
      verdict = 'unreachable';
    }
    if (this.state === ConnState.STOPPED) return;
    if (verdict === 'unauthorized') return this.endSession();
    this.scheduleRetry();
  }

  keepAlive() {
    if (this.awaitingPong) {
      // Nothing came back since the last ping: drop this socket without waiting for a close
      // handshake that a dead network would never finish.
      const ws = this.ws;
      this.detach();
      try {
        ws.close(4000);
      } catch {
        // Ignore: we are leaving it anyway.
      }
      this.scheduleRetry();
      return;
    }
    this.awaitingPong = true;
    this.send({ t: 'ping' });
  }

  scheduleRetry() {
    clearTimeout(this.retryTimer);
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    // Announced even if already WAITING: subscribers read the new retryAt.
    this.state = ConnState.WAITING;
    this.onStateChange(this.state);
  }

  endSession() {
    this.stop();
    this.onSessionEnded();
  }

  detach() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onerror = this.ws.onclose = null;
    }
    this.ws = null;
  }

  clearTimers() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}
