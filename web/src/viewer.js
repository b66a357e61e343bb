// The NIfTI slice viewer: the server draws each slice through the chosen window, with the chosen mask over it;
// this only asks for the next picture when a control changes (arrow keys move the slider, as for any range input).
(() => {
  const viewer = document.querySelector('.viewer');
  if (!viewer) return;
  const image = document.getElementById('slice-image');
  const slice = document.getElementById('slice');
  const number = document.getElementById('slice-number');
  const level = document.getElementById('level');
  const width = document.getElementById('width');
  const mask = document.getElementById('mask');
  const error = document.getElementById('viewer-error');
  const name = image.alt.replace(/^Slice \d+ of /, '');

  function draw() {
    const query = new URLSearchParams({ handler: 'Slice', k: slice.value });
    if (level.value !== '') query.set('level', level.value);
    if (width.value !== '') query.set('width', width.value);
    if (mask.value) query.set('mask', mask.value);
    number.textContent = String(Number(slice.value) + 1);
    image.alt = `Slice ${Number(slice.value) + 1} of ${name}` + (mask.value ? ', with ' + mask.options[mask.selectedIndex].text + ' over it' : '');
    image.src = `/datasets/${viewer.dataset.dataset}?${query}`;
  }

  image.addEventListener('error', () => { error.hidden = false; error.textContent = 'This slice could not be drawn; check the window values.'; });
  image.addEventListener('load', () => { error.hidden = true; });
  for (const control of [slice, level, width, mask]) control.addEventListener('input', draw);
})();
