// Acme Expenses, "Approvals": a small single-page app with history.pushState routing.
// It tells Cuecard about its route on list and detail views, and deliberately does not on
// the History tab, so the widget has to notice that pushState on its own.
'use strict';

(() => {
  const root = document.getElementById('approvals-app');
  if (!root) return;

  const APPROVER = 'Jana Novak';
  const SYSTEM = 'Acme Expenses';

  const CLAIMS = [
    {
      id: 'CLM-1042', employee: 'Tom Becker', purpose: 'Client visit Berlin – Nordwind Logistics', category: 'Travel',
      submitted: '2026-11-10', currency: 'EUR', costCentre: 'CC-4100', project: 'PRJ-0815',
      items: [
        ['2026-11-03', 'Deutsche Bahn, ICE Munich – Berlin return', 'Travel', 7, 139.80],
        ['2026-11-03', 'Hotel Mitte Berlin, 2 nights', 'Accommodation', 7, 378.00],
        ['2026-11-04', 'Restaurant Nolle, client dinner (4 people)', 'Meals', 19, 118.70],
        ['2026-11-05', 'Taxi Berlin, Hauptbahnhof – client office', 'Travel', 7, 48.00],
      ],
      history: [
        ['2026-11-05T18:42', 'Tom Becker', 'Created the claim as a draft'],
        ['2026-11-05T18:47', 'Tom Becker', 'Attached 4 receipts'],
        ['2026-11-10T08:15', 'Tom Becker', 'Changed the project code from PRJ-0812 to PRJ-0815'],
        ['2026-11-10T08:16', 'Tom Becker', 'Submitted for approval'],
        ['2026-11-10T08:16', SYSTEM, 'Policy check: hotel at €189.00 per night is above the €150.00 guideline – flagged for the approver'],
        ['2026-11-10T08:16', SYSTEM, `Assigned to ${APPROVER}, approver for CC-4100`],
      ],
    },
    {
      id: 'CLM-1043', employee: 'Aisha Rahman', purpose: 'DevOps Days London', category: 'Training',
      submitted: '2026-11-11', currency: 'GBP', costCentre: 'CC-5100', project: '',
      items: [
        ['2026-10-22', 'DevOps Days London, conference ticket', 'Training', 20, 595.00],
        ['2026-10-23', 'Premier Inn London Bridge, 2 nights', 'Accommodation', 20, 210.00],
        ['2026-10-24', 'Transport for London, Oyster top-up', 'Travel', 0, 40.00],
      ],
      history: [
        ['2026-10-25T10:02', 'Aisha Rahman', 'Created the claim as a draft'],
        ['2026-10-25T10:09', 'Aisha Rahman', 'Attached 3 receipts'],
        ['2026-11-11T16:30', 'Aisha Rahman', 'Submitted for approval'],
        ['2026-11-11T16:30', SYSTEM, 'Policy check passed; training budget CC-5100 has £2,140.00 left this year'],
        ['2026-11-11T16:30', SYSTEM, `Assigned to ${APPROVER}, approver for CC-5100`],
      ],
    },
    {
      id: 'CLM-1045', employee: 'Lukas Meier', purpose: 'Home office cables and seat cushion', category: 'Office supplies',
      submitted: '2026-11-13', currency: 'CHF', costCentre: 'CC-5100', project: '',
      items: [
        ['2026-11-12', 'Digitec Galaxus, USB-C cable set', 'Office supplies', 0, 34.90],
        ['2026-11-12', 'Digitec Galaxus, ergonomic seat cushion', 'Office supplies', 0, 51.50],
      ],
      history: [
        ['2026-11-13T07:55', 'Lukas Meier', 'Created the claim as a draft'],
        ['2026-11-13T07:58', 'Lukas Meier', 'Attached 1 receipt'],
        ['2026-11-13T07:59', 'Lukas Meier', 'Submitted for approval'],
        ['2026-11-13T07:59', SYSTEM, 'Policy check passed'],
        ['2026-11-13T07:59', SYSTEM, `Assigned to ${APPROVER}, approver for CC-5100`],
      ],
    },
    {
      id: 'CLM-1046', employee: 'Sofia Rossi', purpose: 'Mileage for customer workshops', category: 'Mileage',
      submitted: '2026-11-14', currency: 'EUR', costCentre: 'CC-4100', project: 'PRJ-0822',
      items: [
        ['2026-11-06', 'Own car, Munich – Ingolstadt return, 168 km at €0.30', 'Mileage', 0, 50.40],
        ['2026-11-12', 'Own car, Munich – Regensburg return, 238 km at €0.30', 'Mileage', 0, 71.40],
      ],
      history: [
        ['2026-11-06T19:20', 'Sofia Rossi', 'Created the claim as a draft'],
        ['2026-11-14T12:04', 'Sofia Rossi', 'Added a second trip (Regensburg, 238 km)'],
        ['2026-11-14T12:05', 'Sofia Rossi', 'Submitted for approval'],
        ['2026-11-14T12:05', SYSTEM, 'Policy check passed; distances match the route planner within 5 %'],
        ['2026-11-14T12:05', SYSTEM, `Assigned to ${APPROVER}, approver for CC-4100`],
      ],
    },
    {
      id: 'CLM-1047', employee: 'Tom Becker', purpose: 'Team lunch after the 4.2 release', category: 'Meals',
      submitted: '2026-11-17', currency: 'EUR', costCentre: 'CC-4100', project: '',
      items: [
        ['2026-11-14', 'Osteria Centrale, lunch for 8 people', 'Meals', 19, 212.40],
      ],
      history: [
        ['2026-11-14T14:31', 'Tom Becker', 'Created the claim as a draft'],
        ['2026-11-14T14:32', 'Tom Becker', 'Attached 1 receipt'],
        ['2026-11-17T09:10', 'Tom Becker', 'Submitted for approval'],
        ['2026-11-17T09:10', SYSTEM, 'Policy check: team events above €150.00 need the approver to confirm the guest list'],
        ['2026-11-17T09:10', SYSTEM, `Assigned to ${APPROVER}, approver for CC-4100`],
      ],
    },
  ];

  const claimsById = new Map(CLAIMS.map((claim) => [claim.id, claim]));
  const decisions = new Map(); // claim id → { status: 'approved' | 'rejected', comment, at }

  // Route templates this SPA reports to Cuecard; the History view has none on purpose.
  const ROUTES = { list: '/approvals', detail: '/approvals/:id' };

  // ---- small helpers -------------------------------------------------------------------

  const h = (tag, props = {}, ...children) => {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'className') element.className = value;
      else if (name === 'text') element.textContent = value;
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  };

  const money = (amount, currency) =>
    new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(amount);

  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // Formats "2026-11-10" or "2026-11-10T08:16" without time-zone shifts.
  const formatDate = (iso) => {
    const [datePart, timePart] = iso.split('T');
    const [year, month, day] = datePart.split('-').map(Number);
    const text = `${day} ${MONTHS[month - 1]} ${year}`;
    return timePart ? `${text}, ${timePart}` : text;
  };

  const nowIso = () => {
    const now = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}`;
  };

  const totalOf = (claim) => claim.items.reduce((sum, item) => sum + item[4], 0);

  const statusBadge = (claimId) => {
    const decision = decisions.get(claimId);
    if (decision?.status === 'approved') return h('span', { className: 'badge badge-approved', text: 'Approved' });
    if (decision?.status === 'rejected') return h('span', { className: 'badge badge-rejected', text: 'Rejected' });
    return h('span', { className: 'badge badge-submitted', text: 'Awaiting approval' });
  };

  const setContext = (context) => {
    try {
      window.Cuecard?.('setContext', context);
    } catch {
      // help must never break approving claims
    }
  };

  // ---- routing -------------------------------------------------------------------------

  // '/approvals', '/approvals/CLM-1042', '/approvals/CLM-1042/history' (trailing slash allowed).
  const parsePath = (pathname) => {
    const parts = pathname.replace(/\/index\.html$/, '').split('/').filter(Boolean);
    if (parts[0] !== 'approvals' || parts.length === 1) return { view: 'list' };
    const id = decodeURIComponent(parts[1]);
    if (parts.length === 2) return { view: 'detail', id };
    if (parts.length === 3 && parts[2] === 'history') return { view: 'history', id };
    return { view: 'unknown' };
  };

  // Keeps <body data-route> truthful for the current view; app.js reads it on load.
  const recordRoute = (view) => {
    const route = ROUTES[view];
    if (route) document.body.dataset.route = route;
    else delete document.body.dataset.route;
    return route;
  };

  const render = ({ focus }) => {
    const location = parsePath(window.location.pathname);
    recordRoute(location.view);
    if (location.view === 'list') renderList(focus);
    else if (location.view === 'unknown') renderMissing(null, focus);
    else {
      const claim = claimsById.get(location.id);
      if (claim) renderClaim(claim, location.view, focus);
      else renderMissing(location.id, focus);
    }
    return location;
  };

  // pushState first, render, and only then tell Cuecard the new route (if asked to).
  const navigate = (path, { announceRoute, focus }) => {
    if (path !== window.location.pathname) window.history.pushState({}, '', path);
    const location = render({ focus });
    if (announceRoute) {
      const route = ROUTES[location.view];
      if (route) setContext({ route });
    }
  };

  const isPlainClick = (event) =>
    event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;

  root.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target || event.defaultPrevented) return;

    const link = target.closest('a.claim-link, a#back-to-list');
    if (link && isPlainClick(event)) {
      event.preventDefault();
      navigate(link.getAttribute('href'), { announceRoute: true, focus: 'heading' });
      return;
    }

    const tab = target.closest('#tab-details, #tab-history');
    if (tab) {
      const id = tab.dataset.claim;
      if (tab.id === 'tab-history') {
        // Deliberately no setContext here: Cuecard must follow this pushState by itself.
        navigate(`/approvals/${id}/history`, { announceRoute: false, focus: 'tab' });
      } else {
        navigate(`/approvals/${id}`, { announceRoute: true, focus: 'tab' });
      }
      return;
    }

    const action = target.closest('#approve-claim, #reject-claim');
    if (action) decide(action.dataset.claim, action.id === 'approve-claim' ? 'approved' : 'rejected');
  });

  // Arrow keys move between the two tabs, as in any tab list.
  root.addEventListener('keydown', (event) => {
    const tab = event.target instanceof Element ? event.target.closest('[role="tab"]') : null;
    if (!tab || (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight')) return;
    event.preventDefault();
    const other = document.getElementById(tab.id === 'tab-details' ? 'tab-history' : 'tab-details');
    other?.click();
  });

  window.addEventListener('popstate', () => {
    const location = render({ focus: 'heading' });
    const route = ROUTES[location.view];
    if (route) setContext({ route }); // History (no template): the widget follows the URL itself
  });

  // ---- views ---------------------------------------------------------------------------

  const show = (title, content, focus) => {
    document.title = `${title} – Acme Expenses`;
    root.replaceChildren(content);
    if (focus === 'heading') root.querySelector('h2')?.focus();
    else if (focus === 'tab') root.querySelector('[role="tab"][aria-selected="true"]')?.focus();
  };

  const renderList = (focus) => {
    const rows = CLAIMS.map((claim) => h('tr', {},
      h('td', {}, h('a', { href: `/approvals/${claim.id}`, className: 'claim-link mono', 'data-claim': claim.id, text: claim.id })),
      h('td', { text: claim.employee }),
      h('td', { text: claim.purpose }),
      h('td', { text: claim.category }),
      h('td', {}, h('time', { datetime: claim.submitted, text: formatDate(claim.submitted) })),
      h('td', { className: 'num', text: money(totalOf(claim), claim.currency) }),
      h('td', {}, statusBadge(claim.id)),
    ));
    const pending = CLAIMS.filter((claim) => !decisions.has(claim.id)).length;

    show('Approvals', h('section', { className: 'card', 'aria-labelledby': 'approvals-title' },
      h('h2', { id: 'approvals-title', tabindex: '-1', text: 'Pending approvals' }),
      h('p', { className: 'muted', text: `${pending} of ${CLAIMS.length} claims need your decision.` }),
      h('div', { className: 'table-wrap' },
        h('table', { id: 'approvals-table' },
          h('thead', {}, h('tr', {},
            ['Claim', 'Employee', 'Purpose', 'Category', 'Submitted'].map((label) => h('th', { scope: 'col', text: label })),
            h('th', { scope: 'col', className: 'num', text: 'Total' }),
            h('th', { scope: 'col', text: 'Status' }),
          )),
          h('tbody', {}, rows),
        ),
      ),
    ), focus);
  };

  const renderMissing = (id, focus) => {
    show('Claim not found', h('section', { className: 'card' },
      h('a', { href: '/approvals/', id: 'back-to-list', className: 'back-link', text: '← Back to list' }),
      h('h2', { id: 'claim-title', tabindex: '-1', text: 'Claim not found' }),
      h('p', { text: id
        ? `There is no claim ${id} waiting for you. It may have been withdrawn or decided by another approver.`
        : 'This page does not exist in Approvals.' }),
    ), focus);
  };

  const renderClaim = (claim, view, focus) => {
    const total = totalOf(claim);
    const tabButton = (id, label, selected) => h('button', {
      type: 'button', id, role: 'tab', className: 'tab', 'data-claim': claim.id,
      'aria-selected': String(selected), 'aria-controls': 'claim-panel', tabindex: selected ? '0' : '-1', text: label,
    });

    const panel = view === 'history' ? historyPanel(claim) : detailsPanel(claim, total);

    show(`${claim.id} – Approvals`, h('section', { className: 'card', 'aria-labelledby': 'claim-title' },
      h('a', { href: '/approvals/', id: 'back-to-list', className: 'back-link', text: '← Back to list' }),
      h('h2', { id: 'claim-title', tabindex: '-1', text: `${claim.id} · ${claim.purpose}` }),
      h('p', { id: 'claim-status-badge' }, statusBadge(claim.id)),
      h('dl', { className: 'summary' },
        [
          ['Employee', claim.employee],
          ['Submitted', formatDate(claim.submitted)],
          ['Total', money(total, claim.currency)],
          ['Cost centre', claim.costCentre],
          ['Project', claim.project || '—'],
        ].map(([term, value]) => h('div', {}, h('dt', { text: term }), h('dd', { text: value }))),
      ),
    ), focus === 'tab' ? null : focus);

    root.append(h('section', { className: 'card' },
      h('div', { className: 'tabs', role: 'tablist', 'aria-label': 'Claim views' },
        tabButton('tab-details', 'Details', view !== 'history'),
        tabButton('tab-history', 'History', view === 'history'),
      ),
      panel,
    ));
    if (focus === 'tab') root.querySelector('[role="tab"][aria-selected="true"]')?.focus();
  };

  const detailsPanel = (claim, total) => {
    const decision = decisions.get(claim.id);
    const firstName = claim.employee.split(' ')[0];
    return h('div', { id: 'claim-panel', role: 'tabpanel', 'aria-labelledby': 'tab-details' },
      h('h3', { text: 'Line items' }),
      h('div', { className: 'table-wrap' },
        h('table', { id: 'line-items' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col', text: 'Date' }),
            h('th', { scope: 'col', text: 'Description' }),
            h('th', { scope: 'col', text: 'Category' }),
            h('th', { scope: 'col', className: 'num', text: 'VAT' }),
            h('th', { scope: 'col', className: 'num', text: 'Amount' }),
          )),
          h('tbody', {}, claim.items.map(([date, description, category, vat, amount]) => h('tr', {},
            h('td', {}, h('time', { datetime: date, text: formatDate(date) })),
            h('td', { text: description }),
            h('td', { text: category }),
            h('td', { className: 'num', text: `${vat} %` }),
            h('td', { className: 'num', text: money(amount, claim.currency) }),
          ))),
          h('tfoot', {}, h('tr', {},
            h('td', { colspan: '4', text: 'Total' }),
            h('td', { className: 'num', text: money(total, claim.currency) }),
          )),
        ),
      ),
      h('h3', { text: 'Your decision' }),
      h('label', { for: 'approval-comment', text: `Comment to ${firstName}` }),
      h('textarea', {
        id: 'approval-comment', name: 'comment', 'data-help-key': 'approval.comment',
        'aria-describedby': 'approval-comment-hint', disabled: Boolean(decision),
        placeholder: 'Required when you reject; optional when you approve',
      }, decision?.comment ?? ''),
      h('span', { className: 'hint', id: 'approval-comment-hint', text: `${claim.employee} sees this comment in the claim's history.` }),
      h('div', { className: 'actions' },
        h('button', {
          type: 'button', id: 'approve-claim', className: 'button button-success', 'data-claim': claim.id,
          'data-help-key': 'approval.approve', disabled: Boolean(decision), text: 'Approve',
        }),
        h('button', {
          type: 'button', id: 'reject-claim', className: 'button button-danger', 'data-claim': claim.id,
          'data-help-key': 'approval.reject', disabled: Boolean(decision), text: 'Reject',
        }),
      ),
      h('div', { id: 'approval-error', className: 'status-message is-error', role: 'alert' }),
      h('div', { id: 'approval-status', className: 'status-message', role: 'status' },
        decision ? decisionMessage(claim, decision.status) : ''),
    );
  };

  const historyPanel = (claim) => {
    const decision = decisions.get(claim.id);
    const entries = [...claim.history];
    if (decision) {
      const verb = decision.status === 'approved' ? 'Approved' : 'Rejected';
      entries.push([decision.at, APPROVER, decision.comment ? `${verb}: “${decision.comment}”` : verb]);
    }
    return h('div', { id: 'claim-panel', role: 'tabpanel', 'aria-labelledby': 'tab-history' },
      h('h3', { text: 'Audit trail' }),
      h('p', { className: 'muted', text: 'Every change to this claim, oldest first. Entries cannot be edited or deleted.' }),
      h('ol', { className: 'timeline', id: 'audit-trail' }, entries.map(([at, actor, text]) => h('li', {},
        h('time', { datetime: at, text: formatDate(at) }),
        h('strong', { text: actor }), ' – ', text,
      ))),
    );
  };

  const decisionMessage = (claim, status) => (status === 'approved'
    ? `${claim.id} approved. ${claim.employee} will be reimbursed with the next payroll run.`
    : `${claim.id} rejected and returned to ${claim.employee} with your comment.`);

  const decide = (claimId, status) => {
    const claim = claimsById.get(claimId);
    const comment = document.getElementById('approval-comment');
    const error = document.getElementById('approval-error');
    if (!claim || !comment || !error || decisions.has(claimId)) return;

    const text = comment.value.trim();
    if (status === 'rejected' && !text) {
      comment.setAttribute('aria-invalid', 'true');
      error.textContent = `Add a comment before you reject, so ${claim.employee} knows what to fix.`;
      comment.focus();
      return;
    }

    // Update in place rather than re-render, so the live region announces the outcome.
    decisions.set(claimId, { status, comment: text, at: nowIso() });
    comment.removeAttribute('aria-invalid');
    error.textContent = '';
    for (const control of root.querySelectorAll('#approval-comment, #approve-claim, #reject-claim')) {
      control.disabled = true;
    }
    document.getElementById('claim-status-badge')?.replaceChildren(statusBadge(claimId));
    document.getElementById('approval-status').textContent = decisionMessage(claim, status);
    document.getElementById('back-to-list')?.focus();
  };

  // ---- start ---------------------------------------------------------------------------

  // Deep links work because the server falls back to this page for /approvals/*. The
  // initial setContext is sent by app.js on DOMContentLoaded, from the data-route set here.
  render({ focus: null });
})();
