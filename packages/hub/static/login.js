// While the hub checks a password (argon2, a few at a time, first come first served), tells the person
// how many sign-ins are ahead of theirs: the form carries a random ticket, and GET /hub/login/place
// answers the count for it until the form's answer replaces this page. Without this script the form
// works the same, silently.
(function () {
  const form = document.getElementById('password-login');
  if (!form) return;
  const status = document.getElementById('sign-in-wait');
  const FIRST_ASK_MS = 700; // a quick sign-in shows nothing
  const ASK_EVERY_MS = 1000;
  const newTicket = function () {
    const bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const say = function (ahead) {
    if (ahead === null) return;
    status.textContent = ahead === 0
      ? 'Signing in: checking your password…'
      : 'Signing in: ' + ahead + (ahead === 1 ? ' person is' : ' people are') + ' ahead of you. Please keep this page open.';
    status.hidden = false;
  };
  const button = form.querySelector('button[type="submit"]');
  let submissions = 0;
  let asking = 0; // the submission whose place is asked about; 0: none
  // Back to this page from the browser's cache: the form is usable again and nothing is asked.
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return;
    asking = 0;
    button.disabled = false;
    status.hidden = true;
  });
  form.addEventListener('submit', function () {
    const ticket = newTicket();
    const submission = ++submissions;
    asking = submission;
    form.elements.ticket.value = ticket;
    button.disabled = true; // no second submission while this one waits
    const ask = function () {
      if (asking !== submission) return;
      fetch('/hub/login/place?ticket=' + encodeURIComponent(ticket), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (response) { return response.ok ? response.json() : { ahead: null }; })
        .then(function (place) { if (asking === submission) say(place.ahead); })
        .catch(function () { /* the page is being replaced, or the hub is busy: the next ask may tell */ })
        .finally(function () { setTimeout(ask, ASK_EVERY_MS); });
    };
    setTimeout(ask, FIRST_ASK_MS);
  });
})();
