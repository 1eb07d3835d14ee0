// Live updates over Server-Sent Events (GET /api/live), shared by siaga112 pages.
// Every message is one domain event as JSON. After a (re)connect the page
// should reload its state: events missed while disconnected are not replayed.

/**
 * @param {{ path?: string, onEvent: (e: object) => void, onStatus: (s: 'open'|'reconnecting'|'closed') => void }} options
 * @returns {{ close(): void }}
 */
export function connectLive({ path = '/api/live', onEvent, onStatus }) {
  let source;
  let stopped = false;
  let retry;
  const open = () => {
    source = new EventSource(path);
    source.onopen = () => onStatus('open');
    source.onmessage = (m) => {
      let event;
      try {
        event = JSON.parse(m.data);
      } catch {
        return;
      }
      onEvent(event);
    };
    source.onerror = () => {
      if (stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        // The server refused (session ended?) or is down: the page decides; try again later.
        onStatus('closed');
        clearTimeout(retry);
        retry = setTimeout(() => !stopped && open(), 5000);
      } else {
        onStatus('reconnecting');
      }
    };
  };
  open();
  return {
    close() {
      stopped = true;
      clearTimeout(retry);
      if (source) source.close();
    },
  };
}
