// Sortable tables: a column's header button sorts the rows by it, ascending then descending (numbers as numbers);
// aria-sort tells screen readers the order.
(() => {
  for (const table of document.querySelectorAll('table.sortable')) {
    const headers = [...table.tHead.rows[0].cells];
    headers.forEach((header, column) => header.querySelector('button').addEventListener('click', () => {
      const ascending = header.getAttribute('aria-sort') !== 'ascending';
      const numeric = header.dataset.numeric === 'true';
      const body = table.tBodies[0];
      const key = row => row.cells[column].textContent;
      const rows = [...body.rows].sort((a, b) => {
        const order = numeric ? (parseFloat(key(a)) || 0) - (parseFloat(key(b)) || 0) : key(a).localeCompare(key(b));
        return ascending ? order : -order;
      });
      for (const h of headers) h.setAttribute('aria-sort', 'none');
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      body.append(...rows);
    }));
  }
})();
