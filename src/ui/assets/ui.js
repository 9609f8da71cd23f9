// The dashboard's only script. A region marked `data-refresh-url` is replaced by a fresh render of
// that URL (same session cookie) whenever its `data-events-url` event stream says something
// happened (a burst of events costs one render), and every `data-refresh-seconds` besides, in case
// the stream is cut off. The region's own HTML says whether it still follows anything.
(() => {
  const follow = (region) => {
    const url = region.dataset.refreshUrl;
    if (!url) return;
    let current = region;
    let source = null;
    let timer = 0;
    let pending = false;
    const refresh = async () => {
      if (pending) return;
      pending = true;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
        if (response.redirected || !response.ok) return stop();
        const next = new DOMParser().parseFromString(await response.text(), "text/html").body.firstElementChild;
        if (!next) return;
        current.replaceWith(next);
        current = next;
        if (!next.dataset.refreshUrl) stop();
      } catch {
        // A failed render is retried on the next event or tick.
      } finally {
        pending = false;
      }
    };
    const stop = () => {
      source?.close();
      clearInterval(timer);
    };
    if (region.dataset.eventsUrl && "EventSource" in window) {
      source = new EventSource(region.dataset.eventsUrl);
      let queued = 0;
      source.onmessage = () => {
        clearTimeout(queued);
        queued = setTimeout(refresh, 200);
      };
    }
    const seconds = Number(region.dataset.refreshSeconds);
    if (seconds > 0) {
      timer = setInterval(() => {
        if (document.visibilityState === "visible") refresh();
      }, seconds * 1000);
    }
  };
  document.querySelectorAll("[data-refresh-url]").forEach(follow);
})();
