// Acme Expenses, "New expense claim": fakes saving and submitting in place (there is no
// backend), and checks the receipt file the way the real upload would refuse it.
'use strict';

(() => {
  const form = document.getElementById('claim-form');
  if (!form) return;

  const statusRegion = document.getElementById('claim-status');
  const errorRegion = document.getElementById('claim-error');
  const dateInput = document.getElementById('claim-date');
  const receiptInput = document.getElementById('claim-receipt');
  const receiptHint = document.getElementById('claim-receipt-hint');

  const MAX_RECEIPT_BYTES = 10 * 1024 * 1024;
  const RECEIPT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];
  const RECEIPT_HINT = receiptHint.textContent;

  // The next free claim number after the ones listed on "My claims".
  let claimNumber = 1049;

  const today = new Date();
  const isoToday = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  dateInput.max = isoToday;
  if (!dateInput.value) dateInput.value = isoToday;

  const showStatus = (message) => {
    errorRegion.textContent = '';
    statusRegion.textContent = message;
  };

  const showError = (message) => {
    statusRegion.textContent = '';
    errorRegion.textContent = message;
  };

  const formatSize = (bytes) => (bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`);

  receiptInput.addEventListener('change', () => {
    const file = receiptInput.files?.[0];
    receiptInput.removeAttribute('aria-invalid');
    receiptHint.textContent = RECEIPT_HINT;
    if (!file) return;

    let problem = '';
    if (!RECEIPT_TYPES.includes(file.type)) {
      problem = `Upload failed: “${file.name}” is not a PDF, JPG or PNG file.`;
    } else if (file.size > MAX_RECEIPT_BYTES) {
      problem = `Upload failed: “${file.name}” is ${formatSize(file.size)}; the limit is 10 MB.`;
    } else if (file.size === 0) {
      problem = `Upload failed: “${file.name}” is empty.`;
    }

    if (problem) {
      receiptInput.value = '';
      receiptInput.setAttribute('aria-invalid', 'true');
      showError(problem);
    } else {
      receiptHint.textContent = `Attached: ${file.name} (${formatSize(file.size)})`;
      errorRegion.textContent = '';
    }
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const action = event.submitter?.value ?? 'submit';
    const id = `CLM-${claimNumber}`;
    const time = new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

    if (action === 'draft') {
      showStatus(`Draft ${id} saved at ${time}. You can finish it later from My claims.`);
      return;
    }

    showStatus(`Claim ${id} submitted for approval at ${time}. Your approver has been notified.`);
    claimNumber += 1; // a further submit from this page would be a new claim
  });
})();
