// Follows a server start over server-sent events and opens the server when it is ready; on failure
// the page becomes the failure state: its title, a red bar, the reason once, Retry and Back.
(function () {
  const root = document.getElementById('spawn-pending');
  if (!root) return;
  const bar = document.getElementById('progress-bar');
  const message = document.getElementById('progress-message');
  const log = document.getElementById('progress-log');
  const failed = document.getElementById('progress-failed');
  // Ports and pids mean something to admins only.
  const plain = root.dataset.details !== 'all';
  const forPeople = function (text) {
    if (!plain) return text;
    return text.replace(/ \(pid \d+\)/, '').replace(/^Allocated port \d+$/, 'Reserved a port for the server');
  };
  const showFailure = function (text) {
    const lines = text.replace(/^Spawn failed: /, '').split('\n');
    root.classList.add('failure');
    root.querySelector('h1').textContent = root.dataset.failedTitle;
    document.title = 'Start failed · Gatehouse';
    bar.classList.add('failed');
    message.hidden = true;
    document.getElementById('failure-reason').textContent = lines[0];
    const output = document.getElementById('failure-output');
    output.textContent = lines.slice(1).join('\n');
    output.hidden = lines.length < 2;
    failed.hidden = false;
    document.getElementById('cancel-start').hidden = true;
    document.getElementById('failure-actions').hidden = false;
  };
  const source = new EventSource(root.dataset.progressUrl);
  source.onmessage = function (event) {
    const data = JSON.parse(event.data);
    bar.value = data.progress || 0;
    bar.textContent = (data.progress || 0) + '%';
    if (data.failed) {
      source.close();
      showFailure(data.message || 'The server failed to start.');
      return;
    }
    const text = forPeople(data.message || '');
    message.textContent = text;
    // A new place in line replaces the last one: the log keeps one line for the wait.
    const last = log.lastElementChild;
    const inLine = /^Waiting to start:/;
    const item = last && inLine.test(last.textContent) && inLine.test(text) ? last : document.createElement('li');
    item.textContent = text;
    log.appendChild(item);
    if (data.ready) {
      source.close();
      window.location.replace(data.url); // Back from the server should not land here again
    }
  };
  source.onerror = function () {
    message.textContent = 'Lost the connection to the hub; retrying…';
  };
})();
