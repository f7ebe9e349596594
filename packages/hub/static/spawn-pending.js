// Follows a server start over server-sent events and opens the server when it is ready.
(function () {
  const root = document.getElementById('spawn-pending');
  if (!root) return;
  const bar = document.getElementById('progress-bar');
  const message = document.getElementById('progress-message');
  const log = document.getElementById('progress-log');
  const failed = document.getElementById('progress-failed');
  const source = new EventSource(root.dataset.progressUrl);
  source.onmessage = function (event) {
    const data = JSON.parse(event.data);
    bar.value = data.progress || 0;
    bar.textContent = (data.progress || 0) + '%';
    message.textContent = data.message || '';
    const item = document.createElement('li');
    item.textContent = data.message || '';
    log.appendChild(item);
    if (data.ready) {
      source.close();
      window.location.replace(data.url); // Back from the server should not land here again
    } else if (data.failed) {
      source.close();
      failed.hidden = false;
      failed.textContent = data.message || 'The server failed to start.';
    }
  };
  source.onerror = function () {
    message.textContent = 'Lost the connection to the hub; retrying…';
  };
})();
