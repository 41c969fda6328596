// Acme Expenses: shared script of every page. It does what a real customer app does to
// embed Cuecard: a queue stub so the app may call Cuecard before the widget has loaded,
// and one setContext call telling the widget the route template and the worker's role.
'use strict';

// The standard queue stub, defined only if the widget loader has not defined Cuecard yet.
window.Cuecard = window.Cuecard || function () { (window.Cuecard.q = window.Cuecard.q || []).push(arguments); };

(() => {
  const ROLE_STORAGE_KEY = 'acme-expenses.role';
  const ROLES = ['employee', 'approver'];

  const readStoredRole = () => {
    try {
      const stored = window.localStorage.getItem(ROLE_STORAGE_KEY);
      return ROLES.includes(stored) ? stored : null;
    } catch {
      return null; // storage blocked (privacy mode, sandboxed frame): fall back to the default
    }
  };

  const storeRole = (role) => {
    try {
      window.localStorage.setItem(ROLE_STORAGE_KEY, role);
    } catch {
      // not persisted; the switch still applies to this page
    }
  };

  // Approvers land on the approvals screens, so that is the sensible default there.
  const defaultRole = () => (document.body.dataset.route?.startsWith('/approvals') ? 'approver' : 'employee');

  const currentRole = readStoredRole() ?? defaultRole();

  const switcher = document.getElementById('role-switcher');
  if (switcher) {
    switcher.value = currentRole;
    switcher.addEventListener('change', () => {
      const role = ROLES.includes(switcher.value) ? switcher.value : 'employee';
      storeRole(role);
      document.body.dataset.role = role;
      window.Cuecard('setContext', { roles: [role] });
    });
  }
  document.body.dataset.role = currentRole;

  // Sent once all deferred page scripts have run: a page script (the approvals SPA) may
  // first correct data-route for a deep link, or remove it where it has no template.
  const sendInitialContext = () => {
    const context = { roles: [currentRole] };
    const route = document.body.dataset.route;
    if (route) context.route = route;
    window.Cuecard('setContext', context);
  };

  // Deferred scripts run while readyState is already "interactive" but before
  // DOMContentLoaded, so only "complete" means the page scripts have all run.
  if (document.readyState === 'complete') {
    sendInitialContext();
  } else {
    document.addEventListener('DOMContentLoaded', sendInitialContext, { once: true });
  }
})();
