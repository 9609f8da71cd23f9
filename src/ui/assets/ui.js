// The dashboard's only script. A region marked `data-refresh-url` is replaced by a fresh render of
// that URL (same session cookie) every `data-refresh-seconds` while the tab is visible, so a running
// rollout moves without reloading the page. The region's own HTML says whether it still refreshes.
(() => {
  const schedule = (region) => {
    const url = region.dataset.refreshUrl;
    const seconds = Number(region.dataset.refreshSeconds);
    if (!url || !(seconds > 0)) return;
    setTimeout(async () => {
      if (document.visibilityState === "visible") {
        try {
          const response = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
          if (response.redirected || !response.ok) return;
          const next = new DOMParser().parseFromString(await response.text(), "text/html").body.firstElementChild;
          if (!next) return;
          region.replaceWith(next);
          schedule(next);
          return;
        } catch {
          // A failed refresh is retried on the next tick.
        }
      }
      schedule(region);
    }, seconds * 1000);
  };
  document.querySelectorAll("[data-refresh-url]").forEach(schedule);
})();
