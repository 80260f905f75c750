/* Draws the history charts with Chart.js from the JSON embedded in the page. */
window.addEventListener('DOMContentLoaded', function () {
  var data = JSON.parse(document.getElementById('history-data').textContent);
  new Chart(document.getElementById('daily'), {
    data: {
      labels: data.daily.map(function (d) { return d.day.slice(5); }),
      datasets: [
        { type: 'bar', label: 'Downloads', data: data.daily.map(function (d) { return d.downloads; }), yAxisID: 'y', backgroundColor: '#3b6fd8' },
        { type: 'line', label: 'MB sent', data: data.daily.map(function (d) { return Math.round(d.bytes / 1e5) / 10; }), yAxisID: 'mb', borderColor: '#d8583b' },
      ],
    },
    options: { animation: false, scales: { y: { beginAtZero: true, title: { display: true, text: 'downloads' } }, mb: { position: 'right', beginAtZero: true, title: { display: true, text: 'MB' } } } },
  });
  new Chart(document.getElementById('episodes'), {
    type: 'bar',
    data: {
      labels: data.episodes.map(function (e) { return e.title; }),
      datasets: [{ label: 'Unique downloads', data: data.episodes.map(function (e) { return e.downloads; }), backgroundColor: '#2e9d6a' }],
    },
    options: { animation: false, indexAxis: 'y', scales: { x: { beginAtZero: true } } },
  });
  document.body.setAttribute('data-charts', 'ready');
});
