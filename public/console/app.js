// telnyx-edge operator console: the page's entry. It wires the page's events to the
// modules and starts by checking the sign-in.

import { readSupervisorAddress, state, storeSupervisorAddress } from './state.js';
import { $, value } from './dom.js';
import { setUnauthorizedHandler } from './api.js';
import { applySearch, loadMore, refreshList, resetList } from './list.js';
import { goBack, openCall } from './call.js';
import { onControlSubmit, onTimelineClick } from './controls.js';
import { onSignIn, onSignOut, signOut, start, unauthorizedMessage } from './signin.js';
import { onWindowChange, openDashboard, showCalls } from './dashboard.js';

const wide = window.matchMedia('(min-width: 900px)');

function onDetailClick(event) {
  const button = event.target.closest('button[data-open]');
  if (!button || !state.current) return;
  const id = button.dataset.open;
  if (id && id !== state.current.id) openCall(id);
}

// Enter in the Supervisor address would submit with the form's first button, Barge:
// the operator picks the role with a button instead.
function onSupervisorAddressKeydown(event) {
  if (event.key === 'Enter') event.preventDefault();
}

function onDetailKeydown(event) {
  if (event.key === 'Escape' && state.current && !wide.matches) {
    event.preventDefault();
    goBack();
  }
}

function init() {
  setUnauthorizedHandler(() => signOut(unauthorizedMessage()));
  $('signin-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', onSignOut);
  $('show-calls').addEventListener('click', showCalls);
  $('show-dashboard').addEventListener('click', openDashboard);
  $('dashboard-minutes').addEventListener('change', onWindowChange);
  $('filter-status').addEventListener('change', () => { resetList(); refreshList(); });
  $('search').addEventListener('input', applySearch);
  $('load-more').addEventListener('click', loadMore);
  $('back').addEventListener('click', goBack);
  $('detail').addEventListener('keydown', onDetailKeydown);
  $('controls').addEventListener('submit', onControlSubmit);
  $('timeline').addEventListener('click', onTimelineClick);
  $('detail-body').addEventListener('click', onDetailClick);
  $('supervisor-address').value = readSupervisorAddress();
  $('supervisor-address').addEventListener('keydown', onSupervisorAddressKeydown);
  $('supervisor-address').addEventListener('input', () => storeSupervisorAddress(value('supervisor-address').trim()));
  start();
}

init();
