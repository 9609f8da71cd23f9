// The dashboard's only script. A region marked `data-refresh-url` is replaced by a fresh render of
// that URL (same session cookie) whenever its `data-events-url` event stream says something
// happened (a burst of events costs one render, and renders are at least `data-refresh-min-ms`
// apart), and every `data-refresh-seconds` besides, in case the stream is cut off. What is typed
// into the region's fields survives a render. The region's own HTML says whether it still follows
// anything. Every button works without this script: forms post and pages reload.
(() => {
  /** Carries typed values (and the focus) over from the old region to its fresh render. */
  const keepTyped = (from, to) => {
    const focused = document.activeElement;
    from.querySelectorAll("input[name]:not([type=hidden])").forEach((input) => {
      const form = input.form?.getAttribute("action");
      const twin = [...to.querySelectorAll(`input[name="${input.name}"]`)].find(
        (candidate) => candidate.form?.getAttribute("action") === form,
      );
      if (!twin) return;
      if (input.value !== "") twin.value = input.value;
      if (input === focused) twin.focus();
    });
  };

  const follow = (region) => {
    const url = region.dataset.refreshUrl;
    if (!url) return;
    let current = region;
    let source = null;
    let timer = 0;
    let queued = 0;
    let pending = false;
    let again = false;
    let stopped = false;
    let last = 0;
    // One render per burst, at least 200 ms after its first event and `data-refresh-min-ms` after
    // the previous render; events meanwhile join it (a steady stream renders at that pace).
    const schedule = () => {
      if (queued) return;
      const spacing = Number(current.dataset.refreshMinMs) || 200;
      queued = setTimeout(
        () => {
          queued = 0;
          refresh();
        },
        Math.max(200, last + spacing - Date.now()),
      );
    };
    const refresh = async () => {
      if (stopped) return;
      if (pending) {
        again = true;
        return;
      }
      pending = true;
      last = Date.now();
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
        if (response.redirected || !response.ok) return stop();
        const next = new DOMParser().parseFromString(await response.text(), "text/html").body.firstElementChild;
        if (!next) return;
        keepTyped(current, next);
        current.replaceWith(next);
        current = next;
        if (!next.dataset.refreshUrl) stop();
      } catch {
        // A failed render is retried on the next event or tick.
      } finally {
        pending = false;
        if (again) {
          again = false;
          schedule();
        }
      }
    };
    const stop = () => {
      stopped = true;
      source?.close();
      clearInterval(timer);
      clearTimeout(queued);
    };
    if (region.dataset.eventsUrl && "EventSource" in window) {
      source = new EventSource(region.dataset.eventsUrl);
      source.onmessage = schedule;
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
