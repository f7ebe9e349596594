// The admin page's servers table (pages/admin-servers-table.ts): the search re-fetches the table as
// it is typed (debounced), and the table is re-fetched every few seconds so server states follow by
// themselves (the counts above it too). Open "Manage" panels stay open; no refresh while a field in the table has focus (typing a password).
(function () {
  const REFRESH_MS = 3000;
  const TYPING_MS = 250;
  const search = document.getElementById('q');
  if (!search) return;
  let timer = 0;
  let inFlight = null;

  function table() {
    return document.getElementById('server-table');
  }

  function params() {
    const url = new URL(window.location.href);
    const q = search.value.trim().toLowerCase();
    if (q === '') url.searchParams.delete('q');
    else url.searchParams.set('q', q);
    return url;
  }

  function showScope(q) {
    document.querySelectorAll('[data-bulk-query]').forEach(function (input) {
      input.value = q;
    });
    const scope = document.querySelector('[data-bulk-scope]');
    if (scope) scope.textContent = q === '' ? 'every server' : 'every server matching “' + q + '”';
    [['start-all', 'Start', 'stopped'], ['stop-all', 'Stop', 'running']].forEach(function (bulk) {
      const form = document.querySelector('form[action="/hub/admin/servers/' + bulk[0] + '"]');
      const which = bulk[1] + ' every ' + bulk[2] + ' server';
      if (form) form.dataset.confirm = q === '' ? which + '?' : which + ' matching “' + q + '”?';
    });
  }

  function load(url) {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    return fetch('/hub/admin/servers-table' + url.search, { signal: controller.signal, headers: { Accept: 'text/html' } })
      .then(function (response) {
        // Signed out meanwhile (redirected to the login page): keep the table as it is.
        if (!response.ok || response.redirected) throw new Error('table refresh: ' + response.status);
        return response.text();
      })
      .then(function (markup) {
        const current = table();
        if (!current || controller !== inFlight) return;
        const open = Array.from(current.querySelectorAll('details[open]')).map(function (details) {
          return details.dataset.row;
        });
        const holder = document.createElement('div');
        holder.innerHTML = markup;
        const fresh = holder.firstElementChild;
        if (!fresh || fresh.id !== 'server-table') return;
        fresh.querySelectorAll('details').forEach(function (details) {
          if (open.includes(details.dataset.row)) details.open = true;
        });
        current.replaceWith(fresh);
        const counts = document.getElementById('counts');
        const freshCounts = fresh.querySelector('template[data-counts]');
        if (counts && freshCounts) counts.replaceChildren(freshCounts.content.cloneNode(true));
        inFlight = null;
      })
      .catch(function (error) {
        if (error.name !== 'AbortError') console.warn(error.message);
      });
  }

  search.addEventListener('input', function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      const url = params();
      url.searchParams.delete('offset');
      history.replaceState(null, '', url.pathname + url.search);
      showScope(url.searchParams.get('q') || '');
      load(url);
    }, TYPING_MS);
  });

  window.setInterval(function () {
    const current = table();
    const focused = document.activeElement;
    if (document.hidden || !current || (focused && current.contains(focused) && focused.matches('input, textarea, select'))) return;
    load(new URL(window.location.href));
  }, REFRESH_MS);
})();
