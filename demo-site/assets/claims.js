// Acme Expenses, "My claims": filters the claims table by free text and status, in place.
'use strict';

(() => {
  const form = document.getElementById('claims-filters');
  const search = document.getElementById('claims-search');
  const status = document.getElementById('claims-status');
  const rows = [...document.querySelectorAll('#claims-table tbody tr')];
  const count = document.getElementById('claims-count');
  const empty = document.getElementById('claims-empty');
  if (!form || !search || !status) return;

  const applyFilters = () => {
    const needle = search.value.trim().toLowerCase();
    const wanted = status.value;
    let shown = 0;
    for (const row of rows) {
      const matches = (!needle || row.textContent.toLowerCase().includes(needle))
        && (!wanted || row.dataset.status === wanted);
      row.hidden = !matches;
      if (matches) shown += 1;
    }
    count.textContent = shown === rows.length
      ? `${rows.length} claims`
      : `${shown} of ${rows.length} claims`;
    empty.hidden = shown > 0;
  };

  form.addEventListener('submit', (event) => event.preventDefault());
  search.addEventListener('input', applyFilters);
  status.addEventListener('change', applyFilters);
})();
